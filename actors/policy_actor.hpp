// The policy actor: one per pool with a policy. Every `policy.interval` it
// asks the policy for a count, runs the guardrails, applies the result
// through the pool (unless paused or in dry-run) and records the decision.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "caf/typed_response_promise.hpp"

#include "actors/actor_context.hpp"
#include "messages/interfaces.hpp"
#include "policies/guardrails.hpp"
#include "policies/policy_spec.hpp"
#include "policies/time_zone.hpp"

namespace dynserv {

struct policy_state {
  static inline const char* name = "dynserv.policy";

  std::string pool_name;
  policy_spec spec;
  actor_context_ptr ctx;
  pool_actor pool;
  node_actor node;
  provider_actor provider;
  snapshot_actor snapshots;
  /// The schedule's zone (null for other kinds or when it cannot be read).
  std::shared_ptr<const time_zone> zone;
  std::string zone_error;
  /// Recommendations within the stabilization window, oldest first.
  std::deque<recommendation> history;
  /// When the policy last changed the desired count; 0 = never.
  int64_t last_change_ms = 0;
  /// Time of the last decision (keys must be unique per pool).
  int64_t last_at_ms = 0;
  /// Decisions are restored from the store before the first evaluation.
  bool restored = false;
  /// An evaluation is under way; ticks in between are skipped.
  bool busy = false;
  /// `evaluate` requests waiting for the evaluation under way or the next.
  std::vector<caf::typed_response_promise<decision_record>> waiting;
  /// The last metric fetch failed (one event per failure streak and text).
  bool metric_failing = false;
  std::string last_failure;
};

/// How long the policy actor waits for the pool, node and provider.
constexpr auto policy_request_timeout = std::chrono::seconds{30};

/// Spawns the policy actor of pool `pool_name`.
policy_actor::behavior_type
policy_worker(policy_actor::stateful_pointer<policy_state> self,
              std::string pool_name, policy_spec spec, actor_context_ptr ctx,
              pool_actor pool, node_actor node, provider_actor provider,
              snapshot_actor snapshots);

} // namespace dynserv
