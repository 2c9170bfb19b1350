// The pool supervisor: one per pool; reconciles its servers to the desired
// count.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "actors/actor_context.hpp"
#include "actors/circuit_breaker.hpp"
#include "actors/pool_children.hpp"
#include "actors/pool_record_writer.hpp"
#include "actors/pool_remediation.hpp"
#include "actors/pool_restart_intensity.hpp"
#include "messages/interfaces.hpp"

namespace dynserv {

struct pool_state {
  static inline const char* name = "dynserv.pool";

  pool_config cfg;
  pool_record rec;
  actor_context_ptr ctx;
  snapshot_actor snapshots;
  provider_actor provider;
  node_actor node;
  /// The pool's policy actor; invalid when the policy is external or when
  /// it crashed too often (then `policy_down` says why).
  policy_actor policy;
  /// Why the policy actor stays down until the node restarts; empty while
  /// it runs or when the pool has no policy.
  std::string policy_down;
  /// The pool is shutting down (no policy actor restarts).
  bool stopping = false;
  /// The server actors, their last records and the counts derived from
  /// them. The name `servers` is what tests inspect.
  pool_children servers;
  /// The create circuit breaker; its persisted part goes to `rec.breaker`.
  std::optional<circuit_breaker> breaker;
  /// Creates the breaker allowed in the reserve request in flight.
  int64_t creates_allowed = 0;
  /// Stops of hanging and errored servers, with their attempts.
  pool_remediation remediation{remediation_config{}};
  /// Writes of `rec`, coalesced.
  pool_record_writer writer;
  bool reserve_in_flight = false;
  bool reconcile_scheduled = false;
  /// Restarts of crashed server actors, and of the policy actor.
  restart_intensity server_restarts{max_restarts, restart_period};
  restart_intensity policy_restarts{max_restarts, restart_period};
  std::mt19937_64 rng;
};

/// Spawns the supervisor of one pool with its restored servers. `stored` is
/// the persisted pool record (name empty if the pool is new); the config's
/// desired count applies if it differs from the one last applied from file.
pool_actor::behavior_type
pool_supervisor(pool_actor::stateful_pointer<pool_state> self, pool_config cfg,
                pool_record stored, std::vector<server_record> restored,
                actor_context_ptr ctx, snapshot_actor snapshots,
                provider_actor provider, node_actor node);

} // namespace dynserv
