// The node's HTTP API: routing, authorization and request checks on the I/O
// thread, then the endpoint's runner (api/api_endpoints.cpp).
#include "api/http_api.hpp"

#include "caf/actor_system.hpp"
#include "caf/event_based_actor.hpp"
#include "spdlog/spdlog.h"

#include "api/access_control.hpp"
#include "api/api_handlers.hpp"
#include "messages/errors.hpp"

namespace dynserv {

namespace {

using state_ptr = api_state_ptr;
using exchange_ptr = std::shared_ptr<http_exchange>;

api_error make_api_error(int status, std::string code, std::string message) {
  return api_error{status, std::move(code), std::move(message), {}};
}

/// Answers a wrong token with 403 after the throttling delay.
caf::behavior refusal_actor(caf::event_based_actor* self, exchange_ptr ex,
                            std::chrono::milliseconds delay) {
  self->delayed_send(self, delay, atom::tick_v);
  return {[self, ex](atom::tick) {
    ex->respond(error_response(wrong_token_error()));
    self->quit();
  }};
}

/// Checks the token of a request to `route`; false when the request has
/// been answered (401 now, or 403 after the throttling delay).
bool authorized(const state_ptr& st, const api_route& route,
                const http_request& req, const std::string& path,
                const exchange_ptr& ex) {
  if (route.always_public() || (!route.mutating() && st->opts.public_reads))
    return true;
  switch (check_bearer(req.headers, st->opts.token)) {
    case auth_outcome::ok:
      st->consecutive_failures = 0;
      return true;
    case auth_outcome::missing:
      ex->respond(error_response(missing_token_error()));
      return false;
    case auth_outcome::wrong:
      break;
  }
  auto failures = ++st->consecutive_failures;
  auto delay = login_refusal_delay(failures);
  spdlog::warn("http api: refused a wrong token for {} {} from {} ({} "
               "in a row; answering after {} ms)",
               req.method, loggable(path), loggable(req.remote), failures,
               delay.count());
  st->sys.spawn(refusal_actor, ex, delay);
  return false;
}

/// Checks query, content type and body of a request to `route` and fills
/// `call`; the error to answer with otherwise.
std::optional<api_error>
read_request(const api_route& route, const http_request& req,
             const std::string& raw_query, api_call& call) {
  if (auto err = route.read_query(parse_query(raw_query), req, call))
    return err;
  if (auto err = check_content_type(req.headers, req.body))
    return err;
  if (auto err = route.read_body(req.body, call))
    return err;
  if (call.param.size() <= max_path_param_size)
    return std::nullopt;
  // Longer names cannot exist: 404 without asking the node.
  bool is_pool = std::string_view{route.pattern}.find("{pool}")
                 != std::string_view::npos;
  return make_api_error(404, is_pool ? "unknown_pool" : "unknown_server",
                        is_pool ? "unknown pool (name too long)"
                                : "no server with such an id (too long)");
}

void handle(const state_ptr& st, http_request& req, const exchange_ptr& ex) {
  auto [path, raw_query] = split_target(req.target);
  auto routed = route_request(req.method, path);
  if (!routed.match)
    return ex->respond(error_response(routed.error));
  const auto& route = *routed.match->route;
  api_call call;
  call.param = std::move(routed.match->param);
  api_context ctx{st, ex};
  // Liveness is answered before anything else, even while shutting down.
  if (route.access == api_access::liveness) {
    if (auto err = route.read_query(parse_query(raw_query), req, call))
      return ex->respond(error_response(*err));
    return route.run(ctx, call);
  }
  if (st->stopping)
    return ex->respond(error_response(
      make_api_error(503, "shutting_down", "the node is shutting down")));
  if (!authorized(st, route, req, path, ex))
    return;
  if (auto err = read_request(route, req, raw_query, call))
    return ex->respond(error_response(*err));
  if (route.mutating())
    spdlog::info("http api: {} {}{} from {}", req.method, loggable(path),
                 call.log_detail, loggable(req.remote));
  route.run(ctx, call);
}

std::string format_addr(const std::string& host, uint16_t port) {
  if (host.find(':') != std::string::npos)
    return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

} // namespace

// -- http_api -----------------------------------------------------------------

http_api::http_api(caf::actor_system& sys, http_api_options opts)
  : state_(std::make_shared<shared_state>(sys, std::move(opts))) {
  // nop
}

http_api::~http_api() {
  shutdown();
}

http_handler http_api::handler() {
  return [st = state_](http_request req, std::shared_ptr<http_exchange> ex) {
    // Nothing a client sends may take the node down: any exception ends as
    // a 500 for this request only.
    try {
      http_response asset;
      if (st->opts.assets && st->opts.assets(req, asset))
        return ex->respond(std::move(asset));
      handle(st, req, ex);
    } catch (const std::exception& e) {
      spdlog::error("http api: {} {} failed: {}", req.method,
                    loggable(req.target), e.what());
      ex->respond(
        error_response(make_api_error(500, "internal", "internal error")));
    }
  };
}

void http_api::shutdown() {
  state_->stopping = true;
}

// -- files --------------------------------------------------------------------

std::string http_token_file(const node_config& cfg) {
  return cfg.data_dir + "/http.token";
}

std::string http_addr_file(const node_config& cfg) {
  return cfg.data_dir + "/http.addr";
}

caf::expected<std::string> http_token(const node_config& cfg) {
  return resolve_token(token_source{"http", cfg.http.token, cfg.http.token_env,
                                    http_token_file(cfg)});
}

// -- http_endpoint ------------------------------------------------------------

http_endpoint::http_endpoint(std::unique_ptr<http_api> api,
                             std::unique_ptr<http_server> server)
  : api_(std::move(api)), server_(std::move(server)) {
  // nop
}

http_endpoint::~http_endpoint() {
  stop(std::chrono::milliseconds{0});
}

uint16_t http_endpoint::port() const {
  return server_->port();
}

void http_endpoint::stop(std::chrono::milliseconds grace) {
  if (stopped_)
    return;
  stopped_ = true;
  api_->shutdown();
  server_->stop(grace);
}

caf::expected<std::unique_ptr<http_endpoint>>
start_http_endpoint(caf::actor_system& sys, const node_config& cfg,
                    const std::string& token, operator_actor node,
                    metrics_provider metrics, asset_provider assets) {
  const auto& h = cfg.http;
  http_api_options api_opts;
  api_opts.node = std::move(node);
  api_opts.token = token;
  api_opts.public_reads = h.public_reads;
  api_opts.metrics = std::move(metrics);
  api_opts.assets = std::move(assets);
  auto api = std::make_unique<http_api>(sys, std::move(api_opts));
  http_server_options opts;
  opts.host = h.host;
  opts.port = h.port;
  opts.request_timeout = h.request_timeout;
  opts.idle_timeout = h.idle_timeout;
  opts.body_limit = h.body_limit;
  opts.max_connections = h.max_connections;
  if (h.tls) {
    opts.tls_certificate = h.tls->certificate;
    opts.tls_key = h.tls->key;
  }
  std::string error;
  auto server = start_http_server(opts, api->handler(), &error);
  if (!server)
    return make_error(ec::invalid_config, "http.listen: cannot serve on "
                                            + format_addr(h.host, h.port) + ": "
                                            + error);
  auto addr = format_addr(h.host, server->port());
  if (!write_file_atomically(http_addr_file(cfg), addr + "\n"))
    spdlog::warn("cannot write {}", http_addr_file(cfg));
  spdlog::info("http api listening on {}://{}{}", h.tls ? "https" : "http",
               addr, h.public_reads ? " (reads need no token)" : "");
  if (!h.tls && !is_loopback(h.host))
    spdlog::warn("http api listens beyond loopback without TLS: tokens "
                 "travel in clear text; set http.tls");
  return std::make_unique<http_endpoint>(std::move(api), std::move(server));
}

} // namespace dynserv
