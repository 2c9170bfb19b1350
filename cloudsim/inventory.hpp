// Everything the simulated clouds hold (servers, actions, UpCloud storages)
// and the queue of future state changes, applied lazily on the virtual clock.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cloudsim/sim_types.hpp"

namespace dynserv::cloudsim {

/// Ordered key/value labels (UpCloud keeps order, Hetzner shows a map).
using label_list = std::vector<std::pair<std::string, std::string>>;

/// One server (UpCloud server, Hetzner server or DigitalOcean droplet). The
/// `state` string uses the provider's own vocabulary.
struct sim_server {
  provider_kind provider = provider_kind::upcloud;
  /// UUID (UpCloud) or decimal id (Hetzner, DigitalOcean).
  std::string id;
  /// Title (UpCloud) or name.
  std::string name;
  std::string hostname;
  label_list labels;
  /// DigitalOcean tags (and UpCloud's legacy tags).
  std::vector<std::string> tags;
  std::string state;
  int64_t created_ms = 0;
  /// Before this virtual time the server is invisible (eventual consistency).
  int64_t visible_at_ms = 0;
  /// Zone, location or region slug.
  std::string zone;
  /// Plan, server type or size slug.
  std::string plan;
  std::string image;
  int64_t cores = 1;
  int64_t memory_mb = 1024;
  int64_t disk_gb = 25;
  std::string ipv4;
  std::string ipv6;
  std::string private_ipv4;
  int64_t host = 0;
  bool metadata = false;
  /// UpCloud storage UUIDs attached to the server.
  std::vector<std::string> storages;
  /// Bumped whenever pending steps must be forgotten (stuck, forced state).
  uint64_t gen = 0;
  /// Running actions (Hetzner, DigitalOcean); a Hetzner create runs
  /// create_server and start_server at once.
  std::vector<uint64_t> actions;
  /// Insertion counter; lists are in creation order.
  uint64_t serial = 0;

  /// True while an action runs (Hetzner `locked`, DigitalOcean pending event).
  bool locked() const {
    return !actions.empty();
  }
};

/// Outcome of an asynchronous action.
enum class action_status { running, success, error };

/// A Hetzner action or a DigitalOcean droplet action.
struct sim_action {
  uint64_t id = 0;
  provider_kind provider = provider_kind::hetzner;
  /// Hetzner command ("create_server") or DigitalOcean type ("power_off").
  std::string command;
  action_status status = action_status::running;
  int64_t started_ms = 0;
  /// 0 while running.
  int64_t finished_ms = 0;
  std::string server_id;
  std::string region;
  /// Percent done; a failed action keeps the value it had.
  int progress = 0;
  std::string error_code;
  std::string error_message;
};

/// An UpCloud storage device.
struct sim_storage {
  std::string uuid;
  std::string title;
  std::string tier;
  std::string zone;
  int64_t size_gb = 0;
  /// The server it is attached to; empty once that server is gone.
  std::string server;
  /// "online", or "maintenance" while being deleted.
  std::string state = "online";
  int64_t created_ms = 0;
};

/// A future change. Steps for a server only apply while the server still
/// has generation `gen` (stale steps are dropped, as OTP drops late timeouts).
struct sim_step {
  int64_t at_ms = 0;
  provider_kind provider = provider_kind::upcloud;
  std::string server_id;
  uint64_t gen = 0;
  /// New server state, if any.
  std::optional<std::string> state;
  /// Action to finish (0 = none) and whether it succeeds.
  uint64_t action = 0;
  bool action_ok = true;
  /// The failed action's error (empty: `action_failed`, "Action failed").
  std::string error_code;
  std::string error_message;
  /// Remove the server.
  bool remove = false;
  /// Remove this storage (independent of any server).
  std::string storage;
};

/// The simulated world's resources; not thread-safe (the core locks).
class inventory {
public:
  /// Stores `srv` (its `serial` is assigned) and returns it.
  sim_server& add(sim_server srv);

  /// Returns the server or nullptr.
  sim_server* find(provider_kind p, const std::string& id);

  /// All servers of `p`, in creation order.
  std::vector<sim_server*> servers(provider_kind p);

  /// All servers of all providers, in creation order.
  std::vector<const sim_server*> all() const;

  /// Number of servers `p` holds (including ones being deleted).
  size_t count(provider_kind p) const;

  /// Removes a server: finishes its running action with success and detaches
  /// its storages (which become leaked unless already being deleted).
  void remove(provider_kind p, const std::string& id, int64_t now_ms);

  /// Queues `step`; its `gen` should be the server's current generation.
  void schedule(sim_step step);

  /// Forgets every pending step of `srv` (they become stale).
  void cancel_steps(sim_server& srv);

  /// Applies every step due at `now_ms`, in time order.
  void settle(int64_t now_ms);

  /// The state the last live pending step of `srv` sets, if any.
  std::optional<std::string> final_state(const sim_server& srv) const;

  // -- ids --------------------------------------------------------------------

  /// Next decimal server id of `p` (Hetzner, DigitalOcean).
  std::string next_server_id(provider_kind p);

  // -- actions ----------------------------------------------------------------

  /// Starts an action on `srv` (the server is locked until it ends).
  sim_action& start_action(sim_server& srv, std::string command,
                           int64_t now_ms);

  /// Creates an action that is already finished (no-op requests).
  sim_action& finished_action(sim_server& srv, std::string command,
                              int64_t now_ms);

  /// Returns the action or nullptr.
  sim_action* action(uint64_t id);

  /// Ends a running action and unlocks the server if it was the last. A
  /// failed action gets `error_code` and `error_message`, or
  /// `action_failed` / "Action failed" when they are empty.
  void finish_action(uint64_t id, bool ok, int64_t now_ms,
                     const std::string& error_code = {},
                     const std::string& error_message = {});

  // -- storages ---------------------------------------------------------------

  sim_storage& add_storage(sim_storage st);
  sim_storage* storage(const std::string& uuid);
  std::vector<const sim_storage*> storages() const;
  /// Marks a storage as being deleted; it disappears at `gone_ms`.
  void delete_storage(const std::string& uuid, int64_t gone_ms);

private:
  static std::string key(provider_kind p, const std::string& id);

  void apply(const sim_step& step, int64_t now_ms);
  void prune_actions();

  std::map<uint64_t, sim_server> servers_;
  std::unordered_map<std::string, uint64_t> by_key_;
  std::map<uint64_t, sim_action> actions_;
  std::map<std::string, sim_storage> storages_;
  /// Pending steps keyed by (time, insertion order).
  std::map<std::pair<int64_t, uint64_t>, sim_step> steps_;
  uint64_t next_serial_ = 1;
  uint64_t next_seq_ = 1;
  uint64_t next_hetzner_id_ = 10000001;
  uint64_t next_digitalocean_id_ = 300000001;
  uint64_t next_action_id_ = 1000001;
};

} // namespace dynserv::cloudsim
