// Prometheus metrics registry, text exposition and the node's metrics.
#include "telemetry/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "messages/types.hpp"

#ifndef DYNSERV_VERSION
#  define DYNSERV_VERSION "unknown"
#endif

namespace dynserv::metrics {

// -- values -------------------------------------------------------------------

namespace {

uint64_t to_bits(double x) {
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return bits;
}

double from_bits(uint64_t bits) {
  double x;
  std::memcpy(&x, &bits, sizeof x);
  return x;
}

} // namespace

double atomic_double::load() const {
  return from_bits(bits_.load(std::memory_order_relaxed));
}

void atomic_double::store(double x) {
  bits_.store(to_bits(x), std::memory_order_relaxed);
}

void atomic_double::add(double x) {
  auto old = bits_.load(std::memory_order_relaxed);
  while (!bits_.compare_exchange_weak(old, to_bits(from_bits(old) + x),
                                      std::memory_order_relaxed))
    ; // `old` was reloaded: try again
}

void counter::inc(double x) {
  if (x > 0)
    value_.add(x);
}

histogram::histogram(const std::vector<double>& bounds)
  : bounds_(bounds), counts_(new std::atomic<uint64_t>[bounds.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i)
    counts_[i].store(0, std::memory_order_relaxed);
}

void histogram::observe(double x) {
  auto i = static_cast<size_t>(
    std::lower_bound(bounds_.begin(), bounds_.end(), x) - bounds_.begin());
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.add(x);
}

std::vector<uint64_t> histogram::cumulative_counts() const {
  std::vector<uint64_t> res(bounds_.size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
    res[i] = total;
  }
  return res;
}

const char* to_string(metric_type x) {
  switch (x) {
    case metric_type::counter:
      return "counter";
    case metric_type::gauge:
      return "gauge";
    default:
      return "histogram";
  }
}

// -- formatting ---------------------------------------------------------------

std::string escape_label_value(const std::string& x) {
  std::string res;
  res.reserve(x.size());
  for (auto c : x) {
    switch (c) {
      case '\\':
        res += "\\\\";
        break;
      case '"':
        res += "\\\"";
        break;
      case '\n':
        res += "\\n";
        break;
      default:
        res += c;
    }
  }
  return res;
}

std::string escape_help(const std::string& x) {
  std::string res;
  res.reserve(x.size());
  for (auto c : x) {
    if (c == '\\')
      res += "\\\\";
    else if (c == '\n')
      res += "\\n";
    else
      res += c;
  }
  return res;
}

std::string format_value(double x) {
  if (std::isnan(x))
    return "NaN";
  if (std::isinf(x))
    return x > 0 ? "+Inf" : "-Inf";
  // Whole numbers below 2^53 print exactly, without an exponent.
  if (x == std::trunc(x) && std::fabs(x) < 9007199254740992.0)
    return std::to_string(static_cast<int64_t>(x));
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  return ec == std::errc{} ? std::string(buf, end) : std::string{"NaN"};
}

namespace {

/// Appends `{a="x",b="y"}` (plus `extra`, e.g. `le="0.5"`); nothing when
/// there are no labels at all.
void append_labels(std::string& out, const std::vector<std::string>& names,
                   const label_values& values, const std::string& extra = {}) {
  if (names.empty() && extra.empty())
    return;
  out += '{';
  auto first = true;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!first)
      out += ',';
    first = false;
    out += names[i];
    out += "=\"";
    out += escape_label_value(i < values.size() ? values[i] : std::string{});
    out += '"';
  }
  if (!extra.empty()) {
    if (!first)
      out += ',';
    out += extra;
  }
  out += '}';
}

} // namespace

// -- family -------------------------------------------------------------------

family::family(std::string name, std::string help, metric_type type,
               std::vector<std::string> label_names, std::vector<double> bounds)
  : name_(std::move(name)),
    help_(std::move(help)),
    type_(type),
    label_names_(std::move(label_names)),
    bounds_(std::move(bounds)) {
  std::sort(bounds_.begin(), bounds_.end());
  bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
  // `+Inf` is always implicit.
  while (!bounds_.empty() && std::isinf(bounds_.back()))
    bounds_.pop_back();
}

family::series& family::with(label_values values) {
  values.resize(label_names_.size());
  {
    std::shared_lock<std::shared_mutex> guard{mtx_};
    auto i = series_.find(values);
    if (i != series_.end())
      return *i->second;
  }
  std::unique_lock<std::shared_mutex> guard{mtx_};
  auto& slot = series_[std::move(values)];
  if (!slot) {
    slot = std::make_unique<series>();
    if (type_ == metric_type::histogram)
      slot->h = std::make_unique<histogram>(bounds_);
  }
  return *slot;
}

counter& family::counter_with(const label_values& values) {
  return with(values).c;
}

gauge& family::gauge_with(const label_values& values) {
  return with(values).g;
}

histogram& family::histogram_with(const label_values& values) {
  auto& s = with(values);
  // A family registered with another type still gets a usable histogram.
  if (!s.h) {
    std::unique_lock<std::shared_mutex> guard{mtx_};
    if (!s.h)
      s.h = std::make_unique<histogram>(bounds_);
  }
  return *s.h;
}

void family::render(std::string& out) const {
  out += "# HELP ";
  out += name_;
  out += ' ';
  out += escape_help(help_);
  out += "\n# TYPE ";
  out += name_;
  out += ' ';
  out += to_string(type_);
  out += '\n';
  std::shared_lock<std::shared_mutex> guard{mtx_};
  for (const auto& [values, s] : series_) {
    switch (type_) {
      case metric_type::counter:
      case metric_type::gauge:
        out += name_;
        append_labels(out, label_names_, values);
        out += ' ';
        out += format_value(type_ == metric_type::counter ? s->c.value()
                                                          : s->g.value());
        out += '\n';
        break;
      case metric_type::histogram: {
        if (!s->h)
          break;
        // Sum and counts are read separately, so a concurrent observation
        // may show in one and not the other; `_count` is taken from the
        // buckets so that it always equals the `+Inf` bucket.
        auto counts = s->h->cumulative_counts();
        const auto& bounds = s->h->bounds();
        for (size_t i = 0; i <= bounds.size(); ++i) {
          out += name_;
          out += "_bucket";
          auto le = i < bounds.size() ? format_value(bounds[i])
                                      : std::string{"+Inf"};
          append_labels(out, label_names_, values, "le=\"" + le + "\"");
          out += ' ';
          out += std::to_string(counts[i]);
          out += '\n';
        }
        out += name_;
        out += "_sum";
        append_labels(out, label_names_, values);
        out += ' ';
        out += format_value(s->h->sum());
        out += '\n';
        out += name_;
        out += "_count";
        append_labels(out, label_names_, values);
        out += ' ';
        out += std::to_string(counts.back());
        out += '\n';
        break;
      }
    }
  }
}

// -- registry -----------------------------------------------------------------

family& registry::add(std::string name, std::string help, metric_type type,
                      std::vector<std::string> label_names,
                      std::vector<double> bounds) {
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto& f : families_)
    if (f->name() == name)
      return *f;
  families_.push_back(std::make_unique<family>(std::move(name), std::move(help),
                                               type, std::move(label_names),
                                               std::move(bounds)));
  return *families_.back();
}

std::string registry::render() const {
  std::string out;
  std::lock_guard<std::mutex> guard{mtx_};
  for (const auto& f : families_)
    f->render(out);
  return out;
}

// -- node metrics -------------------------------------------------------------

namespace {

const std::vector<double> duration_buckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                           0.5,   1,    2.5,   5,    10,  30};

const std::vector<double> to_running_buckets{1,  2,   5,   10,  20,  30,
                                             60, 120, 300, 600, 1200};

/// An HTTP status when the provider's code is one, else the error kind
/// ("ok" on success): bounded label values either way.
std::string code_label(const provider_reply& reply) {
  const auto& code = reply.error.code;
  auto is_http = code.size() == 3
                 && std::all_of(code.begin(), code.end(),
                                [](char c) { return c >= '0' && c <= '9'; });
  if (is_http)
    return code;
  if (reply.ok())
    return "ok";
  return to_string(reply.error.kind);
}

} // namespace

node_metrics::node_metrics(registry& reg)
  : reg_(reg),
    servers_(reg.add("dynserv_servers",
                     "Servers managed by this node, by pool and status.",
                     metric_type::gauge, {"pool", "status"})),
    desired_(reg.add("dynserv_pool_desired", "Desired server count per pool.",
                     metric_type::gauge, {"pool"})),
    transitions_(reg.add("dynserv_server_transitions_total",
                         "Server status transitions.", metric_type::counter,
                         {"from", "to"})),
    requests_(reg.add("dynserv_provider_requests_total",
                      "Provider calls by operation and result code (HTTP "
                      "status when known, else the error kind or ok).",
                      metric_type::counter, {"provider", "operation", "code"})),
    durations_(reg.add("dynserv_provider_request_duration_seconds",
                       "Duration of provider calls.", metric_type::histogram,
                       {"provider", "operation"}, duration_buckets)),
    budget_(reg.add("dynserv_provider_budget_remaining",
                    "Requests left in the provider's rate-limit window, as "
                    "its last response said.",
                    metric_type::gauge, {"provider"})),
    tokens_(reg.add("dynserv_provider_tokens",
                    "Tokens left in the local token bucket of a provider "
                    "account.",
                    metric_type::gauge, {"provider"})),
    to_running_(reg.add("dynserv_time_to_running_seconds",
                        "Time from the provider accepting a create to the "
                        "server running.",
                        metric_type::histogram, {"pool"}, to_running_buckets)),
    errors_(reg.add("dynserv_errors_total",
                    "Failed provider calls by error kind.",
                    metric_type::counter, {"kind"})),
    breaker_state_(reg.add("dynserv_circuit_breaker_state",
                           "1 for the state the pool's create circuit "
                           "breaker is in (closed, open, half_open).",
                           metric_type::gauge, {"pool", "state"})),
    breaker_trips_(reg.add("dynserv_circuit_breaker_trips_total",
                           "Times the pool's create circuit breaker opened.",
                           metric_type::counter, {"pool"})),
    rollout_remaining_(reg.add("dynserv_rolling_reboot_remaining",
                               "Servers of the pool's rolling reboot not "
                               "rebooted yet.",
                               metric_type::gauge, {"pool"})),
    remediations_(reg.add("dynserv_remediations_total",
                          "Hanging or errored servers stopped and deleted "
                          "by remediation.",
                          metric_type::counter, {"pool", "status"})),
    expired_(reg.add("dynserv_servers_expired_total",
                     "Servers replaced because they passed the pool's "
                     "max_lifetime.",
                     metric_type::counter, {"pool"})),
    build_info_(reg.add("dynserv_build_info",
                        "Always 1; the version is in the label.",
                        metric_type::gauge, {"version"})) {
  build_info_.gauge_with({DYNSERV_VERSION}).set(1);
}

void node_metrics::server_added(const std::string& pool, server_status status) {
  servers_.gauge_with({pool, to_string(status)}).add(1);
}

void node_metrics::server_removed(const std::string& pool,
                                  server_status status) {
  servers_.gauge_with({pool, to_string(status)}).add(-1);
}

void node_metrics::server_transition(const std::string&, server_status from,
                                     server_status to) {
  transitions_.counter_with({to_string(from), to_string(to)}).inc();
}

void node_metrics::time_to_running(const std::string& pool, double seconds) {
  to_running_.histogram_with({pool}).observe(std::max(seconds, 0.0));
}

void node_metrics::pool_desired(const std::string& pool, int64_t desired) {
  desired_.gauge_with({pool}).set(static_cast<double>(desired));
}

void node_metrics::provider_call(const std::string& provider,
                                 const std::string& op,
                                 const provider_reply& reply, double seconds) {
  requests_.counter_with({provider, op, code_label(reply)}).inc();
  durations_.histogram_with({provider, op}).observe(std::max(seconds, 0.0));
  if (!reply.ok())
    errors_.counter_with({to_string(reply.error.kind)}).inc();
  if (reply.budget.known())
    budget_.gauge_with({provider})
      .set(static_cast<double>(reply.budget.remaining));
}

void node_metrics::provider_tokens(const std::string& provider, double tokens) {
  tokens_.gauge_with({provider}).set(tokens);
}

void node_metrics::breaker_state(const std::string& pool,
                                 const std::string& state) {
  for (const char* s : {"closed", "open", "half_open"})
    breaker_state_.gauge_with({pool, s}).set(state == s ? 1 : 0);
}

void node_metrics::breaker_opened(const std::string& pool) {
  breaker_trips_.counter_with({pool}).inc();
}

void node_metrics::rollout_remaining(const std::string& pool, int64_t n) {
  rollout_remaining_.gauge_with({pool}).set(static_cast<double>(n));
}

void node_metrics::remediated(const std::string& pool, server_status status) {
  remediations_.counter_with({pool, to_string(status)}).inc();
}

void node_metrics::expired(const std::string& pool) {
  expired_.counter_with({pool}).inc();
}

// Both live until the process ends (never destroyed), so that an actor
// ending during static destruction can still update them.
registry& global_registry() {
  static auto* instance = new registry;
  return *instance;
}

node_metrics& global() {
  static auto* instance = new node_metrics{global_registry()};
  return *instance;
}

// -- server gauge slot --------------------------------------------------------

server_gauge_slot::~server_gauge_slot() {
  if (counted_)
    global().server_removed(pool_, status_);
}

void server_gauge_slot::set(const std::string& pool, server_status status) {
  if (counted_ && pool == pool_ && status == status_)
    return;
  auto& m = global();
  if (counted_)
    m.server_removed(pool_, status_);
  m.server_added(pool, status);
  counted_ = true;
  pool_ = pool;
  status_ = status;
}

} // namespace dynserv::metrics

namespace dynserv {

std::string render_prometheus() {
  metrics::global(); // registers the families before the first render
  return metrics::global_registry().render();
}

} // namespace dynserv
