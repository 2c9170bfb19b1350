// The pool supervisor: level-based reconcile of one pool, like syncReplicas.
#include "actors/pool_supervisor.hpp"

#include <algorithm>
#include <functional>
#include <iterator>
#include <memory>

#include "caf/typed_event_based_actor.hpp"
#include "spdlog/spdlog.h"

#include "messages/events.hpp"
#include "telemetry/metrics.hpp"
#include "actors/policy_actor.hpp"
#include "actors/reboot_rollout.hpp"
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
  st.rebooting -= child.rec.status == server_status::rebooting ? 1 : 0;
  st.retiring -= child.retiring ? 1 : 0;
  f(child);
  st.active += is_active(child) ? 1 : 0;
  st.rebooting += child.rec.status == server_status::rebooting ? 1 : 0;
  st.retiring += child.retiring ? 1 : 0;
}

/// Takes a child out of the cached counts (before it is erased).
void uncount(pool_state& st, const pool_child& child) {
  st.active -= is_active(child) ? 1 : 0;
  st.rebooting -= child.rec.status == server_status::rebooting ? 1 : 0;
  st.retiring -= child.retiring ? 1 : 0;
}

/// Sends the collected changes of the pool record as one write, unless a
/// write is in flight (its answer sends the next).
void write_pool(self_ptr self) {
  auto& st = self->state;
  if (st.write_in_flight || !st.next_write_due)
    return;
  st.write_in_flight = std::move(st.next_write);
  st.next_write = pool_state::record_write{};
  st.next_write_due = false;
  st.rec.updated_at_ms = now_ms(self);
  auto finished = [self](const caf::error* err) {
    auto& st = self->state;
    auto write = std::move(*st.write_in_flight);
    st.write_in_flight.reset();
    if (err) {
      spdlog::error("pool {} cannot persist its record: {}", st.cfg.name,
                    self->system().render(*err));
      for (auto& f : write.failed)
        if (f)
          f(*err);
    } else {
      for (auto& f : write.done)
        if (f)
          f();
    }
    write_pool(self);
  };
  self
    ->request(st.snapshots, caf::infinite, atom::put_v, st.rec,
              st.write_in_flight->events)
    .then([finished](uint64_t) { finished(nullptr); },
          [finished](caf::error& err) { finished(&err); });
}

/// Persists the pool record (desired count, rollout, breaker) with
/// `events`, then runs `then` on success or `failed` on an error (a reboot
/// that is not durable is not sent, and its caller hears why). The record
/// written is the one at the time of the write, so it includes every change
/// made before this call.
void persist_pool(self_ptr self, std::vector<event_record> events,
                  std::function<void()> then = {},
                  std::function<void(const caf::error&)> failed = {}) {
  auto& st = self->state;
  auto& w = st.next_write;
  w.events.insert(w.events.end(), std::make_move_iterator(events.begin()),
                  std::make_move_iterator(events.end()));
  w.done.push_back(std::move(then));
  w.failed.push_back(std::move(failed));
  st.next_write_due = true;
  write_pool(self);
}

/// Age of a server for max_lifetime: since the provider created it, else
/// since dynserv did.
int64_t age_ms(const server_record& rec, int64_t now) {
  auto born = rec.provider_created_at_ms > 0 ? rec.provider_created_at_ms
                                             : rec.created_at_ms;
  return now - born;
}

bool is_expired(const pool_state& st, const server_record& rec, int64_t now) {
  return st.cfg.max_lifetime.count() > 0 && rec.status == server_status::running
         && age_ms(rec, now) > st.cfg.max_lifetime.count();
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
  st.rebooting += child.rec.status == server_status::rebooting ? 1 : 0;
  auto status = child.rec.status;
  if (status == server_status::hanging || status == server_status::errored)
    st.troubled.insert(id);
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
    st.breaker->on_create_sent();
  }
}

/// Sends a stop to `id` on behalf of the pool (scale-down, remediation,
/// max_lifetime); a refused stop counts the server again.
void send_stop(self_ptr self, const std::string& id) {
  auto& st = self->state;
  auto& child = st.servers[id];
  modify(st, child, [](pool_child& c) { c.stop_sent = true; });
  self->request(child.handle, caf::infinite, atom::stop_v)
    .then([](const server_record&) {},
          [self, id](caf::error& err) {
            auto& st = self->state;
            auto i = st.servers.find(id);
            if (i != st.servers.end())
              modify(st, i->second, [](pool_child& c) {
                c.stop_sent = false;
                c.retiring = false;
              });
            spdlog::warn("pool {} could not stop {}: {}", st.cfg.name, id,
                         self->system().render(err));
          });
}

/// Reports a breaker change in events, metrics and the pool record.
void breaker_changed(self_ptr self, circuit_breaker::change ch) {
  using change = circuit_breaker::change;
  if (ch == change::none)
    return;
  auto& st = self->state;
  const auto& b = st.breaker->state();
  st.rec.breaker = b;
  metrics::global().breaker_state(st.cfg.name, b.state);
  auto at = now_ms(self);
  std::string msg;
  const char* why = nullptr;
  switch (ch) {
    case change::opened:
      why = reason::breaker_opened;
      msg = b.reason + "; no creates for "
            + format_duration(millis{b.backoff_ms}) + " (opened "
            + std::to_string(b.trips) + " times)";
      metrics::global().breaker_opened(st.cfg.name);
      // Look again when the backoff has passed.
      self->delayed_send(self_handle(self), millis{b.backoff_ms},
                         atom::reconcile_v);
      break;
    case change::half_opened:
      why = reason::breaker_half_open;
      msg = "backoff of " + format_duration(millis{b.backoff_ms})
            + " passed; trying one create";
      break;
    case change::closed:
      why = reason::breaker_closed;
      msg = "a create succeeded; creating again";
      break;
    case change::none: break;
  }
  spdlog::warn("pool {}: circuit breaker {}: {}", st.cfg.name, b.state, msg);
  persist_pool(self, {pool_event_record(st.cfg.name, at, why, msg)});
}

/// A retiring server is stopped once its replacement runs (every active
/// server running), or at once if no replacement can be made.
void stop_retiring(self_ptr self, bool replacement_impossible) {
  auto& st = self->state;
  if (st.retiring == 0)
    return;
  std::vector<std::string> retiring;
  for (const auto& [id, child] : st.servers)
    if (child.retiring && !child.stop_sent)
      retiring.push_back(id);
  if (retiring.empty())
    return;
  if (!replacement_impossible) {
    int64_t running = 0;
    for (const auto& [id, child] : st.servers)
      running += is_active(child) && child.rec.status == server_status::running;
    if (running < st.rec.desired)
      return;
  }
  for (const auto& id : retiring)
    send_stop(self, id);
}

/// Marks the oldest server past max_lifetime as retiring, one at a time and
/// only while the pool is otherwise settled.
void check_lifetime(self_ptr self) {
  auto& st = self->state;
  if (st.cfg.max_lifetime.count() <= 0)
    return;
  auto now = now_ms(self);
  const pool_child* oldest = nullptr;
  for (const auto& [id, child] : st.servers) {
    if (child.retiring)
      return stop_retiring(self, false); // one at a time
    if (is_active(child) && child.rec.status != server_status::running)
      return; // still settling: starting, rebooting or pending
    if (is_active(child) && is_expired(st, child.rec, now)
        && (!oldest || age_ms(child.rec, now) > age_ms(oldest->rec, now)))
      oldest = &child;
  }
  if (!oldest || st.active < st.rec.desired || st.rec.rollout.running()
      || (st.breaker->enabled() && st.breaker->state().state != "closed"))
    return;
  auto id = oldest->rec.id;
  auto& child = st.servers[id];
  modify(st, child, [](pool_child& c) { c.retiring = true; });
  metrics::global().expired(st.cfg.name);
  auto msg = "older than max_lifetime " + format_duration(st.cfg.max_lifetime)
             + " (" + format_duration(millis{age_ms(child.rec, now)})
             + "); creating a replacement, then stopping it";
  spdlog::info("pool {}: server {} {}", st.cfg.name, id, msg);
  caf::anon_send(st.snapshots, atom::put_v,
                 std::vector<event_record>{
                   server_event_record(child.rec, now, reason::expired, msg)});
  reconcile_soon(self);
}

/// Stops hanging and errored servers per `remediation` (after its delay,
/// at most `max_attempts` times per server).
void remediate(self_ptr self) {
  auto& st = self->state;
  if (st.troubled.empty())
    return;
  const auto& cfg = st.cfg.remediation;
  auto now = now_ms(self);
  std::vector<event_record> events;
  for (auto i = st.troubled.begin(); i != st.troubled.end();) {
    auto j = st.servers.find(*i);
    if (j == st.servers.end()) {
      i = st.troubled.erase(i);
      continue;
    }
    auto& child = j->second;
    auto status = child.rec.status;
    if (status != server_status::hanging && status != server_status::errored) {
      i = st.troubled.erase(i);
      continue;
    }
    ++i;
    auto action = status == server_status::hanging ? cfg.hanging : cfg.errored;
    if (action == remediation_action::keep || child.stop_sent)
      continue;
    auto due = child.rec.status_since_ms + cfg.delay.count();
    if (now < due)
      continue; // a delayed reconcile was armed when it became troubled
    auto& attempts = st.remediations[child.rec.id];
    if (attempts >= cfg.max_attempts) {
      if (st.gave_up.insert(child.rec.id).second)
        events.push_back(
          server_event_record(child.rec, now, reason::remediation_gave_up,
                              "still " + std::string{to_string(status)}
                                + " after " + std::to_string(attempts)
                                + " stops; left for an operator (it may still "
                                  "bill)"));
      continue;
    }
    ++attempts;
    auto msg = std::string{to_string(status)} + " while "
               + to_string(child.rec.previous_status)
               + (child.rec.last_error_code.empty()
                    ? std::string{}
                    : " (" + child.rec.last_error_code + ")")
               + "; stopping and deleting it, the pool replaces it (attempt "
               + std::to_string(attempts) + " of "
               + std::to_string(cfg.max_attempts) + ")";
    spdlog::warn("pool {}: remediating server {}: {}", st.cfg.name,
                 child.rec.id, msg);
    events.push_back(
      server_event_record(child.rec, now, reason::remediating, msg));
    metrics::global().remediated(st.cfg.name, status);
    send_stop(self, child.rec.id);
  }
  if (!events.empty())
    caf::anon_send(st.snapshots, atom::put_v, std::move(events));
}

/// Sends the rollout's next reboots (persisting the rollout first) and
/// finishes it when nothing is left.
void advance_rollout(self_ptr self, std::vector<event_record> events = {}) {
  auto& st = self->state;
  auto& r = st.rec.rollout;
  if (!r.running()) {
    if (!events.empty())
      persist_pool(self, std::move(events));
    return;
  }
  // Rebooting servers outside the rollout count as unavailable as well; the
  // rollout's own picks count from the moment they are picked. Counting the
  // outside ones looks up every pick, O(max_unavailable) on every record of
  // the pool; while the picks alone fill the budget nothing can be picked
  // whatever the count, so it is skipped (every second record in a rollout).
  int64_t outside = 0;
  if (static_cast<int64_t>(r.rebooting.size()) < r.max_unavailable) {
    outside = st.rebooting;
    for (const auto& id : r.rebooting) {
      auto i = st.servers.find(id);
      if (i != st.servers.end()
          && i->second.rec.status == server_status::rebooting)
        --outside;
    }
  }
  auto unavailable = static_cast<int64_t>(r.rebooting.size())
                     + std::max<int64_t>(outside, 0);
  auto skipped_before = r.skipped;
  auto picked = next_reboots(r, unavailable, [&st](const std::string& id) {
    auto i = st.servers.find(id);
    if (i == st.servers.end() || i->second.stop_sent || i->second.retiring)
      return std::optional<server_status>{};
    return std::optional<server_status>{i->second.rec.status};
  });
  auto now = now_ms(self);
  if (finish_if_done(r, now)) {
    auto msg = describe(r) + "; took "
               + format_duration(millis{r.finished_at_ms - r.started_at_ms});
    spdlog::info("pool {}: rolling reboot finished: {}", st.cfg.name, msg);
    events.push_back(
      pool_event_record(st.cfg.name, now, reason::rollout_finished, msg));
  }
  metrics::global().rollout_remaining(st.cfg.name,
                                      static_cast<int64_t>(
                                        r.waiting.size() + r.rebooting.size()));
  if (picked.empty() && events.empty() && r.skipped == skipped_before)
    return;
  // The picks are durable before any reboot goes out: after a crash the
  // rollout knows which servers may be rebooting.
  persist_pool(self, std::move(events), [self, picked] {
    auto& st = self->state;
    for (const auto& id : picked) {
      auto i = st.servers.find(id);
      if (i == st.servers.end())
        continue;
      self->request(i->second.handle, caf::infinite, atom::reboot_v)
        .then([](const server_record&) {},
              [self, id](caf::error& err) {
                auto& st = self->state;
                if (!skip_in_rollout(st.rec.rollout, id))
                  return;
                auto msg = "server " + id + " refused the reboot: "
                           + self->system().render(err);
                spdlog::warn("pool {}: {}", st.cfg.name, msg);
                advance_rollout(self,
                                {pool_event_record(st.cfg.name, now_ms(self),
                                                   reason::rollout_skipped,
                                                   msg)});
              });
    }
  });
}

/// Starts a rolling reboot. One asked for while another runs starts over
/// with every server: as in the original, a server rebooting now is
/// rebooted again once it is running.
caf::result<rollout_record> start_rollout(self_ptr self, std::string spec) {
  auto& st = self->state;
  if (spec.empty())
    spec = st.cfg.max_unavailable;
  if (auto problem = max_unavailable_problem(spec))
    return make_error(ec::invalid_argument, "max_unavailable: " + *problem);
  std::vector<server_record> targets;
  for (const auto& [id, child] : st.servers)
    if (is_active(child) && is_provisioned(child.rec.status))
      targets.push_back(child.rec);
  auto now = now_ms(self);
  std::vector<std::string> carried;
  if (st.rec.rollout.running())
    carried = st.rec.rollout.rebooting;
  st.rec.rollout = begin_rollout(std::move(targets), spec, now);
  auto& r = st.rec.rollout;
  // Reboots under way still count against max_unavailable until they end;
  // the servers are in `waiting` as well and are rebooted again.
  r.rebooting = carried;
  auto msg = std::to_string(r.total) + " servers, at most "
             + std::to_string(r.max_unavailable)
             + " at a time (max_unavailable " + r.max_unavailable_spec + ")";
  if (!carried.empty())
    msg += "; started over, " + std::to_string(carried.size())
           + " rebooting now are rebooted again once running";
  spdlog::info("pool {}: rolling reboot started: {}", st.cfg.name, msg);
  std::vector<event_record> events{
    pool_event_record(st.cfg.name, now, reason::rollout_started, msg)};
  // Nothing to reboot: the answer already says finished.
  if (finish_if_done(r, now))
    events.push_back(pool_event_record(st.cfg.name, now,
                                       reason::rollout_finished,
                                       "no servers to reboot"));
  auto promise = self->make_response_promise<rollout_record>();
  // The rollout is durable before its first reboot is sent.
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
  auto& r = st.rec.rollout;
  if (!r.running())
    return make_error(ec::invalid_argument,
                      "pool " + st.cfg.name + " has no rolling reboot running");
  auto now = now_ms(self);
  auto msg = describe(r) + "; " + std::to_string(r.waiting.size())
             + " servers will not be rebooted";
  r.skipped += static_cast<int64_t>(r.waiting.size());
  r.waiting.clear();
  r.state = "aborted";
  r.finished_at_ms = now;
  metrics::global().rollout_remaining(st.cfg.name, 0);
  spdlog::info("pool {}: rolling reboot aborted: {}", st.cfg.name, msg);
  auto promise = self->make_response_promise<rollout_record>();
  persist_pool(
    self, {pool_event_record(st.cfg.name, now, reason::rollout_aborted, msg)},
    [self, promise]() mutable { promise.deliver(self->state.rec.rollout); },
    [promise](const caf::error& err) mutable { promise.deliver(err); });
  return promise;
}

/// One reconcile pass: switch on the difference between desired and active.
void reconcile(self_ptr self) {
  auto& st = self->state;
  remediate(self);
  auto diff = st.rec.desired - st.active;
  if (diff > 0) {
    if (st.reserve_in_flight)
      return;
    auto allowed = st.breaker->allowed(now_ms(self), diff);
    breaker_changed(self, st.breaker->take_change());
    if (allowed <= 0) {
      // A retiring server cannot be replaced now: keep it.
      if (st.retiring > 0)
        for (auto& [id, child] : st.servers)
          if (child.retiring && !child.stop_sent)
            modify(st, child, [](pool_child& c) { c.retiring = false; });
      return;
    }
    st.reserve_in_flight = true;
    st.creates_allowed = allowed;
    self->request(st.node, caf::infinite, atom::reserve_v, st.cfg.name, allowed)
      .then(
        [self](int64_t granted) {
          auto& st = self->state;
          st.reserve_in_flight = false;
          // Desired may have changed while we waited: take only what is
          // still needed and hand the rest back.
          auto needed = std::min(std::max<int64_t>(st.rec.desired - st.active,
                                                   0),
                                 st.creates_allowed);
          auto used = std::min(granted, needed);
          if (granted > used)
            self->send(st.node, atom::release_v, st.cfg.name, granted - used);
          // No slot for the replacement of a retiring server (limits.
          // max_servers): stop it first, its slot makes the replacement.
          if (used < needed && st.cfg.max_lifetime.count() > 0)
            stop_retiring(self, true);
          create_servers(self, used);
        },
        [self](caf::error& err) {
          self->state.reserve_in_flight = false;
          spdlog::error("pool {} cannot reserve servers: {}",
                        self->state.cfg.name, self->system().render(err));
        });
  } else if (diff < 0) {
    // Servers past max_lifetime go first (oldest first): after a restart
    // that forgot a retiring server, its replacement stays.
    auto now = now_ms(self);
    auto n = static_cast<size_t>(-diff);
    std::vector<server_record> expired;
    std::vector<server_record> candidates;
    for (const auto& [id, child] : st.servers) {
      if (child.stop_sent || !is_active(child))
        continue;
      if (is_expired(st, child.rec, now))
        expired.push_back(child.rec);
      else
        candidates.push_back(child.rec);
    }
    std::sort(expired.begin(), expired.end(),
              [now](const auto& a, const auto& b) {
                return age_ms(a, now) > age_ms(b, now);
              });
    std::vector<std::string> chosen;
    for (size_t i = 0; i < expired.size() && chosen.size() < n; ++i)
      chosen.push_back(expired[i].id);
    if (chosen.size() < n)
      for (auto& id : stop_order(candidates, n - chosen.size()))
        chosen.push_back(std::move(id));
    for (const auto& id : chosen)
      send_stop(self, id);
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
  persist_pool(
    self, std::move(events),
    [self, done] {
      reconcile_soon(self);
      done(caf::none);
    },
    [done](const caf::error& err) { done(err); });
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
  res.rollout = st.rec.rollout;
  res.breaker = st.breaker->state();
  auto now = now_ms(self);
  if (st.cfg.max_lifetime.count() > 0)
    for (const auto& [id, child] : st.servers)
      res.expired += is_expired(st, child.rec, now) ? 1 : 0;
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
  persist_pool(
    self, {ev},
    [self, promise]() mutable { promise.deliver(make_status(self)); },
    [promise](const caf::error& err) mutable { promise.deliver(err); });
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
    uncount(st, j->second);
    st.servers.erase(j);
    st.troubled.erase(id);
    st.remediations.erase(id);
    st.gave_up.erase(id);
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
  uncount(st, j->second);
  st.servers.erase(j);
  spawn_child(self, std::move(rec));
}

} // namespace

bool is_active(const pool_child& child) {
  const auto& rec = child.rec;
  auto counts = rec.status == server_status::pending
                || is_provisioned(rec.status);
  return counts && !rec.stop_requested && !child.stop_sent && !child.retiring;
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
  st.breaker.emplace(st.cfg.breaker, st.rec.breaker);
  st.rec.breaker = st.breaker->state();
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
  // A rollout interrupted by a restart carries on; reboots that may not
  // have been sent are sent (again).
  if (st.rec.rollout.running()) {
    restore_rollout(st.rec.rollout, [&st](const std::string& id) {
      auto i = st.servers.find(id);
      if (i == st.servers.end())
        return std::optional<server_status>{};
      return std::optional<server_status>{i->second.rec.status};
    });
    spdlog::info("pool {}: resuming rolling reboot: {}", st.cfg.name,
                 describe(st.rec.rollout));
    advance_rollout(self);
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
    [self](atom::reboot, std::string& max_unavailable) {
      return start_rollout(self, std::move(max_unavailable));
    },
    [self](atom::abort) { return abort_rollout(self); },
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
      auto old_status = child.rec.status;
      modify(st, child, [&rec](pool_child& c) { c.rec = std::move(rec); });
      const auto& now_rec = child.rec;
      auto status = now_rec.status;
      if (old_status != server_status::deleted
          && status == server_status::deleted)
        self->send(st.node, atom::release_v, st.cfg.name, int64_t{1});
      // A create ended: running, or failed, hung or vanished on the way.
      if (old_status == server_status::starting && status != old_status) {
        auto failed = status == server_status::errored
                      || status == server_status::hanging
                      || status == server_status::deleted;
        if (failed || status == server_status::running)
          breaker_changed(self, st.breaker->record(failed, now_ms(self)));
      }
      if (status != old_status
          && (status == server_status::hanging
              || status == server_status::errored)) {
        st.troubled.insert(now_rec.id);
        // A stop sent earlier ended here: remediation may stop it again.
        modify(st, child, [](pool_child& c) { c.stop_sent = false; });
        auto delay = st.cfg.remediation.delay;
        if (delay.count() > 0)
          self->delayed_send(self_handle(self), delay, atom::reconcile_v);
      }
      if (st.rec.rollout.running()) {
        auto ch = observe_rollout(st.rec.rollout, old_status, now_rec);
        std::vector<event_record> events;
        if (ch == rollout_change::skipped)
          events.push_back(
            server_event_record(now_rec, now_ms(self), reason::rollout_skipped,
                                std::string{"left the rolling reboot while "}
                                  + to_string(status)));
        // A server that is running now may be next.
        if (ch != rollout_change::none || status != old_status)
          advance_rollout(self, std::move(events));
      }
      if (status != old_status && st.cfg.max_lifetime.count() > 0)
        stop_retiring(self, false);
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
      check_lifetime(self);
      reconcile(self);
      self->delayed_send(self_handle(self), self->state.ctx->reconcile_interval,
                         atom::tick_v);
    },
  };
}

} // namespace dynserv
