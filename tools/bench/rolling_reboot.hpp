// The rolling-reboot scenario of dynserv-bench: reboot a running pool with
// a max_unavailable and measure the rollout until it is finished.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "caf/fwd.hpp"

#include "messages/interfaces.hpp"

namespace dynserv {

class counting_provider;

/// What one rolling reboot cost.
struct reboot_result {
  /// The rollout reached "finished" within the time limit.
  bool finished = false;
  /// `max_unavailable` as asked ("10%", "20").
  std::string spec;
  /// The rollout record at the end (or at the time limit).
  rollout_record rollout;
  /// Most servers of the pool in `rebooting` at once after the rollout
  /// started, replayed from the event log in commit order (-1: unread).
  int64_t peak_rebooting = -1;
  /// Most servers the rollout had picked and not yet seen running again
  /// (its `rebooting` list), as sampled by the status polls.
  int64_t peak_picked_sampled = 0;
  /// Real seconds from the reboot request until the bench saw the rollout
  /// finished.
  double wall_s = -1;
  /// The rollout's own duration by the node's clock (started_at to
  /// finished_at), in real seconds.
  double rollout_s = -1;
  /// Provider calls during the rollout, by operation (counting_provider).
  std::map<std::string, uint64_t> calls;
};

/// Most servers of `pool` in `rebooting` at once among the events with a seq
/// greater than `after_seq`. Replays every ServerStatusChanged of the pool
/// from the start of `events` (ordered by seq) so that servers that were
/// already rebooting at `after_seq` count.
int64_t peak_rebooting(const std::vector<event_record>& events,
                       const std::string& pool, uint64_t after_seq);

/// Starts a rolling reboot of `pool` with `spec` and waits (polling the
/// node's status every 100 ms, up to `limit`) until it is no longer running;
/// then reads the event log for the peak. `counter` wraps the pool's provider.
reboot_result
run_rolling_reboot(caf::actor_system& sys, const node_actor& node,
                   const std::string& pool, const std::string& spec,
                   counting_provider& counter, std::chrono::seconds limit);

} // namespace dynserv
