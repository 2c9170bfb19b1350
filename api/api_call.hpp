// A checked HTTP API request on its way to the node, and the query and body
// readers that the routing table (api/api_endpoints.cpp) names per endpoint.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "api/http_router.hpp"
#include "messages/status.hpp"

namespace dynserv {

/// A checked request, ready to go to the node.
struct api_call {
  /// `{pool}` or `{id}` of the path.
  std::string param;
  /// Count of set_desired, increase, decrease.
  int64_t count = 0;
  /// max_unavailable of reboot; empty for the pool's default.
  std::string max_unavailable;
  /// Filters of list_servers.
  std::string pool_filter;
  std::optional<server_status> status_filter;
  /// Paging of list_events, list_decisions and event_stream.
  uint64_t since = 0;
  uint64_t limit = default_event_limit;
  /// What the audit log line adds after the path (" 3",
  /// " max_unavailable 25%"); set by the body readers.
  std::string log_detail;
};

// -- query readers ------------------------------------------------------------

/// Accepts no query parameter at all.
std::optional<api_error> no_query(const query_params& params,
                                  const http_request& req, api_call& call);

/// `pool` and `status` filters of GET /v1/servers.
std::optional<api_error> server_filters(const query_params& params,
                                        const http_request& req,
                                        api_call& call);

/// `since` and `limit` of GET /v1/events.
std::optional<api_error> event_page(const query_params& params,
                                    const http_request& req, api_call& call);

/// `limit` of GET /v1/pools/{pool}/decisions.
std::optional<api_error> decision_page(const query_params& params,
                                       const http_request& req, api_call& call);

/// `since` of GET /v1/events/stream, overridden by `Last-Event-ID`.
std::optional<api_error> stream_start(const query_params& params,
                                      const http_request& req, api_call& call);

// -- body readers -------------------------------------------------------------

/// GETs carry no body; one that comes anyway is ignored.
std::optional<api_error> ignored_body(const std::string& body, api_call& call);

/// No body or `{}`.
std::optional<api_error> empty_body(const std::string& body, api_call& call);

/// `{"count": N}` of PUT /v1/pools/{pool}/desired.
std::optional<api_error> count_body(const std::string& body, api_call& call);

/// `{"by": N}` (default 1) of increase and decrease.
std::optional<api_error> by_body(const std::string& body, api_call& call);

/// `{"max_unavailable": V}` (optional) of POST /v1/pools/{pool}/reboot.
std::optional<api_error> reboot_body(const std::string& body, api_call& call);

} // namespace dynserv
