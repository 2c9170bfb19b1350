// Reconcile of one pool's count (pure planner): which servers to stop when
// it has too many, and how many granted slots to use when it has too few.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "actors/pool_children.hpp"
#include "actors/stop_order.hpp"

namespace dynserv {

/// The `n` servers to stop on a scale-down: `stop_order` over the active
/// servers no stop was sent to (expired ones first).
std::vector<std::string> scale_down_picks(const pool_children& children,
                                          size_t n,
                                          const server_expiry& expiry);

/// How to use the slots the node granted for creates.
struct grant_use {
  /// Servers to create now.
  int64_t create = 0;
  /// Slots to hand back to the node.
  int64_t release = 0;
  /// Fewer slots than needed: a retiring server has no slot for its
  /// replacement, so it is stopped first (its slot makes the replacement).
  bool short_of_slots = false;
};

/// Splits `granted` slots: the desired count may have changed while the
/// node was asked, so only what is still needed (at most the `allowed`
/// creates the request was for) is used and the rest handed back.
grant_use use_grant(int64_t granted, int64_t desired, int64_t active,
                    int64_t allowed);

} // namespace dynserv
