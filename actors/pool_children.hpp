// The server actors of one pool with their last known records, and the
// counts derived from them in one place.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "caf/actor_addr.hpp"

#include "messages/interfaces.hpp"

namespace dynserv {

/// One server actor and the last record it reported.
struct pool_child {
  server_actor handle;
  server_record rec;
  /// A stop was sent and not yet reflected in `rec`.
  bool stop_sent = false;
  /// Past the pool's max_lifetime: a replacement is being created, then
  /// this server is stopped. Does not count as active meanwhile.
  bool retiring = false;
};

/// True for a server that counts towards the desired count: pending,
/// starting, running or rebooting, not asked to stop and not retiring.
bool is_active(const pool_child& child);

/// The children of a pool supervisor, by dynserv id. Every change goes
/// through a member function that keeps the counts in step, so that a
/// reconcile reads them in O(1) and nothing else has to.
class pool_children {
public:
  using map_type = std::map<std::string, pool_child>;
  using const_iterator = map_type::const_iterator;

  // -- changes ----------------------------------------------------------------

  /// Adds the child `rec.id` (replacing one with that id). An invalid
  /// `handle` (in unit tests) is not indexed by address.
  const pool_child& add(server_actor handle, server_record rec);

  /// Stores the latest record the server reported; ignores unknown ids.
  void update_record(const std::string& id, server_record rec);

  /// Marks that a stop was sent to (or refused by) the server.
  void set_stop_sent(const std::string& id, bool value);

  /// Marks the server as retiring (max_lifetime) or not.
  void set_retiring(const std::string& id, bool value);

  /// Forgets the child `id` (its actor is gone).
  void erase(const std::string& id);

  /// The id of the child whose actor had `addr`, forgetting the address
  /// (called once per down message); nullopt for an unknown actor.
  std::optional<std::string> take_address(const caf::actor_addr& addr);

  // -- lookups ----------------------------------------------------------------

  /// The child `id`, or null.
  const pool_child* find(const std::string& id) const;

  bool contains(const std::string& id) const {
    return children_.count(id) > 0;
  }

  size_t size() const {
    return children_.size();
  }

  const_iterator begin() const {
    return children_.begin();
  }

  const_iterator end() const {
    return children_.end();
  }

  // -- counts -----------------------------------------------------------------

  /// Servers that count towards the desired count (`is_active`).
  int64_t active() const {
    return active_;
  }

  /// Active servers that are running (the replacement of a retiring server
  /// is up once this reaches the desired count).
  int64_t active_running() const {
    return active_running_;
  }

  /// Servers in `rebooting`, for any reason (max_unavailable).
  int64_t rebooting() const {
    return rebooting_;
  }

  /// Servers marked retiring (max_lifetime).
  int64_t retiring() const {
    return retiring_;
  }

  /// Hanging and errored servers: the remediation candidates.
  const std::set<std::string>& troubled() const {
    return troubled_;
  }

private:
  /// Adds (`sign` 1) or removes (`sign` -1) `child` from every count.
  void count(const pool_child& child, int sign);

  /// Applies `f` to the child `id` with the counts kept in step.
  template <class F>
  void change(const std::string& id, F f);

  map_type children_;
  std::map<caf::actor_addr, std::string> ids_by_addr_;
  int64_t active_ = 0;
  int64_t active_running_ = 0;
  int64_t rebooting_ = 0;
  int64_t retiring_ = 0;
  std::set<std::string> troubled_;
};

} // namespace dynserv
