// The webhook actor: cursor, paging through the event log, one POST per
// event, backoff on failure, status.
#include "actors/webhook_actor.hpp"

#include <algorithm>
#include <exception>
#include <utility>

#include "caf/actor_system.hpp"
#include "caf/typed_event_based_actor.hpp"
#include "spdlog/spdlog.h"

#include "messages/errors.hpp"

namespace dynserv {

namespace {

using self_ptr = webhook_actor::stateful_pointer<webhook_state>;

void read_page(self_ptr self);
void deliver_next(self_ptr self);

std::string describe_error(self_ptr self, const caf::error& err) {
  if (err.category() == error_category)
    return describe(err);
  return self->system().render(err);
}

const std::string& hook_name(self_ptr self) {
  return self->state.cfg.hook.name;
}

/// Arms the one timer of the actor; `then` says what happens when it fires.
void arm(self_ptr self, millis delay, webhook_phase then) {
  auto& st = self->state;
  st.phase = webhook_phase::waiting;
  st.after_timer = then;
  self->delayed_send(self, delay, atom::retry_v, ++st.timer_generation);
}

/// Schedules another try of the step that failed with `why`, after the next
/// backoff delay, and records it in the status.
void retry_later(self_ptr self, webhook_phase step, std::string why) {
  auto& st = self->state;
  auto delay = st.retry_backoff->next();
  ++st.status.failures;
  st.status.last_error = std::move(why);
  st.status.next_retry_at_ms = st.cfg.now_ms() + delay.count();
  spdlog::warn("webhook {}: {}; next attempt in {}ms", hook_name(self),
               st.status.last_error, delay.count());
  arm(self, delay, step);
}

/// Writes the cursor if it moved past the stored one and no write is in
/// flight. Writes are coalesced: a fast receiver causes one write per
/// commit of the snapshot actor, not one per event.
void persist(self_ptr self) {
  auto& st = self->state;
  if (st.persisting || st.status.cursor <= st.status.persisted_cursor)
    return;
  st.persisting = true;
  webhook_cursor cur;
  cur.name = st.cfg.hook.name;
  cur.seq = st.status.cursor;
  cur.updated_at_ms = st.cfg.now_ms();
  self->request(st.cfg.snapshots, st.cfg.store_timeout, atom::put_v, cur)
    .then(
      [self, seq = cur.seq](uint64_t last_seq) {
        auto& st = self->state;
        st.persisting = false;
        st.status.persisted_cursor = std::max(st.status.persisted_cursor, seq);
        st.status.last_seq = std::max(st.status.last_seq, last_seq);
        persist(self);
      },
      [self](caf::error& err) {
        // Delivery goes on; the next advance writes again. A crash before
        // that repeats the events since the stored cursor (at least once).
        self->state.persisting = false;
        spdlog::warn("webhook {}: cannot store the cursor: {}", hook_name(self),
                     describe_error(self, err));
      });
}

/// Reads the stored cursor; a new webhook stores its starting point first
/// so that a crash cannot move it past events that arrived meanwhile.
void load(self_ptr self) {
  auto& st = self->state;
  st.phase = webhook_phase::loading;
  self
    ->request(st.cfg.snapshots, st.cfg.store_timeout, atom::cursor_v,
              st.cfg.hook.name)
    .then(
      [self](webhook_cursor& cur) {
        auto& st = self->state;
        st.status.last_seq = cur.last_seq;
        if (cur.found) {
          st.retry_backoff->reset();
          st.status.cursor = cur.seq;
          st.status.persisted_cursor = cur.seq;
          spdlog::info("webhook {}: delivering to {} after seq {} (log ends "
                       "at {})",
                       hook_name(self), st.status.url, cur.seq, cur.last_seq);
          read_page(self);
          return;
        }
        auto start = st.cfg.hook.from_start ? uint64_t{0} : cur.last_seq;
        webhook_cursor first;
        first.name = st.cfg.hook.name;
        first.seq = start;
        first.updated_at_ms = st.cfg.now_ms();
        self
          ->request(st.cfg.snapshots, st.cfg.store_timeout, atom::put_v, first)
          .then(
            [self, start](uint64_t last_seq) {
              auto& st = self->state;
              st.status.cursor = start;
              st.status.persisted_cursor = start;
              st.status.last_seq = std::max(st.status.last_seq, last_seq);
              st.retry_backoff->reset();
              spdlog::info("webhook {}: new, delivering to {} after seq {} "
                           "(from {})",
                           hook_name(self), st.status.url, start,
                           st.cfg.hook.from_start ? "start" : "end");
              read_page(self);
            },
            [self](caf::error& err) {
              retry_later(self, webhook_phase::loading,
                          "cannot store the first cursor: "
                            + describe_error(self, err));
            });
      },
      [self](caf::error& err) {
        retry_later(self, webhook_phase::loading,
                    "cannot read the cursor: " + describe_error(self, err));
      });
}

/// Reads the next page of events after the cursor.
void read_page(self_ptr self) {
  auto& st = self->state;
  st.phase = webhook_phase::reading;
  self
    ->request(st.cfg.snapshots, st.cfg.store_timeout, atom::events_v,
              st.status.cursor, st.cfg.page_size)
    .then(
      [self](std::vector<event_record>& events) {
        auto& st = self->state;
        // Store trouble is over; the delays of deliveries start afresh.
        st.retry_backoff->reset();
        // Only events after the cursor, in order, without gaps in what we
        // keep: the store returns them so, but never trust it blindly.
        auto after = st.status.cursor;
        for (auto& ev : events) {
          if (ev.seq <= after)
            continue;
          after = ev.seq;
          st.page.push_back(std::move(ev));
        }
        if (!st.page.empty())
          st.status.last_seq = std::max(st.status.last_seq, st.page.back().seq);
        if (st.page.empty()) {
          st.status.last_seq = std::max(st.status.last_seq, st.status.cursor);
          arm(self, st.cfg.poll_interval, webhook_phase::reading);
          return;
        }
        st.phase = webhook_phase::delivering;
        self->send(self, atom::tick_v);
      },
      [self](caf::error& err) {
        retry_later(self, webhook_phase::reading,
                    "cannot read events: " + describe_error(self, err));
      });
}

/// Delivers the first event of the page (blocking), or skips it if the
/// filter rejects it; then continues through a message to itself so that
/// status requests get in between.
void deliver_next(self_ptr self) {
  auto& st = self->state;
  st.phase = webhook_phase::delivering;
  while (!st.page.empty() && !st.filter.matches(st.page.front())) {
    st.status.cursor = st.page.front().seq;
    st.page.pop_front();
  }
  if (st.page.empty()) {
    st.status.pending_seq = 0;
    persist(self);
    read_page(self);
    return;
  }
  const auto& ev = st.page.front();
  auto attempt = st.retry_backoff->attempts() + 1;
  st.status.pending_seq = ev.seq;
  st.status.attempts = attempt - 1;
  auto now = st.cfg.now_ms();
  auto req = webhook_request(st.target, st.cfg.node_name, ev,
                             st.cfg.hook.secret, now / 1000, attempt);
  http_result res;
  try {
    res = st.transport->send(req);
  } catch (const std::exception& e) {
    // The client reports failures as values; anything thrown (bad_alloc)
    // is one more failed attempt, not the end of the webhook.
    res.failure = http_failure::lost;
    res.detail = e.what();
  }
  auto id = webhook_event_id(st.cfg.node_name, ev.seq);
  if (res.ok() && res.response.status >= 200 && res.response.status < 300) {
    if (attempt > 1)
      spdlog::info("webhook {}: event {} delivered after {} attempts",
                   hook_name(self), id, attempt);
    st.status.cursor = ev.seq;
    st.status.pending_seq = 0;
    st.status.attempts = 0;
    st.status.next_retry_at_ms = 0;
    st.status.last_success_at_ms = st.cfg.now_ms();
    ++st.status.delivered;
    st.retry_backoff->reset();
    st.page.pop_front();
    persist(self);
    self->send(self, atom::tick_v);
    return;
  }
  std::string why = "event " + id + " attempt " + std::to_string(attempt)
                    + " failed: ";
  if (res.ok())
    why += "HTTP " + std::to_string(res.response.status);
  else
    why += std::string{to_string(res.failure)} + ": "
           + scrub_url(res.detail, st.cfg.hook.url);
  st.status.attempts = attempt;
  retry_later(self, webhook_phase::delivering, std::move(why));
}

} // namespace

std::optional<std::string> webhook_actor_config::validate() const {
  if (hook.name.empty())
    return "the webhook has no name";
  if (hook.secret.empty())
    return "webhook " + hook.name + " has no secret";
  if (node_name.empty())
    return "webhook " + hook.name + ": the node has no name";
  if (poll_interval.count() <= 0 || store_timeout.count() <= 0)
    return "webhook " + hook.name + ": intervals must be positive";
  if (page_size == 0)
    return "webhook " + hook.name + ": the page size must be positive";
  if (hook.backoff_initial.count() <= 0
      || hook.backoff_max < hook.backoff_initial)
    return "webhook " + hook.name + ": invalid backoff";
  return std::nullopt;
}

webhook_actor::behavior_type
webhook(webhook_actor::stateful_pointer<webhook_state> self,
        webhook_actor_config cfg, std::shared_ptr<http_transport> transport) {
  auto& st = self->state;
  if (auto problem = cfg.validate()) {
    spdlog::error("{}", *problem);
    self->quit(make_error(ec::invalid_config, *problem));
    return webhook_actor::behavior_type::make_empty_behavior();
  }
  st.cfg = std::move(cfg);
  st.transport = std::move(transport);
  st.target = split_webhook_url(st.cfg.hook.url).second;
  st.filter.reasons = st.cfg.hook.events;
  st.filter.pools = st.cfg.hook.pools;
  st.retry_backoff = std::make_unique<backoff>(
    st.cfg.hook.backoff_initial, st.cfg.hook.backoff_max,
    webhook_backoff_multiplier, webhook_backoff_jitter, st.cfg.seed);
  st.status.name = st.cfg.hook.name;
  st.status.url = redact_url(st.cfg.hook.url);
  load(self);
  return {
    [self](atom::status) -> webhook_status { return self->state.status; },
    [self](atom::tick) {
      if (self->state.phase == webhook_phase::delivering)
        deliver_next(self);
    },
    [self](atom::retry, uint64_t generation) {
      auto& st = self->state;
      if (generation != st.timer_generation
          || st.phase != webhook_phase::waiting)
        return;
      st.status.next_retry_at_ms = 0;
      switch (st.after_timer) {
        case webhook_phase::loading:
          load(self);
          break;
        case webhook_phase::reading:
          read_page(self);
          break;
        case webhook_phase::delivering:
        case webhook_phase::waiting:
          deliver_next(self);
          break;
      }
    },
  };
}

caf::expected<std::shared_ptr<http_transport>>
make_webhook_transport(const webhook_config& hook) {
  http_client_options opts;
  opts.base_url = split_webhook_url(hook.url).first;
  opts.ca_file = hook.ca_file;
  opts.tls_verify = hook.tls_verify;
  opts.connect_timeout = hook.timeout;
  opts.read_timeout = hook.timeout;
  opts.user_agent = "dynserv-webhook";
  std::string why;
  auto client = make_http_client(opts, &why);
  if (!client)
    return make_error(ec::invalid_config, "webhooks." + hook.name + ".url: "
                                            + scrub_url(why, hook.url));
  return std::shared_ptr<http_transport>{std::move(client)};
}

caf::expected<std::map<std::string, webhook_actor>>
start_webhooks(caf::actor_system& sys, const node_config& cfg,
               snapshot_actor snapshots) {
  std::map<std::string, std::shared_ptr<http_transport>> transports;
  for (const auto& [name, hook] : cfg.webhooks) {
    auto transport = make_webhook_transport(hook);
    if (!transport)
      return transport.error();
    transports[name] = std::move(*transport);
  }
  std::map<std::string, webhook_actor> result;
  uint64_t seed = static_cast<uint64_t>(system_wall_clock()());
  for (const auto& [name, hook] : cfg.webhooks) {
    webhook_actor_config wac;
    wac.node_name = cfg.name;
    wac.hook = hook;
    wac.snapshots = snapshots;
    wac.seed = seed++;
    if (auto problem = wac.validate()) {
      for (auto& [_, hdl] : result)
        caf::anon_send_exit(hdl, caf::exit_reason::user_shutdown);
      return make_error(ec::invalid_config, *problem);
    }
    if (!hook.tls_verify)
      spdlog::warn("webhook {}: tls_verify is false: the receiver's "
                   "certificate is not checked",
                   name);
    result[name] = sys.spawn<caf::detached>(webhook, std::move(wac),
                                            transports[name]);
  }
  return result;
}

} // namespace dynserv
