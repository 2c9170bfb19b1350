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

/// Default of `node_supervisor_config::webhook_status_timeout`.
constexpr auto default_webhook_status_timeout = millis{1000};

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
  /// How long a status query waits for each webhook actor. Short: a webhook
  /// blocked on a slow receiver must not hold up the reply (whose callers
  /// wait `node_timeout`, 5 s, at most).
  millis webhook_status_timeout = default_webhook_status_timeout;
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
  millis webhook_status_timeout{0};
  /// The webhook actors by name (attach_webhooks); the node only asks them
  /// for their status, it does not own them.
  std::map<std::string, webhook_actor> webhooks;
  /// The last status each webhook answered: shown (with an error text)
  /// when it does not answer in time.
  std::map<std::string, webhook_status> last_webhook_status;
};

/// Spawns the node supervisor and its pool supervisors.
node_actor::behavior_type
node_supervisor(node_actor::stateful_pointer<node_state> self,
                node_supervisor_config cfg, actor_context_ptr ctx,
                snapshot_actor snapshots);

} // namespace dynserv
