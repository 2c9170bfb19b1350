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

#include "messages/interfaces.hpp"
#include "providers/provider.hpp"
#include "providers/rate_limiter.hpp"

namespace dynserv {

/// Work classes in the order the provider actor serves them: deleting and
/// stopping save money, creating serves demand, polling can wait.
enum class call_priority : uint8_t { destroy, stop, create, other, poll };

constexpr size_t call_priority_count = 5;

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
  /// Poll rounds (one list call each, plus gets for missing servers).
  uint64_t poll_rounds = 0;
  /// Observations answered from poll rounds.
  uint64_t observations = 0;
  /// Times a call had to wait for tokens.
  uint64_t throttled = 0;
};

struct provider_actor_config {
  /// Name of the account in the config (used in logs).
  std::string account;
  /// Value of the `dynserv-owner` label of this node.
  std::string owner;
  rate_limit_options rate_limit;
  /// How often waiting observers are served with one list call.
  millis poll_interval{std::chrono::seconds{5}};
};

struct provider_actor_state {
  static inline const char* name = "dynserv.provider";

  provider_actor_config cfg;
  std::shared_ptr<provider> impl;
  std::optional<rate_limiter> limiter;
  std::array<std::deque<std::function<void()>>, call_priority_count> jobs;
  std::vector<observer> observers;
  bool tick_scheduled = false;
  bool drain_scheduled = false;
  bool poll_queued = false;
  provider_stats stats;
};

/// Spawns the provider actor over `impl`. In a node it runs detached,
/// because real providers block on the network.
provider_actor::behavior_type
provider_worker(provider_actor::stateful_pointer<provider_actor_state> self,
                provider_actor_config cfg, std::shared_ptr<provider> impl);

} // namespace dynserv
