// The provider actor: priority queue + token bucket + batched polling.
#include "actors/provider_actor.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "caf/typed_event_based_actor.hpp"
#include "spdlog/spdlog.h"

#include "telemetry/metrics.hpp"

namespace dynserv {

namespace {

using self_ptr = provider_actor::stateful_pointer<provider_actor_state>;

/// Longest pause the budget reserve imposes at once (the providers'
/// windows are at most an hour).
constexpr int64_t max_budget_pause_ms = 60 * 60 * 1000;

provider_actor self_handle(self_ptr self) {
  return caf::actor_cast<provider_actor>(self);
}

int64_t steady_ms(self_ptr self) {
  return std::chrono::duration_cast<millis>(
           self->clock().now().time_since_epoch())
    .count();
}

using call_clock = std::chrono::steady_clock;

/// Whether the budget reserve holds back the calls of `prio` at `now`.
bool budget_blocks(const provider_actor_state& st, call_priority prio,
                   int64_t now) {
  if (st.budget_pause_until == 0 || now >= st.budget_pause_until)
    return false;
  // Deletes and stops save money: they go out while any budget is left.
  auto saves_money = prio == call_priority::destroy
                     || prio == call_priority::stop;
  return !saves_money || st.budget_left <= 0;
}

/// Applies the budget reserve after a reply: with `remaining <= reserve *
/// limit`, calls other than deletes and stops pause until the provider's
/// budget is expected above the reserve again (see docs/design.md,
/// "Provider economy").
void check_budget(self_ptr self) {
  auto& st = self->state;
  const auto& b = st.stats.last_budget;
  if (b.limit <= 0 || st.budget_left < 0)
    return;
  auto keep = st.cfg.budget_reserve * static_cast<double>(b.limit);
  if (static_cast<double>(st.budget_left) > keep) {
    st.budget_pause_until = 0;
    return;
  }
  std::optional<int64_t> wait;
  auto wall = st.cfg.wall_now();
  if (b.reset_at_ms > 0)
    wait = std::max<int64_t>(b.reset_at_ms - wall, 0);
  if (st.cfg.budget_refill_per_second > 0) {
    // Tokens until one more than the reserve is free again.
    auto missing = std::floor(keep) + 1 - static_cast<double>(st.budget_left);
    auto refill = static_cast<int64_t>(
      std::ceil(missing * 1000.0 / st.cfg.budget_refill_per_second));
    wait = wait ? std::min(*wait, refill) : refill;
  }
  // Nothing says when: look again after a poll interval (one call then
  // refreshes the budget).
  auto pause = std::clamp<int64_t>(wait.value_or(st.cfg.poll_interval.count()),
                                   1, max_budget_pause_ms);
  auto now = steady_ms(self);
  if (st.budget_pause_until == 0 || now >= st.budget_pause_until) {
    ++st.stats.budget_pauses;
    spdlog::info("provider {}: {} of {} requests left, at or below the "
                 "reserve of {}; only deletes and stops go out for {} ms",
                 st.cfg.account, st.budget_left, b.limit, keep, pause);
  }
  st.budget_pause_until = now + pause;
}

/// Counts the call (started at `started`, real time: the provider blocks
/// the thread), charges the bucket for the requests beyond the one paid
/// before the call, and honours Retry-After and the reported budget.
void account(self_ptr self, const char* op, const provider_reply& reply,
             call_clock::time_point started) {
  auto& st = self->state;
  auto now = steady_ms(self);
  ++st.stats.calls[op];
  st.stats.requests[op] += reply.requests;
  if (reply.requests > 1)
    st.limiter->spend(now, static_cast<double>(reply.requests - 1));
  if (reply.error.kind == error_kind::rate_limited)
    ++st.stats.rate_limited;
  if (reply.error.retry_after_ms > 0)
    st.limiter->penalize(now + reply.error.retry_after_ms);
  if (reply.budget.known()) {
    st.stats.last_budget = reply.budget;
    st.stats.last_budget_at_ms = st.cfg.wall_now();
    st.budget_left = reply.budget.remaining;
    check_budget(self);
  } else if (st.budget_left >= 0) {
    // No headers this time (e.g. no response at all): assume the requests
    // counted.
    st.budget_left = std::max<int64_t>(st.budget_left - reply.requests, 0);
    check_budget(self);
  }
  auto& m = metrics::global();
  m.provider_call(
    st.cfg.account, op, reply,
    std::chrono::duration<double>(call_clock::now() - started).count());
  m.provider_tokens(st.cfg.account, st.limiter->available(now));
  if (!reply.ok())
    spdlog::debug("provider {} {} failed: {} {} {}", st.cfg.account, op,
                  to_string(reply.error.kind), reply.error.code,
                  reply.error.message);
}

/// Answers the jobs whose caller gave up (deadline before `now`), in every
/// class, without sending them.
void expire_overdue_jobs(self_ptr self, int64_t now) {
  auto& st = self->state;
  for (auto& q : st.jobs) {
    while (!q.empty() && q.front().deadline_ms > 0
           && now > q.front().deadline_ms) {
      auto job = std::move(q.front());
      q.pop_front();
      ++st.stats.expired;
      job.expire();
    }
  }
}

/// The queue of the most urgent class with work that the budget reserve lets
/// out at `now`; sets `held_back` when it skipped a class with work.
std::deque<queued_job>* next_ready_queue(provider_actor_state& st, int64_t now,
                                         bool& held_back) {
  held_back = false;
  for (size_t i = 0; i < st.jobs.size(); ++i) {
    if (st.jobs[i].empty())
      continue;
    if (budget_blocks(st, static_cast<call_priority>(i), now))
      held_back = true;
    else
      return &st.jobs[i];
  }
  return nullptr;
}

/// The admission step: takes the next job in priority order if the budget
/// reserve lets its class out and the token bucket pays for it. Otherwise
/// arms the drain timer for when that changes and returns nothing.
std::optional<queued_job> admit_next_job(self_ptr self, int64_t now) {
  auto& st = self->state;
  bool held_back = false;
  auto next = next_ready_queue(st, now, held_back);
  if (next == nullptr) {
    if (held_back && !st.budget_drain_scheduled) {
      st.budget_drain_scheduled = true;
      self->delayed_send(self_handle(self), millis{st.budget_pause_until - now},
                         atom::drain_v);
    }
    return std::nullopt;
  }
  if (!st.limiter->try_acquire(now)) {
    if (!st.drain_scheduled) {
      ++st.stats.throttled;
      st.drain_scheduled = true;
      auto wait = std::max<int64_t>(st.limiter->wait_ms(now), 1);
      self->delayed_send(self_handle(self), millis{wait}, atom::drain_v);
    }
    return std::nullopt;
  }
  auto job = std::move(next->front());
  next->pop_front();
  return job;
}

/// Runs queued jobs while tokens last, in priority order, skipping the
/// classes the budget reserve holds back; re-arms itself when tokens run
/// out or a budget pause ends.
void drain(self_ptr self) {
  for (;;) {
    auto now = steady_ms(self);
    expire_overdue_jobs(self, now);
    auto job = admit_next_job(self, now);
    if (!job)
      return;
    job->run();
  }
}

/// Queues a call and returns the promise its result will be delivered to.
template <class Call>
caf::typed_response_promise<provider_reply>
submit(self_ptr self, call_priority prio, const char* op, Call fn) {
  auto promise = self->make_response_promise<provider_reply>();
  queued_job job;
  job.deadline_ms = steady_ms(self) + self->state.cfg.call_timeout.count();
  job.run = [self, promise, op, fn]() mutable {
    auto started = call_clock::now();
    auto reply = fn(*self->state.impl);
    account(self, op, reply, started);
    promise.deliver(std::move(reply));
  };
  job.expire = [promise, op]() mutable {
    provider_error err{error_kind::transient, "queued",
                       std::string{op} + " waited past the call timeout in "
                         + "the rate-limit queue; not sent",
                       0};
    provider_reply reply;
    reply.error = std::move(err);
    reply.requests = 0; // never sent
    promise.deliver(std::move(reply));
  };
  self->state.jobs[static_cast<size_t>(prio)].push_back(std::move(job));
  drain(self);
  return promise;
}

/// Serves every waiting observer with one list call; servers missing from
/// the list get a direct get, because only a not-found answer proves that a
/// server is gone (lists can lag behind creates).
void poll_round(self_ptr self) {
  auto& st = self->state;
  st.poll_queued = false;
  auto waiting = std::move(st.observers);
  st.observers.clear();
  if (waiting.empty())
    return;
  ++st.stats.poll_rounds;
  auto started = call_clock::now();
  auto reply = st.impl->list({{labels::owner, st.cfg.owner}});
  account(self, "list", reply, started);
  if (!reply.ok()) {
    for (auto& obs : waiting) {
      provider_reply failed;
      failed.error = reply.error;
      obs.promise.deliver(std::move(failed));
    }
    return;
  }
  std::unordered_map<std::string, const cloud_server*> by_id;
  for (const auto& srv : reply.servers) {
    auto i = srv.labels.find(labels::id);
    if (i != srv.labels.end())
      by_id.emplace(i->second, &srv);
  }
  for (auto& obs : waiting) {
    auto i = by_id.find(obs.server_id);
    if (i != by_id.end() && i->second->provider_id == obs.provider_id) {
      ++st.stats.observations;
      provider_reply found;
      found.servers.push_back(*i->second);
      obs.promise.deliver(std::move(found));
      continue;
    }
    auto provider_id = obs.provider_id;
    auto promise = obs.promise;
    queued_job job;
    job.run = [self, provider_id, promise]() mutable {
      auto started = call_clock::now();
      auto r = self->state.impl->get(provider_id);
      account(self, "get", r, started);
      promise.deliver(std::move(r));
    };
    st.jobs[static_cast<size_t>(call_priority::other)].push_back(
      std::move(job));
  }
}

void schedule_tick(self_ptr self) {
  auto& st = self->state;
  if (st.tick_scheduled)
    return;
  st.tick_scheduled = true;
  self->delayed_send(self_handle(self), st.cfg.poll_interval, atom::tick_v);
}

/// Parks a server until the next poll round observes it.
caf::typed_response_promise<provider_reply>
add_observer(self_ptr self, std::string id, std::string pid) {
  auto promise = self->make_response_promise<provider_reply>();
  self->state.observers.push_back({std::move(id), std::move(pid), promise});
  schedule_tick(self);
  return promise;
}

/// On a poll tick: queues one poll round for the waiting observers (at the
/// lowest priority, paid for by the bucket like any call).
void queue_poll_round(self_ptr self) {
  auto& st = self->state;
  st.tick_scheduled = false;
  if (st.observers.empty() || st.poll_queued)
    return;
  st.poll_queued = true;
  queued_job job;
  job.run = [self] { poll_round(self); };
  st.jobs[static_cast<size_t>(call_priority::poll)].push_back(std::move(job));
  drain(self);
}

/// What this node may still spend: the local bucket, narrowed by the
/// provider's own budget while its last report is still current.
rate_budget current_limits(self_ptr self) {
  auto& st = self->state;
  auto now = steady_ms(self);
  rate_budget res;
  auto tokens = st.limiter->available(now);
  res.limit = static_cast<int64_t>(std::min(st.limiter->options().burst, 1e15));
  res.remaining = static_cast<int64_t>(std::min(tokens, 1e15));
  // A budget that has been reset since the provider reported it says
  // nothing any more. `budget_left` is the reported remainder minus the
  // requests made since.
  const auto& remote = st.stats.last_budget;
  auto wall = st.cfg.wall_now();
  if (remote.known() && st.budget_left >= 0
      && (remote.reset_at_ms == 0 || remote.reset_at_ms > wall)) {
    res.remaining = std::min(res.remaining, st.budget_left);
    res.reset_at_ms = remote.reset_at_ms;
    if (remote.limit >= 0)
      res.limit = remote.limit;
  }
  return res;
}

} // namespace

provider_actor::behavior_type
provider_worker(provider_actor::stateful_pointer<provider_actor_state> self,
                provider_actor_config cfg, std::shared_ptr<provider> impl) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.impl = std::move(impl);
  st.limiter.emplace(st.cfg.rate_limit, steady_ms(self));
  using prio = call_priority;
  return {
    [self](atom::create, create_request& req) -> caf::result<provider_reply> {
      return submit(self, prio::create, "create",
                    [req](provider& p) { return p.create(req); });
    },
    [self](atom::lookup, std::string& id) -> caf::result<provider_reply> {
      label_map selector{{labels::owner, self->state.cfg.owner},
                         {labels::id, id}};
      return submit(self, prio::other, "list",
                    [selector](provider& p) { return p.list(selector); });
    },
    [self](atom::get, std::string& pid) -> caf::result<provider_reply> {
      return submit(self, prio::other, "get",
                    [pid](provider& p) { return p.get(pid); });
    },
    [self](atom::observe, std::string& id,
           std::string& pid) -> caf::result<provider_reply> {
      return add_observer(self, std::move(id), std::move(pid));
    },
    [self](atom::list) -> caf::result<provider_reply> {
      label_map selector{{labels::owner, self->state.cfg.owner}};
      return submit(self, prio::other, "list",
                    [selector](provider& p) { return p.list(selector); });
    },
    [self](atom::stop, std::string& pid) -> caf::result<provider_reply> {
      return submit(self, prio::stop, "stop",
                    [pid](provider& p) { return p.stop(pid); });
    },
    [self](atom::start, std::string& pid) -> caf::result<provider_reply> {
      return submit(self, prio::other, "start",
                    [pid](provider& p) { return p.start(pid); });
    },
    [self](atom::reboot, std::string& pid) -> caf::result<provider_reply> {
      return submit(self, prio::other, "reboot",
                    [pid](provider& p) { return p.reboot(pid); });
    },
    [self](atom::destroy, std::string& pid) -> caf::result<provider_reply> {
      return submit(self, prio::destroy, "delete",
                    [pid](provider& p) { return p.destroy(pid); });
    },
    [self](atom::limits) -> rate_budget { return current_limits(self); },
    [self](atom::tick) { queue_poll_round(self); },
    [self](atom::drain) {
      // One message type serves both timers; clearing both flags at worst
      // arms one timer more.
      self->state.drain_scheduled = false;
      self->state.budget_drain_scheduled = false;
      drain(self);
    },
  };
}

} // namespace dynserv
