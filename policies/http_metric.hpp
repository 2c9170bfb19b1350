// The http_metric policy: fetch a JSON document, read a number by JSON
// pointer, turn it into a server count. The fetch blocks; callers run it
// off their actor's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "policies/policy_spec.hpp"
#include "policies/schedule.hpp"

namespace dynserv {

class http_transport;

/// One reading of a metric, or why there is none.
struct metric_sample {
  bool ok = false;
  double value = 0;
  /// Why the reading failed (no secrets in it).
  std::string error;
};

/// Reads the number at `pointer` in the JSON text `body`. Fails (with a
/// reason) on malformed JSON, a missing member, and values that are not
/// finite numbers; numbers in strings are not accepted.
metric_sample extract_metric(std::string_view body, const std::string& pointer);

/// True if `pointer` is a syntactically valid RFC 6901 JSON pointer.
bool valid_json_pointer(const std::string& pointer);

/// ceil(value / per_server) + offset, at least 0 and at most `cap` (so that
/// absurd values cannot overflow).
int64_t metric_count(double value, double per_server, int64_t offset,
                     int64_t cap = 1'000'000);

/// The policy output for a sample: the count, or "not ok" with the reason.
policy_output metric_output(const http_metric_spec& spec,
                            const metric_sample& sample);

/// Looks up environment variables (injected for tests).
using env_lookup
  = std::function<std::optional<std::string>(const std::string&)>;

/// The process environment.
env_lookup process_env();

/// Makes the transport for one fetch (injected for tests).
using transport_factory = std::function<std::unique_ptr<http_transport>(
  const std::string& base_url, const http_metric_spec& spec,
  std::string* error)>;

/// Transports over dynserv's HTTP client.
transport_factory default_transport_factory();

/// Splits "https://host:port/path?q" into {"https://host:port",
/// "/path?q"}; nullopt for anything but an http(s) URL with a host.
std::optional<std::pair<std::string, std::string>>
split_url(std::string_view url);

/// GETs `spec.url` (with its headers and the bearer token from
/// `spec.token_env`) and extracts the metric. Blocks up to about twice
/// `spec.timeout`. Non-2xx answers, timeouts and bad bodies are failures.
metric_sample
fetch_metric(const http_metric_spec& spec,
             const env_lookup& env = process_env(),
             const transport_factory& make = default_transport_factory());

} // namespace dynserv
