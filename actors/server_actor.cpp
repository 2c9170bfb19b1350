// The server actor: message -> event -> fsm::step -> snapshot -> provider call.
//
// Invariants that make a kill -9 at any instant safe:
// - every status change is persisted (synced) before the provider call it
//   announces is sent;
// - a create is counted in `create_attempts` and persisted before it is sent,
//   so a restarted node knows a create may have happened and looks the server
//   up by its `dynserv-id` label instead of creating it again; a create the
//   provider actor dropped unsent (code "queued") is uncounted again;
// - one provider call at a time; replies for a status that was left since are
//   dropped, except a create's provider id, which is always kept.
#include "actors/server_actor.hpp"

#include <algorithm>

#include "caf/event_based_actor.hpp"
#include "caf/typed_event_based_actor.hpp"
#include "spdlog/spdlog.h"

#include "messages/events.hpp"
#include "actors/server_fsm.hpp"
#include "messages/errors.hpp"

namespace dynserv {

namespace {

using self_ptr = server_actor::stateful_pointer<server_state>;

void drive(self_ptr self);
void apply(self_ptr self, server_event ev, const provider_error* err = nullptr);

int64_t now_ms(self_ptr self) {
  return self->state.ctx->now_ms();
}

server_actor self_handle(self_ptr self) {
  return caf::actor_cast<server_actor>(self);
}

void record_error(self_ptr self, const provider_error& err) {
  auto& rec = self->state.rec;
  rec.last_error_kind = err.kind;
  rec.last_error_code = err.code;
  rec.last_error_message = err.message;
}

/// Arms the hanging deadline of the current status, counting from when the
/// status was entered (which may be before a restart).
void arm_deadline(self_ptr self, bool restored) {
  auto& st = self->state;
  auto gen = ++st.deadline_gen;
  if (!is_moving(st.rec.status))
    return;
  auto limit = hanging_after(st.ctx->timing, st.rec.status);
  auto elapsed = millis{now_ms(self) - st.rec.status_since_ms};
  auto remaining = std::max(limit - elapsed, millis{0});
  // A node that was down past the deadline gives the server one more
  // observation before calling it hanging: the provider may have finished.
  if (restored)
    remaining = std::max(remaining, st.ctx->timing.poll_interval * 2);
  self->delayed_send(self_handle(self), remaining, atom::deadline_v, gen);
}

/// Persists the current record with `events`, then lets `drive()` continue.
void persist(self_ptr self, std::vector<event_record> events) {
  auto& st = self->state;
  ++st.persists_in_flight;
  auto snapshot = st.rec;
  self
    ->request(st.snapshots, caf::infinite, atom::put_v, snapshot,
              std::move(events))
    .then(
      [self, snapshot](uint64_t) {
        auto& st = self->state;
        --st.persists_in_flight;
        self->send(st.pool, atom::record_v, snapshot);
        if (snapshot.status == server_status::deleted
            && st.rec.status == server_status::deleted) {
          self->quit();
          return;
        }
        drive(self);
      },
      [self](caf::error& err) {
        auto& st = self->state;
        --st.persists_in_flight;
        st.persist_failed = true;
        spdlog::error("server {} cannot persist its record: {}", st.rec.id,
                      self->system().render(err));
        // Side effects wait; retry the write after a backoff.
        auto delay = st.retry_backoff->next();
        st.retry_armed = true;
        self->delayed_send(self_handle(self), delay, atom::retry_v,
                           ++st.retry_gen);
      });
}

/// Schedules another attempt of the current step after a retryable failure.
void retry_later(self_ptr self, const provider_error& err) {
  auto& st = self->state;
  record_error(self, err);
  ++st.rec.retries;
  auto delay = st.retry_backoff->next();
  delay = std::max(delay, millis{err.retry_after_ms});
  spdlog::debug("server {} retries in {} ms after {} {}: {}", st.rec.id,
                delay.count(), to_string(err.kind), err.code, err.message);
  st.retry_armed = true;
  self->delayed_send(self_handle(self), delay, atom::retry_v, ++st.retry_gen);
}

/// Feeds an event through the table; returns false if it was rejected.
bool step_and_persist(self_ptr self, server_event ev,
                      const provider_error* err) {
  auto& st = self->state;
  auto& rec = st.rec;
  auto t = fsm::step(rec.status, ev);
  if (!t) {
    spdlog::warn("server {} rejects event {} in status {}", rec.id,
                 to_string(ev), to_string(rec.status));
    return false;
  }
  auto at = now_ms(self);
  std::vector<event_record> events;
  if (t->to != rec.status) {
    rec.previous_status = rec.status;
    rec.status = t->to;
    rec.status_since_ms = at;
    rec.call_accepted = false;
    rec.retries = 0;
    st.retry_backoff->reset();
    ++st.retry_gen; // a pending retry belongs to the old status
    st.retry_armed = false;
    spdlog::info("server {} {} -> {} on {}", rec.id,
                 to_string(rec.previous_status), to_string(rec.status),
                 to_string(ev));
    events.push_back(status_changed_record(rec, at));
    arm_deadline(self, false);
    metrics::global().server_transition(rec.pool, rec.previous_status,
                                        rec.status);
    st.gauge.set(rec.pool, rec.status);
  }
  auto event = [&](const char* why, std::string msg = {}) {
    events.push_back(server_event_record(rec, at, why, std::move(msg)));
  };
  switch (t->act) {
    case fsm::action::call_create:
      if (rec.provider_id.empty()) {
        ++rec.create_attempts;
        st.create_armed = true;
      }
      break;
    case fsm::action::await_running:
      rec.call_accepted = true;
      st.create_accepted_at_ms = at;
      event(reason::creating, ev == server_event::found_by_label
                                ? "found by label after an unknown create "
                                  "outcome; adopted"
                                : "");
      break;
    case fsm::action::became_running:
      if (rec.previous_status == server_status::starting
          && st.create_accepted_at_ms > 0) {
        auto seconds = static_cast<double>(at - st.create_accepted_at_ms);
        metrics::global().time_to_running(rec.pool, seconds / 1000);
      }
      event(reason::running,
            std::string{"previous status "} + to_string(rec.previous_status));
      break;
    case fsm::action::remember_reboot:
      rec.reboot_requested = true;
      event(reason::reboot_requested, "deferred until the server is running");
      break;
    case fsm::action::remember_stop:
      rec.stop_requested = true;
      break;
    case fsm::action::cancel:
      event(reason::deleted, "cancelled before any provider call");
      break;
    case fsm::action::call_stop:
      rec.stop_requested = false;
      rec.reboot_requested = false;
      break;
    case fsm::action::await_stopped:
      rec.call_accepted = true;
      event(reason::stopping);
      break;
    case fsm::action::request_delete:
      event(reason::stopped);
      break;
    case fsm::action::call_delete:
      break;
    case fsm::action::await_gone:
      rec.call_accepted = true;
      event(reason::deleting);
      break;
    case fsm::action::call_reboot:
      rec.reboot_requested = false;
      break;
    case fsm::action::await_rebooted:
      rec.call_accepted = true;
      event(reason::rebooting);
      break;
    case fsm::action::finish:
      event(reason::deleted);
      break;
    case fsm::action::report_vanished:
      event(reason::vanished, "the provider no longer knows this server");
      break;
    case fsm::action::mark_errored:
      if (err)
        record_error(self, *err);
      event(reason::errored,
            std::string{"while "} + to_string(rec.previous_status) + ": "
              + to_string(rec.last_error_kind) + " " + rec.last_error_code
              + " " + rec.last_error_message);
      break;
    case fsm::action::mark_hanging:
      event(reason::hanging, std::string{"no progress while "}
                               + to_string(rec.previous_status));
      break;
    case fsm::action::none:
      break;
  }
  persist(self, std::move(events));
  return true;
}

void apply(self_ptr self, server_event ev, const provider_error* err) {
  step_and_persist(self, ev, err);
}

/// Handles a reply of the provider actor to `call`, made in `status_at_call`.
void on_reply(self_ptr self, server_call call, server_status status_at_call,
              provider_reply& reply) {
  auto& st = self->state;
  auto& rec = st.rec;
  // A create's answer is never dropped: losing the provider id would leak.
  if (call == server_call::create && reply.ok() && !reply.servers.empty()
      && rec.provider_id.empty()) {
    rec.provider_id = reply.servers.front().provider_id;
    rec.provider_created_at_ms = reply.servers.front().created_at_ms;
  }
  if (rec.status != status_at_call) {
    if (call == server_call::create && reply.ok())
      persist(self, {});
    else
      drive(self);
    return;
  }
  auto& err = reply.error;
  // A successful read (lookup, get) says nothing about the operation that
  // keeps failing; only a successful operation resets the backoff.
  if (reply.ok() && call != server_call::lookup && call != server_call::get)
    st.retry_backoff->reset();
  switch (call) {
    case server_call::create:
      if (reply.ok() && !reply.servers.empty())
        return apply(self, server_event::create_accepted);
      if (reply.ok() || err.kind == error_kind::outcome_unknown)
        return drive(self); // create_attempts > 0: look the server up
      if (err.kind == error_kind::transient && err.code == "queued") {
        // It waited past the call timeout in the provider actor's queue and
        // was never sent: it is no attempt that may have happened. Until
        // this is persisted, a restart still looks the server up.
        if (rec.create_attempts > 0)
          --rec.create_attempts;
        st.create_unsent = true;
        persist(self, {});
        return retry_later(self, err);
      }
      if (err.kind == error_kind::permanent
          || err.kind == error_kind::not_found)
        return apply(self, server_event::failed_permanently, &err);
      return retry_later(self, err);
    case server_call::lookup:
      if (reply.ok() && rec.status != server_status::starting) {
        // Stopping a server whose create never told us its provider id
        // (errored or hanging while starting): find it by label first.
        if (reply.servers.empty())
          return apply(self, server_event::observed_gone);
        rec.provider_id = reply.servers.front().provider_id;
        rec.provider_created_at_ms = reply.servers.front().created_at_ms;
        return persist(self, {});
      }
      if (reply.ok()) {
        if (reply.servers.empty())
          return apply(self, server_event::missing_by_label);
        if (reply.servers.size() > 1)
          spdlog::error("server {} has {} servers with its dynserv-id label; "
                        "keeping {}",
                        rec.id, reply.servers.size(),
                        reply.servers.front().provider_id);
        rec.provider_id = reply.servers.front().provider_id;
        rec.provider_created_at_ms = reply.servers.front().created_at_ms;
        return apply(self, server_event::found_by_label);
      }
      return retry_later(self, err);
    case server_call::observe:
    case server_call::get: {
      if (err.kind == error_kind::not_found)
        return apply(self, server_event::observed_gone);
      if (!reply.ok() || reply.servers.empty())
        return retry_later(self, err);
      auto state = reply.servers.front().state;
      if (auto ev = observation(rec.status, state))
        return apply(self, *ev);
      if (call == server_call::get && !rec.call_accepted) {
        // Resolving a conflict. A server that never came up cannot be
        // stopped, and a running one cannot be deleted before it stops.
        if (rec.status == server_status::stopping
            && state == cloud_state::provisioning)
          return apply(self, server_event::delete_requested);
        if (rec.status == server_status::deleting
            && state == cloud_state::running)
          return apply(self, server_event::stop_requested);
        // Is the operation we asked for under way?
        auto under_way = (rec.status == server_status::stopping
                          && state == cloud_state::stopping)
                         || (rec.status == server_status::deleting
                             && state == cloud_state::deleting)
                         || (rec.status == server_status::rebooting
                             && state == cloud_state::rebooting);
        if (under_way) {
          auto accepted = rec.status == server_status::stopping
                            ? server_event::stop_accepted
                          : rec.status == server_status::deleting
                            ? server_event::delete_accepted
                            : server_event::reboot_accepted;
          return apply(self, accepted);
        }
        provider_error busy{error_kind::conflict, "busy",
                            std::string{"server is "} + to_string(state), 0};
        return retry_later(self, busy);
      }
      return drive(self); // not there yet: observe again next tick
    }
    case server_call::stop:
    case server_call::destroy:
    case server_call::reboot: {
      if (reply.ok()) {
        auto accepted = call == server_call::stop      ? server_event::stop_accepted
                        : call == server_call::destroy ? server_event::delete_accepted
                                                       : server_event::reboot_accepted;
        return apply(self, accepted);
      }
      if (err.kind == error_kind::not_found)
        return apply(self, server_event::observed_gone);
      if (err.kind == error_kind::conflict) {
        // The server is busy or already where we want it: look before
        // trying again.
        record_error(self, err);
        st.call_in_flight = server_call::get;
        auto at_call = rec.status;
        self->request(st.provider, st.ctx->timing.call_timeout, atom::get_v,
                      rec.provider_id)
          .then(
            [self, at_call](provider_reply& r) {
              self->state.call_in_flight.reset();
              on_reply(self, server_call::get, at_call, r);
            },
            [self](caf::error& e) {
              self->state.call_in_flight.reset();
              retry_later(self, provider_error{error_kind::transient, "actor",
                                               self->system().render(e), 0});
            });
        return;
      }
      if (err.kind == error_kind::permanent)
        return apply(self, server_event::failed_permanently, &err);
      return retry_later(self, err);
    }
  }
}

/// Sends one provider call and routes its reply.
template <class... Ts>
void call(self_ptr self, server_call kind, Ts&&... xs) {
  auto& st = self->state;
  st.call_in_flight = kind;
  auto at_call = st.rec.status;
  // Observations wait for the next poll tick; everything else should be
  // answered within the call timeout.
  auto timeout = st.ctx->timing.call_timeout + st.ctx->timing.poll_interval;
  self->request(st.provider, timeout, std::forward<Ts>(xs)...)
    .then(
      [self, kind, at_call](provider_reply& r) {
        self->state.call_in_flight.reset();
        on_reply(self, kind, at_call, r);
      },
      [self, kind, at_call](caf::error& e) {
        auto& st = self->state;
        st.call_in_flight.reset();
        // No answer in time: for a create the outcome is unknown, so the
        // next step is a label lookup (create_attempts > 0).
        provider_error err{kind == server_call::create
                             ? error_kind::outcome_unknown
                             : error_kind::transient,
                           "actor", self->system().render(e), 0};
        if (st.rec.status != at_call)
          return drive(self);
        record_error(self, err);
        retry_later(self, err);
      });
}

/// Does whatever the current status needs next, unless something is still in
/// flight (a persist, a provider call or a retry timer).
void drive(self_ptr self) {
  auto& st = self->state;
  auto& rec = st.rec;
  if (st.persists_in_flight > 0 || st.persist_failed || st.call_in_flight
      || st.retry_armed)
    return;
  switch (rec.status) {
    case server_status::pending:
    case server_status::errored:
    case server_status::hanging:
    case server_status::deleted:
      return;
    case server_status::starting:
      if (rec.call_accepted) {
        call(self, server_call::observe, atom::observe_v, rec.id,
             rec.provider_id);
      } else if (st.create_armed) {
        st.create_armed = false;
        create_request req;
        req.server_id = rec.id;
        req.name = rec.name;
        req.pool = rec.pool;
        req.labels = {{labels::owner, st.ctx->node_name},
                      {labels::id, rec.id},
                      {labels::pool, rec.pool}};
        req.spec = st.ctx->server_spec(rec.pool);
        call(self, server_call::create, atom::create_v, std::move(req));
      } else if (st.create_unsent) {
        // Count the new attempt before it is sent, as for the first one.
        st.create_unsent = false;
        ++rec.create_attempts;
        st.create_armed = true;
        persist(self, {});
      } else if (rec.create_attempts > 0) {
        call(self, server_call::lookup, atom::lookup_v, rec.id);
      } else {
        ++rec.create_attempts;
        st.create_armed = true;
        persist(self, {});
      }
      return;
    case server_status::running:
      if (rec.stop_requested)
        apply(self, server_event::stop_requested);
      else if (rec.reboot_requested)
        apply(self, server_event::reboot_requested);
      return;
    case server_status::rebooting:
      if (rec.call_accepted)
        call(self, server_call::observe, atom::observe_v, rec.id,
             rec.provider_id);
      else
        call(self, server_call::reboot, atom::reboot_v, rec.provider_id);
      return;
    case server_status::stopping:
      if (rec.provider_id.empty() && rec.create_attempts > 0)
        call(self, server_call::lookup, atom::lookup_v, rec.id);
      else if (rec.provider_id.empty())
        apply(self, server_event::observed_gone); // never created
      else if (rec.call_accepted)
        call(self, server_call::observe, atom::observe_v, rec.id,
             rec.provider_id);
      else
        call(self, server_call::stop, atom::stop_v, rec.provider_id);
      return;
    case server_status::stopped:
      apply(self, server_event::delete_requested);
      return;
    case server_status::deleting:
      if (rec.call_accepted)
        call(self, server_call::observe, atom::observe_v, rec.id,
             rec.provider_id);
      else
        call(self, server_call::destroy, atom::destroy_v, rec.provider_id);
      return;
  }
}

/// Handles a stop or reboot command; replies with the record or an error.
caf::result<server_record> command(self_ptr self, server_event ev) {
  auto& rec = self->state.rec;
  // A server already on its way out takes no commands (the table allows
  // deleting -> stopping only for the provider's own refusal).
  auto leaving = rec.status == server_status::stopping
                 || rec.status == server_status::stopped
                 || rec.status == server_status::deleting;
  if (leaving || !fsm::step(rec.status, ev)) {
    auto what = ev == server_event::stop_requested ? "stop" : "reboot";
    return make_error(ec::invalid_transition,
                      std::string{"cannot "} + what + " server " + rec.id
                        + " while it is " + to_string(rec.status));
  }
  if (ev == server_event::stop_requested && rec.status == server_status::starting
      && rec.stop_requested)
    return rec;
  apply(self, ev);
  return rec;
}

} // namespace

millis hanging_after(const timing_config& timing, server_status status) {
  switch (status) {
    case server_status::starting:
      return timing.hanging_starting;
    case server_status::stopping:
      return timing.hanging_stopping;
    case server_status::deleting:
      return timing.hanging_deleting;
    case server_status::rebooting:
      return timing.hanging_rebooting;
    default:
      return millis{0};
  }
}

std::optional<server_event> observation(server_status status,
                                        cloud_state state) {
  switch (status) {
    case server_status::starting:
    case server_status::rebooting:
      if (state == cloud_state::running)
        return server_event::observed_running;
      return std::nullopt;
    case server_status::stopping:
      if (state == cloud_state::stopped)
        return server_event::observed_stopped;
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

server_actor::behavior_type
server(server_actor::stateful_pointer<server_state> self, server_record rec,
       actor_context_ptr ctx, snapshot_actor snapshots,
       provider_actor provider, pool_actor pool) {
  auto& st = self->state;
  st.rec = std::move(rec);
  st.ctx = std::move(ctx);
  st.snapshots = std::move(snapshots);
  st.provider = std::move(provider);
  st.pool = std::move(pool);
  st.rng.seed(st.ctx->seed ^ std::hash<std::string>{}(st.rec.id));
  st.gauge.set(st.rec.pool, st.rec.status); // new or restored
  const auto& timing = st.ctx->timing;
  st.retry_backoff.emplace(timing.backoff_initial, timing.backoff_max,
                           timing.backoff_multiplier, timing.backoff_jitter,
                           st.rng);
  // Resume a restored server: re-arm its deadline and continue its step.
  if (st.rec.status != server_status::pending) {
    arm_deadline(self, true);
    self->send(self_handle(self), atom::retry_v, ++st.retry_gen);
    st.retry_armed = true;
  }
  return {
    [self](atom::start) {
      if (self->state.rec.status == server_status::pending)
        apply(self, server_event::start_requested);
      else
        spdlog::warn("server {} ignores start while {}", self->state.rec.id,
                     to_string(self->state.rec.status));
    },
    [self](atom::stop) -> caf::result<server_record> {
      return command(self, server_event::stop_requested);
    },
    [self](atom::reboot) -> caf::result<server_record> {
      return command(self, server_event::reboot_requested);
    },
    [self](atom::get) -> server_record { return self->state.rec; },
    [self](atom::deadline, uint64_t gen) {
      auto& st = self->state;
      if (gen != st.deadline_gen || !is_moving(st.rec.status))
        return; // stale timer of an earlier status
      apply(self, server_event::deadline_passed);
    },
    [self](atom::retry, uint64_t gen) {
      auto& st = self->state;
      if (gen != st.retry_gen)
        return; // stale timer
      st.retry_armed = false;
      if (st.persist_failed) {
        st.persist_failed = false;
        persist(self, {});
        return;
      }
      drive(self);
    },
  };
}

} // namespace dynserv
