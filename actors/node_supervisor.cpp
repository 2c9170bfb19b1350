// The node supervisor: slot accounting for max_servers and command routing.
#include "actors/node_supervisor.hpp"

#include <algorithm>
#include <functional>
#include <memory>
#include <tuple>
#include <utility>

#include "caf/sec.hpp"
#include "caf/typed_event_based_actor.hpp"
#include "spdlog/spdlog.h"

#include "actors/pool_supervisor.hpp"
#include "messages/errors.hpp"
#include "messages/events.hpp"

namespace dynserv {

namespace {

using self_ptr = node_actor::stateful_pointer<node_state>;

constexpr auto housekeeping_interval = std::chrono::minutes{10};

caf::error unknown_pool(self_ptr self, const std::string& name) {
  std::string known;
  for (const auto& [pool, hdl] : self->state.pools)
    known += (known.empty() ? "" : ", ") + pool;
  return make_error(ec::unknown_pool,
                    "unknown pool \"" + name + "\" (known: " + known + ")");
}

const pool_actor* find_pool(self_ptr self, const std::string& name) {
  auto i = self->state.pools.find(name);
  return i == self->state.pools.end() ? nullptr : &i->second;
}

/// Asks the pools one after another to stop server `id`.
void stop_in_pools(self_ptr self, std::vector<pool_actor> pools, size_t index,
                   std::string id,
                   caf::typed_response_promise<server_record> promise) {
  if (index >= pools.size()) {
    promise.deliver(make_error(ec::unknown_server, "no server " + id));
    return;
  }
  self->request(pools[index], caf::infinite, atom::stop_v, id)
    .then([promise](server_record& rec) mutable { promise.deliver(rec); },
          [self, pools, index, id, promise](caf::error& err) mutable {
            if (err.category() == error_category
                && err.code() == static_cast<uint8_t>(ec::unknown_server))
              stop_in_pools(self, pools, index + 1, id, promise);
            else
              promise.deliver(err);
          });
}

/// Asks every pool for its status and calls `done` with all of them (sorted
/// by name) or with the first error.
void gather_pools(
  self_ptr self,
  std::function<void(caf::expected<std::vector<pool_status>>)> done) {
  auto& st = self->state;
  auto results = std::make_shared<std::vector<pool_status>>();
  auto remaining = std::make_shared<size_t>(st.pools.size());
  auto failed = std::make_shared<bool>(false);
  if (*remaining == 0) {
    done(*results);
    return;
  }
  for (const auto& [name, hdl] : st.pools) {
    self->request(hdl, caf::infinite, atom::get_v)
      .then(
        [results, remaining, failed, done](pool_status& ps) {
          results->push_back(std::move(ps));
          if (--*remaining == 0 && !*failed) {
            std::sort(results->begin(), results->end(),
                      [](const auto& a, const auto& b) {
                        return a.name < b.name;
                      });
            done(std::move(*results));
          }
        },
        [remaining, failed, done](caf::error& err) {
          --*remaining;
          if (!*failed) {
            *failed = true;
            done(err);
          }
        });
  }
}

/// The entry of webhook `name` when its actor gave no status: the last one
/// it gave (if any) with `why` in front of its last error.
webhook_status unanswered_webhook(self_ptr self, const std::string& name,
                                  const std::string& why) {
  auto& cache = self->state.last_webhook_status;
  webhook_status res;
  if (auto i = cache.find(name); i != cache.end())
    res = i->second;
  res.name = name;
  auto previous = std::move(res.last_error);
  res.last_error = "status unavailable: " + why;
  if (cache.count(name))
    res.last_error += "; figures are from its last answer";
  if (!previous.empty())
    res.last_error += "; last error: " + previous;
  return res;
}

/// Asks every webhook actor for its status and calls `done` with all of
/// them, sorted by name. Never fails: an actor that does not answer within
/// `webhook_status_timeout` or is gone gets an entry with an error text.
void gather_webhooks(self_ptr self,
                     std::function<void(std::vector<webhook_status>)> done) {
  auto& st = self->state;
  auto results = std::make_shared<std::vector<webhook_status>>();
  auto remaining = std::make_shared<size_t>(st.webhooks.size());
  auto finish = [self, results, remaining, done] {
    if (--*remaining > 0)
      return;
    std::sort(results->begin(), results->end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    // A webhook retrying one event does not read further, so its own end
    // of the log stands still; the lag is against the log's real end.
    auto& st = self->state;
    self
      ->request(st.snapshots, st.webhook_status_timeout, atom::cursor_v,
                results->front().name)
      .then(
        [results, done](const webhook_cursor& c) {
          for (auto& ws : *results)
            ws.last_seq = std::max(ws.last_seq, c.last_seq);
          done(std::move(*results));
        },
        [results, done](const caf::error&) { done(std::move(*results)); });
  };
  if (*remaining == 0) {
    done({});
    return;
  }
  auto timeout = st.webhook_status_timeout;
  for (const auto& [name, hdl] : st.webhooks) {
    self->request(hdl, timeout, atom::status_v)
      .then(
        [self, results, finish, name = name](webhook_status& ws) {
          // The map's name is the one the operator configured; the actor
          // reports the same, but the key keeps entries unique regardless.
          ws.name = name;
          self->state.last_webhook_status[name] = ws;
          results->push_back(std::move(ws));
          finish();
        },
        [self, results, finish, name = name, timeout](caf::error& err) {
          std::string why;
          if (err == caf::sec::request_timeout)
            why = "no answer within " + std::to_string(timeout.count())
                  + " ms (a request to the receiver may be in flight)";
          else if (err == caf::sec::request_receiver_down)
            why = "the webhook actor is not running";
          else
            why = self->system().render(err);
          results->push_back(unanswered_webhook(self, name, why));
          finish();
        });
  }
}

// -- handler groups -----------------------------------------------------------

/// Forwards a command to pool `pool`, or answers unknown_pool.
template <class Reply, class... Ts>
caf::result<Reply> to_pool(self_ptr self, const std::string& pool, Ts&&... xs) {
  if (auto hdl = find_pool(self, pool))
    return self->delegate(*hdl, std::forward<Ts>(xs)...);
  return unknown_pool(self, pool);
}

/// Slot accounting for limits.max_servers: reserve, release, limits.
auto limit_handlers(self_ptr self) {
  return std::make_tuple(
    [self](atom::reserve, const std::string& pool, int64_t n) -> int64_t {
      auto& st = self->state;
      auto free = std::max<int64_t>(st.max_servers - st.allocated, 0);
      auto granted = std::min(n, free);
      st.allocated += granted;
      if (granted < n) {
        if (st.limited_pools.insert(pool).second) {
          auto msg = "pool " + pool + " wanted " + std::to_string(n)
                     + " more servers, got " + std::to_string(granted) + "; "
                     + std::to_string(st.allocated) + " of limits.max_servers "
                     + std::to_string(st.max_servers) + " in use";
          auto ev = pool_event_record(pool, st.ctx->now_ms(), reason::limit_hit,
                                      msg);
          caf::anon_send(st.snapshots, atom::put_v,
                         std::vector<event_record>{ev});
        }
      } else {
        st.limited_pools.erase(pool);
      }
      return granted;
    },
    [self](atom::release, const std::string&, int64_t n) {
      auto& st = self->state;
      st.allocated = std::max<int64_t>(st.allocated - n, 0);
      // Pools waiting for slots retry on their next reconcile.
      for (const auto& name : st.limited_pools)
        if (auto pool = find_pool(self, name))
          self->send(*pool, atom::reconcile_v);
    },
    [self](atom::limits) -> limits_info {
      auto& st = self->state;
      limits_info res;
      res.max_servers = st.max_servers;
      res.allocated = st.allocated;
      res.limited_pools.assign(st.limited_pools.begin(),
                               st.limited_pools.end());
      return res;
    });
}

/// Operator commands on one pool, each forwarded to its pool supervisor.
auto pool_command_handlers(self_ptr self) {
  return std::make_tuple(
    [self](atom::ensure, const std::string& pool,
           int64_t n) -> caf::result<scale_reply> {
      return to_pool<scale_reply>(self, pool, atom::ensure_v, n);
    },
    [self](atom::increase, const std::string& pool,
           int64_t n) -> caf::result<scale_reply> {
      return to_pool<scale_reply>(self, pool, atom::increase_v, n);
    },
    [self](atom::decrease, const std::string& pool,
           int64_t n) -> caf::result<scale_reply> {
      return to_pool<scale_reply>(self, pool, atom::decrease_v, n);
    },
    [self](atom::reboot, const std::string& pool,
           std::string& max_unavailable) -> caf::result<rollout_record> {
      return to_pool<rollout_record>(self, pool, atom::reboot_v,
                                     std::move(max_unavailable));
    },
    [self](atom::abort,
           const std::string& pool) -> caf::result<rollout_record> {
      return to_pool<rollout_record>(self, pool, atom::abort_v);
    },
    [self](atom::pause, const std::string& pool) -> caf::result<pool_status> {
      return to_pool<pool_status>(self, pool, atom::pause_v);
    },
    [self](atom::resume, const std::string& pool) -> caf::result<pool_status> {
      return to_pool<pool_status>(self, pool, atom::resume_v);
    },
    [self](atom::evaluate,
           const std::string& pool) -> caf::result<decision_record> {
      return to_pool<decision_record>(self, pool, atom::evaluate_v);
    });
}

/// Operator commands on one server by id, which may be in any pool.
auto server_handlers(self_ptr self) {
  return std::make_tuple(
    [self](atom::stop, std::string& id) -> caf::result<server_record> {
      std::vector<pool_actor> pools;
      for (const auto& [name, hdl] : self->state.pools)
        pools.push_back(hdl);
      auto promise = self->make_response_promise<server_record>();
      stop_in_pools(self, std::move(pools), 0, std::move(id), promise);
      return promise;
    },
    [self](atom::server, std::string& id) -> caf::result<server_record> {
      auto promise = self->make_response_promise<server_record>();
      gather_pools(
        self,
        [promise, id](caf::expected<std::vector<pool_status>> res) mutable {
          if (!res) {
            promise.deliver(res.error());
            return;
          }
          for (auto& pool : *res)
            for (auto& rec : pool.servers)
              if (rec.id == id) {
                promise.deliver(rec);
                return;
              }
          promise.deliver(make_error(ec::unknown_server, "no server " + id));
        });
      return promise;
    });
}

/// Status of the pools and of the webhooks (which attach at start-up).
auto status_handlers(self_ptr self) {
  return std::make_tuple(
    [self](atom::status) -> caf::result<std::vector<pool_status>> {
      auto promise = self->make_response_promise<std::vector<pool_status>>();
      gather_pools(
        self, [promise](caf::expected<std::vector<pool_status>> res) mutable {
          if (res)
            promise.deliver(std::move(*res));
          else
            promise.deliver(res.error());
        });
      return promise;
    },
    [self](atom::status,
           atom::webhooks) -> caf::result<std::vector<webhook_status>> {
      auto promise = self->make_response_promise<std::vector<webhook_status>>();
      gather_webhooks(self, [promise](std::vector<webhook_status> res) mutable {
        promise.deliver(std::move(res));
      });
      return promise;
    },
    [self](atom::put, atom::webhooks, std::string& name, webhook_actor& hdl) {
      auto& st = self->state;
      st.last_webhook_status.erase(name);
      st.webhooks[std::move(name)] = std::move(hdl);
    });
}

/// The stored history: policy decisions and the event log.
auto history_handlers(self_ptr self) {
  return std::make_tuple(
    [self](atom::decisions, const std::string& pool,
           uint32_t limit) -> caf::result<std::vector<decision_record>> {
      if (!find_pool(self, pool))
        return unknown_pool(self, pool);
      return self->delegate(self->state.snapshots, atom::decisions_v, pool,
                            limit);
    },
    [self](atom::events, uint64_t after,
           uint32_t limit) -> caf::result<std::vector<event_record>> {
      return self->delegate(self->state.snapshots, atom::events_v, after,
                            limit);
    });
}

/// Applies the desired counts of a reloaded config to the pools it names
/// that exist; replies with their answers or the first error.
caf::result<std::vector<scale_reply>>
reload_pools(self_ptr self, const std::vector<pool_record>& declared) {
  auto promise = self->make_response_promise<std::vector<scale_reply>>();
  auto results = std::make_shared<std::vector<scale_reply>>();
  auto remaining = std::make_shared<size_t>(0);
  for (const auto& rec : declared)
    if (find_pool(self, rec.name))
      ++*remaining;
  if (*remaining == 0) {
    promise.deliver(*results);
    return promise;
  }
  for (const auto& rec : declared) {
    auto hdl = find_pool(self, rec.name);
    if (!hdl)
      continue;
    self->request(*hdl, caf::infinite, atom::reload_v, rec.desired)
      .then(
        [promise, results, remaining](scale_reply& r) mutable {
          results->push_back(std::move(r));
          if (--*remaining == 0)
            promise.deliver(*results);
        },
        [promise](caf::error& err) mutable { promise.deliver(err); });
  }
  return promise;
}

/// Adopts orphan `rec` into `pool`: it takes a slot at once (even above
/// the limit), which is returned if the pool refuses it.
caf::result<server_record> adopt_server(self_ptr self, const std::string& pool,
                                        server_record& rec) {
  auto hdl = find_pool(self, pool);
  if (!hdl)
    return unknown_pool(self, pool);
  auto& st = self->state;
  // The server exists whether we adopt it or not: it takes a slot even
  // above the limit, so that no create happens until it is gone.
  ++st.allocated;
  if (st.allocated > st.max_servers)
    spdlog::warn("adopting server {} puts {} servers above "
                 "limits.max_servers {}; no server is created until "
                 "the count drops below it",
                 rec.id, st.allocated, st.max_servers);
  auto promise = self->make_response_promise<server_record>();
  self->request(*hdl, caf::infinite, atom::adopt_v, std::move(rec))
    .then([promise](server_record& res) mutable { promise.deliver(res); },
          [self, promise](caf::error& err) mutable {
            auto& st = self->state;
            st.allocated = std::max<int64_t>(st.allocated - 1, 0);
            promise.deliver(err);
          });
  return promise;
}

/// Housekeeping: prunes old deleted records and policy decisions, then
/// arms the next tick.
void housekeep(self_ptr self) {
  auto& st = self->state;
  auto cutoff = st.ctx->now_ms() - st.deleted_retention.count();
  self->request(st.snapshots, caf::infinite, atom::prune_v, cutoff)
    .then(
      [](uint64_t n) {
        if (n > 0)
          spdlog::info("pruned {} deleted server records", n);
      },
      [self](caf::error& err) {
        spdlog::warn("pruning deleted records failed: {}",
                     self->system().render(err));
      });
  auto decision_cutoff = st.ctx->now_ms() - st.decision_retention.count();
  self
    ->request(st.snapshots, caf::infinite, atom::prune_v, atom::decisions_v,
              decision_cutoff)
    .then(
      [](uint64_t n) {
        if (n > 0)
          spdlog::info("pruned {} policy decisions", n);
      },
      [self](caf::error& err) {
        spdlog::warn("pruning policy decisions failed: {}",
                     self->system().render(err));
      });
  self->delayed_send(caf::actor_cast<node_actor>(self), housekeeping_interval,
                     atom::tick_v);
}

/// The node's own lifecycle: config reloads, adopted orphans, housekeeping.
auto lifecycle_handlers(self_ptr self) {
  return std::make_tuple(
    [self](atom::reload, std::vector<pool_record>& declared)
      -> caf::result<std::vector<scale_reply>> {
      return reload_pools(self, declared);
    },
    [self](atom::adopt, std::string& pool, server_record& rec)
      -> caf::result<server_record> { return adopt_server(self, pool, rec); },
    [self](atom::tick) { housekeep(self); });
}

/// Fills the state from `cfg` and spawns one monitored pool supervisor per
/// configured pool.
void spawn_pools(self_ptr self, node_supervisor_config& cfg,
                 const actor_context_ptr& ctx,
                 const snapshot_actor& snapshots) {
  auto& st = self->state;
  st.max_servers = cfg.max_servers;
  st.allocated = cfg.unmanaged_servers;
  st.deleted_retention = cfg.deleted_retention;
  st.decision_retention = cfg.decision_retention;
  st.webhook_status_timeout = cfg.webhook_status_timeout;
  st.ctx = ctx;
  st.snapshots = snapshots;
  auto me = caf::actor_cast<node_actor>(self);
  for (auto& seed : cfg.pools) {
    for (const auto& rec : seed.servers)
      if (rec.status != server_status::deleted)
        ++st.allocated;
    auto name = seed.cfg.name;
    auto pool = self->spawn<caf::monitored>(pool_supervisor, seed.cfg,
                                            seed.stored,
                                            std::move(seed.servers), ctx,
                                            snapshots, seed.provider, me);
    st.pools.emplace(name, pool);
  }
  if (st.allocated > st.max_servers)
    spdlog::warn("the store holds {} servers, above limits.max_servers {}; "
                 "no server is created until the count drops below it",
                 st.allocated, st.max_servers);
}

/// An exit takes the pools down with the node; a pool that dies is logged.
void watch_pools(self_ptr self) {
  self->set_exit_handler([self](caf::exit_msg& msg) {
    for (auto& [name, pool] : self->state.pools)
      self->send_exit(pool, msg.reason);
    self->quit(msg.reason);
  });
  self->set_down_handler([self](caf::down_msg& msg) {
    for (const auto& [name, pool] : self->state.pools)
      if (pool.address() == msg.source)
        spdlog::critical("pool supervisor {} died ({}); its servers stay as "
                         "recorded and resume when the node restarts",
                         name, self->system().render(msg.reason));
  });
}

} // namespace

node_actor::behavior_type
node_supervisor(node_actor::stateful_pointer<node_state> self,
                node_supervisor_config cfg, actor_context_ptr ctx,
                snapshot_actor snapshots) {
  spawn_pools(self, cfg, ctx, snapshots);
  watch_pools(self);
  self->send(caf::actor_cast<node_actor>(self), atom::tick_v);
  // One typed behavior from the handler groups: the compiler still checks
  // it against node_actor.
  return std::apply(
    [](auto&&... handlers) -> node_actor::behavior_type {
      return {std::move(handlers)...};
    },
    std::tuple_cat(limit_handlers(self), pool_command_handlers(self),
                   server_handlers(self), status_handlers(self),
                   history_handlers(self), lifecycle_handlers(self)));
}

} // namespace dynserv
