// The pool supervisor: level-based reconcile of one pool, like syncReplicas.
#include "actors/pool_supervisor.hpp"

#include <algorithm>
#include <functional>
#include <memory>

#include "caf/typed_event_based_actor.hpp"
#include "spdlog/spdlog.h"

#include "actors/events.hpp"
#include "actors/policy_actor.hpp"
#include "actors/metrics.hpp"
#include "actors/server_actor.hpp"
#include "actors/server_naming.hpp"
#include "actors/stop_order.hpp"
#include "messages/errors.hpp"

namespace dynserv {

namespace {

using self_ptr = pool_actor::stateful_pointer<pool_state>;

pool_actor self_handle(self_ptr self) {
  return caf::actor_cast<pool_actor>(self);
}

int64_t now_ms(self_ptr self) {
  return self->state.ctx->now_ms();
}

/// Applies `f` to `child` while keeping `active` (the cached active count)
/// in step, so that a reconcile costs O(1) when nothing needs to change.
template <class F>
void modify(pool_state& st, pool_child& child, F f) {
  st.active -= is_active(child) ? 1 : 0;
  f(child);
  st.active += is_active(child) ? 1 : 0;
}

void reconcile_soon(self_ptr self) {
  auto& st = self->state;
  if (st.reconcile_scheduled)
    return;
  st.reconcile_scheduled = true;
  self->send(self_handle(self), atom::reconcile_v);
}

void spawn_child(self_ptr self, server_record rec) {
  auto& st = self->state;
  auto handle = self->spawn(server, rec, st.ctx, st.snapshots, st.provider,
                            self_handle(self));
  self->monitor(handle);
  auto id = rec.id;
  st.ids_by_addr[handle.address()] = id;
  auto& child = st.servers[id] = pool_child{handle, std::move(rec), false};
  st.active += is_active(child) ? 1 : 0;
}

/// Creates and starts `n` new servers (slots already granted by the node).
void create_servers(self_ptr self, int64_t n) {
  auto& st = self->state;
  for (int64_t i = 0; i < n; ++i) {
    server_record rec;
    rec.id = make_uuid(st.rng);
    rec.name = server_name(st.cfg.name, rec.id);
    rec.pool = st.cfg.name;
    rec.provider = st.cfg.provider;
    rec.status = server_status::pending;
    rec.previous_status = server_status::pending;
    rec.created_at_ms = now_ms(self);
    rec.status_since_ms = rec.created_at_ms;
    auto id = rec.id;
    spawn_child(self, std::move(rec));
    self->send(st.servers[id].handle, atom::start_v);
  }
}

/// One reconcile pass: switch on the difference between desired and active.
void reconcile(self_ptr self) {
  auto& st = self->state;
  auto diff = st.rec.desired - st.active;
  if (diff > 0) {
    if (st.reserve_in_flight)
      return;
    st.reserve_in_flight = true;
    self->request(st.node, caf::infinite, atom::reserve_v, st.cfg.name, diff)
      .then(
        [self](int64_t granted) {
          auto& st = self->state;
          st.reserve_in_flight = false;
          // Desired may have changed while we waited: take only what is
          // still needed and hand the rest back.
          auto needed = std::max<int64_t>(
            st.rec.desired - st.active, 0);
          auto used = std::min(granted, needed);
          if (granted > used)
            self->send(st.node, atom::release_v, st.cfg.name, granted - used);
          create_servers(self, used);
        },
        [self](caf::error& err) {
          self->state.reserve_in_flight = false;
          spdlog::error("pool {} cannot reserve servers: {}",
                        self->state.cfg.name, self->system().render(err));
        });
  } else if (diff < 0) {
    std::vector<server_record> candidates;
    for (const auto& [id, child] : st.servers)
      if (!child.stop_sent)
        candidates.push_back(child.rec);
    for (const auto& id : stop_order(candidates, static_cast<size_t>(-diff))) {
      auto& child = st.servers[id];
      modify(st, child, [](pool_child& c) { c.stop_sent = true; });
      self->request(child.handle, caf::infinite, atom::stop_v)
        .then([](const server_record&) {},
              [self, id](caf::error& err) {
                auto& st = self->state;
                auto i = st.servers.find(id);
                if (i != st.servers.end())
                  modify(st, i->second,
                         [](pool_child& c) { c.stop_sent = false; });
                spdlog::warn("pool {} could not stop {}: {}", st.cfg.name, id,
                             self->system().render(err));
              });
    }
  }
}

/// Clamps `wanted` to the pool's [min, max] and explains a clamp.
int64_t clamp_desired(self_ptr self, int64_t wanted, std::string& note) {
  const auto& cfg = self->state.cfg;
  auto clamped = std::clamp(wanted, cfg.min, cfg.max);
  if (clamped != wanted)
    note = "asked for " + std::to_string(wanted) + ", clamped to "
           + std::to_string(clamped) + " by the pool's min " +
           std::to_string(cfg.min) + " / max " + std::to_string(cfg.max);
  return clamped;
}

/// Sets the desired count and persists it (then reconciles). Returns false
/// in `.second` if nothing changed; otherwise `done` runs once the change is
/// durable.
std::pair<scale_reply, bool> change_desired(self_ptr self, int64_t wanted,
                           const std::string& why,
                           std::optional<int64_t> file_value,
                           std::function<void(const caf::error&)> done) {
  auto& st = self->state;
  scale_reply reply;
  reply.pool = st.cfg.name;
  reply.previous_desired = st.rec.desired;
  auto desired = clamp_desired(self, wanted, reply.note);
  reply.desired = desired;
  if (desired == st.rec.desired
      && (!file_value || *file_value == st.rec.file_desired)) {
    return {reply, false};
  }
  st.rec.desired = desired;
  metrics::global().pool_desired(st.cfg.name, desired);
  if (file_value)
    st.rec.file_desired = *file_value;
  st.rec.updated_at_ms = now_ms(self);
  std::vector<event_record> events;
  if (desired != reply.previous_desired) {
    auto msg = std::to_string(reply.previous_desired) + " -> "
               + std::to_string(desired) + " (" + why + ")";
    if (!reply.note.empty())
      msg += "; " + reply.note;
    events.push_back(pool_event_record(st.cfg.name, st.rec.updated_at_ms,
                                       reason::desired_changed, msg));
  }
  // Reconcile only once the new count is durable: a crash in between must
  // not leave servers created for a count the store does not know.
  self->request(st.snapshots, caf::infinite, atom::put_v, st.rec, events)
    .then(
      [self, done](uint64_t) {
        reconcile_soon(self);
        done(caf::none);
      },
      [self, done](caf::error& err) {
        spdlog::error("pool {} cannot persist its desired count: {}",
                      self->state.cfg.name, self->system().render(err));
        done(err);
      });
  return {reply, true};
}

/// Handler form of `change_desired`: replies once the count is durable.
caf::result<scale_reply> set_desired(self_ptr self, int64_t wanted,
                                     const std::string& why,
                                     std::optional<int64_t> file_value) {
  auto promise = self->make_response_promise<scale_reply>();
  auto reply = std::make_shared<scale_reply>();
  auto [result, persisting]
    = change_desired(self, wanted, why, file_value,
                     [promise, reply](const caf::error& err) mutable {
                       if (err)
                         promise.deliver(err);
                       else
                         promise.deliver(*reply);
                     });
  *reply = result;
  if (!persisting)
    promise.deliver(result);
  return promise;
}

caf::error check_count(int64_t n) {
  if (n < 0)
    return make_error(ec::invalid_argument,
                      "count must be zero or more, got " + std::to_string(n));
  return caf::none;
}

/// The pool as status queries report it.
pool_status make_status(self_ptr self) {
  auto& st = self->state;
  pool_status res;
  res.name = st.cfg.name;
  res.provider = st.cfg.provider;
  res.desired = st.rec.desired;
  res.min = st.cfg.min;
  res.max = st.cfg.max;
  res.counts.assign(server_status_count, 0);
  for (const auto& [id, child] : st.servers) {
    ++res.counts[static_cast<size_t>(child.rec.status)];
    res.servers.push_back(child.rec);
  }
  std::sort(res.servers.begin(), res.servers.end(),
            [](const auto& a, const auto& b) {
              return a.created_at_ms < b.created_at_ms;
            });
  res.policy = to_string(st.cfg.policy.kind);
  res.paused = st.rec.paused;
  res.dry_run = st.cfg.policy.guardrails.dry_run;
  res.active = st.active;
  return res;
}

/// Pauses or resumes the policy; replies once the flag is durable.
caf::result<pool_status> set_paused(self_ptr self, bool paused) {
  auto& st = self->state;
  if (st.rec.paused == paused)
    return make_status(self);
  st.rec.paused = paused;
  st.rec.updated_at_ms = now_ms(self);
  auto what = paused ? "policy paused: decisions are recorded, not applied"
                     : "policy resumed";
  if (!st.cfg.policy.active())
    what = paused ? "paused (the pool has no policy)"
                  : "resumed (the pool has no policy)";
  auto ev = pool_event_record(st.cfg.name, st.rec.updated_at_ms,
                              paused ? reason::policy_paused
                                     : reason::policy_resumed,
                              what);
  spdlog::info("pool {}: {}", st.cfg.name, what);
  auto promise = self->make_response_promise<pool_status>();
  self
    ->request(st.snapshots, caf::infinite, atom::put_v, st.rec,
              std::vector<event_record>{ev})
    .then([self, promise](uint64_t) mutable { promise.deliver(make_status(self)); },
          [promise](caf::error& err) mutable { promise.deliver(err); });
  return promise;
}

void spawn_policy(self_ptr self) {
  auto& st = self->state;
  st.policy = self->spawn(policy_worker, st.cfg.name, st.cfg.policy, st.ctx,
                          self_handle(self), st.node, st.provider,
                          st.snapshots);
  self->monitor(st.policy);
}

void on_child_down(self_ptr self, const caf::down_msg& msg) {
  auto& st = self->state;
  if (st.policy && msg.source == st.policy.address()) {
    // A policy that crashed must not take the pool with it; the servers are
    // unaffected. Restart it unless the pool is shutting down.
    if (st.stopping)
      return;
    spdlog::error("pool {}: policy actor died ({}); restarting it",
                  st.cfg.name, self->system().render(msg.reason));
    spawn_policy(self);
    return;
  }
  auto i = st.ids_by_addr.find(msg.source);
  if (i == st.ids_by_addr.end())
    return;
  auto id = i->second;
  st.ids_by_addr.erase(i);
  auto j = st.servers.find(id);
  if (j == st.servers.end())
    return;
  if (j->second.rec.status == server_status::deleted) {
    st.active -= is_active(j->second) ? 1 : 0;
    st.servers.erase(j);
    return;
  }
  // An unexpected death: restart from the last record, within intensity.
  auto now = now_ms(self);
  auto period = std::chrono::duration_cast<millis>(restart_period).count();
  while (!st.restarts.empty() && st.restarts.front() < now - period)
    st.restarts.pop_front();
  if (static_cast<int>(st.restarts.size()) >= max_restarts) {
    spdlog::error("pool {}: server actor {} died ({}); restart intensity "
                  "exceeded, leaving it down until the node restarts",
                  st.cfg.name, id, self->system().render(msg.reason));
    return;
  }
  st.restarts.push_back(now);
  spdlog::warn("pool {}: server actor {} died ({}); restarting it", st.cfg.name,
               id, self->system().render(msg.reason));
  auto rec = j->second.rec;
  st.active -= is_active(j->second) ? 1 : 0;
  st.servers.erase(j);
  spawn_child(self, std::move(rec));
}

} // namespace

bool is_active(const pool_child& child) {
  const auto& rec = child.rec;
  auto counts = rec.status == server_status::pending
                || is_provisioned(rec.status);
  return counts && !rec.stop_requested && !child.stop_sent;
}

int64_t active_count(const std::map<std::string, pool_child>& servers) {
  int64_t n = 0;
  for (const auto& [id, child] : servers)
    n += is_active(child) ? 1 : 0;
  return n;
}

pool_actor::behavior_type
pool_supervisor(pool_actor::stateful_pointer<pool_state> self, pool_config cfg,
                pool_record stored, std::vector<server_record> restored,
                actor_context_ptr ctx, snapshot_actor snapshots,
                provider_actor provider, node_actor node) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.ctx = std::move(ctx);
  st.snapshots = std::move(snapshots);
  st.provider = std::move(provider);
  st.node = std::move(node);
  st.rng.seed(std::random_device{}() ^ static_cast<uint64_t>(st.ctx->now_ms())
              ^ std::hash<std::string>{}(st.cfg.name) ^ st.ctx->seed);
  st.rec = std::move(stored);
  st.rec.name = st.cfg.name;
  metrics::global().pool_desired(st.cfg.name, st.rec.desired);
  self->set_down_handler(
    [self](caf::down_msg& msg) { on_child_down(self, msg); });
  // Server actors are monitored, not linked (one crashing server must not
  // take the pool down), so a shutdown is passed on to them explicitly.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    self->state.stopping = true;
    if (self->state.policy)
      self->send_exit(self->state.policy, msg.reason);
    for (auto& [id, child] : self->state.servers)
      self->send_exit(child.handle, msg.reason);
    self->quit(msg.reason);
  });
  for (auto& rec : restored) {
    if (rec.status == server_status::deleted)
      continue;
    auto pending = rec.status == server_status::pending;
    auto id = rec.id;
    spawn_child(self, std::move(rec));
    if (pending)
      self->send(st.servers[id].handle, atom::start_v);
  }
  // Apply the file's declared count (if it changed since last applied)
  // before any command can arrive.
  if (st.cfg.desired != st.rec.file_desired)
    change_desired(self, st.cfg.desired, "config file", st.cfg.desired,
                   [](const caf::error&) {});
  else
    reconcile_soon(self);
  self->delayed_send(self_handle(self), st.ctx->reconcile_interval,
                     atom::tick_v);
  if (st.cfg.policy.active())
    spawn_policy(self);
  return {
    [self](atom::ensure, int64_t n) -> caf::result<scale_reply> {
      if (auto err = check_count(n))
        return err;
      return set_desired(self, n, "ensure", std::nullopt);
    },
    [self](atom::ensure, int64_t n,
           const std::string& why) -> caf::result<scale_reply> {
      if (auto err = check_count(n))
        return err;
      return set_desired(self, n, why, std::nullopt);
    },
    [self](atom::pause) { return set_paused(self, true); },
    [self](atom::resume) { return set_paused(self, false); },
    [self](atom::evaluate) -> caf::result<decision_record> {
      auto& st = self->state;
      if (!st.policy)
        return make_error(ec::invalid_argument,
                          "pool " + st.cfg.name
                            + " has no policy (its count is set only by "
                              "ensure, increase and decrease)");
      return self->delegate(st.policy, atom::evaluate_v);
    },
    [self](atom::increase, int64_t n) -> caf::result<scale_reply> {
      if (auto err = check_count(n))
        return err;
      return set_desired(self, self->state.rec.desired + n,
                         "increase by " + std::to_string(n), std::nullopt);
    },
    [self](atom::decrease, int64_t n) -> caf::result<scale_reply> {
      if (auto err = check_count(n))
        return err;
      auto wanted = std::max<int64_t>(self->state.rec.desired - n, 0);
      return set_desired(self, wanted, "decrease by " + std::to_string(n),
                         std::nullopt);
    },
    [self](atom::reload, int64_t file_desired) -> caf::result<scale_reply> {
      auto& st = self->state;
      if (file_desired == st.rec.file_desired) {
        // The file did not change: a count set at run time holds.
        reconcile_soon(self);
        return scale_reply{st.cfg.name, st.rec.desired, st.rec.desired,
                           "config file unchanged; keeping the current count"};
      }
      return set_desired(self, file_desired, "config file", file_desired);
    },
    [self](atom::reboot) -> int64_t {
      auto& st = self->state;
      int64_t affected = 0;
      for (auto& [id, child] : st.servers) {
        if (!is_provisioned(child.rec.status) || child.stop_sent
            || child.rec.stop_requested)
          continue;
        ++affected;
        self->request(child.handle, caf::infinite, atom::reboot_v)
          .then([](const server_record&) {},
                [self, id = id](caf::error& err) {
                  spdlog::warn("pool {} could not reboot {}: {}",
                               self->state.cfg.name, id,
                               self->system().render(err));
                });
      }
      auto ev = pool_event_record(st.cfg.name, now_ms(self),
                                  reason::reboot_requested,
                                  std::to_string(affected) + " servers");
      caf::anon_send(st.snapshots, atom::put_v, std::vector<event_record>{ev});
      return affected;
    },
    [self](atom::stop, const std::string& id) -> caf::result<server_record> {
      auto& st = self->state;
      auto i = st.servers.find(id);
      if (i == st.servers.end())
        return make_error(ec::unknown_server,
                          "pool " + st.cfg.name + " has no server " + id);
      return self->delegate(i->second.handle, atom::stop_v);
    },
    [self](atom::get) -> pool_status { return make_status(self); },
    [self](atom::record, server_record& rec) {
      auto& st = self->state;
      auto i = st.servers.find(rec.id);
      if (i == st.servers.end())
        return;
      auto& child = i->second;
      auto was_deleted = child.rec.status == server_status::deleted;
      modify(st, child, [&rec](pool_child& c) { c.rec = std::move(rec); });
      if (!was_deleted && child.rec.status == server_status::deleted)
        self->send(st.node, atom::release_v, st.cfg.name, int64_t{1});
      reconcile_soon(self);
    },
    [self](atom::adopt, server_record& rec) -> caf::result<server_record> {
      auto& st = self->state;
      if (st.servers.count(rec.id) > 0)
        return make_error(ec::invalid_argument, "pool " + st.cfg.name
                                                  + " already has server "
                                                  + rec.id);
      rec.pool = st.cfg.name;
      rec.provider = st.cfg.provider;
      auto what = rec.stop_requested || rec.status == server_status::stopping
                      || rec.status == server_status::stopped
                      || rec.status == server_status::deleting
                    ? "; it will be stopped and deleted"
                    : "";
      auto ev = server_event_record(rec, now_ms(self), reason::orphan_adopted,
                                    "provider id " + rec.provider_id + " in "
                                      + to_string(rec.status) + what);
      // Persisted first: once the server actor calls the provider, a crash
      // restores it from this record like any other server.
      auto promise = self->make_response_promise<server_record>();
      self
        ->request(st.snapshots, caf::infinite, atom::put_v, rec,
                  std::vector<event_record>{ev})
        .then(
          [self, rec, promise](uint64_t) mutable {
            auto& st = self->state;
            spdlog::info("pool {} adopted server {} ({} at provider {})",
                         st.cfg.name, rec.id, rec.provider_id, rec.provider);
            if (st.servers.count(rec.id) == 0)
              spawn_child(self, rec);
            reconcile_soon(self);
            promise.deliver(rec);
          },
          [promise](caf::error& err) mutable { promise.deliver(err); });
      return promise;
    },
    [self](atom::reconcile) {
      self->state.reconcile_scheduled = false;
      reconcile(self);
    },
    [self](atom::tick) {
      reconcile(self);
      self->delayed_send(self_handle(self), self->state.ctx->reconcile_interval,
                         atom::tick_v);
    },
  };
}

} // namespace dynserv
