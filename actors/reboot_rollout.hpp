// Rolling reboot of one pool: which servers to reboot next, and what a
// server's new record means for the rollout (pure logic; the pool wires it).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/types.hpp"

namespace dynserv {

/// Why `spec` is not a valid `max_unavailable` (a count >= 1 such as "2", or
/// a percentage from "1%" to "100%"); nullopt when it is valid.
std::optional<std::string> max_unavailable_problem(std::string_view spec);

/// Resolves a valid `max_unavailable` against the `total` servers of a
/// rollout: a percentage rounds down, as Kubernetes does, but never below 1.
int64_t resolve_max_unavailable(std::string_view spec, int64_t total);

/// Starts a rollout over `servers` (the pool's provisioned servers that are
/// not leaving), oldest first.
rollout_record begin_rollout(std::vector<server_record> servers,
                             std::string spec, int64_t now_ms);

/// What a server's new record did to the rollout.
enum class rollout_change : uint8_t {
  /// Nothing: the server is not in the rollout or is still on its way.
  none,
  /// It was rebooted and is running again.
  done,
  /// It left the rollout: stopping, errored, hanging or gone.
  skipped,
};

/// Feeds a server's new record (`rec`, after `old_status`) to the rollout.
rollout_change observe_rollout(rollout_record& r, server_status old_status,
                               const server_record& rec);

/// Takes the server out of the rollout as skipped (it is gone or refused
/// the reboot). Returns false if it was not in the rollout.
bool skip_in_rollout(rollout_record& r, const std::string& id);

/// Picks the next servers to reboot and moves them from `waiting` to
/// `rebooting`: running ones only (others wait until they are running),
/// while fewer than `max_unavailable` of the pool's servers reboot.
/// `unavailable` is the number of the pool's servers rebooting now (for any
/// reason); `status_of` answers nullopt for a server the pool no longer has
/// (it is skipped).
std::vector<std::string> next_reboots(
  rollout_record& r, int64_t unavailable,
  const std::function<std::optional<server_status>(const std::string&)>&
    status_of);

/// Marks the rollout finished (nothing waiting or rebooting) at `now_ms`;
/// returns false if it still has work.
bool finish_if_done(rollout_record& r, int64_t now_ms);

/// After a restart: a server listed as rebooting that is running again may
/// never have received its reboot (the node died between persisting and
/// sending); it goes back to `waiting`, so it is rebooted (again).
void restore_rollout(
  rollout_record& r,
  const std::function<std::optional<server_status>(const std::string&)>&
    status_of);

/// One line for events and the console: "3 of 12 done, 2 rebooting, ...".
std::string describe(const rollout_record& r);

} // namespace dynserv
