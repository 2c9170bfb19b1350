// The pool supervisor: level-based reconcile of one pool, like syncReplicas.
// The decisions are made by pure planners (pool_scaling, pool_remediation,
// pool_lifetime, pool_rollout, circuit_breaker, stop_order); this file wires
// them to the children, the node and the store. The operator commands are in
// pool_commands.cpp.
#include "actors/pool_supervisor.hpp"

#include <algorithm>
#include <functional>

#include "caf/typed_event_based_actor.hpp"
#include "spdlog/spdlog.h"

#include "actors/policy_actor.hpp"
#include "actors/pool_commands.hpp"
#include "actors/pool_lifetime.hpp"
#include "actors/pool_rollout.hpp"
#include "actors/pool_scaling.hpp"
#include "actors/server_actor.hpp"
#include "actors/server_naming.hpp"
#include "messages/errors.hpp"
#include "messages/events.hpp"
#include "telemetry/metrics.hpp"

namespace dynserv {

// The functions declared in pool_commands.hpp are shared with
// pool_commands.cpp; the others are used only here.
namespace pool_detail {

pool_actor self_handle(self_ptr self) {
  return caf::actor_cast<pool_actor>(self);
}

int64_t now_ms(self_ptr self) {
  return self->state.ctx->now_ms();
}

/// The pool's max_lifetime now, for stop_order and the lifetime planner.
server_expiry expiry(self_ptr self) {
  return {now_ms(self), self->state.cfg.max_lifetime.count()};
}

// -- persistence --------------------------------------------------------------

/// Sends the collected changes of the pool record as one write, unless a
/// write is in flight (its answer sends the next).
void write_pool(self_ptr self) {
  auto& st = self->state;
  const auto* batch = st.writer.start();
  if (batch == nullptr)
    return;
  st.rec.updated_at_ms = now_ms(self);
  auto finished = [self](const caf::error* err) {
    auto& st = self->state;
    if (err)
      spdlog::error("pool {} cannot persist its record: {}", st.cfg.name,
                    self->system().render(*err));
    st.writer.finish(err);
    write_pool(self);
  };
  self->request(st.snapshots, caf::infinite, atom::put_v, st.rec, batch->events)
    .then([finished](uint64_t) { finished(nullptr); },
          [finished](caf::error& err) { finished(&err); });
}

/// Persists the pool record (desired count, rollout, breaker) with
/// `events`, then runs `then` on success or `failed` on an error (a reboot
/// that is not durable is not sent, and its caller hears why). The record
/// written is the one at the time of the write, so it includes every change
/// made before this call.
void persist_pool(self_ptr self, std::vector<event_record> events,
                  pool_record_writer::done_fn then,
                  pool_record_writer::failed_fn failed) {
  self->state.writer.add(std::move(events), std::move(then), std::move(failed));
  write_pool(self);
}

/// Stores events that change no pool record (remediation, expiry, policy).
void store_events(self_ptr self, std::vector<event_record> events) {
  if (!events.empty())
    caf::anon_send(self->state.snapshots, atom::put_v, std::move(events));
}

void reconcile_soon(self_ptr self) {
  auto& st = self->state;
  if (st.reconcile_scheduled)
    return;
  st.reconcile_scheduled = true;
  self->send(self_handle(self), atom::reconcile_v);
}

// -- children -----------------------------------------------------------------

void spawn_child(self_ptr self, server_record rec) {
  auto& st = self->state;
  auto handle = self->spawn(server, rec, st.ctx, st.snapshots, st.provider,
                            self_handle(self));
  self->monitor(handle);
  st.servers.add(std::move(handle), std::move(rec));
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
    self->send(st.servers.find(id)->handle, atom::start_v);
    st.breaker->on_create_sent();
  }
}

/// Sends a stop to `id` on behalf of the pool (scale-down, remediation,
/// max_lifetime); a refused stop counts the server again.
void send_stop(self_ptr self, const std::string& id) {
  auto& st = self->state;
  const auto* child = st.servers.find(id);
  if (child == nullptr)
    return;
  st.servers.set_stop_sent(id, true);
  self->request(child->handle, caf::infinite, atom::stop_v)
    .then([](const server_record&) {},
          [self, id](caf::error& err) {
            auto& st = self->state;
            st.servers.set_stop_sent(id, false);
            st.servers.set_retiring(id, false);
            spdlog::warn("pool {} could not stop {}: {}", st.cfg.name, id,
                         self->system().render(err));
          });
}

// -- breaker, lifetime, remediation -------------------------------------------

/// Reports a breaker change in events, metrics and the pool record.
void breaker_changed(self_ptr self, circuit_breaker::change ch) {
  auto& st = self->state;
  const auto& b = st.breaker->state();
  auto ev = describe_change(ch, b);
  if (!ev)
    return;
  st.rec.breaker = b;
  metrics::global().breaker_state(st.cfg.name, b.state);
  if (ch == circuit_breaker::change::opened) {
    metrics::global().breaker_opened(st.cfg.name);
    // Look again when the backoff has passed.
    self->delayed_send(self_handle(self), millis{b.backoff_ms},
                       atom::reconcile_v);
  }
  spdlog::warn("pool {}: circuit breaker {}: {}", st.cfg.name, b.state,
               ev->message);
  persist_pool(self, {pool_event_record(st.cfg.name, now_ms(self), ev->reason,
                                        ev->message)});
}

/// Stops retiring servers once their replacements run, or at once if no
/// replacement can be made.
void stop_retiring(self_ptr self, bool replacement_impossible) {
  auto& st = self->state;
  for (const auto& id :
       retiring_to_stop(st.servers, st.rec.desired, replacement_impossible))
    send_stop(self, id);
}

/// Retires the oldest server past max_lifetime (one at a time, only while
/// the pool is otherwise settled) or stops the retiring one.
void check_lifetime(self_ptr self) {
  auto& st = self->state;
  auto may_replace = !st.rec.rollout.running() && st.breaker->closed();
  auto step = plan_lifetime(st.servers, st.rec.desired, may_replace,
                            expiry(self));
  for (const auto& id : step.stop)
    send_stop(self, id);
  if (step.retire.empty())
    return;
  st.servers.set_retiring(step.retire, true);
  metrics::global().expired(st.cfg.name);
  auto msg = expired_message(st.cfg.max_lifetime.count(), step.retire_age_ms);
  spdlog::info("pool {}: server {} {}", st.cfg.name, step.retire, msg);
  const auto& rec = st.servers.find(step.retire)->rec;
  store_events(self,
               {server_event_record(rec, now_ms(self), reason::expired, msg)});
  reconcile_soon(self);
}

/// Stops hanging and errored servers as the remediation planner decides.
void remediate(self_ptr self) {
  auto& st = self->state;
  if (st.servers.troubled().empty())
    return;
  auto now = now_ms(self);
  std::vector<event_record> events;
  for (auto& step : st.remediation.plan(st.servers, now)) {
    const auto& rec = st.servers.find(step.id)->rec;
    if (step.what == remediation_step::kind::give_up) {
      events.push_back(server_event_record(
        rec, now, reason::remediation_gave_up, std::move(step.message)));
      continue;
    }
    spdlog::warn("pool {}: remediating server {}: {}", st.cfg.name, step.id,
                 step.message);
    events.push_back(
      server_event_record(rec, now, reason::remediating, step.message));
    metrics::global().remediated(st.cfg.name, step.status);
    send_stop(self, step.id);
  }
  store_events(self, std::move(events));
}

// -- rolling reboot -----------------------------------------------------------

/// Sends the reboots the rollout picked (they are durable by now).
void send_reboots(self_ptr self, const std::vector<std::string>& picked) {
  auto& st = self->state;
  for (const auto& id : picked) {
    const auto* child = st.servers.find(id);
    if (child == nullptr)
      continue;
    self->request(child->handle, caf::infinite, atom::reboot_v)
      .then([](const server_record&) {},
            [self, id](caf::error& err) {
              auto& st = self->state;
              if (!skip_in_rollout(st.rec.rollout, id))
                return;
              auto msg = "server " + id
                         + " refused the reboot: " + self->system().render(err);
              spdlog::warn("pool {}: {}", st.cfg.name, msg);
              advance_rollout(
                self, {pool_event_record(st.cfg.name, now_ms(self),
                                         reason::rollout_skipped, msg)});
            });
  }
}

/// Sends the rollout's next reboots (persisting the rollout first) and
/// finishes it when nothing is left.
void advance_rollout(self_ptr self, std::vector<event_record> events) {
  auto& st = self->state;
  auto& r = st.rec.rollout;
  auto now = now_ms(self);
  auto step = step_rollout(r, st.servers, now);
  if (step.finished) {
    auto msg = finished_message(r);
    spdlog::info("pool {}: rolling reboot finished: {}", st.cfg.name, msg);
    events.push_back(
      pool_event_record(st.cfg.name, now, reason::rollout_finished, msg));
  }
  if (r.running() || step.finished)
    metrics::global().rollout_remaining(
      st.cfg.name, static_cast<int64_t>(r.waiting.size() + r.rebooting.size()));
  if (step.reboot.empty() && events.empty() && step.skipped == 0)
    return;
  // The picks are durable before any reboot goes out: after a crash the
  // rollout knows which servers may be rebooting.
  persist_pool(self, std::move(events),
               [self, picked = std::move(step.reboot)] {
                 send_reboots(self, picked);
               });
}

// -- reconcile ----------------------------------------------------------------

/// Asks the node for slots for the creates the breaker allows, then creates
/// what is still needed.
void scale_up(self_ptr self, int64_t missing) {
  auto& st = self->state;
  if (st.reserve_in_flight)
    return;
  auto allowed = st.breaker->allowed(now_ms(self), missing);
  breaker_changed(self, st.breaker->take_change());
  if (allowed <= 0) {
    // A retiring server cannot be replaced now: keep it.
    for (const auto& id : retiring_unstopped(st.servers))
      st.servers.set_retiring(id, false);
    return;
  }
  st.reserve_in_flight = true;
  st.creates_allowed = allowed;
  self->request(st.node, caf::infinite, atom::reserve_v, st.cfg.name, allowed)
    .then(
      [self](int64_t granted) {
        auto& st = self->state;
        st.reserve_in_flight = false;
        auto use = use_grant(granted, st.rec.desired, st.servers.active(),
                             st.creates_allowed);
        if (use.release > 0)
          self->send(st.node, atom::release_v, st.cfg.name, use.release);
        if (use.short_of_slots && st.cfg.max_lifetime.count() > 0)
          stop_retiring(self, true);
        create_servers(self, use.create);
      },
      [self](caf::error& err) {
        self->state.reserve_in_flight = false;
        spdlog::error("pool {} cannot reserve servers: {}",
                      self->state.cfg.name, self->system().render(err));
      });
}

/// One reconcile pass: switch on the difference between desired and active.
void reconcile(self_ptr self) {
  auto& st = self->state;
  remediate(self);
  auto diff = st.rec.desired - st.servers.active();
  if (diff > 0) {
    scale_up(self, diff);
  } else if (diff < 0) {
    auto n = static_cast<size_t>(-diff);
    for (const auto& id : scale_down_picks(st.servers, n, expiry(self)))
      send_stop(self, id);
  }
}

// -- policy actor -------------------------------------------------------------

void spawn_policy(self_ptr self) {
  auto& st = self->state;
  st.policy = self->spawn(policy_worker, st.cfg.name, st.cfg.policy, st.ctx,
                          self_handle(self), st.node, st.provider,
                          st.snapshots);
  self->monitor(st.policy);
}

/// A policy that crashed must not take the pool with it (the servers are
/// unaffected): it is restarted within the restart intensity, beyond which
/// it stays down, the count holds and the pool says why.
void on_policy_down(self_ptr self, const caf::error& reason) {
  auto& st = self->state;
  if (st.stopping)
    return;
  auto why = self->system().render(reason);
  if (st.policy_restarts.allow(now_ms(self))) {
    spdlog::error("pool {}: policy actor died ({}); restarting it", st.cfg.name,
                  why);
    spawn_policy(self);
    return;
  }
  st.policy = policy_actor{};
  st.policy_down = "the policy actor died more than "
                   + std::to_string(max_restarts) + " times within "
                   + format_duration(restart_period) + " (last: " + why
                   + "); it stays down until the node restarts and the "
                     "desired count holds at "
                   + std::to_string(st.rec.desired)
                   + " (ensure, increase and decrease still work)";
  spdlog::error("pool {}: {}", st.cfg.name, st.policy_down);
  store_events(self, {pool_event_record(st.cfg.name, now_ms(self),
                                        reason::policy_restart_limit_hit,
                                        st.policy_down)});
}

// -- server actors ------------------------------------------------------------

/// A server actor ended: forgotten once deleted, else restarted from its
/// last record within the restart intensity.
void on_server_down(self_ptr self, const std::string& id,
                    const caf::error& reason) {
  auto& st = self->state;
  const auto* child = st.servers.find(id);
  if (child == nullptr)
    return;
  if (child->rec.status == server_status::deleted) {
    st.servers.erase(id);
    st.remediation.forget(id);
    return;
  }
  if (!st.server_restarts.allow(now_ms(self))) {
    spdlog::error("pool {}: server actor {} died ({}); restart intensity "
                  "exceeded, leaving it down until the node restarts",
                  st.cfg.name, id, self->system().render(reason));
    return;
  }
  spdlog::warn("pool {}: server actor {} died ({}); restarting it", st.cfg.name,
               id, self->system().render(reason));
  auto rec = child->rec;
  st.servers.erase(id);
  spawn_child(self, std::move(rec));
}

void on_child_down(self_ptr self, const caf::down_msg& msg) {
  auto& st = self->state;
  if (st.policy && msg.source == st.policy.address())
    return on_policy_down(self, msg.reason);
  if (auto id = st.servers.take_address(msg.source))
    on_server_down(self, *id, msg.reason);
}

/// A server reported its new record: feed the breaker, remediation, the
/// rollout and max_lifetime, then reconcile.
void on_record(self_ptr self, server_record& rec) {
  auto& st = self->state;
  const auto* child = st.servers.find(rec.id);
  if (child == nullptr)
    return;
  auto id = rec.id;
  auto old_status = child->rec.status;
  auto status = rec.status;
  st.servers.update_record(id, std::move(rec));
  const auto& now_rec = st.servers.find(id)->rec;
  if (old_status != server_status::deleted && status == server_status::deleted)
    self->send(st.node, atom::release_v, st.cfg.name, int64_t{1});
  if (auto failed = create_failed(old_status, status))
    breaker_changed(self, st.breaker->record(*failed, now_ms(self)));
  if (status != old_status
      && (status == server_status::hanging
          || status == server_status::errored)) {
    // A stop sent earlier ended here: remediation may stop it again.
    st.servers.set_stop_sent(id, false);
    auto delay = st.cfg.remediation.delay;
    if (delay.count() > 0)
      self->delayed_send(self_handle(self), delay, atom::reconcile_v);
  }
  if (st.rec.rollout.running()) {
    auto ch = observe_rollout(st.rec.rollout, old_status, now_rec);
    std::vector<event_record> events;
    if (ch == rollout_change::skipped)
      events.push_back(server_event_record(
        now_rec, now_ms(self), reason::rollout_skipped,
        std::string{"left the rolling reboot while "} + to_string(status)));
    // A server that is running now may be next.
    if (ch != rollout_change::none || status != old_status)
      advance_rollout(self, std::move(events));
  }
  if (status != old_status && st.cfg.max_lifetime.count() > 0)
    stop_retiring(self, false);
  reconcile_soon(self);
}

// -- start --------------------------------------------------------------------

/// Spawns the restored servers (starting the pending ones) and carries on
/// a rollout interrupted by a restart.
void restore(self_ptr self, std::vector<server_record> restored) {
  auto& st = self->state;
  for (auto& rec : restored) {
    if (rec.status == server_status::deleted)
      continue;
    auto pending = rec.status == server_status::pending;
    auto id = rec.id;
    spawn_child(self, std::move(rec));
    if (pending)
      self->send(st.servers.find(id)->handle, atom::start_v);
  }
  if (!st.rec.rollout.running())
    return;
  // Reboots that may not have been sent are sent (again).
  restore_rollout(st.rec.rollout, [&st](const std::string& id) {
    return rollout_status(st.servers, id);
  });
  spdlog::info("pool {}: resuming rolling reboot: {}", st.cfg.name,
               describe(st.rec.rollout));
  advance_rollout(self);
}

/// Sets up the state, the down and exit handlers and the children.
void start(self_ptr self, pool_config cfg, pool_record stored,
           std::vector<server_record> restored) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.rng.seed(std::random_device{}() ^ static_cast<uint64_t>(st.ctx->now_ms())
              ^ std::hash<std::string>{}(st.cfg.name) ^ st.ctx->seed);
  st.rec = std::move(stored);
  st.rec.name = st.cfg.name;
  st.breaker.emplace(st.cfg.breaker, st.rec.breaker);
  st.rec.breaker = st.breaker->state();
  st.remediation = pool_remediation{st.cfg.remediation};
  metrics::global().pool_desired(st.cfg.name, st.rec.desired);
  metrics::global().breaker_state(st.cfg.name, st.rec.breaker.state);
  self->set_down_handler(
    [self](caf::down_msg& msg) { on_child_down(self, msg); });
  // Server actors are monitored, not linked (one crashing server must not
  // take the pool down), so a shutdown is passed on to them explicitly.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    self->state.stopping = true;
    if (self->state.policy)
      self->send_exit(self->state.policy, msg.reason);
    for (const auto& [id, child] : self->state.servers)
      self->send_exit(child.handle, msg.reason);
    self->quit(msg.reason);
  });
  restore(self, std::move(restored));
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
}

} // namespace pool_detail

pool_actor::behavior_type
pool_supervisor(pool_actor::stateful_pointer<pool_state> self, pool_config cfg,
                pool_record stored, std::vector<server_record> restored,
                actor_context_ptr ctx, snapshot_actor snapshots,
                provider_actor provider, node_actor node) {
  using namespace pool_detail;
  auto& st = self->state;
  st.ctx = std::move(ctx);
  st.snapshots = std::move(snapshots);
  st.provider = std::move(provider);
  st.node = std::move(node);
  start(self, std::move(cfg), std::move(stored), std::move(restored));
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
    [self](atom::evaluate) { return evaluate(self); },
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
    [self](atom::reload, int64_t file_desired) {
      return reload(self, file_desired);
    },
    [self](atom::reboot, std::string& max_unavailable) {
      return start_rollout(self, std::move(max_unavailable));
    },
    [self](atom::abort) { return abort_rollout(self); },
    [self](atom::stop, const std::string& id) { return stop_server(self, id); },
    [self](atom::get) -> pool_status { return make_status(self); },
    [self](atom::record, server_record& rec) { on_record(self, rec); },
    [self](atom::adopt, server_record& rec) { return adopt(self, rec); },
    [self](atom::reconcile) {
      self->state.reconcile_scheduled = false;
      reconcile(self);
    },
    [self](atom::tick) {
      check_lifetime(self);
      reconcile(self);
      self->delayed_send(self_handle(self), self->state.ctx->reconcile_interval,
                         atom::tick_v);
    },
  };
}

} // namespace dynserv
