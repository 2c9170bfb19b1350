// The orphan sweeper: finds servers that carry this node's owner label but
// that no record accounts for, and reports, adopts or deletes them.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "caf/typed_response_promise.hpp"

#include "actors/actor_context.hpp"
#include "config/node_config.hpp"
#include "messages/interfaces.hpp"

namespace dynserv {

/// What the sweeper works with.
struct orphan_sweeper_config {
  orphans_config orphans;
  /// Provider actors by account name.
  std::map<std::string, provider_actor> providers;
  /// Account of each configured pool, by pool name.
  std::map<std::string, std::string> pool_accounts;
};

/// One orphan the sweeper knows about.
struct orphan_info {
  std::string account;
  cloud_server server;
  /// Wall-clock ms of the sweep that first saw it.
  int64_t first_seen_ms = 0;
  /// Adopted, or left alone for good (report, or no pool to take it).
  bool handled = false;
  /// An adoption request is under way.
  bool adopting = false;
};

struct orphan_sweeper_state {
  static inline const char* name = "dynserv.orphans";

  orphan_sweeper_config cfg;
  actor_context_ptr ctx;
  snapshot_actor snapshots;
  node_actor node;
  /// Known orphans by "<account>/<provider id>".
  std::map<std::string, orphan_info> orphans;
  bool sweeping = false;
  /// Sweep requests that arrived during a sweep; answered when it ends.
  std::vector<caf::typed_response_promise<uint64_t>> waiting;
  /// Completed sweeps.
  uint64_t sweeps = 0;
  std::mt19937_64 rng;
};

/// Returns the servers of `listed` (the account's servers with this node's
/// owner label, listed from `list_started_ms` on) that no record of
/// `records` accounts for. A server is accounted for by a non-deleted record
/// of the account with its provider id, or by the non-deleted record named
/// by its `dynserv-id` label when that record has no provider id yet (a
/// create in flight or with an unknown outcome). A deleted record does not
/// account for a server that still exists, unless it became deleted after
/// the list started (the list may predate the deletion).
std::vector<cloud_server>
find_orphans(const std::string& account,
             const std::vector<cloud_server>& listed,
             const std::vector<server_record>& records,
             int64_t list_started_ms);

/// The record that adopts `srv` (found at `account`) into `pool`, with the
/// status matching its cloud state. With `destroy`, it is marked to be
/// stopped and deleted through the normal server-actor path. `id` is the
/// dynserv id to give it.
server_record adoption_record(const cloud_server& srv,
                              const std::string& account,
                              const std::string& pool, const std::string& id,
                              bool destroy, int64_t now_ms);

/// Spawns the sweeper; it sweeps at once and then every
/// `cfg.orphans.sweep_interval`.
orphan_sweeper_actor::behavior_type orphan_sweeper(
  orphan_sweeper_actor::stateful_pointer<orphan_sweeper_state> self,
  orphan_sweeper_config cfg, actor_context_ptr ctx, snapshot_actor snapshots,
  node_actor node);

} // namespace dynserv
