// The query and body readers of the HTTP API's endpoints.
#include "api/api_call.hpp"

#include <limits>

namespace dynserv {

namespace {

constexpr auto any_seq = std::numeric_limits<uint64_t>::max();

/// Reads the optional parameter `name` as an integer in [lower, upper] into
/// `out`.
std::optional<api_error> read_uint(const query_params& params,
                                   std::string_view name, uint64_t lower,
                                   uint64_t upper, uint64_t& out) {
  auto str = query_value(params, name);
  if (!str)
    return std::nullopt;
  auto parsed = parse_uint(name, *str, lower, upper);
  if (parsed.error)
    return parsed.error;
  out = parsed.value;
  return std::nullopt;
}

} // namespace

std::optional<api_error> no_query(const query_params& params,
                                  const http_request&, api_call&) {
  return check_query(params, {});
}

std::optional<api_error> server_filters(const query_params& params,
                                        const http_request&, api_call& call) {
  if (auto err = check_query(params, {"pool", "status"}))
    return err;
  call.pool_filter = query_value(params, "pool").value_or("");
  if (auto status = query_value(params, "status")) {
    auto parsed = parse_status_filter(*status);
    if (parsed.error)
      return parsed.error;
    call.status_filter = parsed.value;
  }
  return std::nullopt;
}

std::optional<api_error> event_page(const query_params& params,
                                    const http_request&, api_call& call) {
  if (auto err = check_query(params, {"since", "limit"}))
    return err;
  if (auto err = read_uint(params, "since", 0, any_seq, call.since))
    return err;
  return read_uint(params, "limit", 1, max_event_limit, call.limit);
}

std::optional<api_error> decision_page(const query_params& params,
                                       const http_request&, api_call& call) {
  if (auto err = check_query(params, {"limit"}))
    return err;
  call.limit = default_decision_limit;
  return read_uint(params, "limit", 1, max_decision_limit, call.limit);
}

std::optional<api_error> stream_start(const query_params& params,
                                      const http_request& req, api_call& call) {
  if (auto err = check_query(params, {"since"}))
    return err;
  if (auto err = read_uint(params, "since", 0, any_seq, call.since))
    return err;
  // A reconnecting EventSource sends the last id it saw; it is newer than
  // the `since` of the URL it reconnects to.
  if (auto last = find_header(req.headers, "Last-Event-ID")) {
    auto parsed = parse_uint("Last-Event-ID", *last, 0, any_seq);
    if (parsed.error)
      return parsed.error;
    call.since = parsed.value;
  }
  return std::nullopt;
}

std::optional<api_error> ignored_body(const std::string&, api_call&) {
  return std::nullopt;
}

std::optional<api_error> empty_body(const std::string& body, api_call&) {
  return parse_empty_body(body);
}

std::optional<api_error> count_body(const std::string& body, api_call& call) {
  auto res = parse_count_body(body, "count", std::nullopt);
  call.count = res.value;
  call.log_detail = " " + std::to_string(call.count);
  return res.error;
}

std::optional<api_error> by_body(const std::string& body, api_call& call) {
  auto res = parse_count_body(body, "by", int64_t{1});
  call.count = res.value;
  call.log_detail = " " + std::to_string(call.count);
  return res.error;
}

std::optional<api_error> reboot_body(const std::string& body, api_call& call) {
  auto res = parse_reboot_body(body);
  call.max_unavailable = std::move(res.max_unavailable);
  if (!call.max_unavailable.empty())
    call.log_detail = " max_unavailable " + call.max_unavailable;
  return res.error;
}

} // namespace dynserv
