// The orphan sweeper: list each account, compare with the store, act after
// the grace period.
//
// Why it is race-free: a server actor persists its record (status starting,
// create_attempts > 0) before it sends a create, and the snapshot actor
// answers the sweeper's read only after committing every put queued before
// it. The sweeper lists first and reads the store afterwards, so every
// server in the list whose create dynserv sent has its record in what the
// sweeper reads. A record that became deleted after the list started is
// not trusted either way in that sweep.
#include "actors/orphan_sweeper.hpp"

#include <algorithm>
#include <memory>
#include <unordered_map>

#include "caf/typed_event_based_actor.hpp"
#include "spdlog/spdlog.h"

#include "actors/server_naming.hpp"
#include "messages/events.hpp"

namespace dynserv {

namespace {

using self_ptr = orphan_sweeper_actor::stateful_pointer<orphan_sweeper_state>;

orphan_sweeper_actor self_handle(self_ptr self) {
  return caf::actor_cast<orphan_sweeper_actor>(self);
}

std::string label_of(const cloud_server& srv, const char* key) {
  auto i = srv.labels.find(key);
  return i == srv.labels.end() ? std::string{} : i->second;
}

std::string describe(const orphan_info& info, orphan_action action,
                     millis grace) {
  const auto& srv = info.server;
  std::string labels;
  for (const auto& [k, v] : srv.labels)
    labels += (labels.empty() ? "" : ",") + k + "=" + v;
  std::string what;
  switch (action) {
    case orphan_action::destroy:
      what = "it will be adopted and deleted";
      break;
    case orphan_action::adopt:
      what = "it will be adopted into its pool";
      break;
    case orphan_action::report:
      what = "it is left alone (orphans.action is report)";
      break;
  }
  if (action != orphan_action::report)
    what += " once it is " + format_duration(grace) + " old";
  return "provider " + info.account + " has server " + srv.provider_id + " \""
         + srv.name + "\" (" + to_string(srv.state) + ", labels " + labels
         + ") that no record accounts for; " + what;
}

/// The pool that takes `info` in, or "" when none may.
std::string host_pool(self_ptr self, const orphan_info& info) {
  const auto& cfg = self->state.cfg;
  auto labelled = label_of(info.server, labels::pool);
  auto i = cfg.pool_accounts.find(labelled);
  if (i != cfg.pool_accounts.end() && i->second == info.account)
    return labelled;
  if (cfg.orphans.action != orphan_action::destroy)
    return {};
  // Deleting needs a server actor, which lives in a pool: any pool of the
  // same account hosts it until it is gone.
  for (const auto& [pool, account] : cfg.pool_accounts)
    if (account == info.account)
      return pool;
  return {};
}

void finish(self_ptr self) {
  auto& st = self->state;
  st.sweeping = false;
  ++st.sweeps;
  auto waiting = std::move(st.waiting);
  st.waiting.clear();
  for (auto& promise : waiting)
    promise.deliver(static_cast<uint64_t>(st.orphans.size()));
}

/// Adopts (or leaves alone) every orphan whose grace has passed.
void act(self_ptr self, const std::vector<server_record>& records,
         int64_t now) {
  auto& st = self->state;
  auto grace = st.cfg.orphans.grace.count();
  std::unordered_map<std::string, bool> used_ids;
  for (const auto& rec : records)
    used_ids.emplace(rec.id, true);
  for (auto& [key, info] : st.orphans) {
    if (info.handled || info.adopting)
      continue;
    auto created = info.server.created_at_ms;
    if (now - info.first_seen_ms < grace
        || (created > 0 && now - created < grace))
      continue;
    if (st.cfg.orphans.action == orphan_action::report) {
      info.handled = true;
      continue;
    }
    auto pool = host_pool(self, info);
    if (pool.empty()) {
      info.handled = true;
      spdlog::warn("orphan {} at provider {}: no pool {} on that account to "
                   "take it; left alone",
                   info.server.provider_id, info.account,
                   label_of(info.server, labels::pool).empty()
                     ? std::string{"(no dynserv-pool label)"}
                     : "\"" + label_of(info.server, labels::pool) + "\"");
      continue;
    }
    // Keep the server's own dynserv id when no record uses it (polls then
    // find it by label); otherwise give it a new one.
    auto id = label_of(info.server, labels::id);
    if (id.empty() || used_ids.count(id) > 0)
      id = make_uuid(st.rng);
    used_ids.emplace(id, true);
    auto destroy = st.cfg.orphans.action == orphan_action::destroy;
    auto rec = adoption_record(info.server, info.account, pool, id, destroy,
                               now);
    info.adopting = true;
    self->request(st.node, caf::infinite, atom::adopt_v, pool, rec)
      .then(
        [self, key = key](server_record&) {
          auto& st = self->state;
          if (auto i = st.orphans.find(key); i != st.orphans.end()) {
            i->second.adopting = false;
            i->second.handled = true;
          }
        },
        [self, key = key](caf::error& err) {
          auto& st = self->state;
          if (auto i = st.orphans.find(key); i != st.orphans.end())
            i->second.adopting = false;
          spdlog::warn("adopting orphan {} failed (next sweep retries): {}",
                       key, self->system().render(err));
        });
  }
}

/// Compares the lists with the store and updates the known orphans.
void classify(self_ptr self,
              const std::map<std::string, std::vector<cloud_server>>& listed,
              const std::vector<server_record>& records, int64_t started) {
  auto& st = self->state;
  auto now = st.ctx->now_ms();
  std::vector<event_record> events;
  for (const auto& [account, servers] : listed) {
    auto found = find_orphans(account, servers, records, started);
    std::map<std::string, bool> current;
    for (auto& srv : found) {
      auto key = account + "/" + srv.provider_id;
      current.emplace(key, true);
      auto i = st.orphans.find(key);
      if (i != st.orphans.end()) {
        i->second.server = std::move(srv);
        continue;
      }
      orphan_info info{account, std::move(srv), now, false, false};
      auto msg = describe(info, st.cfg.orphans.action, st.cfg.orphans.grace);
      spdlog::warn("orphan: {}", msg);
      event_record ev;
      ev.at_ms = now;
      ev.reason = reason::orphan_found;
      ev.pool = label_of(info.server, labels::pool);
      ev.server_id = label_of(info.server, labels::id);
      ev.message = std::move(msg);
      events.push_back(std::move(ev));
      st.orphans.emplace(key, std::move(info));
    }
    // Orphans of this account that are gone or now accounted for.
    for (auto i = st.orphans.begin(); i != st.orphans.end();) {
      if (i->second.account == account && !i->second.adopting
          && current.count(i->first) == 0)
        i = st.orphans.erase(i);
      else
        ++i;
    }
  }
  if (!events.empty())
    caf::anon_send(st.snapshots, atom::put_v, std::move(events));
  act(self, records, now);
}

void sweep(self_ptr self) {
  auto& st = self->state;
  st.sweeping = true;
  auto started = st.ctx->now_ms();
  auto listed
    = std::make_shared<std::map<std::string, std::vector<cloud_server>>>();
  auto remaining = std::make_shared<size_t>(st.cfg.providers.size());
  // Lists first, then the store (see the top of this file).
  auto read_store = [self, listed, started] {
    auto& st = self->state;
    if (listed->empty()) {
      finish(self);
      return;
    }
    self->request(st.snapshots, caf::infinite, atom::get_v)
      .then(
        [self, listed, started](std::vector<server_record>& records) {
          classify(self, *listed, records, started);
          finish(self);
        },
        [self](caf::error& err) {
          spdlog::warn("orphan sweep cannot read the store: {}",
                       self->system().render(err));
          finish(self);
        });
  };
  if (*remaining == 0) {
    finish(self);
    return;
  }
  auto timeout = st.ctx->timing.call_timeout + st.ctx->timing.poll_interval;
  for (const auto& [account, hdl] : st.cfg.providers) {
    self->request(hdl, timeout, atom::list_v)
      .then(
        [listed, remaining, read_store, account = account](provider_reply& r) {
          if (r.ok())
            (*listed)[account] = std::move(r.servers);
          else
            spdlog::warn("orphan sweep of provider {} skipped: list failed: "
                         "{} {} {}",
                         account, to_string(r.error.kind), r.error.code,
                         r.error.message);
          if (--*remaining == 0)
            read_store();
        },
        [self, remaining, read_store, account = account](caf::error& err) {
          spdlog::warn("orphan sweep of provider {} skipped: {}", account,
                       self->system().render(err));
          if (--*remaining == 0)
            read_store();
        });
  }
}

} // namespace

std::vector<cloud_server>
find_orphans(const std::string& account,
             const std::vector<cloud_server>& listed,
             const std::vector<server_record>& records,
             int64_t list_started_ms) {
  std::unordered_multimap<std::string, const server_record*> by_pid;
  std::unordered_map<std::string, const server_record*> by_id;
  for (const auto& rec : records) {
    if (rec.provider == account && !rec.provider_id.empty())
      by_pid.emplace(rec.provider_id, &rec);
    by_id.emplace(rec.id, &rec);
  }
  auto deleted_since_list = [&](const server_record& rec) {
    return rec.status == server_status::deleted
           && rec.status_since_ms >= list_started_ms;
  };
  std::vector<cloud_server> result;
  for (const auto& srv : listed) {
    bool known = false;
    bool unsure = false;
    auto [first, last] = by_pid.equal_range(srv.provider_id);
    for (auto i = first; i != last; ++i) {
      known |= i->second->status != server_status::deleted;
      unsure |= deleted_since_list(*i->second);
    }
    if (auto i = srv.labels.find(labels::id); !known && i != srv.labels.end()) {
      if (auto j = by_id.find(i->second); j != by_id.end()) {
        const auto& rec = *j->second;
        // A create in flight (or with an unknown outcome) has no provider
        // id yet: its server is no orphan.
        known = rec.provider == account && rec.status != server_status::deleted
                && (rec.provider_id.empty()
                    || rec.provider_id == srv.provider_id);
        unsure |= rec.provider == account && deleted_since_list(rec)
                  && (rec.provider_id.empty()
                      || rec.provider_id == srv.provider_id);
      }
    }
    if (!known && !unsure)
      result.push_back(srv);
  }
  return result;
}

server_record adoption_record(const cloud_server& srv,
                              const std::string& account,
                              const std::string& pool, const std::string& id,
                              bool destroy, int64_t now_ms) {
  server_record rec;
  rec.id = id;
  rec.name = srv.name;
  rec.pool = pool;
  rec.provider = account;
  rec.provider_id = srv.provider_id;
  rec.provider_created_at_ms = srv.created_at_ms;
  rec.created_at_ms = now_ms;
  rec.status_since_ms = now_ms;
  // The server exists: a restart must never create it again.
  rec.create_attempts = 1;
  using ss = server_status;
  switch (srv.state) {
    case cloud_state::provisioning:
      rec.status = ss::starting;
      rec.call_accepted = true;
      rec.stop_requested = destroy;
      break;
    case cloud_state::running:
      rec.status = ss::running;
      rec.stop_requested = destroy;
      break;
    case cloud_state::rebooting:
      rec.status = ss::rebooting;
      rec.call_accepted = true;
      rec.stop_requested = destroy;
      break;
    case cloud_state::stopping:
      rec.status = ss::stopping;
      rec.call_accepted = true;
      break;
    case cloud_state::stopped:
      rec.status = ss::stopped;
      break;
    case cloud_state::deleting:
      rec.status = ss::deleting;
      rec.call_accepted = true;
      break;
    case cloud_state::error:
    case cloud_state::unknown:
    case cloud_state::failed:
      if (destroy) {
        // Ask for a stop; a refusal is resolved by reading the server.
        rec.status = ss::stopping;
      } else {
        rec.status = ss::errored;
        rec.last_error_kind = error_kind::permanent;
        rec.last_error_code = srv.raw_state;
        rec.last_error_message = std::string{"adopted in provider state "}
                                 + to_string(srv.state);
      }
      break;
  }
  rec.previous_status = rec.status;
  return rec;
}

orphan_sweeper_actor::behavior_type orphan_sweeper(
  orphan_sweeper_actor::stateful_pointer<orphan_sweeper_state> self,
  orphan_sweeper_config cfg, actor_context_ptr ctx, snapshot_actor snapshots,
  node_actor node) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.ctx = std::move(ctx);
  st.snapshots = std::move(snapshots);
  st.node = std::move(node);
  st.rng.seed(st.ctx->seed ^ 0x6f7270686e);
  // The first sweep runs at start.
  self->send(self_handle(self), atom::tick_v);
  return {
    [self](atom::sweep) -> caf::result<uint64_t> {
      auto& st = self->state;
      auto promise = self->make_response_promise<uint64_t>();
      st.waiting.push_back(promise);
      if (!st.sweeping)
        sweep(self);
      return promise;
    },
    [self](atom::tick) {
      auto& st = self->state;
      if (!st.sweeping)
        sweep(self);
      self->delayed_send(self_handle(self), st.cfg.orphans.sweep_interval,
                         atom::tick_v);
    },
  };
}

} // namespace dynserv
