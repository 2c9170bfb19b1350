// The node's configuration file: the whole config, its small sections, and
// the loader that validates a JSON document against the field tables.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/duration.hpp"
#include "config/http_config.hpp"
#include "config/pool_config.hpp"
#include "config/provider_config.hpp"
#include "config/webhook_config.hpp"
#include "policies/policy_spec.hpp"

namespace dynserv {

// -- defaults -----------------------------------------------------------------

/// Default of `node.name`; also the value of the dynserv-owner label.
constexpr auto default_node_name = "dynserv";
constexpr auto default_reconcile_interval = millis{std::chrono::seconds{30}};
constexpr auto default_log_level = "info";
constexpr auto default_deleted_retention = millis{std::chrono::hours{24}};
constexpr auto default_poll_interval = millis{std::chrono::seconds{5}};
/// Lower bound of `timing.poll_interval` and `node.reconcile_interval`.
constexpr auto min_poll_interval = millis{10};
constexpr auto default_backoff_initial = millis{std::chrono::seconds{1}};
constexpr auto default_backoff_max = millis{std::chrono::seconds{60}};
constexpr double default_backoff_multiplier = 2.0;
constexpr double default_backoff_jitter = 0.2;
constexpr auto default_call_timeout = millis{std::chrono::seconds{120}};
constexpr auto default_hanging_after = millis{std::chrono::minutes{10}};
constexpr auto default_orphan_grace = millis{std::chrono::minutes{10}};
constexpr auto default_sweep_interval = millis{std::chrono::minutes{10}};
/// Lower bound of `orphans.sweep_interval`.
constexpr auto min_sweep_interval = millis{std::chrono::seconds{1}};

// -- configuration structs ----------------------------------------------------

/// The `timing` section: poll, retry and deadline knobs shared by all pools.
struct timing_config {
  /// How often each provider actor polls its account (one list call a tick).
  millis poll_interval = default_poll_interval;
  /// First delay after a failed provider call.
  millis backoff_initial = default_backoff_initial;
  /// Upper bound of the retry delay; never below `backoff_initial`.
  millis backoff_max = default_backoff_max;
  /// How long a server actor waits for its provider actor's answer.
  millis call_timeout = default_call_timeout;
  /// Factor applied to the delay after each further failure (>= 1).
  double backoff_multiplier = default_backoff_multiplier;
  /// Each delay is multiplied by a random factor in [1-jitter, 1+jitter].
  double backoff_jitter = default_backoff_jitter;
  /// A server that stays this long in `starting` is marked hanging.
  millis hanging_starting = default_hanging_after;
  /// A server that stays this long in `stopping` is marked hanging.
  millis hanging_stopping = default_hanging_after;
  /// A server that stays this long in `deleting` is marked hanging.
  millis hanging_deleting = default_hanging_after;
  /// A server that stays this long in `rebooting` is marked hanging.
  millis hanging_rebooting = default_hanging_after;
};

/// What the orphan sweeper does with a server that carries this node's
/// owner label but that no record in the store accounts for.
enum class orphan_action : uint8_t {
  /// Adopt it as a record and stop and delete it (the default).
  destroy,
  /// Adopt it into the pool named by its `dynserv-pool` label.
  adopt,
  /// Only raise an OrphanFound event.
  report,
};

/// Returns the config spelling: "delete", "adopt" or "report".
const char* to_string(orphan_action x);

/// The `orphans` section.
struct orphans_config {
  orphan_action action = orphan_action::destroy;
  /// An orphan is acted on only once it was first seen at least this long
  /// ago (and created at least this long ago when the provider says when).
  millis grace = default_orphan_grace;
  /// How often each account is swept (also once at start).
  millis sweep_interval = default_sweep_interval;
};

/// The whole configuration file, validated.
struct node_config {
  /// `node.name`: also the value of the dynserv-owner label on servers.
  std::string name = default_node_name;
  /// `node.data_dir`, resolved against the config file's directory.
  std::string data_dir;
  /// `node.reconcile_interval`: how often each pool compares its count.
  millis reconcile_interval = default_reconcile_interval;
  /// `node.log_level`: trace, debug, info, warn, error or off.
  std::string log_level = default_log_level;
  /// `node.deleted_retention`: how long deleted server records are kept.
  millis deleted_retention = default_deleted_retention;
  /// `limits.max_servers`: node-wide cap on servers that exist.
  int64_t max_servers = 0;
  /// The `timing` section.
  timing_config timing;
  /// The `admin` section.
  admin_config admin;
  /// The `http` section.
  http_config http;
  /// The `orphans` section.
  orphans_config orphans;
  /// The `providers` section, by account name.
  std::map<std::string, provider_config> providers;
  /// The `pools` section, by pool name.
  std::map<std::string, pool_config> pools;
  /// `policy.interval`: how often pools with a policy evaluate it.
  millis policy_interval = default_policy_interval;
  /// `policy.decision_retention`: how long decision records are kept.
  millis decision_retention = default_decision_retention;
  /// The `webhooks` section, by webhook name.
  std::map<std::string, webhook_config> webhooks;
};

// -- loading ------------------------------------------------------------------

/// One problem found in a configuration file.
struct config_error {
  /// Dotted key path, e.g. "pools.default.desired"; empty for problems with
  /// the file as a whole (unreadable, malformed JSON).
  std::string path;
  /// What is wrong, e.g. "expected an integer, got a string".
  std::string problem;

  /// Returns "<path>: <problem>", or only the problem when `path` is empty.
  std::string to_string() const;
};

/// Outcome of loading: a config if and only if `errors` is empty.
struct config_result {
  std::optional<node_config> config;
  std::vector<config_error> errors;
};

/// Validates `json_text` and reports every problem found, in document order
/// where practical. A relative `node.data_dir` is resolved against `base_dir`
/// (left as it is when `base_dir` is empty).
config_result parse_config(std::string_view json_text,
                           const std::string& base_dir);

/// Reads and validates the file at `path`; a relative `node.data_dir` is
/// resolved against the file's directory. An unreadable file gives one error
/// with an empty path and the operating system's reason.
config_result load_config_file(const std::string& path);

} // namespace dynserv
