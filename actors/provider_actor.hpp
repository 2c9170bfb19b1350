// The provider actor: one per provider account; serializes and paces calls.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "caf/typed_response_promise.hpp"

#include "actors/actor_context.hpp"
#include "messages/interfaces.hpp"
#include "providers/provider.hpp"
#include "providers/rate_limiter.hpp"

namespace dynserv {

/// Work classes in the order the provider actor serves them: deleting and
/// stopping save money, creating serves demand, polling can wait.
enum class call_priority : uint8_t { destroy, stop, create, other, poll };

constexpr size_t call_priority_count = 5;

/// A call waiting for a token. A job whose deadline passes before it runs is
/// answered with a transient "queued" error and never sent: its caller has
/// given up waiting, and a create sent after that would be untracked.
struct queued_job {
  /// Steady-clock ms after which the job is dropped; 0 = never.
  int64_t deadline_ms = 0;
  std::function<void()> run;
  std::function<void()> expire;
};

/// A server waiting for the next poll tick.
struct observer {
  std::string server_id;
  std::string provider_id;
  caf::typed_response_promise<provider_reply> promise;
};

/// Counters for metrics and benchmarks.
struct provider_stats {
  /// Calls made to the provider, by operation name.
  std::map<std::string, uint64_t> calls;
  /// API requests those calls made, by operation name (a paginated list or
  /// a create resolved by a lookup makes several).
  std::map<std::string, uint64_t> requests;
  /// Poll rounds (one list call each, plus gets for missing servers).
  uint64_t poll_rounds = 0;
  /// Observations answered from poll rounds.
  uint64_t observations = 0;
  /// Times a call had to wait for tokens.
  uint64_t throttled = 0;
  /// Calls dropped because they waited in the queue past their deadline.
  uint64_t expired = 0;
  /// Replies that said the provider's rate limit was hit.
  uint64_t rate_limited = 0;
  /// Times the budget reserve paused the calls that are not deletes or
  /// stops.
  uint64_t budget_pauses = 0;
  /// The last budget the provider reported (`limit` -1: never reported).
  rate_budget last_budget;
  /// Wall-clock ms when `last_budget` arrived; 0 if never.
  int64_t last_budget_at_ms = 0;
};

struct provider_actor_config {
  /// Name of the account in the config (used in logs).
  std::string account;
  /// Value of the `dynserv-owner` label of this node.
  std::string owner;
  rate_limit_options rate_limit;
  /// Share of the budget the provider reports that stays free for others
  /// (`rate_limit.reserve`).
  double budget_reserve = 0.1;
  /// Requests per second by which the provider's budget refills, as
  /// published; 0 when unknown (then the reported reset time decides).
  double budget_refill_per_second = 0.0;
  /// How often waiting observers are served with one list call.
  millis poll_interval{std::chrono::seconds{5}};
  /// Calls still queued this long after they arrived are dropped.
  millis call_timeout{std::chrono::seconds{120}};
  /// Wall clock, for the provider's reset times (epoch ms).
  wall_clock wall_now = system_wall_clock();
};

struct provider_actor_state {
  static inline const char* name = "dynserv.provider";

  provider_actor_config cfg;
  std::shared_ptr<provider> impl;
  std::optional<rate_limiter> limiter;
  std::array<std::deque<queued_job>, call_priority_count> jobs;
  std::vector<observer> observers;
  bool tick_scheduled = false;
  bool drain_scheduled = false;
  bool poll_queued = false;
  /// Budget reserve: until this steady-clock ms only deletes and stops go
  /// out (and only while `budget_left > 0`); 0 = no pause.
  int64_t budget_pause_until = 0;
  /// The provider's remaining budget as last reported, minus the requests
  /// made since; -1 while unknown.
  int64_t budget_left = -1;
  bool budget_drain_scheduled = false;
  provider_stats stats;
};

/// Spawns the provider actor over `impl`. In a node it runs detached,
/// because real providers block on the network.
provider_actor::behavior_type
provider_worker(provider_actor::stateful_pointer<provider_actor_state> self,
                provider_actor_config cfg, std::shared_ptr<provider> impl);

} // namespace dynserv
