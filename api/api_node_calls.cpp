// The HTTP API's endpoints that ask the node: one short-lived actor per
// request, so that no HTTP I/O thread ever waits for an actor.
#include "api/api_handlers.hpp"

#include <algorithm>
#include <limits>

#include "caf/actor_system.hpp"
#include "caf/sec.hpp"

#include "api/api_json.hpp"
#include "messages/errors.hpp"

namespace dynserv {

namespace {

api_error make_api_error(int status, std::string code, std::string message) {
  return api_error{status, std::move(code), std::move(message), {}};
}

std::string unknown_pool_message(const std::vector<pool_status>& pools,
                                 const std::string& name) {
  std::string known;
  for (const auto& p : pools)
    known += (known.empty() ? "" : ", ") + p.name;
  return "unknown pool \"" + name + "\" (known: " + known + ")";
}

/// `{"<key>":[<json of each item>]}`.
template <class T, class ToJson>
std::string
list_document(const char* key, const std::vector<T>& items, ToJson to_json) {
  std::string body = std::string{"{\""} + key + "\":[";
  for (size_t i = 0; i < items.size(); ++i)
    body += (i > 0 ? "," : "") + to_json(items[i]);
  return body + "]}";
}

/// Answers with the scale reply of ensure/increase/decrease.
auto scaled(const node_call& c) {
  return [c](scale_reply& r) { c.answer_json(scale_json(r)); };
}

/// Answers with the rollout of reboot/abort.
auto rollout_of(const node_call& c) {
  return [c](const rollout_record& r) {
    c.answer_json(reboot_json(c.call.param, r));
  };
}

/// Answers with one server record.
auto server_of(const node_call& c) {
  return [c](server_record& rec) { c.answer_json(server_json(rec)); };
}

/// Answers with one pool.
auto pool_of(const node_call& c) {
  return [c](pool_status& p) { c.answer_json(pool_json(p)); };
}

/// Keeps the actor alive until a reply handler answers and quits.
caf::behavior node_call_actor(caf::event_based_actor* self, api_state_ptr st,
                              api_call call, std::shared_ptr<http_exchange> ex,
                              node_handler handler) {
  handler(node_call{self, std::move(st), std::move(ex), std::move(call)});
  return {[](atom::tick) {}};
}

} // namespace

// -- node_call ----------------------------------------------------------------

void node_call::answer(http_response res) const {
  ex->respond(std::move(res));
  self->quit();
}

void node_call::answer(const api_error& err) const {
  answer(error_response(err));
}

void node_call::answer_json(std::string body) const {
  answer(json_response(std::move(body)));
}

api_error node_call::error_of(const caf::error& err) const {
  if (err.category() == error_category) {
    auto code = static_cast<ec>(err.code());
    std::string message = to_string(code);
    const auto& ctx = err.context();
    if (ctx.match_elements<std::string>())
      message = ctx.get_as<std::string>(0);
    int status = 500;
    switch (code) {
      case ec::unknown_pool:
      case ec::unknown_server:
        status = 404;
        break;
      case ec::invalid_argument:
        status = 422;
        break;
      case ec::invalid_transition:
        status = 409;
        break;
      default:
        break;
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

void spawn_node_call(const api_context& ctx, api_call& call,
                     node_handler handler) {
  ctx.st->sys.spawn(node_call_actor, ctx.st, std::move(call), ctx.ex, handler);
}

// -- pools --------------------------------------------------------------------

void list_pools(const node_call& c) {
  c.ask(atom::status_v)
    .then(
      [c](std::vector<pool_status>& pools) {
        c.answer_json(list_document("pools", pools, [](const pool_status& p) {
          return pool_json(p);
        }));
      },
      c.failure());
}

void get_pool(const node_call& c) {
  c.ask(atom::status_v)
    .then(
      [c](std::vector<pool_status>& pools) {
        const auto& name = c.call.param;
        for (const auto& p : pools)
          if (p.name == name)
            return c.answer_json(pool_json(p, true));
        c.answer(make_api_error(404, "unknown_pool",
                                unknown_pool_message(pools, name)));
      },
      c.failure());
}

void set_desired(const node_call& c) {
  c.ask(atom::ensure_v, c.call.param, c.call.count)
    .then(scaled(c), c.failure());
}

void increase_desired(const node_call& c) {
  c.ask(atom::increase_v, c.call.param, c.call.count)
    .then(scaled(c), c.failure());
}

void decrease_desired(const node_call& c) {
  c.ask(atom::decrease_v, c.call.param, c.call.count)
    .then(scaled(c), c.failure());
}

void start_reboot(const node_call& c) {
  c.ask(atom::reboot_v, c.call.param, c.call.max_unavailable)
    .then(rollout_of(c), c.failure());
}

void abort_reboot(const node_call& c) {
  c.ask(atom::abort_v, c.call.param).then(rollout_of(c), [c](caf::error& err) {
    // The node's only invalid_argument here: nothing to abort. That is
    // the pool's state, not the request's content: 409.
    auto res = c.error_of(err);
    if (res.code == "invalid_argument") {
      res.status = 409;
      res.code = "no_rollout";
    }
    c.answer(res);
  });
}

void pause_policy(const node_call& c) {
  c.ask(atom::pause_v, c.call.param).then(pool_of(c), c.failure());
}

void resume_policy(const node_call& c) {
  c.ask(atom::resume_v, c.call.param).then(pool_of(c), c.failure());
}

void list_decisions(const node_call& c) {
  c.ask(atom::decisions_v, c.call.param, static_cast<uint32_t>(c.call.limit))
    .then(
      [c](std::vector<decision_record>& ds) {
        c.answer_json(list_document("decisions", ds, decision_json));
      },
      c.failure());
}

// -- servers and events -------------------------------------------------------

void list_servers(const node_call& c) {
  c.ask(atom::status_v)
    .then(
      [c](std::vector<pool_status>& pools) {
        const auto& pool = c.call.pool_filter;
        auto known = std::any_of(pools.begin(), pools.end(),
                                 [&](const auto& p) { return p.name == pool; });
        if (!pool.empty() && !known)
          return c.answer(make_api_error(404, "unknown_pool",
                                         unknown_pool_message(pools, pool)));
        auto servers = select_servers(pools, pool, c.call.status_filter);
        c.answer_json(list_document("servers", servers, server_json));
      },
      c.failure());
}

void get_server(const node_call& c) {
  c.ask(atom::server_v, c.call.param).then(server_of(c), c.failure());
}

void stop_server(const node_call& c) {
  c.ask(atom::stop_v, c.call.param).then(server_of(c), c.failure());
}

void list_events(const node_call& c) {
  c.ask(atom::events_v, c.call.since, static_cast<uint32_t>(c.call.limit))
    .then(
      [c](std::vector<event_record>& events) {
        auto last = c.call.since;
        for (const auto& ev : events)
          last = std::max(last, ev.seq);
        auto body = list_document("events", events, event_json);
        body.pop_back();
        c.answer_json(body + ",\"last_seq\":" + std::to_string(last) + "}");
      },
      c.failure());
}

void list_webhooks(const node_call& c) {
  // The node answers within its per-webhook timeout even when a webhook is
  // blocked on its receiver (that one carries an error).
  c.ask(atom::status_v, atom::webhooks_v)
    .then(
      [c](std::vector<webhook_status>& hooks) {
        c.answer_json(webhooks_json(hooks));
      },
      c.failure());
}

// -- health -------------------------------------------------------------------

void check_readiness(const node_call& c) {
  // The node check asks the supervisor (limits); the store check reads
  // an event, which goes through the snapshot actor to the store.
  struct checks {
    std::string node;
    std::string store;
    int pending = 2;
  };
  auto result = std::make_shared<checks>();
  auto done = [c, result] {
    if (--result->pending > 0)
      return;
    if (result->node.empty() && result->store.empty())
      return c.answer_json(
        R"({"status":"ready","checks":{"node":"ok","store":"ok"}})");
    std::string why;
    if (!result->node.empty())
      why = "node: " + result->node;
    if (!result->store.empty())
      why += (why.empty() ? "" : "; ") + std::string{"store: "} + result->store;
    c.answer(make_api_error(503, "not_ready", why));
  };
  c.ask(atom::limits_v)
    .then([done](limits_info&) { done(); },
          [c, result, done](caf::error& err) {
            result->node = c.error_of(err).message;
            done();
          });
  auto after = std::numeric_limits<uint64_t>::max() - 1;
  c.ask(atom::events_v, after, uint32_t{1})
    .then([done](std::vector<event_record>&) { done(); },
          [c, result, done](caf::error& err) {
            result->store = c.error_of(err).message;
            done();
          });
}

} // namespace dynserv
