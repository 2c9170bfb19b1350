// The HTTP API's routing table and request checks: pure functions over plain
// values (paths, headers, bodies), so that every rule can be tested without
// a server or a node.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/http_message.hpp"
#include "messages/status.hpp"

namespace dynserv {

/// An error answer in the API's one shape {"error":{"code","message"}}.
struct api_error {
  int status = 500;
  std::string code;
  std::string message;
  /// Extra header fields (Allow, WWW-Authenticate).
  http_headers headers;
};

/// A checked request on its way to the node (api/api_call.hpp).
struct api_call;

/// What an endpoint's runner answers with (api/api_handlers.hpp).
struct api_context;

/// Who may call an endpoint.
enum class api_access {
  /// Liveness (/healthz): no token, and answered even while shutting down.
  liveness,
  /// No token (readiness checks).
  open,
  /// Needs the token unless `http.public_reads` is set.
  read,
  /// Changes something: always needs the token, and is logged.
  change,
};

/// Decoded query parameters.
using query_params = std::vector<std::pair<std::string, std::string>>;

/// Checks the query of a request and fills the call's filters.
using api_query_reader
  = std::optional<api_error> (*)(const query_params& params,
                                 const http_request& req, api_call& call);

/// Checks the (JSON) body of a request and fills the call's arguments.
using api_body_reader = std::optional<api_error> (*)(const std::string& body,
                                                     api_call& call);

/// Answers a checked request: on the HTTP I/O thread, or by spawning an
/// actor that asks the node (`on_node` in api/api_handlers.hpp).
using api_runner = void (*)(const api_context& ctx, api_call& call);

/// One endpoint of the HTTP API: everything about it in one row, so that
/// adding an endpoint is one row of `api_routes()` plus its handler.
struct api_route {
  /// Names the endpoint in tests and logs, e.g. "set_desired".
  const char* name;
  const char* method;
  /// Path with at most one parameter segment, `{pool}` or `{id}`.
  const char* pattern;
  api_access access;
  api_query_reader read_query;
  api_body_reader read_body;
  api_runner run;

  /// Changes something: always needs the token.
  bool mutating() const {
    return access == api_access::change;
  }

  /// Needs no token at all (health checks).
  bool always_public() const {
    return access == api_access::liveness || access == api_access::open;
  }
};

/// The routing table, in the order of docs/http-api.md (defined in
/// api/api_endpoints.cpp).
const std::vector<api_route>& api_routes();

/// Builds the HTTP response of `err` (JSON body, content type, headers).
http_response error_response(const api_error& err);

/// Builds a 200 (or `status`) response with a JSON body.
http_response json_response(std::string body, int status = 200);

/// A request matched to its route.
struct route_match {
  const api_route* route = nullptr;
  /// The decoded `{pool}` or `{id}` segment, if the pattern has one.
  std::string param;
};

/// Outcome of routing: a match, or 404 (no such path), 405 (path exists,
/// method does not; with `Allow`) or 400 (undecodable path).
struct route_result {
  std::optional<route_match> match;
  api_error error;
};

/// Finds the route of `method` and `path` (no query).
route_result route_request(std::string_view method, std::string_view path);

/// The outcome of checking a request's credentials.
enum class auth_outcome {
  ok,
  /// No `Authorization: Bearer` credentials: 401.
  missing,
  /// Credentials present but not the token: 403.
  wrong,
};

/// Checks `Authorization: Bearer <token>` in constant time.
auth_outcome check_bearer(const http_headers& headers,
                          const std::string& token);

/// The 401 answer (with `WWW-Authenticate: Bearer`).
api_error missing_token_error();

/// The 403 answer.
api_error wrong_token_error();

/// 415 unless a non-empty body comes as JSON (`application/json` or any
/// `+json` type, parameters ignored) or without a content type.
std::optional<api_error> check_content_type(const http_headers& headers,
                                            const std::string& body);

/// A count read from a body, or why not.
struct count_result {
  int64_t value = 0;
  std::optional<api_error> error;
};

/// Reads the integer member `key` of a JSON object body: 400 for malformed
/// JSON (with byte offset and reason); 422 for anything but an object with
/// at most the key `key` whose value is an integer from 0 to INT64_MAX. An
/// empty body counts as `{}`; a missing key gives `fallback`, or 422 when
/// there is none.
count_result parse_count_body(const std::string& body, const char* key,
                              std::optional<int64_t> fallback);

/// A `max_unavailable` read from a reboot body, or why not.
struct reboot_body_result {
  /// "2" or "25%"; empty when the body does not name one (the pool's
  /// default applies).
  std::string max_unavailable;
  std::optional<api_error> error;
};

/// Reads the body of POST /v1/pools/{pool}/reboot: empty, `{}`, or
/// `{"max_unavailable": V}` with V a string ("2", "25%") or an integer. 400
/// for malformed JSON; 422 `invalid_body` for another key or type; 422
/// `invalid_argument` with the validator's message for a bad value.
reboot_body_result parse_reboot_body(const std::string& body);

/// Accepts an empty body or `{}`; 400/422 for anything else.
std::optional<api_error> parse_empty_body(const std::string& body);

/// 400 for parameters not in `known` and for repeated ones.
std::optional<api_error> check_query(const query_params& params,
                                     std::initializer_list<const char*> known);

/// The value of parameter `name`, if given.
std::optional<std::string> query_value(const query_params& params,
                                       std::string_view name);

/// An integer read from a query parameter or header, or why not.
struct uint_result {
  uint64_t value = 0;
  std::optional<api_error> error;
};

/// Parses a decimal integer in [lower, upper] for parameter (or header)
/// `what`; 400 naming it otherwise.
uint_result parse_uint(std::string_view what, std::string_view str,
                       uint64_t lower, uint64_t upper);

/// A status filter, or why not.
struct status_result {
  server_status value = server_status::pending;
  std::optional<api_error> error;
};

/// Parses a `status` filter; 422 listing the statuses otherwise.
status_result parse_status_filter(std::string_view str);

/// Default and largest `limit` of GET /v1/pools/{pool}/decisions.
constexpr uint64_t default_decision_limit = 20;
constexpr uint64_t max_decision_limit = 1000;

/// Default and largest `limit` of GET /v1/events.
constexpr uint64_t default_event_limit = 100;
constexpr uint64_t max_event_limit = 1000;

/// Longest pool name or server id passed on to the node (longer ones
/// cannot exist: 404 without asking).
constexpr size_t max_path_param_size = 1024;

/// One server-sent event: `id`, `event` and `data` lines and a blank line.
std::string sse_event(uint64_t id, std::string_view event,
                      std::string_view data);

} // namespace dynserv
