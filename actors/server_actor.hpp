// The server actor: one per cloud server, owning its transitions and timers.
#pragma once

#include <cstdint>
#include <optional>
#include <random>

#include "actors/actor_context.hpp"
#include "actors/server_calls.hpp"
#include "messages/interfaces.hpp"
#include "providers/backoff.hpp"
#include "telemetry/metrics.hpp"

namespace dynserv {

/// State of one server actor. Only `apply()` in server_actor.cpp assigns
/// `rec.status`.
struct server_state {
  static inline const char* name = "dynserv.server";

  server_record rec;
  actor_context_ptr ctx;
  snapshot_actor snapshots;
  provider_actor provider;
  pool_actor pool;

  /// Generation of the hanging deadline; stale deadline messages are ignored.
  uint64_t deadline_gen = 0;
  /// Generation of the retry timer; stale retry messages are ignored.
  uint64_t retry_gen = 0;
  /// Persists sent to the snapshot actor and not yet confirmed.
  uint32_t persists_in_flight = 0;
  /// A persist failed; side effects wait until a persist succeeds.
  bool persist_failed = false;
  /// The provider call in flight, if any (one at a time).
  std::optional<server_call> call_in_flight;
  /// Where this incarnation's create stands (a restarted actor starts at
  /// `none`, so a create its record counts is looked up, never resent).
  create_step create = create_step::none;
  /// A retry timer is armed; `drive()` waits for it.
  bool retry_armed = false;
  std::mt19937_64 rng;
  std::optional<backoff> retry_backoff;
  /// When the provider accepted the create (0 if not seen by this actor,
  /// e.g. after a restart); feeds dynserv_time_to_running_seconds.
  int64_t create_accepted_at_ms = 0;
  /// This server's share of dynserv_servers{pool,status}; taken back when
  /// the state is destroyed with the actor.
  metrics::server_gauge_slot gauge;
};

/// Spawns the behavior of a server actor for `rec`. A restored record resumes
/// from its status: a create with an unknown outcome is resolved by label
/// lookup, never by creating again.
server_actor::behavior_type
server(server_actor::stateful_pointer<server_state> self, server_record rec,
       actor_context_ptr ctx, snapshot_actor snapshots, provider_actor provider,
       pool_actor pool);

/// Hanging deadline of `status` (zero for statuses without one).
millis hanging_after(const timing_config& timing, server_status status);

} // namespace dynserv
