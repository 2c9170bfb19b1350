// Wiring of one node: opens the store, restores records, spawns the actors.
#include "actors/node.hpp"

#include <vector>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/typed_event_based_actor.hpp"
#include "spdlog/spdlog.h"

#include "actors/node_supervisor.hpp"
#include "actors/orphan_sweeper.hpp"
#include "actors/provider_actor.hpp"
#include "actors/snapshot_actor.hpp"
#include "http/http_client.hpp"
#include "messages/errors.hpp"
#include "messages/type_ids.hpp"
#include "providers/cloud_providers.hpp"
#include "providers/simulated_provider.hpp"
#include "storage/record_store.hpp"
#include "storage/rocksdb_store.hpp"

namespace dynserv {

std::string store_dir(const node_config& cfg) {
  return cfg.data_dir + "/store";
}

caf::expected<std::shared_ptr<provider>>
open_provider(const node_config& cfg, const std::string& name,
              const wall_clock& clock, bool read_only) {
  auto i = cfg.providers.find(name);
  if (i == cfg.providers.end())
    return make_error(ec::invalid_config, "unknown provider " + name);
  const auto& pc = i->second;
  if (pc.type == "simulated") {
    auto dir = cfg.data_dir + "/cloud/" + name;
    auto sim = open_simulated_provider(dir, pc.simulated, clock, read_only);
    if (!sim)
      return sim.error();
    return std::shared_ptr<provider>{std::move(*sim)};
  }
  auto unavailable = [&] {
    return make_error(ec::invalid_config, "providers." + name
                                            + ": provider type " + pc.type
                                            + " is not available");
  };
  if (pc.type == "exec") {
    spdlog::info("provider {}: type exec, command {}", name,
                 pc.exec.command.empty() ? std::string{"-"}
                                         : pc.exec.command.front());
    auto impl = make_exec_provider(pc.exec);
    if (!impl)
      return unavailable();
    return std::shared_ptr<provider>{std::move(impl)};
  }
  if (pc.type != "upcloud" && pc.type != "hetzner" && pc.type != "digitalocean")
    return make_error(ec::invalid_config,
                      "provider " + name + " has unknown type " + pc.type);
  // Never log the credentials: type and base URL only.
  spdlog::info("provider {}: type {}, base URL {}", name, pc.type,
               pc.api.http.base_url);
  if (!pc.api.http.tls_verify)
    spdlog::warn("provider {}: tls_verify is false: certificates and host "
                 "names of {} are not checked",
                 name, pc.api.http.base_url);
  std::string why;
  auto transport = make_http_client(pc.api.http, &why);
  if (!transport)
    return make_error(ec::invalid_config,
                      "providers." + name + ": cannot make an HTTP client for "
                        + pc.api.http.base_url + ": "
                        + (why.empty() ? std::string{"unknown reason"} : why));
  provider_ptr impl;
  if (pc.type == "upcloud")
    impl = make_upcloud_provider(upcloud_options{pc.api, pc.stop_timeout},
                                 std::move(transport));
  else if (pc.type == "hetzner")
    impl = make_hetzner_provider(hetzner_options{pc.api, pc.stop_timeout},
                                 std::move(transport));
  else
    impl = make_digitalocean_provider(
      digitalocean_options{pc.api, pc.stop_timeout}, std::move(transport));
  if (!impl)
    return unavailable();
  return std::shared_ptr<provider>{std::move(impl)};
}

namespace {

/// Tokens per second (and burst) that stand for "not rate limited".
constexpr double unlimited_rate = 1e9;

/// What the node restores from its store at start.
struct stored_records {
  std::vector<server_record> servers;
  std::vector<pool_record> pools;
};

/// The injected store (tests) or the node's RocksDB under `store_dir`.
caf::expected<std::shared_ptr<store>>
open_node_store(const node_config& cfg, const node_start_options& opts) {
  if (opts.backend)
    return opts.backend;
  auto db = open_rocksdb_store(store_dir(cfg), rocksdb_open_mode::primary);
  if (!db)
    return db.error();
  return std::shared_ptr<store>{std::move(*db)};
}

caf::expected<stored_records> load_stored_records(store& backend) {
  record_store records{backend};
  auto servers = records.load_servers();
  if (!servers)
    return servers.error();
  auto pools = records.load_pools();
  if (!pools)
    return pools.error();
  return stored_records{std::move(*servers), std::move(*pools)};
}

/// Checked before anything is spawned, so a bad config leaves no actor
/// behind.
caf::error check_pool_providers(const node_config& cfg) {
  for (const auto& [name, pc] : cfg.pools)
    if (cfg.providers.count(pc.provider) == 0)
      return make_error(ec::invalid_config, "pools." + name
                                              + ".provider: unknown provider "
                                              + pc.provider);
  return caf::none;
}

/// The settings and seams every server, pool and policy actor shares.
std::shared_ptr<actor_context>
make_actor_context(const node_config& cfg, const node_start_options& opts) {
  auto ctx = std::make_shared<actor_context>();
  ctx->node_name = cfg.name;
  ctx->timing = cfg.timing;
  ctx->reconcile_interval = cfg.reconcile_interval;
  ctx->now_ms = opts.clock;
  ctx->seed = static_cast<uint64_t>(opts.clock());
  ctx->policy_interval = cfg.policy_interval;
  ctx->fetch_metric = opts.fetch_metric;
  ctx->callbacks = opts.callbacks;
  ctx->detached_fetches = opts.detached_providers;
  for (const auto& [name, pc] : cfg.pools)
    ctx->server_specs[name] = pc.server_spec;
  return ctx;
}

/// The settings of the provider actor of account `name`.
provider_actor_config
provider_settings(const node_config& cfg, const std::string& name,
                  const provider_config& pc, const wall_clock& clock) {
  provider_actor_config pac;
  pac.account = name;
  pac.owner = cfg.name;
  // No rate_limit in the config means no limit (documented); the bucket
  // then never runs dry.
  pac.rate_limit = pc.rate_limit.value_or(
    rate_limit_options{unlimited_rate, unlimited_rate});
  pac.budget_reserve = pc.budget_reserve;
  pac.budget_refill_per_second = published_refill_rate(pc.type);
  pac.poll_interval = cfg.timing.poll_interval;
  pac.call_timeout = cfg.timing.call_timeout;
  pac.wall_now = clock;
  return pac;
}

/// Spawns one provider actor per account into `rt.providers`, over the
/// injected provider where there is one. On error the actors spawned so far
/// stay in `rt` for the caller to stop.
caf::error spawn_providers(caf::actor_system& sys, const node_config& cfg,
                           const node_start_options& opts, node_runtime& rt) {
  for (const auto& [name, pc] : cfg.providers) {
    std::shared_ptr<provider> impl;
    if (auto i = opts.providers.find(name); i != opts.providers.end()) {
      impl = i->second;
    } else {
      auto opened = open_provider(cfg, name, opts.clock, false);
      if (!opened)
        return opened.error();
      impl = std::move(*opened);
    }
    auto pac = provider_settings(cfg, name, pc, opts.clock);
    rt.providers[name] = opts.detached_providers
                           ? sys.spawn<caf::detached>(provider_worker, pac,
                                                      impl)
                           : sys.spawn(provider_worker, pac, impl);
  }
  return caf::none;
}

/// Pool `name` as the supervisor starts it: its config, its stored record
/// (if any), its servers that are not deleted and its provider actor.
node_supervisor_config::pool_seed
seed_pool(const std::string& name, const pool_config& pc,
          const stored_records& stored, const node_runtime& rt) {
  node_supervisor_config::pool_seed seed;
  seed.cfg = pc;
  seed.stored.name = name;
  for (const auto& rec : stored.pools)
    if (rec.name == name)
      seed.stored = rec;
  for (const auto& rec : stored.servers)
    if (rec.pool == name && rec.status != server_status::deleted)
      seed.servers.push_back(rec);
  seed.provider = rt.providers.at(pc.provider);
  return seed;
}

/// Counts (and warns about) the live servers of pools no longer in the
/// config: they may still exist, so they count towards `max_servers`.
int64_t count_unmanaged_servers(const node_config& cfg,
                                const stored_records& stored) {
  int64_t unmanaged = 0;
  for (const auto& rec : stored.servers)
    if (rec.status != server_status::deleted && !cfg.pools.count(rec.pool)) {
      ++unmanaged;
      spdlog::warn("server {} belongs to pool {} which is not in the config; "
                   "it is left alone (add the pool back to manage it)",
                   rec.id, rec.pool);
    }
  return unmanaged;
}

/// Spawns the node supervisor over every configured pool and logs how many
/// servers it restored.
void spawn_supervisor(caf::actor_system& sys, const node_config& cfg,
                      const node_start_options& opts,
                      const stored_records& stored,
                      std::shared_ptr<actor_context> ctx, node_runtime& rt) {
  node_supervisor_config nsc;
  nsc.max_servers = cfg.max_servers;
  nsc.deleted_retention = cfg.deleted_retention;
  nsc.decision_retention = cfg.decision_retention;
  size_t restored = 0;
  for (const auto& [name, pc] : cfg.pools) {
    nsc.pools.push_back(seed_pool(name, pc, stored, rt));
    restored += nsc.pools.back().servers.size();
  }
  nsc.unmanaged_servers = count_unmanaged_servers(cfg, stored);
  spdlog::info("node {} restored {} servers from {}", cfg.name, restored,
               opts.backend ? std::string{"memory"} : store_dir(cfg));
  rt.supervisor = sys.spawn(node_supervisor, std::move(nsc), std::move(ctx),
                            rt.snapshots);
}

void spawn_orphan_sweeper(caf::actor_system& sys, const node_config& cfg,
                          std::shared_ptr<actor_context> ctx,
                          node_runtime& rt) {
  orphan_sweeper_config osc;
  osc.orphans = cfg.orphans;
  osc.providers = rt.providers;
  for (const auto& [name, pc] : cfg.pools)
    osc.pool_accounts[name] = pc.provider;
  rt.sweeper = sys.spawn(orphan_sweeper, std::move(osc), std::move(ctx),
                         rt.snapshots, rt.supervisor);
}

} // namespace

caf::expected<node_runtime> start_node(caf::actor_system& sys,
                                       const node_config& cfg,
                                       node_start_options opts) {
  node_runtime rt;
  auto backend = open_node_store(cfg, opts);
  if (!backend)
    return backend.error();
  rt.backend = std::move(*backend);
  auto stored = load_stored_records(*rt.backend);
  if (!stored)
    return stored.error();
  if (auto err = check_pool_providers(cfg))
    return err;
  auto ctx = make_actor_context(cfg, opts);
  rt.snapshots = sys.spawn(snapshot, rt.backend);
  if (auto err = spawn_providers(sys, cfg, opts, rt)) {
    // Nothing else may keep the actor system from shutting down.
    stop_node(rt);
    return err;
  }
  spawn_supervisor(sys, cfg, opts, *stored, ctx, rt);
  if (opts.sweep_orphans)
    spawn_orphan_sweeper(sys, cfg, ctx, rt);
  return rt;
}

void attach_webhooks(node_runtime& rt,
                     std::map<std::string, webhook_actor> hooks) {
  for (auto& [name, hdl] : hooks) {
    // The webhooks are spawned after the supervisor (they need the snapshot
    // actor and may fail on their config); so they reach it by message.
    if (rt.supervisor)
      caf::anon_send(rt.supervisor, atom::put_v, atom::webhooks_v, name, hdl);
    rt.webhooks[name] = std::move(hdl);
  }
}

void stop_node(node_runtime& rt) {
  auto reason = caf::exit_reason::user_shutdown;
  if (rt.sweeper)
    caf::anon_send_exit(rt.sweeper, reason);
  // A webhook in the middle of a POST exits once it returns (at most its
  // timeout); its cursor is durable up to the last stored 2xx.
  for (auto& [name, hdl] : rt.webhooks)
    caf::anon_send_exit(hdl, reason);
  if (rt.supervisor)
    caf::anon_send_exit(rt.supervisor, reason);
  for (auto& [name, hdl] : rt.providers)
    caf::anon_send_exit(hdl, reason);
  if (rt.snapshots)
    caf::anon_send_exit(rt.snapshots, reason);
}

void add_dynserv_types(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::dynserv>();
  cfg.add_error_category(
    error_category,
    [](uint8_t code, caf::atom_value, const caf::message& ctx) -> std::string {
      return describe(caf::error{code, error_category, ctx});
    });
}

} // namespace dynserv
