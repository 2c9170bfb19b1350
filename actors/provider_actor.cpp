// The provider actor: priority queue + token bucket + batched polling.
#include "actors/provider_actor.hpp"

#include <unordered_map>

#include "caf/typed_event_based_actor.hpp"
#include "spdlog/spdlog.h"

namespace dynserv {

namespace {

using self_ptr = provider_actor::stateful_pointer<provider_actor_state>;

provider_actor self_handle(self_ptr self) {
  return caf::actor_cast<provider_actor>(self);
}

int64_t steady_ms(self_ptr self) {
  return std::chrono::duration_cast<millis>(
           self->clock().now().time_since_epoch())
    .count();
}

/// Counts the call and honours a Retry-After from the provider.
void account(self_ptr self, const char* op, const provider_reply& reply) {
  auto& st = self->state;
  ++st.stats.calls[op];
  if (reply.budget.known())
    st.last_budget = reply.budget;
  if (reply.error.retry_after_ms > 0)
    st.limiter->penalize(steady_ms(self) + reply.error.retry_after_ms);
  if (!reply.ok())
    spdlog::debug("provider {} {} failed: {} {} {}", st.cfg.account, op,
                  to_string(reply.error.kind), reply.error.code,
                  reply.error.message);
}

/// Runs queued jobs while tokens last; re-arms itself when they run out.
void drain(self_ptr self) {
  auto& st = self->state;
  for (;;) {
    auto next = std::find_if(st.jobs.begin(), st.jobs.end(),
                             [](const auto& q) { return !q.empty(); });
    if (next == st.jobs.end())
      return;
    auto now = steady_ms(self);
    auto& front = next->front();
    if (front.deadline_ms > 0 && now > front.deadline_ms) {
      auto job = std::move(front);
      next->pop_front();
      ++st.stats.expired;
      job.expire();
      continue;
    }
    if (!st.limiter->try_acquire(now)) {
      if (!st.drain_scheduled) {
        ++st.stats.throttled;
        st.drain_scheduled = true;
        auto wait = std::max<int64_t>(st.limiter->wait_ms(now), 1);
        self->delayed_send(self_handle(self), millis{wait}, atom::drain_v);
      }
      return;
    }
    auto job = std::move(next->front());
    next->pop_front();
    job.run();
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
    auto reply = fn(*self->state.impl);
    account(self, op, reply);
    promise.deliver(std::move(reply));
  };
  job.expire = [promise, op]() mutable {
    provider_error err{error_kind::transient, "queued",
                       std::string{op} + " waited past the call timeout in "
                         + "the rate-limit queue; not sent",
                       0};
    promise.deliver(provider_reply{err, {}});
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
  auto reply = st.impl->list({{labels::owner, st.cfg.owner}});
  account(self, "list", reply);
  if (!reply.ok()) {
    for (auto& obs : waiting)
      obs.promise.deliver(provider_reply{reply.error, {}});
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
      obs.promise.deliver(provider_reply{{}, {*i->second}});
      continue;
    }
    auto provider_id = obs.provider_id;
    auto promise = obs.promise;
    queued_job job;
    job.run = [self, provider_id, promise]() mutable {
      auto r = self->state.impl->get(provider_id);
      account(self, "get", r);
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
      auto promise = self->make_response_promise<provider_reply>();
      self->state.observers.push_back({std::move(id), std::move(pid), promise});
      schedule_tick(self);
      return promise;
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
    [self](atom::limits) -> rate_budget {
      auto& st = self->state;
      auto now = steady_ms(self);
      rate_budget res;
      auto tokens = st.limiter->available(now);
      res.limit = static_cast<int64_t>(
        std::min(st.limiter->options().burst, 1e15));
      res.remaining = static_cast<int64_t>(std::min(tokens, 1e15));
      // A budget that has been reset since the provider reported it says
      // nothing any more.
      const auto& remote = st.last_budget;
      auto wall = std::chrono::duration_cast<millis>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
      if (remote.known()
          && (remote.reset_at_ms == 0 || remote.reset_at_ms > wall)) {
        res.remaining = std::min(res.remaining, remote.remaining);
        res.reset_at_ms = remote.reset_at_ms;
        if (remote.limit >= 0)
          res.limit = remote.limit;
      }
      return res;
    },
    [self](atom::tick) {
      auto& st = self->state;
      st.tick_scheduled = false;
      if (st.observers.empty() || st.poll_queued)
        return;
      st.poll_queued = true;
      queued_job job;
      job.run = [self] { poll_round(self); };
      st.jobs[static_cast<size_t>(prio::poll)].push_back(std::move(job));
      drain(self);
    },
    [self](atom::drain) {
      self->state.drain_scheduled = false;
      drain(self);
    },
  };
}

} // namespace dynserv
