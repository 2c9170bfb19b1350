// The node supervisor: owns the pools and enforces limits.max_servers.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "actors/actor_context.hpp"
#include "messages/interfaces.hpp"

namespace dynserv {

/// What the node supervisor starts with.
struct node_supervisor_config {
  int64_t max_servers = 0;
  /// Non-deleted servers of pools no longer in the config: they may still
  /// exist, so they count towards `max_servers`.
  int64_t unmanaged_servers = 0;
  /// How long deleted records stay in the store.
  millis deleted_retention{std::chrono::hours{24}};
  /// How long policy decisions stay in the store.
  millis decision_retention = default_decision_retention;
  /// Pools with their stored record and restored servers.
  struct pool_seed {
    pool_config cfg;
    pool_record stored;
    std::vector<server_record> servers;
    provider_actor provider;
  };
  std::vector<pool_seed> pools;
};

struct node_state {
  static inline const char* name = "dynserv.node";

  int64_t max_servers = 0;
  /// Servers that exist or may exist (every non-deleted record plus
  /// reservations): never above `max_servers`.
  int64_t allocated = 0;
  millis deleted_retention{0};
  millis decision_retention{0};
  actor_context_ptr ctx;
  snapshot_actor snapshots;
  std::map<std::string, pool_actor> pools;
  /// Pools whose last reservation was cut by the limit (one event per hit).
  std::set<std::string> limited_pools;
};

/// Spawns the node supervisor and its pool supervisors.
node_actor::behavior_type
node_supervisor(node_actor::stateful_pointer<node_state> self,
                node_supervisor_config cfg, actor_context_ptr ctx,
                snapshot_actor snapshots);

} // namespace dynserv
