// The pool supervisor's operator commands: desired count, pause, rolling
// reboot, adopt, stop, evaluate and status. Each replies once its change is
// durable; the decisions come from the pure planners.
#include "actors/pool_commands.hpp"

#include <algorithm>
#include <memory>

#include "caf/typed_event_based_actor.hpp"
#include "spdlog/spdlog.h"

#include "actors/pool_desired.hpp"
#include "actors/pool_report.hpp"
#include "actors/pool_rollout.hpp"
#include "messages/errors.hpp"
#include "messages/events.hpp"
#include "telemetry/metrics.hpp"

namespace dynserv::pool_detail {

// -- desired count and pause --------------------------------------------------

/// Sets the desired count and persists it (then reconciles). Returns false
/// in `.second` if nothing changed; otherwise `done` runs once the change is
/// durable.
std::pair<scale_reply, bool>
change_desired(self_ptr self, int64_t wanted, const std::string& why,
               std::optional<int64_t> file_value,
               std::function<void(const caf::error&)> done) {
  auto& st = self->state;
  auto plan = plan_desired(st.cfg, st.rec, wanted, why, file_value);
  if (!plan.changed)
    return {plan.reply, false};
  st.rec.desired = plan.reply.desired;
  metrics::global().pool_desired(st.cfg.name, st.rec.desired);
  if (file_value)
    st.rec.file_desired = *file_value;
  st.rec.updated_at_ms = now_ms(self);
  std::vector<event_record> events;
  if (plan.event)
    events.push_back(pool_event_record(st.cfg.name, st.rec.updated_at_ms,
                                       reason::desired_changed, *plan.event));
  // Reconcile only once the new count is durable: a crash in between must
  // not leave servers created for a count the store does not know.
  persist_pool(
    self, std::move(events),
    [self, done] {
      reconcile_soon(self);
      done(caf::none);
    },
    [done](const caf::error& err) { done(err); });
  return {plan.reply, true};
}

/// Handler form of `change_desired`: replies once the count is durable.
caf::result<scale_reply> set_desired(self_ptr self, int64_t wanted,
                                     const std::string& why,
                                     std::optional<int64_t> file_value) {
  auto promise = self->make_response_promise<scale_reply>();
  auto reply = std::make_shared<scale_reply>();
  auto deliver = [promise, reply](const caf::error& err) mutable {
    if (err)
      promise.deliver(err);
    else
      promise.deliver(*reply);
  };
  auto [result, persisting] = change_desired(self, wanted, why, file_value,
                                             std::move(deliver));
  *reply = result;
  if (!persisting)
    promise.deliver(result);
  return promise;
}

caf::error check_count(int64_t n) {
  if (auto problem = count_problem(n))
    return make_error(ec::invalid_argument, *problem);
  return caf::none;
}

/// The file's count after a reload; a count set at run time holds when the
/// file did not change.
caf::result<scale_reply> reload(self_ptr self, int64_t file_desired) {
  auto& st = self->state;
  if (file_desired == st.rec.file_desired) {
    reconcile_soon(self);
    return scale_reply{st.cfg.name, st.rec.desired, st.rec.desired,
                       "config file unchanged; keeping the current count"};
  }
  return set_desired(self, file_desired, "config file", file_desired);
}

pool_status make_status(self_ptr self) {
  auto& st = self->state;
  return report_pool(st.cfg, st.rec, st.servers, st.breaker->state(),
                     now_ms(self));
}

/// Pauses or resumes the policy; replies once the flag is durable.
caf::result<pool_status> set_paused(self_ptr self, bool paused) {
  auto& st = self->state;
  if (st.rec.paused == paused)
    return make_status(self);
  st.rec.paused = paused;
  st.rec.updated_at_ms = now_ms(self);
  auto what = pause_message(paused, st.cfg.policy.active());
  auto ev = pool_event_record(
    st.cfg.name, st.rec.updated_at_ms,
    paused ? reason::policy_paused : reason::policy_resumed, what);
  spdlog::info("pool {}: {}", st.cfg.name, what);
  auto promise = self->make_response_promise<pool_status>();
  persist_pool(
    self, {ev},
    [self, promise]() mutable { promise.deliver(make_status(self)); },
    [promise](const caf::error& err) mutable { promise.deliver(err); });
  return promise;
}

/// Starts a rolling reboot (or starts it over); replies once it is
/// durable, before its first reboot is sent.
caf::result<rollout_record> start_rollout(self_ptr self, std::string spec) {
  auto& st = self->state;
  if (spec.empty())
    spec = st.cfg.max_unavailable;
  if (auto problem = max_unavailable_problem(spec))
    return make_error(ec::invalid_argument, "max_unavailable: " + *problem);
  auto now = now_ms(self);
  auto plan = plan_rollout_start(st.rec.rollout, st.servers, spec, now);
  st.rec.rollout = std::move(plan.rollout);
  spdlog::info("pool {}: rolling reboot started: {}", st.cfg.name,
               plan.message);
  std::vector<event_record> events{
    pool_event_record(st.cfg.name, now, reason::rollout_started, plan.message)};
  // Nothing to reboot: the answer already says finished.
  if (plan.finished)
    events.push_back(pool_event_record(
      st.cfg.name, now, reason::rollout_finished, "no servers to reboot"));
  auto promise = self->make_response_promise<rollout_record>();
  persist_pool(
    self, std::move(events),
    [self, promise]() mutable {
      promise.deliver(self->state.rec.rollout);
      advance_rollout(self);
    },
    [promise](const caf::error& err) mutable { promise.deliver(err); });
  return promise;
}

/// Aborts the rolling reboot: servers still waiting are not rebooted.
caf::result<rollout_record> abort_rollout(self_ptr self) {
  auto& st = self->state;
  if (!st.rec.rollout.running())
    return make_error(ec::invalid_argument,
                      "pool " + st.cfg.name + " has no rolling reboot running");
  auto now = now_ms(self);
  auto msg = abort_running_rollout(st.rec.rollout, now);
  metrics::global().rollout_remaining(st.cfg.name, 0);
  spdlog::info("pool {}: rolling reboot aborted: {}", st.cfg.name, msg);
  auto promise = self->make_response_promise<rollout_record>();
  persist_pool(
    self, {pool_event_record(st.cfg.name, now, reason::rollout_aborted, msg)},
    [self, promise]() mutable { promise.deliver(self->state.rec.rollout); },
    [promise](const caf::error& err) mutable { promise.deliver(err); });
  return promise;
}

// -- servers and policy -------------------------------------------------------

/// Evaluates the policy now; refused when there is none or it is down.
caf::result<decision_record> evaluate(self_ptr self) {
  auto& st = self->state;
  if (!st.policy_down.empty())
    return make_error(ec::invalid_argument,
                      "pool " + st.cfg.name + ": " + st.policy_down);
  if (!st.policy)
    return make_error(ec::invalid_argument,
                      "pool " + st.cfg.name
                        + " has no policy (its count is set only by "
                          "ensure, increase and decrease)");
  return self->delegate(st.policy, atom::evaluate_v);
}

/// Takes over a server found at the provider (an orphan), persisted first:
/// once the server actor calls the provider, a crash restores it from this
/// record like any other server.
caf::result<server_record> adopt(self_ptr self, server_record& rec) {
  auto& st = self->state;
  if (st.servers.contains(rec.id))
    return make_error(ec::invalid_argument,
                      "pool " + st.cfg.name + " already has server " + rec.id);
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
  auto promise = self->make_response_promise<server_record>();
  self
    ->request(st.snapshots, caf::infinite, atom::put_v, rec,
              std::vector<event_record>{ev})
    .then(
      [self, rec, promise](uint64_t) mutable {
        auto& st = self->state;
        spdlog::info("pool {} adopted server {} ({} at provider {})",
                     st.cfg.name, rec.id, rec.provider_id, rec.provider);
        if (!st.servers.contains(rec.id))
          spawn_child(self, rec);
        reconcile_soon(self);
        promise.deliver(rec);
      },
      [promise](caf::error& err) mutable { promise.deliver(err); });
  return promise;
}

/// Forwards an operator's stop to the server actor.
caf::result<server_record> stop_server(self_ptr self, const std::string& id) {
  auto& st = self->state;
  const auto* child = st.servers.find(id);
  if (child == nullptr)
    return make_error(ec::unknown_server,
                      "pool " + st.cfg.name + " has no server " + id);
  return self->delegate(child->handle, atom::stop_v);
}

} // namespace dynserv::pool_detail
