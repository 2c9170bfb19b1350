// Prometheus metrics: a thread-safe registry and the node's own metrics.
// Kept free of CAF and Beast so that the HTTP side can include it cheaply.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "messages/status.hpp"

namespace dynserv {

struct provider_reply;

namespace metrics {

/// Label values of one series, in the order of the family's label names.
using label_values = std::vector<std::string>;

/// A double that several threads add to without a lock.
class atomic_double {
public:
  double load() const;
  void store(double x);
  void add(double x);

private:
  std::atomic<uint64_t> bits_{0};
};

/// A monotonically increasing value.
class counter {
public:
  /// Adds `x` (negative values are ignored: counters never go down).
  void inc(double x = 1);
  double value() const {
    return value_.load();
  }

private:
  atomic_double value_;
};

/// A value that goes up and down.
class gauge {
public:
  void set(double x) {
    value_.store(x);
  }
  void add(double x) {
    value_.add(x);
  }
  double value() const {
    return value_.load();
  }

private:
  atomic_double value_;
};

/// Counts observations into buckets with fixed upper bounds.
class histogram {
public:
  /// `bounds` must be sorted ascending; `+Inf` is implicit.
  explicit histogram(const std::vector<double>& bounds);

  void observe(double x);

  const std::vector<double>& bounds() const {
    return bounds_;
  }
  /// Cumulative counts per bound plus one for `+Inf` (= the total count).
  std::vector<uint64_t> cumulative_counts() const;
  double sum() const {
    return sum_.load();
  }

private:
  std::vector<double> bounds_;
  /// Non-cumulative counts; the last slot is for values above every bound.
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  atomic_double sum_;
};

enum class metric_type { counter, gauge, histogram };

/// Returns "counter", "gauge" or "histogram".
const char* to_string(metric_type x);

/// All series of one metric name. Series are created on first use under a
/// lock and never removed, so references to them stay valid.
class family {
public:
  family(std::string name, std::string help, metric_type type,
         std::vector<std::string> label_names, std::vector<double> bounds);

  const std::string& name() const {
    return name_;
  }
  const std::string& help() const {
    return help_;
  }
  metric_type type() const {
    return type_;
  }
  const std::vector<std::string>& label_names() const {
    return label_names_;
  }

  /// The series with `values` (missing values are empty, extra ones are
  /// dropped). Only valid on a family of the matching type.
  counter& counter_with(const label_values& values);
  gauge& gauge_with(const label_values& values);
  histogram& histogram_with(const label_values& values);

  /// Appends this family in text format 0.0.4 to `out`.
  void render(std::string& out) const;

private:
  struct series {
    counter c;
    gauge g;
    std::unique_ptr<histogram> h;
  };
  series& with(label_values values);

  std::string name_;
  std::string help_;
  metric_type type_;
  std::vector<std::string> label_names_;
  std::vector<double> bounds_;
  mutable std::shared_mutex mtx_;
  std::map<label_values, std::unique_ptr<series>> series_;
};

/// A set of metric families, rendered in the order they were added.
class registry {
public:
  /// Adds a family, or returns the existing one of that name (its type,
  /// labels and buckets win).
  family& add(std::string name, std::string help, metric_type type,
              std::vector<std::string> label_names = {},
              std::vector<double> bounds = {});

  /// The families in Prometheus text exposition format 0.0.4.
  std::string render() const;

private:
  mutable std::mutex mtx_;
  std::vector<std::unique_ptr<family>> families_;
};

/// Escapes a label value: backslash, double quote and newline.
std::string escape_label_value(const std::string& x);

/// Escapes a HELP text: backslash and newline.
std::string escape_help(const std::string& x);

/// Formats a sample value: integers without a fraction, `+Inf`, `-Inf`,
/// `NaN`, otherwise the shortest round-tripping decimal.
std::string format_value(double x);

/// Content type of the exposition format.
constexpr const char* content_type = "text/plain; version=0.0.4; charset=utf-8";

/// The metrics of a dynserv node (every name prefixed `dynserv_`).
class node_metrics {
public:
  /// Registers the families in `reg`, including `dynserv_build_info`.
  explicit node_metrics(registry& reg);

  /// A server actor started with a record in `status` (new or restored).
  void server_added(const std::string& pool, server_status status);
  /// A server actor ended while its record was in `status`.
  void server_removed(const std::string& pool, server_status status);
  /// A server's record moved from `from` to `to`.
  void server_transition(const std::string& pool, server_status from,
                         server_status to);
  /// Seconds from the provider accepting a create to the server running.
  void time_to_running(const std::string& pool, double seconds);
  /// The pool's desired count.
  void pool_desired(const std::string& pool, int64_t desired);
  /// One provider call (`op` like "create", "list") that took `seconds`.
  void provider_call(const std::string& provider, const std::string& op,
                     const provider_reply& reply, double seconds);
  /// Tokens left in the provider actor's local bucket.
  void provider_tokens(const std::string& provider, double tokens);
  /// The pool's circuit breaker is in `state` ("closed", "open",
  /// "half_open"): 1 for that state, 0 for the others.
  void breaker_state(const std::string& pool, const std::string& state);
  /// The pool's circuit breaker opened.
  void breaker_opened(const std::string& pool);
  /// Servers of the pool's rolling reboot not rebooted yet (0 when none
  /// runs).
  void rollout_remaining(const std::string& pool, int64_t n);
  /// Remediation stopped a `status` (hanging/errored) server of the pool.
  void remediated(const std::string& pool, server_status status);
  /// A server of the pool passed its max_lifetime and is being replaced.
  void expired(const std::string& pool);

  /// The registry these metrics live in.
  registry& reg() {
    return reg_;
  }

private:
  registry& reg_;
  family& servers_;
  family& desired_;
  family& transitions_;
  family& requests_;
  family& durations_;
  family& budget_;
  family& tokens_;
  family& to_running_;
  family& errors_;
  family& breaker_state_;
  family& breaker_trips_;
  family& rollout_remaining_;
  family& remediations_;
  family& expired_;
  family& build_info_;
};

/// The process-wide registry.
registry& global_registry();

/// The process-wide node metrics (in `global_registry()`).
node_metrics& global();

/// Keeps one server's contribution to `dynserv_servers{pool,status}` right:
/// moves it on every status change and takes it back when destroyed (when
/// the actor that owns it ends).
class server_gauge_slot {
public:
  server_gauge_slot() = default;
  server_gauge_slot(const server_gauge_slot&) = delete;
  server_gauge_slot& operator=(const server_gauge_slot&) = delete;
  ~server_gauge_slot();

  /// Counts the server in `status` of `pool` (and no longer where it was).
  void set(const std::string& pool, server_status status);

private:
  bool counted_ = false;
  std::string pool_;
  server_status status_ = server_status::pending;
};

} // namespace metrics

/// The process-wide metrics in Prometheus text format 0.0.4 (the body of
/// `GET /metrics`; serve it with `metrics::content_type`).
std::string render_prometheus();

} // namespace dynserv
