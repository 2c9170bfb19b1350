// What a pool's `policy` object in the configuration says: the policy kind
// with its own settings, and the guardrails applied to every decision.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dynserv {

using millis = std::chrono::milliseconds;

/// How a pool's count is decided.
enum class policy_kind : uint8_t {
  /// Only ensure/increase/decrease (console, API) set the count: no policy
  /// runs. The default.
  external,
  /// A constant count.
  fixed,
  /// A count per weekly time window, with a default.
  schedule,
  /// ceil(value / per_server) + offset for a number read from a URL.
  http_metric,
  /// The count a C++ callback returns (a program that embeds a node
  /// registers it, see actors/embedded_node.hpp).
  callback,
};

/// Returns the config name of `x`, e.g. "http_metric".
const char* to_string(policy_kind x);

/// One window of a schedule: on `days`, from `from_minute` (inclusive) to
/// `to_minute` (exclusive) local time. A window whose end is not after its
/// start runs past midnight into the next day and belongs to the day on
/// which it starts.
struct schedule_window {
  /// Bit i set = day i (0 = Sunday ... 6 = Saturday).
  uint8_t days = 0;
  /// Minutes since local midnight, 0 to 1439.
  int from_minute = 0;
  /// Minutes since local midnight, 1 to 1440 (24:00).
  int to_minute = 1440;
  int64_t count = 0;
  /// How the window reads in decisions, e.g. "mon-fri 08:00-18:00".
  std::string label;
};

struct schedule_spec {
  /// IANA zone name, e.g. "Europe/Berlin".
  std::string time_zone = "UTC";
  /// The count outside every window.
  int64_t default_count = 0;
  /// The first window that contains the current time wins.
  std::vector<schedule_window> windows;
};

struct http_metric_spec {
  /// "http://..." or "https://...".
  std::string url;
  /// Extra request header fields (not secret: they may appear in logs).
  std::vector<std::pair<std::string, std::string>> headers;
  /// Environment variable holding a token sent as `Authorization: Bearer`.
  std::string token_env;
  /// RFC 6901 JSON pointer to the number, e.g. "/wait/redis:default".
  std::string pointer;
  /// Metric units one server handles; > 0.
  double per_server = 1.0;
  /// Added to the computed count (may be negative).
  int64_t offset = 0;
  /// Connect and read timeout of one fetch.
  millis timeout{std::chrono::seconds{10}};
  /// PEM file with extra CA certificates for https.
  std::string ca_file;
};

/// Guardrails between what a policy wants and what the pool is set to.
struct guardrail_config {
  /// At most this many servers more than are active per decision; 0 = no
  /// limit.
  int64_t scale_up_step = 0;
  /// At most this many servers being created (pending or starting) at
  /// once; 0 = no limit.
  int64_t max_in_flight = 0;
  /// No scale-down until this long after the last change of the count.
  millis scale_down_cooldown{0};
  /// A scale-down goes no lower than the highest recommendation within this
  /// window.
  millis stabilization_window{std::chrono::minutes{5}};
  /// Decisions are recorded, nothing is changed.
  bool dry_run = false;
};

/// A pool's `policy` object.
struct policy_spec {
  policy_kind kind = policy_kind::external;
  /// The count of a `fixed` policy.
  int64_t fixed_count = 0;
  schedule_spec schedule;
  http_metric_spec http_metric;
  guardrail_config guardrails;

  /// True if a policy actor evaluates this policy (every kind but
  /// `external`).
  bool active() const {
    return kind != policy_kind::external;
  }
};

/// Defaults of the top-level `policy` section.
constexpr auto default_policy_interval = millis{std::chrono::seconds{60}};
constexpr auto default_decision_retention = millis{std::chrono::hours{24 * 7}};

} // namespace dynserv
