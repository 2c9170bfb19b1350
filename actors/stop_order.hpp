// Which servers a pool stops first when it scales down (pure function).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "messages/types.hpp"

namespace dynserv {

/// A pool's `max_lifetime` at a point in time: running servers older than
/// `max_lifetime_ms` at `now_ms` are expired; 0 means none ever are.
struct server_expiry {
  int64_t now_ms = 0;
  int64_t max_lifetime_ms = 0;
};

/// Age of a server for max_lifetime: since the provider created it, else
/// since dynserv did.
int64_t server_age_ms(const server_record& rec, int64_t now_ms);

/// True for a running server older than the pool's max_lifetime.
bool is_expired(const server_record& rec, const server_expiry& expiry);

/// Picks up to `n` servers to stop from `candidates`. Servers past the
/// pool's max_lifetime go first, oldest first (after a restart that forgot
/// a retiring server, its replacement stays); then pending (they cost no API
/// call), starting, running and rebooting ones, within a status the newest
/// first: highest `provider_created_at_ms`, then highest provider id, then
/// highest `created_at_ms`, then highest id. Servers in other statuses or
/// already asked to stop are never picked.
std::vector<std::string>
stop_order(const std::vector<server_record>& candidates, size_t n,
           const server_expiry& expiry = {});

} // namespace dynserv
