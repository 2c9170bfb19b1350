// max_lifetime of one pool: which old server to retire next and when a
// retiring server is stopped (pure planner).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "actors/pool_children.hpp"
#include "actors/stop_order.hpp"

namespace dynserv {

/// Retiring servers not asked to stop yet, by id.
std::vector<std::string> retiring_unstopped(const pool_children& children);

/// The retiring servers to stop now: every one once every active server
/// runs (at least `desired` of them, so the replacement is up), or at once
/// when `replacement_impossible` (no slot for a replacement).
std::vector<std::string> retiring_to_stop(const pool_children& children,
                                          int64_t desired,
                                          bool replacement_impossible);

/// What max_lifetime asks of the pool on a tick.
struct lifetime_step {
  /// The server to mark retiring (a replacement is created, then it is
  /// stopped); empty for none.
  std::string retire;
  /// Its age (for the event and the log).
  int64_t retire_age_ms = 0;
  /// Retiring servers to stop now.
  std::vector<std::string> stop;
};

/// One server at a time: while one retires, only its stop is planned (see
/// `retiring_to_stop`). Otherwise, once the pool is settled (every active
/// server running, at least `desired` of them) and `may_replace` (no
/// rolling reboot, the breaker closed), the oldest expired server retires.
lifetime_step plan_lifetime(const pool_children& children, int64_t desired,
                            bool may_replace, const server_expiry& expiry);

/// The text of a ServerExpired event.
std::string expired_message(int64_t max_lifetime_ms, int64_t age_ms);

} // namespace dynserv
