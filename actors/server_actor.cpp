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
//
// What to call next is `plan_next_step()` (actors/server_calls.cpp) and what
// a reply means is `interpret_reply()` (actors/server_replies.cpp), both pure
// and tested as tables; this file only carries them out.
#include "actors/server_actor.hpp"

#include <algorithm>

#include "caf/event_based_actor.hpp"
#include "caf/typed_event_based_actor.hpp"
#include "spdlog/spdlog.h"

#include "actors/server_fsm.hpp"
#include "actors/server_replies.hpp"
#include "messages/errors.hpp"
#include "messages/events.hpp"

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

/// Records a status change made by the table: timers and metrics of the old
/// status end, the new one's deadline starts.
void enter_status(self_ptr self, server_status to, server_event ev, int64_t at,
                  std::vector<event_record>& events) {
  auto& st = self->state;
  auto& rec = st.rec;
  rec.previous_status = rec.status;
  rec.status = to;
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

/// Feeds dynserv_time_to_running_seconds when the server reaches running
/// from starting, if this actor saw the provider accept its create (after a
/// restart it did not, and the time is unknown).
void observe_time_to_running(server_state& st, int64_t at) {
  const auto& rec = st.rec;
  if (rec.previous_status == server_status::starting
      && st.create_accepted_at_ms > 0) {
    auto seconds = static_cast<double>(at - st.create_accepted_at_ms);
    metrics::global().time_to_running(rec.pool, seconds / 1000);
  }
}

/// The bookkeeping of a table action: record flags, create counts and the
/// events users see. Provider calls follow from `plan_next_step()`.
void keep_books(self_ptr self, fsm::action act, server_event ev,
                const provider_error* err, int64_t at,
                std::vector<event_record>& events) {
  auto& st = self->state;
  auto& rec = st.rec;
  auto event = [&](const char* why, std::string msg = {}) {
    events.push_back(server_event_record(rec, at, why, std::move(msg)));
  };
  switch (act) {
    case fsm::action::call_create:
      if (rec.provider_id.empty()) {
        ++rec.create_attempts; // counted before it is sent (crash safety)
        st.create = create_step::counted;
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
      observe_time_to_running(st, at);
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
    case fsm::action::call_reboot:
      rec.reboot_requested = false;
      break;
    case fsm::action::await_stopped:
    case fsm::action::await_gone:
    case fsm::action::await_rebooted:
      rec.call_accepted = true;
      event(act == fsm::action::await_stopped ? reason::stopping
            : act == fsm::action::await_gone  ? reason::deleting
                                              : reason::rebooting);
      break;
    case fsm::action::request_delete:
      event(reason::stopped);
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
              + to_string(rec.last_error_kind) + " " + rec.last_error_code + " "
              + rec.last_error_message);
      break;
    case fsm::action::mark_hanging:
      event(reason::hanging,
            std::string{"no progress while "} + to_string(rec.previous_status));
      break;
    case fsm::action::call_delete:
    case fsm::action::none:
      break;
  }
}

/// Feeds an event through the table and persists the result; nothing else
/// happens before that persist succeeded. Returns false if it was rejected.
bool step_and_persist(self_ptr self, server_event ev,
                      const provider_error* err) {
  auto& rec = self->state.rec;
  auto t = fsm::step(rec.status, ev);
  if (!t) {
    spdlog::warn("server {} rejects event {} in status {}", rec.id,
                 to_string(ev), to_string(rec.status));
    return false;
  }
  auto at = now_ms(self);
  std::vector<event_record> events;
  if (t->to != rec.status)
    enter_status(self, t->to, ev, at, events);
  keep_books(self, t->act, ev, err, at, events);
  persist(self, std::move(events));
  return true;
}

void apply(self_ptr self, server_event ev, const provider_error* err) {
  step_and_persist(self, ev, err);
}

/// Takes the provider id (and creation time) of the server a reply names.
void adopt(self_ptr self, server_call call, const provider_reply& reply) {
  auto& rec = self->state.rec;
  const auto& srv = reply.servers.front();
  if (call == server_call::lookup && reply.servers.size() > 1)
    spdlog::error("server {} has {} servers with its dynserv-id label; "
                  "keeping {}",
                  rec.id, reply.servers.size(), srv.provider_id);
  rec.provider_id = srv.provider_id;
  rec.provider_created_at_ms = srv.created_at_ms;
}

void on_reply(self_ptr self, server_call call, server_status status_at_call,
              provider_reply& reply);

/// Reads the server after a conflict: is the call under way, or does the
/// server need something else first?
void check_server(self_ptr self, const provider_error& conflict) {
  auto& st = self->state;
  record_error(self, conflict);
  st.call_in_flight = server_call::get;
  auto at_call = st.rec.status;
  self
    ->request(st.provider, st.ctx->timing.call_timeout, atom::get_v,
              st.rec.provider_id)
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
}

/// Handles a reply of the provider actor to `call`, made in `status_at_call`:
/// `interpret_reply()` says what it means, this carries it out.
void on_reply(self_ptr self, server_call call, server_status status_at_call,
              provider_reply& reply) {
  auto& st = self->state;
  auto out = interpret_reply(call, status_at_call, st.rec, reply);
  spdlog::debug("server {}: {} reply -> {} ({})", st.rec.id, to_string(call),
                to_string(out.effect), out.why);
  if (out.adopt)
    adopt(self, call, reply);
  if (out.reset_backoff)
    st.retry_backoff->reset();
  switch (out.effect) {
    case reply_effect::apply_event:
      return apply(self, out.event,
                   out.error.kind == error_kind::none ? nullptr : &out.error);
    case reply_effect::retry:
      return retry_later(self, out.error);
    case reply_effect::proceed:
      return drive(self);
    case reply_effect::persist:
      return persist(self, {});
    case reply_effect::uncount_create:
      // Until this is persisted, a restart still looks the server up.
      if (st.rec.create_attempts > 0)
        --st.rec.create_attempts;
      st.create = create_step::dropped;
      persist(self, {});
      return retry_later(self, out.error);
    case reply_effect::check_server:
      return check_server(self, out.error);
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

create_request make_create_request(self_ptr self) {
  auto& st = self->state;
  create_request req;
  req.server_id = st.rec.id;
  req.name = st.rec.name;
  req.pool = st.rec.pool;
  req.labels = {{labels::owner, st.ctx->node_name},
                {labels::id, st.rec.id},
                {labels::pool, st.rec.pool}};
  req.spec = st.ctx->server_spec(st.rec.pool);
  return req;
}

/// Does what `plan_next_step()` says the record needs next.
void drive(self_ptr self) {
  auto& st = self->state;
  auto& rec = st.rec;
  server_activity act;
  act.persisting = st.persists_in_flight > 0;
  act.persist_failed = st.persist_failed;
  act.calling = st.call_in_flight.has_value();
  act.retry_armed = st.retry_armed;
  act.create = st.create;
  auto plan = plan_next_step(rec, act);
  if (plan.step != next_step::none)
    spdlog::debug("server {} ({}): {} ({})", rec.id, to_string(rec.status),
                  to_string(plan.step), plan.why);
  switch (plan.step) {
    case next_step::none:
      return;
    case next_step::count_create:
      ++rec.create_attempts;
      st.create = create_step::counted;
      return persist(self, {});
    case next_step::create:
      st.create = create_step::none;
      return call(self, server_call::create, atom::create_v,
                  make_create_request(self));
    case next_step::lookup:
      return call(self, server_call::lookup, atom::lookup_v, rec.id);
    case next_step::observe:
      return call(self, server_call::observe, atom::observe_v, rec.id,
                  rec.provider_id);
    case next_step::stop:
      return call(self, server_call::stop, atom::stop_v, rec.provider_id);
    case next_step::reboot:
      return call(self, server_call::reboot, atom::reboot_v, rec.provider_id);
    case next_step::destroy:
      return call(self, server_call::destroy, atom::destroy_v, rec.provider_id);
    case next_step::ask_stop:
    case next_step::ask_reboot:
    case next_step::ask_delete:
    case next_step::assume_gone:
      return apply(self, *event_of(plan.step));
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
  if (ev == server_event::stop_requested
      && rec.status == server_status::starting && rec.stop_requested)
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

server_actor::behavior_type
server(server_actor::stateful_pointer<server_state> self, server_record rec,
       actor_context_ptr ctx, snapshot_actor snapshots, provider_actor provider,
       pool_actor pool) {
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
