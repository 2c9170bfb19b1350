// The guardrail pipeline between a policy's count and the pool's desired
// count, as one pure function that records every step that changed the
// count; plus the text of decision records.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "messages/types.hpp"
#include "policies/policy_spec.hpp"

namespace dynserv {

/// One past recommendation (a policy's count) for the stabilization window.
struct recommendation {
  int64_t at_ms = 0;
  int64_t count = 0;
};

/// The pool as the guardrails see it.
struct pool_view {
  int64_t desired = 0;
  /// Pending, starting, running and rebooting servers not asked to stop.
  int64_t active = 0;
  /// Of those, the ones still being created (pending or starting).
  int64_t starting = 0;
  int64_t min = 0;
  int64_t max = 0;
};

/// The node's `limits.max_servers` and its use.
struct node_view {
  int64_t max_servers = 0;
  /// Servers that exist or may exist, over all pools.
  int64_t allocated = 0;
};

/// Everything one pass of the guardrails needs.
struct guardrail_input {
  /// The policy's count.
  int64_t wanted = 0;
  pool_view pool;
  node_view node;
  /// Provider API calls available now; nullopt if unknown.
  std::optional<int64_t> api_budget;
  /// Recommendations of earlier evaluations (any age; older ones than the
  /// window are ignored). The current one is `wanted`.
  std::vector<recommendation> history;
  /// When the desired count last changed through the policy; 0 = never.
  int64_t last_change_ms = 0;
  int64_t now_ms = 0;
  guardrail_config cfg;
};

/// The count after every guardrail, and the steps that changed it.
struct guardrail_result {
  int64_t count = 0;
  std::vector<guardrail_step> steps;
};

/// Runs the guardrails in order: the pool's min/max, the node's
/// max_servers, the scale-up step, creations in flight, the stabilization
/// window, the scale-down cooldown, the provider's API budget. Scale-up
/// limits act only above the active count and scale-down ones only below
/// it, so that no guardrail ever turns a scale-up into a scale-down.
guardrail_result run_guardrails(const guardrail_input& in);

/// Drops recommendations older than `window` before `now_ms`.
void trim_history(std::deque<recommendation>& history, int64_t now_ms,
                  millis window);

/// "creating 6", "stopping 2" or "no change" for moving from `active`
/// servers to `count`.
std::string action_text(int64_t active, int64_t count);

/// The one-line summary of a decision: "wanted 12; max 9 by
/// limits.max_servers; 3 starting; creating 6". Uses `input` and `action`
/// when `wanted` is -1, and prefixes the action in dry-run and paused mode.
std::string summary_text(const decision_record& d);

/// Formats a duration compactly for texts: "5m", "90s", "250ms".
std::string short_duration(millis x);

} // namespace dynserv
