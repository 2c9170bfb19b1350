// The pool supervisor: one per pool; reconciles its servers to the desired
// count.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "caf/actor_addr.hpp"

#include "actors/actor_context.hpp"
#include "actors/circuit_breaker.hpp"
#include "messages/interfaces.hpp"

namespace dynserv {

/// One server actor and the last record it reported.
struct pool_child {
  server_actor handle;
  server_record rec;
  /// A stop was sent and not yet reflected in `rec`.
  bool stop_sent = false;
  /// Past the pool's max_lifetime: a replacement is being created, then
  /// this server is stopped. Does not count as active meanwhile.
  bool retiring = false;
};

struct pool_state {
  static inline const char* name = "dynserv.pool";

  pool_config cfg;
  pool_record rec;
  actor_context_ptr ctx;
  snapshot_actor snapshots;
  provider_actor provider;
  node_actor node;
  /// The pool's policy actor; invalid when the policy is external.
  policy_actor policy;
  /// The pool is shutting down (no policy actor restarts).
  bool stopping = false;
  std::map<std::string, pool_child> servers;
  std::map<caf::actor_addr, std::string> ids_by_addr;
  /// Cached `active_count(servers)`, kept in step by every change.
  int64_t active = 0;
  /// Cached number of servers in `rebooting` (for max_unavailable).
  int64_t rebooting = 0;
  /// Cached number of retiring servers (max_lifetime).
  int64_t retiring = 0;
  /// The create circuit breaker; its persisted part goes to `rec.breaker`.
  std::optional<circuit_breaker> breaker;
  /// Creates the breaker allowed in the reserve request in flight.
  int64_t creates_allowed = 0;
  /// Hanging and errored servers: remediation candidates.
  std::set<std::string> troubled;
  /// Stops remediation sent per server since the node started.
  std::map<std::string, uint32_t> remediations;
  /// Servers whose RemediationGaveUp event was raised.
  std::set<std::string> gave_up;
  /// Writes of the pool record are coalesced: one in flight at a time, the
  /// changes and events made meanwhile go out together with the next (a
  /// rollout of 10,000 servers would otherwise write its waiting list once
  /// per finished reboot).
  struct record_write {
    std::vector<event_record> events;
    std::vector<std::function<void()>> done;
    std::vector<std::function<void(const caf::error&)>> failed;
  };
  /// The write in flight and the one that collects the next changes.
  std::optional<record_write> write_in_flight;
  record_write next_write;
  bool next_write_due = false;
  bool reserve_in_flight = false;
  bool reconcile_scheduled = false;
  /// Times of recent unexpected child deaths (restart intensity).
  std::deque<int64_t> restarts;
  std::mt19937_64 rng;
};

/// Restart intensity, as in OTP: at most this many restarts of crashed
/// server actors per pool within `restart_period`; beyond that a crashed
/// actor stays down (its record stays in the store) and an error is logged.
constexpr int max_restarts = 10;
constexpr auto restart_period = std::chrono::seconds{60};

/// Spawns the supervisor of one pool with its restored servers. `stored` is
/// the persisted pool record (name empty if the pool is new); the config's
/// desired count applies if it differs from the one last applied from file.
pool_actor::behavior_type
pool_supervisor(pool_actor::stateful_pointer<pool_state> self, pool_config cfg,
                pool_record stored, std::vector<server_record> restored,
                actor_context_ptr ctx, snapshot_actor snapshots,
                provider_actor provider, node_actor node);

/// True for a server that counts towards the desired count: pending,
/// starting, running or rebooting, not asked to stop and not retiring.
bool is_active(const pool_child& child);

/// Number of active servers in `servers` (O(n); the supervisor caches it).
int64_t active_count(const std::map<std::string, pool_child>& servers);

} // namespace dynserv
