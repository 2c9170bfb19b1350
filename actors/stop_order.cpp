// Down-scaling order: expired (oldest first), then pending, starting,
// running and rebooting, newest first.
#include "actors/stop_order.hpp"

#include <algorithm>

namespace dynserv {

namespace {

/// Rank of a server in the stop order; -1 means "never pick".
int rank(const server_record& rec, const server_expiry& expiry) {
  if (is_expired(rec, expiry))
    return 0;
  switch (rec.status) {
    case server_status::pending:
      return 1;
    case server_status::starting:
      return 2;
    case server_status::running:
      return 3;
    case server_status::rebooting:
      return 4;
    default:
      return -1;
  }
}

/// Newest first. Servers created in the same millisecond fall back to the
/// provider id (the simulated cloud numbers its ids in creation order; the
/// local creation time does not follow the order in which the provider
/// actor sent the creates), then the local time, then the id.
bool newer(const server_record& a, const server_record& b) {
  if (a.provider_created_at_ms != b.provider_created_at_ms)
    return a.provider_created_at_ms > b.provider_created_at_ms;
  if (a.provider_id.size() != b.provider_id.size())
    return a.provider_id.size() > b.provider_id.size();
  if (a.provider_id != b.provider_id)
    return a.provider_id > b.provider_id;
  if (a.created_at_ms != b.created_at_ms)
    return a.created_at_ms > b.created_at_ms;
  return a.id > b.id;
}

struct ranked {
  int rank;
  int64_t age_ms;
  const server_record* rec;
};

} // namespace

int64_t server_age_ms(const server_record& rec, int64_t now_ms) {
  auto born = rec.provider_created_at_ms > 0 ? rec.provider_created_at_ms
                                             : rec.created_at_ms;
  return now_ms - born;
}

bool is_expired(const server_record& rec, const server_expiry& expiry) {
  return expiry.max_lifetime_ms > 0 && rec.status == server_status::running
         && server_age_ms(rec, expiry.now_ms) > expiry.max_lifetime_ms;
}

std::vector<std::string>
stop_order(const std::vector<server_record>& candidates, size_t n,
           const server_expiry& expiry) {
  std::vector<ranked> picks;
  for (const auto& rec : candidates) {
    auto r = rank(rec, expiry);
    if (r >= 0 && !rec.stop_requested)
      picks.push_back({r, server_age_ms(rec, expiry.now_ms), &rec});
  }
  std::sort(picks.begin(), picks.end(), [](const auto& a, const auto& b) {
    if (a.rank != b.rank)
      return a.rank < b.rank;
    // Expired servers: the oldest first.
    if (a.rank == 0 && a.age_ms != b.age_ms)
      return a.age_ms > b.age_ms;
    return newer(*a.rec, *b.rec);
  });
  std::vector<std::string> result;
  for (size_t i = 0; i < picks.size() && i < n; ++i)
    result.push_back(picks[i].rec->id);
  return result;
}

} // namespace dynserv
