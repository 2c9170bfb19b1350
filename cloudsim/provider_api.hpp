// The interface every simulated provider API implements, plus helpers they
// share (JSON responses, auth headers, pagination).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cloudsim/fault_rules.hpp"
#include "cloudsim/rate_limits.hpp"
#include "cloudsim/sim_state.hpp"
#include "http/http_message.hpp"

namespace dynserv::cloudsim {

using query_params = std::vector<std::pair<std::string, std::string>>;

/// One request as a provider API sees it.
struct api_call {
  const http_request& http;
  /// Path below the provider prefix, e.g. "/server/0012...". Never empty.
  std::string path;
  query_params query;
  /// Absolute URL of the provider's base, e.g.
  /// "http://127.0.0.1:8080/hetzner/v1", for links in bodies and headers.
  std::string base_url;
  /// Virtual time of the request.
  int64_t now_ms = 0;
  /// Faults that modify processing (the core has handled answering ones).
  const fault_effects& fx;
};

/// What a request does, for fault matching and the request log.
struct op_info {
  /// create, get, list, start, stop, restart, delete, modify, action,
  /// account, storage or other.
  std::string op = "other";
  /// Provider-specific detail (shutdown, poweroff, power_cycle, ...).
  std::string detail;
  /// Target server id, if the path names one.
  std::string server;
};

/// A simulated provider API.
class provider_api {
public:
  explicit provider_api(sim_state& state) : state_(state) {
  }

  virtual ~provider_api();

  virtual provider_kind kind() const = 0;

  /// Classifies a request without side effects (DigitalOcean reads the
  /// action type from the body).
  virtual op_info classify(std::string_view method, std::string_view path,
                           std::string_view body) const = 0;

  /// Checks the request's credentials.
  virtual bool authorized(const http_request& req) const = 0;

  /// Called once per request before anything else (fresh request ids).
  virtual void begin_request() {
  }

  /// Processes an authorized request.
  virtual http_response handle(const api_call& call) = 0;

  /// An error in the provider's format. `problem` selects UpCloud's RFC 7807
  /// variant; others ignore it.
  virtual http_response error(int status, std::string_view code,
                              std::string_view message, bool problem)
    = 0;

  /// 401 for missing, wrong or revoked credentials.
  virtual http_response unauthorized(bool problem) = 0;

  /// 429 for a request the rate limit refused.
  virtual http_response rate_limited(const rate_decision& d) = 0;

  /// The provider's quota or capacity error for `rule` (code and status
  /// default per provider).
  virtual http_response quota(const fault_rule& rule, bool problem) = 0;

  /// A JSON 5xx (or other status) in the provider's error format.
  virtual http_response server_error(int status, bool problem) = 0;

  /// Adds standard headers (Content-Type, Server, request ids).
  virtual void decorate(http_response& res) = 0;

  /// The answer for a fault rule that replaces processing (http_error, quota,
  /// unauthorized).
  http_response fault_response(const fault_rule& rule, bool problem);

protected:
  sim_state& state_;
};

// -- shared helpers -----------------------------------------------------------

/// A response with `status` and `body` (no headers yet).
http_response json_response(int status, std::string body);

/// A proxy-style HTML error page (`Content-Type: text/html`).
http_response html_error(int status);

/// The reason phrase of common statuses ("Bad Gateway").
std::string_view status_text(int status);

/// The token of an `Authorization: Bearer` header.
std::optional<std::string> bearer_token(const http_request& req);

/// User and password of an `Authorization: Basic` header.
std::optional<std::pair<std::string, std::string>>
basic_credentials(const http_request& req);

/// Compares secrets in time independent of where they differ.
bool same_secret(std::string_view a, std::string_view b);

/// Splits "/a/b/c/" into {"a","b","c"}.
std::vector<std::string> split_path(std::string_view path);

/// The first value of query parameter `key`.
std::optional<std::string> query_value(const query_params& q,
                                       std::string_view key);

/// Every value of query parameter `key`, in order.
std::vector<std::string> query_values(const query_params& q,
                                      std::string_view key);

/// One page of a list.
struct page_window {
  int64_t page = 1;
  int64_t per_page = 25;
  int64_t total = 0;
  int64_t last_page = 1;
  /// Index range [first, end) of the page's items.
  size_t first = 0;
  size_t end = 0;
};

/// Reads `page` and `per_page` (per_page above `max` is clamped); nullopt
/// with a message for non-numeric or non-positive values.
std::optional<page_window> paginate(const query_params& q, size_t total,
                                    int64_t default_per_page, int64_t max,
                                    std::string* error);

/// The query string of `q` with `page` and `per_page` replaced.
std::string query_with_page(const query_params& q, int64_t page,
                            int64_t per_page);

/// True if `x` looks like a UUID (8-4-4-4-12 hex digits).
bool is_uuid(std::string_view x);

/// True if `x` is a valid hostname (RFC 1123 labels, at most 253 chars).
bool is_hostname(std::string_view x);

} // namespace dynserv::cloudsim
