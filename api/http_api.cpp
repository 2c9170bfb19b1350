// The node's HTTP API: request checks on the I/O thread, node calls from
// short-lived actors, event streams from polling actors.
#include "api/http_api.hpp"

#include <atomic>
#include <limits>

#include "caf/actor_system.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/sec.hpp"
#include "caf/stateful_actor.hpp"
#include "spdlog/spdlog.h"

#include "api/access_control.hpp"
#include "api/api_json.hpp"
#include "api/http_router.hpp"
#include "messages/errors.hpp"

namespace dynserv {

struct http_api::shared_state {
  shared_state(caf::actor_system& sys, http_api_options opts)
      : sys(sys), opts(std::move(opts)) {
    // nop
  }

  caf::actor_system& sys;
  const http_api_options opts;
  std::atomic<bool> stopping{false};
  /// Wrong tokens in a row (any client); drives the refusal delay.
  std::atomic<uint32_t> consecutive_failures{0};
};

namespace {

using state_ptr = std::shared_ptr<http_api::shared_state>;
using exchange_ptr = std::shared_ptr<http_exchange>;

/// Events per request of an event stream (more follow at once when full).
constexpr uint32_t stream_page = 1000;

/// A checked request, ready to go to the node.
struct api_call {
  api_endpoint endpoint = api_endpoint::healthz;
  /// `{pool}` or `{id}` of the path.
  std::string param;
  /// Count of set_desired, increase, decrease.
  int64_t count = 0;
  /// max_unavailable of reboot; empty for the pool's default.
  std::string max_unavailable;
  /// Filters of list_servers.
  std::string pool_filter;
  std::optional<server_status> status_filter;
  /// Paging of list_events.
  uint64_t since = 0;
  uint64_t limit = default_event_limit;
};

api_error make_api_error(int status, std::string code, std::string message) {
  return api_error{status, std::move(code), std::move(message), {}};
}

/// Maps a failed node call to its answer.
api_error node_error(const state_ptr& st, const caf::error& err) {
  if (err.category() == error_category) {
    auto code = static_cast<ec>(err.code());
    std::string message = to_string(code);
    const auto& ctx = err.context();
    if (ctx.match_elements<std::string>())
      message = ctx.get_as<std::string>(0);
    int status = 500;
    switch (code) {
      case ec::unknown_pool:
      case ec::unknown_server: status = 404; break;
      case ec::invalid_argument: status = 422; break;
      case ec::invalid_transition: status = 409; break;
      default: break;
    }
    return make_api_error(status, to_string(code), std::move(message));
  }
  if (err == caf::sec::request_timeout)
    return make_api_error(503, "node_timeout",
                          "the node did not answer within "
                            + std::to_string(st->opts.node_timeout.count())
                            + " ms");
  return make_api_error(503, "node_unavailable",
                        "the node is not available: " + st->sys.render(err));
}

std::string unknown_pool_message(const std::vector<pool_status>& pools,
                                 const std::string& name) {
  std::string known;
  for (const auto& p : pools)
    known += (known.empty() ? "" : ", ") + p.name;
  return "unknown pool \"" + name + "\" (known: " + known + ")";
}

std::string servers_document(const std::vector<server_record>& servers) {
  std::string body = "{\"servers\":[";
  for (size_t i = 0; i < servers.size(); ++i)
    body += (i > 0 ? "," : "") + server_json(servers[i]);
  return body + "]}";
}

// -- per-request actors -------------------------------------------------------

/// Answers `ex` once and ends the actor.
struct responder {
  caf::event_based_actor* self;
  exchange_ptr ex;

  void operator()(http_response res) const {
    ex->respond(std::move(res));
    self->quit();
  }

  void operator()(const api_error& err) const {
    (*this)(error_response(err));
  }
};

/// Performs `call` against the node and answers `ex`.
caf::behavior api_call_actor(caf::event_based_actor* self, state_ptr st,
                             api_call call, exchange_ptr ex) {
  responder reply{self, ex};
  auto fail = [st, reply](caf::error& err) { reply(node_error(st, err)); };
  const auto& node = st->opts.node;
  auto timeout = st->opts.node_timeout;
  auto scaled = [reply](scale_reply& r) {
    reply(json_response(scale_json(r)));
  };
  switch (call.endpoint) {
    case api_endpoint::list_pools:
      self->request(node, timeout, atom::status_v)
        .then(
          [reply](std::vector<pool_status>& pools) {
            std::string body = "{\"pools\":[";
            for (size_t i = 0; i < pools.size(); ++i)
              body += (i > 0 ? "," : "") + pool_json(pools[i]);
            reply(json_response(body + "]}"));
          },
          fail);
      break;
    case api_endpoint::get_pool:
      self->request(node, timeout, atom::status_v)
        .then(
          [reply, name = call.param](std::vector<pool_status>& pools) {
            for (const auto& p : pools)
              if (p.name == name)
                return reply(json_response(pool_json(p, true)));
            reply(make_api_error(404, "unknown_pool",
                                 unknown_pool_message(pools, name)));
          },
          fail);
      break;
    case api_endpoint::set_desired:
      self->request(node, timeout, atom::ensure_v, call.param, call.count)
        .then(scaled, fail);
      break;
    case api_endpoint::increase:
      self->request(node, timeout, atom::increase_v, call.param, call.count)
        .then(scaled, fail);
      break;
    case api_endpoint::decrease:
      self->request(node, timeout, atom::decrease_v, call.param, call.count)
        .then(scaled, fail);
      break;
    case api_endpoint::reboot:
      self
        ->request(node, timeout, atom::reboot_v, call.param,
                  call.max_unavailable)
        .then([reply, pool = call.param](
                const rollout_record&
                  r) { reply(json_response(reboot_json(pool, r))); },
              fail);
      break;
    case api_endpoint::abort_reboot:
      self->request(node, timeout, atom::abort_v, call.param)
        .then([reply, pool = call.param](
                const rollout_record&
                  r) { reply(json_response(reboot_json(pool, r))); },
              [st, reply](caf::error& err) {
                // The node's only invalid_argument here: nothing to abort. That
                // is the pool's state, not the request's content: 409.
                auto res = node_error(st, err);
                if (res.code == "invalid_argument") {
                  res.status = 409;
                  res.code = "no_rollout";
                }
                reply(res);
              });
      break;
    case api_endpoint::pause:
    case api_endpoint::resume: {
      auto done = [reply](pool_status& p) {
        reply(json_response(pool_json(p)));
      };
      if (call.endpoint == api_endpoint::pause)
        self->request(node, timeout, atom::pause_v, call.param)
          .then(done, fail);
      else
        self->request(node, timeout, atom::resume_v, call.param)
          .then(done, fail);
      break;
    }
    case api_endpoint::list_decisions:
      self
        ->request(node, timeout, atom::decisions_v, call.param,
                  static_cast<uint32_t>(call.limit))
        .then(
          [reply](std::vector<decision_record>& ds) {
            std::string body = "{\"decisions\":[";
            for (size_t i = 0; i < ds.size(); ++i)
              body += (i > 0 ? "," : "") + decision_json(ds[i]);
            reply(json_response(body + "]}"));
          },
          fail);
      break;
    case api_endpoint::list_servers:
      self->request(node, timeout, atom::status_v)
        .then(
          [reply, call](std::vector<pool_status>& pools) {
            if (!call.pool_filter.empty()) {
              auto known = std::any_of(pools.begin(), pools.end(),
                                       [&](const pool_status& p) {
                                         return p.name == call.pool_filter;
                                       });
              if (!known)
                return reply(
                  make_api_error(404, "unknown_pool",
                                 unknown_pool_message(pools,
                                                      call.pool_filter)));
            }
            auto servers = select_servers(pools, call.pool_filter,
                                          call.status_filter);
            reply(json_response(servers_document(servers)));
          },
          fail);
      break;
    case api_endpoint::get_server:
      self->request(node, timeout, atom::server_v, call.param)
        .then([reply](
                server_record& rec) { reply(json_response(server_json(rec))); },
              fail);
      break;
    case api_endpoint::stop_server:
      self->request(node, timeout, atom::stop_v, call.param)
        .then([reply](
                server_record& rec) { reply(json_response(server_json(rec))); },
              fail);
      break;
    case api_endpoint::list_events:
      self
        ->request(node, timeout, atom::events_v, call.since,
                  static_cast<uint32_t>(call.limit))
        .then(
          [reply, since = call.since](std::vector<event_record>& events) {
            auto last = since;
            std::string body = "{\"events\":[";
            for (size_t i = 0; i < events.size(); ++i) {
              body += (i > 0 ? "," : "") + event_json(events[i]);
              last = std::max(last, events[i].seq);
            }
            body += "],\"last_seq\":" + std::to_string(last) + "}";
            reply(json_response(std::move(body)));
          },
          fail);
      break;
    case api_endpoint::list_webhooks:
      // The node answers within its per-webhook timeout even when a
      // webhook is blocked on its receiver (that one carries an error).
      self->request(node, timeout, atom::status_v, atom::webhooks_v)
        .then([reply](std::vector<webhook_status>&
                        hooks) { reply(json_response(webhooks_json(hooks))); },
              fail);
      break;
    case api_endpoint::readyz: {
      // Ready when the supervisor answers (limits) and the store can be
      // read (an event read goes through the snapshot actor to the store).
      struct checks {
        std::string node;
        std::string store;
        int pending = 2;
      };
      auto result = std::make_shared<checks>();
      auto done = [reply, result] {
        if (--result->pending > 0)
          return;
        if (result->node.empty() && result->store.empty()) {
          reply(json_response(
            R"({"status":"ready","checks":{"node":"ok","store":"ok"}})"));
          return;
        }
        std::string why;
        if (!result->node.empty())
          why = "node: " + result->node;
        if (!result->store.empty())
          why += (why.empty() ? "" : "; ") + std::string{"store: "}
                 + result->store;
        reply(make_api_error(503, "not_ready", why));
      };
      self->request(node, timeout, atom::limits_v)
        .then([done](limits_info&) { done(); },
              [st, result, done](caf::error& err) {
                result->node = node_error(st, err).message;
                done();
              });
      auto after = std::numeric_limits<uint64_t>::max() - 1;
      self->request(node, timeout, atom::events_v, after, uint32_t{1})
        .then([done](std::vector<event_record>&) { done(); },
              [st, result, done](caf::error& err) {
                result->store = node_error(st, err).message;
                done();
              });
      break;
    }
    default:
      reply(make_api_error(500, "internal", "unexpected endpoint"));
      return {};
  }
  // Keeps the actor alive until its reply handler calls quit().
  return {[](atom::tick) {}};
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

// -- event streams ------------------------------------------------------------

struct stream_state {
  static inline const char* name = "dynserv.http_event_stream";

  /// Seq of the last event written.
  uint64_t after = 0;
  std::shared_ptr<http_stream> out;
  std::chrono::steady_clock::time_point last_write;
};

/// Follows the event log after `after` and writes each event to `out` as a
/// server-sent event; ends when the client leaves, the node goes away or the
/// API shuts down.
caf::behavior event_stream_actor(caf::stateful_actor<stream_state>* self,
                                 state_ptr st, uint64_t after,
                                 std::shared_ptr<http_stream> out) {
  self->state.after = after;
  self->state.out = std::move(out);
  self->state.last_write = std::chrono::steady_clock::now();
  auto end = [self] {
    self->state.out->close();
    self->quit();
  };
  self->send(self, atom::tick_v);
  return {
    [self, st, end](atom::tick) {
      auto& s = self->state;
      if (st->stopping || !s.out->open())
        return end();
      auto now = std::chrono::steady_clock::now();
      if (now - s.last_write >= st->opts.stream_heartbeat) {
        if (!s.out->write(": heartbeat\n\n"))
          return end();
        s.last_write = now;
      }
      self
        ->request(st->opts.node, st->opts.node_timeout, atom::events_v, s.after,
                  stream_page)
        .then(
          [self, st, end](std::vector<event_record>& events) {
            auto& s = self->state;
            for (const auto& ev : events) {
              if (!s.out->write(sse_event(ev.seq, ev.reason, event_json(ev))))
                return end();
              s.after = ev.seq;
              s.last_write = std::chrono::steady_clock::now();
            }
            if (events.size() >= stream_page)
              self->send(self, atom::tick_v);
            else
              self->delayed_send(self, st->opts.stream_poll_interval,
                                 atom::tick_v);
          },
          [self, st, end](caf::error& err) {
            if (err == caf::sec::request_receiver_down) {
              spdlog::debug("http api: event stream ends: the node is gone");
              return end();
            }
            self->delayed_send(self, st->opts.stream_poll_interval,
                               atom::tick_v);
          });
    },
  };
}

// -- the handler --------------------------------------------------------------

/// Checks the query of `call.endpoint`; fills the call's filters.
std::optional<api_error> read_query(const std::string& raw_query,
                                    const http_request& req, api_call& call) {
  auto params = parse_query(raw_query);
  switch (call.endpoint) {
    case api_endpoint::list_servers: {
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
    case api_endpoint::list_events: {
      if (auto err = check_query(params, {"since", "limit"}))
        return err;
      if (auto since = query_value(params, "since")) {
        auto parsed = parse_uint("since", *since, 0,
                                 std::numeric_limits<uint64_t>::max());
        if (parsed.error)
          return parsed.error;
        call.since = parsed.value;
      }
      if (auto limit = query_value(params, "limit")) {
        auto parsed = parse_uint("limit", *limit, 1, max_event_limit);
        if (parsed.error)
          return parsed.error;
        call.limit = parsed.value;
      }
      return std::nullopt;
    }
    case api_endpoint::list_decisions: {
      if (auto err = check_query(params, {"limit"}))
        return err;
      call.limit = default_decision_limit;
      if (auto limit = query_value(params, "limit")) {
        auto parsed = parse_uint("limit", *limit, 1, max_decision_limit);
        if (parsed.error)
          return parsed.error;
        call.limit = parsed.value;
      }
      return std::nullopt;
    }
    case api_endpoint::event_stream: {
      if (auto err = check_query(params, {"since"}))
        return err;
      if (auto since = query_value(params, "since")) {
        auto parsed = parse_uint("since", *since, 0,
                                 std::numeric_limits<uint64_t>::max());
        if (parsed.error)
          return parsed.error;
        call.since = parsed.value;
      }
      // A reconnecting EventSource sends the last id it saw; it is newer
      // than the `since` of the URL it reconnects to.
      if (auto last = find_header(req.headers, "Last-Event-ID")) {
        auto parsed = parse_uint("Last-Event-ID", *last, 0,
                                 std::numeric_limits<uint64_t>::max());
        if (parsed.error)
          return parsed.error;
        call.since = parsed.value;
      }
      return std::nullopt;
    }
    default: return check_query(params, {});
  }
}

/// Checks the body of `call.endpoint`; fills the call's count.
std::optional<api_error> read_body(const http_request& req, api_call& call) {
  if (auto err = check_content_type(req.headers, req.body))
    return err;
  switch (call.endpoint) {
    case api_endpoint::set_desired: {
      auto res = parse_count_body(req.body, "count", std::nullopt);
      call.count = res.value;
      return res.error;
    }
    case api_endpoint::increase:
    case api_endpoint::decrease: {
      auto res = parse_count_body(req.body, "by", int64_t{1});
      call.count = res.value;
      return res.error;
    }
    case api_endpoint::reboot: {
      auto res = parse_reboot_body(req.body);
      call.max_unavailable = std::move(res.max_unavailable);
      return res.error;
    }
    case api_endpoint::abort_reboot:
    case api_endpoint::pause:
    case api_endpoint::resume:
    case api_endpoint::stop_server: return parse_empty_body(req.body);
    default:
      // GETs carry no body; one that comes anyway is ignored.
      return std::nullopt;
  }
}

void handle(const state_ptr& st, http_request& req, const exchange_ptr& ex) {
  auto [path, raw_query] = split_target(req.target);
  auto routed = route_request(req.method, path);
  if (!routed.match)
    return ex->respond(error_response(routed.error));
  const auto& route = *routed.match->route;
  api_call call;
  call.endpoint = route.endpoint;
  call.param = std::move(routed.match->param);
  if (call.endpoint == api_endpoint::healthz) {
    if (auto err = read_query(raw_query, req, call))
      return ex->respond(error_response(*err));
    return ex->respond(json_response(R"({"status":"ok"})"));
  }
  if (st->stopping)
    return ex->respond(error_response(
      make_api_error(503, "shutting_down", "the node is shutting down")));
  if (!route.always_public && (route.mutating || !st->opts.public_reads)) {
    switch (check_bearer(req.headers, st->opts.token)) {
      case auth_outcome::ok: st->consecutive_failures = 0; break;
      case auth_outcome::missing:
        return ex->respond(error_response(missing_token_error()));
      case auth_outcome::wrong: {
        auto failures = ++st->consecutive_failures;
        auto delay = login_refusal_delay(failures);
        spdlog::warn("http api: refused a wrong token for {} {} from {} ({} "
                     "in a row; answering after {} ms)",
                     req.method, loggable(path), loggable(req.remote), failures,
                     delay.count());
        st->sys.spawn(refusal_actor, ex, delay);
        return;
      }
    }
  }
  if (auto err = read_query(raw_query, req, call))
    return ex->respond(error_response(*err));
  if (auto err = read_body(req, call))
    return ex->respond(error_response(*err));
  if (call.param.size() > max_path_param_size) {
    bool is_pool = std::string_view{route.pattern}.find("{pool}")
                   != std::string_view::npos;
    return ex->respond(error_response(
      make_api_error(404, is_pool ? "unknown_pool" : "unknown_server",
                     is_pool ? "unknown pool (name too long)"
                             : "no server with such an id (too long)")));
  }
  if (route.mutating)
    spdlog::info("http api: {} {}{} from {}", req.method, loggable(path),
                 call.endpoint == api_endpoint::set_desired
                     || call.endpoint == api_endpoint::increase
                     || call.endpoint == api_endpoint::decrease
                   ? " " + std::to_string(call.count)
                 : !call.max_unavailable.empty()
                   ? " max_unavailable " + call.max_unavailable
                   : std::string{},
                 loggable(req.remote));
  switch (call.endpoint) {
    case api_endpoint::openapi: {
      auto res = json_response(openapi_document());
      return ex->respond(std::move(res));
    }
    case api_endpoint::metrics: {
      if (!st->opts.metrics)
        return ex->respond(error_response(
          make_api_error(404, "not_found",
                         "metrics are not enabled on this node")));
      http_response res;
      res.status = 200;
      res.headers.emplace_back("Content-Type",
                               "text/plain; version=0.0.4; charset=utf-8");
      res.body = st->opts.metrics();
      return ex->respond(std::move(res));
    }
    case api_endpoint::event_stream: {
      http_headers headers{{"Content-Type", "text/event-stream"},
                           {"Cache-Control", "no-cache"},
                           {"X-Accel-Buffering", "no"}};
      auto out = ex->stream(200, std::move(headers));
      if (!out)
        return;
      // Browsers reconnect after `retry` ms, sending Last-Event-ID.
      out->write("retry: 1000\n\n");
      st->sys.spawn(event_stream_actor, st, call.since, std::move(out));
      return;
    }
    default: st->sys.spawn(api_call_actor, st, std::move(call), ex);
  }
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
                    const std::string& token, node_actor node,
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
