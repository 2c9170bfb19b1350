// Node-local settings shared by the actors of one node (never sent remotely).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "config/node_config.hpp"
#include "policies/http_metric.hpp"

namespace dynserv {

/// Wall-clock time in milliseconds since the epoch. Injected so that
/// deterministic tests can drive it from CAF's test clock.
using wall_clock = std::function<int64_t()>;

/// Returns the system's wall clock.
wall_clock system_wall_clock();

/// Reads an http_metric (blocking). Injected so that deterministic tests
/// need no network.
using metric_fetcher = std::function<metric_sample(const http_metric_spec&)>;

/// Decides a pool's count in a program that embeds a node, like the
/// original package's determineServerCount closure: called with the pool's
/// name every `policy.interval`, on a thread of its own; nullopt holds the
/// current count.
using count_callback
  = std::function<std::optional<int64_t>(const std::string&)>;

/// What every actor of a node needs to know besides its own arguments.
struct actor_context {
  /// The node name, used as the `dynserv-owner` label.
  std::string node_name;
  timing_config timing;
  millis reconcile_interval{std::chrono::seconds{30}};
  wall_clock now_ms;
  /// Seed for jitter; each actor derives its own generator from it.
  uint64_t seed = 0;
  /// How often pools with a policy evaluate it (`policy.interval`).
  millis policy_interval = default_policy_interval;
  /// Fetches http_metric values; empty = `fetch_metric` over HTTP.
  metric_fetcher fetch_metric;
  /// Run metric fetches on their own threads (they block). Deterministic
  /// tests turn this off.
  bool detached_fetches = true;
  /// Callbacks of `callback` policies, by pool name.
  std::map<std::string, count_callback> callbacks;
  /// Each pool's `server` object (JSON text) by pool name: what a server
  /// actor puts in `create_request::spec`. Pools without one get "{}".
  std::map<std::string, std::string> server_specs;

  /// Returns the `server` object of `pool` ("{}" when it has none).
  std::string server_spec(const std::string& pool) const {
    auto i = server_specs.find(pool);
    return i != server_specs.end() ? i->second : std::string{"{}"};
  }
};

using actor_context_ptr = std::shared_ptr<const actor_context>;

} // namespace dynserv
