// The HTTP API's endpoints answered without a node call (health, OpenAPI,
// metrics) and the event stream, which follows the event log from a
// polling actor.
#include "api/api_handlers.hpp"

#include "caf/actor_system.hpp"
#include "caf/sec.hpp"
#include "caf/stateful_actor.hpp"
#include "spdlog/spdlog.h"

#include "api/api_json.hpp"

namespace dynserv {

namespace {

/// Events per request of an event stream (more follow at once when full).
constexpr uint32_t stream_page = 1000;

struct stream_state {
  static inline const char* name = "dynserv.http_event_stream";

  /// Seq of the last event written.
  uint64_t after = 0;
  std::shared_ptr<http_stream> out;
  std::chrono::steady_clock::time_point last_write;
};

using stream_actor = caf::stateful_actor<stream_state>;

/// Writes `events` to the stream; false when the client left.
bool write_events(stream_actor* self, const std::vector<event_record>& events) {
  auto& s = self->state;
  for (const auto& ev : events) {
    if (!s.out->write(sse_event(ev.seq, ev.reason, event_json(ev))))
      return false;
    s.after = ev.seq;
    s.last_write = std::chrono::steady_clock::now();
  }
  return true;
}

/// Follows the event log after `after` and writes each event to `out` as a
/// server-sent event; ends when the client leaves, the node goes away or the
/// API shuts down.
caf::behavior event_stream_actor(stream_actor* self, api_state_ptr st,
                                 uint64_t after,
                                 std::shared_ptr<http_stream> out) {
  self->state.after = after;
  self->state.out = std::move(out);
  self->state.last_write = std::chrono::steady_clock::now();
  auto end = [self] {
    self->state.out->close();
    self->quit();
  };
  auto poll_later = [self, st] {
    self->delayed_send(self, st->opts.stream_poll_interval, atom::tick_v);
  };
  self->send(self, atom::tick_v);
  return {
    [self, st, end, poll_later](atom::tick) {
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
          [self, end, poll_later](std::vector<event_record>& events) {
            if (!write_events(self, events))
              return end();
            if (events.size() >= stream_page)
              self->send(self, atom::tick_v);
            else
              poll_later();
          },
          [end, poll_later](caf::error& err) {
            if (err == caf::sec::request_receiver_down) {
              spdlog::debug("http api: event stream ends: the node is gone");
              return end();
            }
            poll_later();
          });
    },
  };
}

} // namespace

void answer_liveness(const api_context& ctx, api_call&) {
  ctx.ex->respond(json_response(R"({"status":"ok"})"));
}

void serve_openapi(const api_context& ctx, api_call&) {
  ctx.ex->respond(json_response(openapi_document()));
}

void serve_metrics(const api_context& ctx, api_call&) {
  if (!ctx.st->opts.metrics)
    return ctx.ex->respond(error_response(
      api_error{404, "not_found", "metrics are not enabled on this node", {}}));
  http_response res;
  res.status = 200;
  res.headers.emplace_back("Content-Type",
                           "text/plain; version=0.0.4; charset=utf-8");
  res.body = ctx.st->opts.metrics();
  ctx.ex->respond(std::move(res));
}

void open_event_stream(const api_context& ctx, api_call& call) {
  http_headers headers{{"Content-Type", "text/event-stream"},
                       {"Cache-Control", "no-cache"},
                       {"X-Accel-Buffering", "no"}};
  auto out = ctx.ex->stream(200, std::move(headers));
  if (!out)
    return;
  // Browsers reconnect after `retry` ms, sending Last-Event-ID.
  out->write("retry: 1000\n\n");
  ctx.st->sys.spawn(event_stream_actor, ctx.st, call.since, std::move(out));
}

} // namespace dynserv
