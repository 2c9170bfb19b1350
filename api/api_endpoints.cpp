// The HTTP API's one routing table: every endpoint is one row (see
// docs/http-api.md, whose order it follows, and docs/openapi.json, which a
// test checks against it).
#include "api/api_handlers.hpp"

namespace dynserv {

const std::vector<api_route>& api_routes() {
  using a = api_access;
  // clang-format off
  static const std::vector<api_route> routes = {
    // name, method, pattern, access,
    //   query reader, body reader, runner
    {"list_pools", "GET", "/v1/pools", a::read,
       no_query, ignored_body, on_node<list_pools>},
    {"get_pool", "GET", "/v1/pools/{pool}", a::read,
       no_query, ignored_body, on_node<get_pool>},
    {"set_desired", "PUT", "/v1/pools/{pool}/desired", a::change,
       no_query, count_body, on_node<set_desired>},
    {"increase", "POST", "/v1/pools/{pool}/increase", a::change,
       no_query, by_body, on_node<increase_desired>},
    {"decrease", "POST", "/v1/pools/{pool}/decrease", a::change,
       no_query, by_body, on_node<decrease_desired>},
    {"reboot", "POST", "/v1/pools/{pool}/reboot", a::change,
       no_query, reboot_body, on_node<start_reboot>},
    {"abort_reboot", "DELETE", "/v1/pools/{pool}/reboot", a::change,
       no_query, empty_body, on_node<abort_reboot>},
    {"pause", "POST", "/v1/pools/{pool}/pause", a::change,
       no_query, empty_body, on_node<pause_policy>},
    {"resume", "POST", "/v1/pools/{pool}/resume", a::change,
       no_query, empty_body, on_node<resume_policy>},
    {"list_decisions", "GET", "/v1/pools/{pool}/decisions", a::read,
       decision_page, ignored_body, on_node<list_decisions>},
    {"list_servers", "GET", "/v1/servers", a::read,
       server_filters, ignored_body, on_node<list_servers>},
    {"get_server", "GET", "/v1/servers/{id}", a::read,
       no_query, ignored_body, on_node<get_server>},
    {"stop_server", "POST", "/v1/servers/{id}/stop", a::change,
       no_query, empty_body, on_node<stop_server>},
    {"list_events", "GET", "/v1/events", a::read,
       event_page, ignored_body, on_node<list_events>},
    {"event_stream", "GET", "/v1/events/stream", a::read,
       stream_start, ignored_body, open_event_stream},
    {"list_webhooks", "GET", "/v1/webhooks", a::read,
       no_query, ignored_body, on_node<list_webhooks>},
    {"healthz", "GET", "/healthz", a::liveness,
       no_query, ignored_body, answer_liveness},
    {"readyz", "GET", "/readyz", a::open,
       no_query, ignored_body, on_node<check_readiness>},
    {"openapi", "GET", "/v1/openapi.json", a::read,
       no_query, ignored_body, serve_openapi},
    {"metrics", "GET", "/metrics", a::read,
       no_query, ignored_body, serve_metrics},
  };
  // clang-format on
  return routes;
}

} // namespace dynserv
