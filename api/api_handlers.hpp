// The handlers the HTTP API's routing table (api/api_endpoints.cpp) names:
// one function per endpoint. Local ones answer on the HTTP I/O thread; node
// calls run in a short-lived actor (`on_node`) that asks the node and
// answers from its reply. Internal to api/.
#pragma once

#include <chrono>
#include <memory>
#include <utility>

#include "caf/event_based_actor.hpp"

#include "api/api_call.hpp"
#include "api/http_api_state.hpp"
#include "api/http_router.hpp"

namespace dynserv {

/// A checked request's exchange, as an endpoint's runner sees it.
struct api_context {
  api_state_ptr st;
  std::shared_ptr<http_exchange> ex;
};

/// One node call in flight: the short-lived actor that makes it, the
/// request, and how to answer. Cheap to copy into reply handlers.
struct node_call {
  caf::event_based_actor* self;
  api_state_ptr st;
  std::shared_ptr<http_exchange> ex;
  api_call call;

  /// Sends `xs...` to the node with the API's node timeout.
  template <class... Ts>
  auto ask(Ts&&... xs) const {
    return self->request(st->opts.node, st->opts.node_timeout,
                         std::forward<Ts>(xs)...);
  }

  /// Answers the client and ends the actor.
  void answer(http_response res) const;

  /// Answers the client with an error and ends the actor.
  void answer(const api_error& err) const;

  /// Answers the client with 200 and `body` and ends the actor.
  void answer_json(std::string body) const;

  /// The answer to a failed node call (404/409/422 for the node's own
  /// errors, 503 when the node is slow or gone).
  api_error error_of(const caf::error& err) const;

  /// A reply handler that answers with `error_of`.
  auto failure() const {
    return [c = *this](caf::error& err) { c.answer(c.error_of(err)); };
  }
};

/// A handler that asks the node; it must end in exactly one `answer`.
using node_handler = void (*)(const node_call& c);

/// Spawns the actor that runs `handler` for `call`.
void spawn_node_call(const api_context& ctx, api_call& call,
                     node_handler handler);

/// The runner of an endpoint answered by asking the node.
template <node_handler Handler>
void on_node(const api_context& ctx, api_call& call) {
  spawn_node_call(ctx, call, Handler);
}

// -- answered by the node (api/api_node_calls.cpp) ----------------------------

void list_pools(const node_call& c);
void get_pool(const node_call& c);
void set_desired(const node_call& c);
void increase_desired(const node_call& c);
void decrease_desired(const node_call& c);
void start_reboot(const node_call& c);
void abort_reboot(const node_call& c);
void pause_policy(const node_call& c);
void resume_policy(const node_call& c);
void list_decisions(const node_call& c);
void list_servers(const node_call& c);
void get_server(const node_call& c);
void stop_server(const node_call& c);
void list_events(const node_call& c);
void list_webhooks(const node_call& c);
/// Ready when the node answers (limits) and the store can be read.
void check_readiness(const node_call& c);

// -- answered on the I/O thread (api/api_local_answers.cpp) -------------------

void answer_liveness(const api_context& ctx, api_call& call);
void serve_openapi(const api_context& ctx, api_call& call);
void serve_metrics(const api_context& ctx, api_call& call);
/// Opens the server-sent event stream and spawns the actor that follows
/// the event log.
void open_event_stream(const api_context& ctx, api_call& call);

} // namespace dynserv
