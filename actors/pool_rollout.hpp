// The rolling reboot of one pool over its children: which servers a
// rollout covers, what counts as unavailable, the next step (pure planner
// over actors/reboot_rollout).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "actors/pool_children.hpp"
#include "actors/reboot_rollout.hpp"

namespace dynserv {

/// The servers a new rollout covers: active and provisioned.
std::vector<server_record> rollout_targets(const pool_children& children);

/// A server's status as the rollout sees it: nullopt for one the pool no
/// longer has, asked to stop or retiring (it leaves the rollout).
std::optional<server_status> rollout_status(const pool_children& children,
                                            const std::string& id);

/// The pool's unavailable servers for `max_unavailable`: the rollout's
/// picks (from the moment they are picked) plus servers rebooting outside
/// it. While the picks alone fill the budget nothing can be picked whatever
/// the rest, so the O(picks) count of outside reboots is skipped.
int64_t rollout_unavailable(const rollout_record& r,
                            const pool_children& children);

/// What one step of a running rollout did.
struct rollout_step {
  /// Servers to reboot now (moved from `waiting` to `rebooting`).
  std::vector<std::string> reboot;
  /// Servers that left while waiting (they count as skipped).
  int64_t skipped = 0;
  /// The rollout finished in this step.
  bool finished = false;
};

/// Picks the next reboots within max_unavailable and finishes the rollout
/// when nothing is left (at `now_ms`). Does nothing unless it runs.
rollout_step step_rollout(rollout_record& r, const pool_children& children,
                          int64_t now_ms);

/// A rolling reboot as a command starts it.
struct rollout_start {
  rollout_record rollout;
  /// The text of the RollingRebootStarted event.
  std::string message;
  /// Nothing to reboot: it finished at once.
  bool finished = false;
};

/// Starts a rollout over `children` with the valid `spec` at `now_ms`. One
/// asked for while `current` runs starts over with every server: as in the
/// original, its reboots under way still count against max_unavailable
/// and those servers are rebooted again once running.
rollout_start plan_rollout_start(const rollout_record& current,
                                 const pool_children& children,
                                 std::string spec, int64_t now_ms);

/// Aborts the running rollout `r` at `now_ms`: servers still waiting are
/// skipped. Returns the text of the RollingRebootAborted event.
std::string abort_running_rollout(rollout_record& r, int64_t now_ms);

/// The text of a RollingRebootFinished event.
std::string finished_message(const rollout_record& r);

} // namespace dynserv
