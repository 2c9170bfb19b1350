// The policy actor: evaluate, guard, apply, record.
#include "actors/policy_actor.hpp"

#include <algorithm>
#include <optional>

#include "caf/event_based_actor.hpp"
#include "caf/typed_event_based_actor.hpp"
#include "spdlog/spdlog.h"

#include "messages/errors.hpp"
#include "messages/events.hpp"
#include "policies/http_metric.hpp"
#include "policies/schedule.hpp"

namespace dynserv {

namespace {

using self_ptr = policy_actor::stateful_pointer<policy_state>;

/// Decisions read back on start: enough to refill the stabilization window.
constexpr uint32_t max_restored_decisions = 10'000;

policy_actor self_handle(self_ptr self) {
  return caf::actor_cast<policy_actor>(self);
}

int64_t now_ms(self_ptr self) {
  return self->state.ctx->now_ms();
}

/// What one evaluation has gathered so far.
struct evaluation {
  policy_output out;
  pool_status pool;
  limits_info limits;
  std::optional<int64_t> budget;
};

using evaluation_ptr = std::shared_ptr<evaluation>;

/// Ends an evaluation: answers every waiting `evaluate` request.
void finish(self_ptr self, const caf::expected<decision_record>& res) {
  auto& st = self->state;
  st.busy = false;
  auto waiting = std::move(st.waiting);
  st.waiting.clear();
  for (auto& promise : waiting) {
    if (res)
      promise.deliver(*res);
    else
      promise.deliver(res.error());
  }
}

/// Persists `d` (with `events`) and ends the evaluation.
void record(self_ptr self, decision_record d,
            std::vector<event_record> events) {
  auto& st = self->state;
  // One line per minute and pool would drown the log: only decisions that
  // change something or hold on a failure are worth info.
  if (d.applied || d.mode == "held" || d.mode == "failed")
    spdlog::info("pool {} policy: {}", st.pool_name, d.summary);
  else
    spdlog::debug("pool {} policy: {}", st.pool_name, d.summary);
  self->request(st.snapshots, policy_request_timeout, atom::put_v, d, events)
    .then([self, d](uint64_t) { finish(self, d); },
          [self](caf::error& err) {
            spdlog::error("pool {} cannot record a policy decision: {}",
                          self->state.pool_name, self->system().render(err));
            finish(self, err);
          });
}

/// Metric failure and recovery events (one per failure streak and text).
std::vector<event_record> metric_events(self_ptr self, const policy_output& out,
                                        int64_t at_ms) {
  auto& st = self->state;
  std::vector<event_record> events;
  if (st.spec.kind != policy_kind::http_metric
      && st.spec.kind != policy_kind::callback)
    return events;
  if (!out.ok) {
    if (!st.metric_failing || st.last_failure != out.input)
      events.push_back(pool_event_record(st.pool_name, at_ms,
                                         reason::metric_failed,
                                         out.input + "; holding the count"));
    st.metric_failing = true;
    st.last_failure = out.input;
  } else if (st.metric_failing) {
    events.push_back(pool_event_record(st.pool_name, at_ms,
                                       reason::metric_recovered, out.input));
    st.metric_failing = false;
    st.last_failure.clear();
  }
  return events;
}

/// Runs the guardrails on what `ev` gathered, applies the result and
/// records the decision.
void decide(self_ptr self, const evaluation_ptr& ev) {
  auto& st = self->state;
  const auto& ps = ev->pool;
  auto at = std::max(now_ms(self), st.last_at_ms + 1);
  st.last_at_ms = at;
  decision_record d;
  d.pool = st.pool_name;
  d.at_ms = at;
  d.policy = to_string(st.spec.kind);
  d.input = ev->out.input;
  d.previous_desired = ps.desired;
  d.active = ps.active;
  if (ps.counts.size() == server_status_count)
    d.starting = ps.counts[static_cast<size_t>(server_status::pending)]
                 + ps.counts[static_cast<size_t>(server_status::starting)];
  d.mode = ps.paused                    ? "paused"
           : st.spec.guardrails.dry_run ? "dry_run"
                                        : "applied";
  auto events = metric_events(self, ev->out, at);
  if (!ev->out.ok) {
    // Never zero on a failed metric: hold the current count.
    d.wanted = -1;
    d.result = ps.desired;
    d.mode = "held";
    d.action = "holding " + std::to_string(ps.desired);
    d.summary = summary_text(d);
    record(self, std::move(d), std::move(events));
    return;
  }
  guardrail_input in;
  in.wanted = ev->out.count;
  in.pool = {ps.desired, ps.active, d.starting, ps.min, ps.max};
  in.node = {ev->limits.max_servers, ev->limits.allocated};
  in.api_budget = ev->budget;
  in.history.assign(st.history.begin(), st.history.end());
  in.last_change_ms = st.last_change_ms;
  in.now_ms = at;
  in.cfg = st.spec.guardrails;
  auto res = run_guardrails(in);
  st.history.push_back({at, ev->out.count});
  trim_history(st.history, at, st.spec.guardrails.stabilization_window);
  d.wanted = ev->out.count;
  d.steps = std::move(res.steps);
  d.result = res.count;
  d.action = action_text(ps.active, res.count);
  if (res.count > ps.active && ps.breaker.state != "closed")
    d.action += " when the circuit breaker lets it (" + ps.breaker.state + ": "
                + ps.breaker.reason + ")";
  d.summary = summary_text(d);
  if (d.mode != "applied" || res.count == ps.desired) {
    record(self, std::move(d), std::move(events));
    return;
  }
  self
    ->request(st.pool, policy_request_timeout, atom::ensure_v, res.count,
              "policy: " + d.summary)
    .then(
      [self, d, events](scale_reply& reply) mutable {
        d.applied = reply.desired != reply.previous_desired;
        if (d.applied)
          self->state.last_change_ms = d.at_ms;
        record(self, std::move(d), std::move(events));
      },
      [self, d, events](caf::error& err) mutable {
        d.mode = "failed";
        d.action = "could not set the count: " + self->system().render(err);
        d.summary = summary_text(d);
        record(self, std::move(d), std::move(events));
      });
}

/// Gathers the pool's, the node's and the provider's state, then decides.
void gather(self_ptr self, evaluation_ptr ev) {
  auto& st = self->state;
  self->request(st.pool, policy_request_timeout, atom::get_v)
    .then(
      [self, ev](pool_status& ps) {
        ev->pool = std::move(ps);
        ev->pool.servers.clear(); // not needed, can be large
        auto& st = self->state;
        self->request(st.node, policy_request_timeout, atom::limits_v)
          .then(
            [self, ev](limits_info& info) {
              ev->limits = std::move(info);
              auto& st = self->state;
              self->request(st.provider, policy_request_timeout, atom::limits_v)
                .then(
                  [self, ev](rate_budget& b) {
                    if (b.known())
                      ev->budget = b.remaining;
                    decide(self, ev);
                  },
                  [self, ev](caf::error&) {
                    // Unknown budget: that guardrail does not apply.
                    decide(self, ev);
                  });
            },
            [self](caf::error& err) { finish(self, err); });
      },
      [self](caf::error& err) { finish(self, err); });
}

/// The blocking fetch, in an actor of its own.
caf::behavior fetch_worker(caf::event_based_actor* self, metric_fetcher fetch,
                           http_metric_spec spec) {
  return {
    [self, fetch, spec](atom::get) {
      auto sample = fetch ? fetch(spec) : fetch_metric(spec);
      self->quit();
      return caf::make_message(sample.ok, sample.value, sample.error);
    },
  };
}

/// A registered callback, in an actor of its own (user code may block).
caf::behavior callback_worker(caf::event_based_actor* self, count_callback fn,
                              std::string pool) {
  return {
    [self, fn, pool](atom::get) {
      self->quit();
      try {
        auto n = fn(pool);
        if (!n)
          return caf::make_message(false, int64_t{0},
                                   std::string{"the callback gave no count"});
        return caf::make_message(true, *n, std::string{});
      } catch (const std::exception& e) {
        return caf::make_message(
          false, int64_t{0}, "the callback threw: " + std::string{e.what()});
      } catch (...) {
        return caf::make_message(false, int64_t{0},
                                 std::string{"the callback threw"});
      }
    },
  };
}

/// Starts one evaluation.
void evaluate(self_ptr self) {
  auto& st = self->state;
  if (st.busy)
    return;
  st.busy = true;
  auto ev = std::make_shared<evaluation>();
  switch (st.spec.kind) {
    case policy_kind::fixed:
      ev->out = evaluate_fixed(st.spec.fixed_count);
      break;
    case policy_kind::schedule:
      if (st.zone)
        ev->out = evaluate_schedule(st.spec.schedule, *st.zone, now_ms(self));
      else
        ev->out.input = "time zone unavailable: " + st.zone_error;
      break;
    case policy_kind::http_metric: {
      auto fetcher = st.ctx->detached_fetches
                       ? self->spawn<caf::detached>(fetch_worker,
                                                    st.ctx->fetch_metric,
                                                    st.spec.http_metric)
                       : self->spawn(fetch_worker, st.ctx->fetch_metric,
                                     st.spec.http_metric);
      // The fetch has its own timeouts; this one only guards against a
      // fetch that never returns.
      auto timeout = st.spec.http_metric.timeout * 3 + std::chrono::seconds{5};
      self->request(fetcher, timeout, atom::get_v)
        .then(
          [self, ev](bool ok, double value, std::string& error) {
            ev->out = metric_output(self->state.spec.http_metric,
                                    metric_sample{ok, value, error});
            gather(self, ev);
          },
          [self, ev, fetcher](caf::error& err) {
            self->send_exit(fetcher, caf::exit_reason::kill);
            ev->out
              = metric_output(self->state.spec.http_metric,
                              metric_sample{false, 0,
                                            "the fetch did not finish: "
                                              + self->system().render(err)});
            gather(self, ev);
          });
      return;
    }
    case policy_kind::callback: {
      auto i = st.ctx->callbacks.find(st.pool_name);
      if (i == st.ctx->callbacks.end() || !i->second) {
        ev->out.input = "no callback registered for this pool";
        break;
      }
      auto worker = st.ctx->detached_fetches
                      ? self->spawn<caf::detached>(callback_worker, i->second,
                                                   st.pool_name)
                      : self->spawn(callback_worker, i->second, st.pool_name);
      self->request(worker, policy_request_timeout, atom::get_v)
        .then(
          [self, ev](bool ok, int64_t n, std::string& error) {
            ev->out.ok = ok;
            ev->out.count = std::max<int64_t>(n, 0);
            ev->out.input = ok ? "callback returned " + std::to_string(n)
                               : "callback unavailable: " + error;
            gather(self, ev);
          },
          [self, ev, worker](caf::error& err) {
            self->send_exit(worker, caf::exit_reason::kill);
            ev->out.input = "callback unavailable: "
                            + self->system().render(err);
            gather(self, ev);
          });
      return;
    }
    case policy_kind::external:
      finish(self, make_error(ec::invalid_argument,
                              "pool " + st.pool_name + " has no policy"));
      return;
  }
  gather(self, ev);
}

/// Refills the stabilization window and the cooldown from stored decisions.
void restore(self_ptr self, const std::vector<decision_record>& newest_first) {
  auto& st = self->state;
  auto now = now_ms(self);
  auto since = now - st.spec.guardrails.stabilization_window.count();
  for (const auto& d : newest_first) {
    st.last_at_ms = std::max(st.last_at_ms, d.at_ms);
    if (d.applied && st.last_change_ms == 0)
      st.last_change_ms = d.at_ms;
    if (d.wanted >= 0 && d.at_ms > since && d.at_ms <= now)
      st.history.push_front({d.at_ms, d.wanted});
  }
}

} // namespace

policy_actor::behavior_type
policy_worker(policy_actor::stateful_pointer<policy_state> self,
              std::string pool_name, policy_spec spec, actor_context_ptr ctx,
              pool_actor pool, node_actor node, provider_actor provider,
              snapshot_actor snapshots) {
  auto& st = self->state;
  st.pool_name = std::move(pool_name);
  st.spec = std::move(spec);
  st.ctx = std::move(ctx);
  st.pool = std::move(pool);
  st.node = std::move(node);
  st.provider = std::move(provider);
  st.snapshots = std::move(snapshots);
  if (st.spec.kind == policy_kind::schedule) {
    st.zone = load_time_zone(st.spec.schedule.time_zone, &st.zone_error);
    if (!st.zone)
      spdlog::error("pool {} policy: time zone {}: {}", st.pool_name,
                    st.spec.schedule.time_zone, st.zone_error);
  }
  // The policy lives and dies with its pool (the pool monitors it rather
  // than linking, so that a crashing policy cannot take the pool down).
  self->monitor(st.pool);
  self->set_down_handler([self](caf::down_msg& msg) {
    if (msg.source == self->state.pool.address())
      self->quit(msg.reason);
  });
  auto interval = std::max<int64_t>(st.ctx->policy_interval.count(), 1);
  auto limit = static_cast<uint32_t>(std::min<int64_t>(
    st.spec.guardrails.stabilization_window.count() / interval + 2,
    max_restored_decisions));
  // Evaluate only once earlier decisions are back: a restart must not
  // forget the window and scale down at once.
  self
    ->request(st.snapshots, policy_request_timeout, atom::decisions_v,
              st.pool_name, limit)
    .then(
      [self](std::vector<decision_record>& stored) {
        restore(self, stored);
        self->state.restored = true;
        self->send(self_handle(self), atom::tick_v);
      },
      [self](caf::error& err) {
        spdlog::warn("pool {} policy: cannot read earlier decisions ({}); "
                     "starting with an empty stabilization window",
                     self->state.pool_name, self->system().render(err));
        self->state.restored = true;
        self->send(self_handle(self), atom::tick_v);
      });
  return {
    [self](atom::evaluate) -> caf::result<decision_record> {
      auto promise = self->make_response_promise<decision_record>();
      self->state.waiting.push_back(promise);
      // One under way answers this request too; otherwise start one (after
      // the restore, which starts one itself).
      if (self->state.restored)
        evaluate(self);
      return promise;
    },
    [self](atom::tick) {
      evaluate(self);
      self->delayed_send(self_handle(self), self->state.ctx->policy_interval,
                         atom::tick_v);
    },
  };
}

} // namespace dynserv
