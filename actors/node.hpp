// Wiring of one node: store, providers, snapshot actor, supervisors.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "caf/expected.hpp"
#include "caf/fwd.hpp"

#include "actors/actor_context.hpp"
#include "config/node_config.hpp"
#include "messages/interfaces.hpp"
#include "providers/provider.hpp"
#include "storage/store.hpp"

namespace dynserv {

/// How `start_node` runs the node.
struct node_start_options {
  /// Run provider actors on their own threads (blocking calls). Tests on the
  /// deterministic scheduler turn this off.
  bool detached_providers = true;
  wall_clock clock = system_wall_clock();
  /// Use this store instead of RocksDB under `<data_dir>/store`.
  std::shared_ptr<store> backend;
  /// Use these providers (by account name) instead of opening them.
  std::map<std::string, std::shared_ptr<provider>> providers;
  /// Reads http_metric policies' values instead of HTTP (tests). Metric
  /// fetches run detached when `detached_providers` is set.
  metric_fetcher fetch_metric;
  /// Callbacks of pools with a `callback` policy, by pool name.
  std::map<std::string, count_callback> callbacks;
  /// Run the orphan sweeper (tests that count provider calls turn it off).
  bool sweep_orphans = true;
};

/// A running node.
struct node_runtime {
  std::shared_ptr<store> backend;
  snapshot_actor snapshots;
  std::map<std::string, provider_actor> providers;
  node_actor supervisor;
  /// Invalid when `sweep_orphans` was off.
  orphan_sweeper_actor sweeper;
  /// One per entry of `webhooks`, by name; spawned by `start_webhooks`
  /// (actors/webhook_actor.hpp) after `start_node`, set by
  /// `attach_webhooks`.
  std::map<std::string, webhook_actor> webhooks;
};

/// Directory of the node's own store.
std::string store_dir(const node_config& cfg);

/// Opens the provider account `name` of `cfg` (the simulated cloud keeps its
/// inventory under `<data_dir>/cloud/<name>`).
caf::expected<std::shared_ptr<provider>>
open_provider(const node_config& cfg, const std::string& name,
              const wall_clock& clock, bool read_only);

/// Opens the store, restores every server and spawns the node's actors.
caf::expected<node_runtime> start_node(caf::actor_system& sys,
                                       const node_config& cfg,
                                       node_start_options opts);

/// Keeps `hooks` in `rt.webhooks` (stop_node ends them) and hands them to
/// the node supervisor, which reports their status to the API and the
/// console. Call before the API and the console start: the supervisor then
/// knows every webhook before the first status query can reach it.
void attach_webhooks(node_runtime& rt,
                     std::map<std::string, webhook_actor> hooks);

/// Asks every actor of `rt` to shut down (the actor system's destructor then
/// waits for them). Safe at any moment: every transition is already durable.
void stop_node(node_runtime& rt);

/// Registers dynserv's message types and error category with `cfg`.
void add_dynserv_types(caf::actor_system_config& cfg);

} // namespace dynserv
