// The node's configuration file: its schema as C++ structs, and the loader
// that validates a JSON document against it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policies/policy_spec.hpp"
#include "providers/provider_options.hpp"

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

/// One entry of `providers`: a provider account.
struct provider_config {
  /// The account name (the key in `providers`).
  std::string name;
  /// The implementation; only "simulated" exists today.
  std::string type;
  /// Token bucket for the account's API calls; none when absent.
  std::optional<rate_limit_options> rate_limit;
  /// Options of type "simulated" (defaults when the type is another one).
  simulated_options simulated;
};

/// TLS for the admin console (CAF's OpenSSL module).
struct admin_tls_config {
  /// PEM certificate of this node.
  std::string certificate;
  /// PEM private key of `certificate`.
  std::string key;
  /// PEM CA bundle that peers' certificates must chain to (optional).
  std::string cafile;
};

/// The admin console endpoint (`dynservctl` talks to it).
struct admin_config {
  /// False when `admin.listen` is "off".
  bool enabled = true;
  std::string host = "127.0.0.1";
  /// 0 picks a free port (written to `<data_dir>/admin.addr`).
  uint16_t port = 4242;
  /// The token itself (prefer token_env).
  std::string token;
  /// Name of the environment variable that holds the token.
  std::string token_env;
  std::optional<admin_tls_config> tls;
};

/// Defaults of the `http` section.
constexpr uint16_t default_http_port = 8080;
constexpr auto default_http_request_timeout = millis{std::chrono::seconds{10}};
constexpr auto default_http_idle_timeout = millis{std::chrono::seconds{60}};
constexpr uint64_t default_http_body_limit = 65536;
constexpr uint64_t default_http_max_connections = 256;

/// TLS for the HTTP API (HTTPS).
struct http_tls_config {
  /// PEM certificate chain of this node.
  std::string certificate;
  /// PEM private key of `certificate` (unencrypted).
  std::string key;
};

/// The HTTP API endpoint (see docs/http-api.md).
struct http_config {
  /// False when `http.listen` is "off".
  bool enabled = true;
  std::string host = "127.0.0.1";
  /// 0 picks a free port (written to `<data_dir>/http.addr`).
  uint16_t port = default_http_port;
  /// The bearer token itself (prefer token_env).
  std::string token;
  /// Name of the environment variable that holds the token.
  std::string token_env;
  /// Reads (GET) need no token when true; changes always do.
  bool public_reads = false;
  /// Time allowed to receive one request.
  millis request_timeout = default_http_request_timeout;
  /// A kept-alive connection without a request for this long is closed.
  millis idle_timeout = default_http_idle_timeout;
  /// Larger request bodies are answered 413.
  uint64_t body_limit = default_http_body_limit;
  /// Connections beyond this are answered 503 and closed.
  uint64_t max_connections = default_http_max_connections;
  std::optional<http_tls_config> tls;
};

/// One entry of `pools`: a group of identical servers kept at a count.
struct pool_config {
  /// The pool name (the key in `pools`).
  std::string name;
  /// Name of the entry of `providers` that hosts the pool's servers.
  std::string provider;
  /// Declared number of servers; within [min, max].
  int64_t desired = 0;
  /// Lowest count the pool may be set to at run time.
  int64_t min = 0;
  /// Highest count the pool may be set to at run time.
  int64_t max = 0;
  /// `pools.<name>.policy`: how the count is decided (external = only by
  /// commands) and the guardrails.
  policy_spec policy;
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
  /// The `providers` section, by account name.
  std::map<std::string, provider_config> providers;
  /// The `pools` section, by pool name.
  std::map<std::string, pool_config> pools;
  /// `policy.interval`: how often pools with a policy evaluate it.
  millis policy_interval = default_policy_interval;
  /// `policy.decision_retention`: how long decision records are kept.
  millis decision_retention = default_decision_retention;
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

/// Parses a duration such as "500ms", "1.5s", "10m" or "24h": a non-negative
/// integer or decimal followed by ms, s, m or h, with nothing around it. The
/// result must be a whole number of milliseconds.
std::optional<millis> parse_duration(std::string_view str);

/// Formats `x` in the largest unit that represents it exactly, e.g. "24h",
/// "90s", "1500ms"; the result is accepted by `parse_duration`.
std::string format_duration(millis x);

} // namespace dynserv
