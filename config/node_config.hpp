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

#include "config/duration.hpp"
#include "policies/policy_spec.hpp"
#include "providers/cloud_options.hpp"
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
/// Default of `providers.<name>.rate_limit.reserve`: the share of the
/// provider's own budget kept free for humans and other tools.
constexpr double default_budget_reserve = 0.1;
constexpr auto default_orphan_grace = millis{std::chrono::minutes{10}};
constexpr auto default_sweep_interval = millis{std::chrono::minutes{10}};
/// Lower bound of `orphans.sweep_interval`.
constexpr auto min_sweep_interval = millis{std::chrono::seconds{1}};
/// Default `stop_timeout` of the HTTP providers.
constexpr auto default_stop_timeout = millis{std::chrono::seconds{60}};
/// Default `timeout` of the exec provider.
constexpr auto default_exec_timeout = millis{std::chrono::seconds{60}};

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
  /// "simulated", "upcloud", "hetzner", "digitalocean" or "exec".
  std::string type;
  /// Token bucket for the account's API calls; none means no limit. Real
  /// clouds get `default_rate_limit(type, budget_reserve)` when absent.
  std::optional<rate_limit_options> rate_limit;
  /// `rate_limit.reserve`: share (0 to below 1) of the budget the provider
  /// reports that the provider actor leaves to others.
  double budget_reserve = default_budget_reserve;
  /// Options of type "simulated" (defaults when the type is another one).
  simulated_options simulated;
  /// Types "upcloud", "hetzner" and "digitalocean": base URL, TLS,
  /// timeouts and the resolved credentials (secrets: never log them).
  http_provider_options api;
  /// Types "upcloud", "hetzner" and "digitalocean": `stop_timeout`.
  millis stop_timeout = default_stop_timeout;
  /// Type "exec".
  exec_options exec;
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
/// What remediation does with a server that is hanging or errored.
enum class remediation_action : uint8_t {
  /// Stop and delete it; the pool creates a replacement (the default).
  replace,
  /// Leave it for an operator (it may still bill; `dynservctl stop` ends
  /// it). The pool still creates a replacement.
  keep,
};

/// Returns "replace" or "keep".
const char* to_string(remediation_action x);

/// Defaults of `pools.<p>.remediation`.
constexpr uint32_t default_remediation_attempts = 3;

/// `pools.<p>.remediation`: what happens to hanging and errored servers.
struct remediation_config {
  remediation_action hanging = remediation_action::replace;
  remediation_action errored = remediation_action::replace;
  /// Time a server stays hanging or errored before it is stopped (room
  /// for an operator to look at it first).
  millis delay{0};
  /// Stop attempts per server; a server that is hanging or errored again
  /// after this many is left alone with a RemediationGaveUp event.
  uint32_t max_attempts = default_remediation_attempts;
};

/// Defaults of `pools.<p>.circuit_breaker`, after cluster-autoscaler's
/// node-group backoff (5 minutes, doubling, at most 30).
constexpr uint32_t default_breaker_window = 10;
constexpr uint32_t default_breaker_min_creates = 3;
constexpr double default_breaker_failure_ratio = 0.5;
constexpr auto default_breaker_backoff_initial = millis{
  std::chrono::minutes{5}};
constexpr auto default_breaker_backoff_max = millis{std::chrono::minutes{30}};

/// `pools.<p>.circuit_breaker`: stops creating when creates keep failing.
struct breaker_config {
  bool enabled = true;
  /// The most recent create outcomes considered.
  uint32_t window = default_breaker_window;
  /// Outcomes needed in the window before the breaker may open.
  uint32_t min_creates = default_breaker_min_creates;
  /// Opens when at least this share of the window failed or hung.
  double failure_ratio = default_breaker_failure_ratio;
  millis backoff_initial = default_breaker_backoff_initial;
  millis backoff_max = default_breaker_backoff_max;
};

/// Default of `pools.<p>.reboot.max_unavailable`.
constexpr auto default_max_unavailable = "25%";

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
  /// The pool's `server` object as JSON text (provider-specific shape of its
  /// servers); passed to the provider in `create_request::spec`.
  std::string server_spec = "{}";
  /// `reboot.max_unavailable`: default of a rolling reboot ("1", "25%").
  std::string max_unavailable = default_max_unavailable;
  /// `remediation`: hanging and errored servers.
  remediation_config remediation;
  /// `circuit_breaker`: creates that keep failing.
  breaker_config breaker;
  /// `max_lifetime`: running servers older than this are replaced one at a
  /// time; zero (the default) keeps servers for as long as they are needed.
  millis max_lifetime{0};
};

/// Defaults of an entry of `webhooks`.
constexpr auto default_webhook_timeout = millis{std::chrono::seconds{10}};
constexpr auto default_webhook_backoff_initial = millis{
  std::chrono::seconds{1}};
constexpr auto default_webhook_backoff_max = millis{std::chrono::minutes{5}};
/// Shortest secret accepted for signing webhook requests.
constexpr size_t min_webhook_secret_length = 16;

/// One entry of `webhooks`: a receiver of events (docs/webhooks.md).
struct webhook_config {
  /// The webhook name (the key in `webhooks`); names its stored cursor.
  std::string name;
  /// `http://` or `https://` URL the events are POSTed to.
  std::string url;
  /// The HMAC-SHA256 key: `secret`, or the value of the variable named by
  /// `secret_env` (resolved when the file is loaded). Never log it.
  std::string secret;
  /// Name of the environment variable the secret came from, if any.
  std::string secret_env;
  /// Reasons to send (e.g. "ServerRunning"); empty sends every event.
  std::vector<std::string> events;
  /// Pools whose events to send; empty sends the events of every pool.
  std::vector<std::string> pools;
  /// Time allowed for connecting and for the whole exchange (each).
  millis timeout = default_webhook_timeout;
  /// First delay after a failed delivery.
  millis backoff_initial = default_webhook_backoff_initial;
  /// Upper bound of the delay between attempts.
  millis backoff_max = default_webhook_backoff_max;
  /// PEM file with extra CA certificates for an https URL.
  std::string ca_file;
  /// Certificate and host-name verification for https.
  bool tls_verify = true;
  /// A webhook without a stored cursor starts at the beginning of the event
  /// log (`from: "start"`) instead of its end.
  bool from_start = false;
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

// -- provider defaults --------------------------------------------------------

/// The token bucket a provider type gets when its config has no
/// `rate_limit` (or leaves keys of it out): the provider's published limit
/// scaled by `1 - reserve`, so that the bucket never allows more than the
/// provider does. Hetzner: 1/s, burst 3600. DigitalOcean: 1.2/s, burst 150,
/// which fits both published windows (250 a minute, 5000 an hour). UpCloud
/// publishes no limit: 5/s, burst 20 (not scaled). None for "simulated" and
/// "exec".
std::optional<rate_limit_options> default_rate_limit(std::string_view type,
                                                     double reserve);

/// Requests per second by which the provider's own budget refills, as
/// published (Hetzner 1, DigitalOcean 5000 an hour); 0 when unknown.
double published_refill_rate(std::string_view type);

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
