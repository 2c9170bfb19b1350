// One entry of the config file's `pools` section: a group of identical
// servers kept at a count, with its remediation and circuit breaker.
#pragma once

#include <cstdint>
#include <string>

#include "config/duration.hpp"
#include "policies/policy_spec.hpp"

namespace dynserv {

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
constexpr auto default_breaker_backoff_initial
  = millis{std::chrono::minutes{5}};
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

} // namespace dynserv
