// Down-scaling order: pending, starting, running, rebooting; newest first.
#include "actors/stop_order.hpp"

#include <algorithm>

namespace dynserv {

namespace {

/// Rank of a status in the stop order; -1 means "never pick".
int rank(server_status x) {
  switch (x) {
    case server_status::pending:
      return 0;
    case server_status::starting:
      return 1;
    case server_status::running:
      return 2;
    case server_status::rebooting:
      return 3;
    default:
      return -1;
  }
}

} // namespace

std::vector<std::string> stop_order(const std::vector<server_record>& candidates,
                                    size_t n) {
  std::vector<const server_record*> picks;
  for (const auto& rec : candidates)
    if (rank(rec.status) >= 0 && !rec.stop_requested)
      picks.push_back(&rec);
  std::sort(picks.begin(), picks.end(), [](const auto* a, const auto* b) {
    auto ra = rank(a->status);
    auto rb = rank(b->status);
    if (ra != rb)
      return ra < rb;
    // Newest at the provider first; servers created in the same millisecond
    // fall back to the provider id (the simulated cloud numbers its ids in
    // creation order; the local creation time does not follow the order in
    // which the provider actor sent the creates), then the local time.
    if (a->provider_created_at_ms != b->provider_created_at_ms)
      return a->provider_created_at_ms > b->provider_created_at_ms;
    if (a->provider_id.size() != b->provider_id.size())
      return a->provider_id.size() > b->provider_id.size();
    if (a->provider_id != b->provider_id)
      return a->provider_id > b->provider_id;
    if (a->created_at_ms != b->created_at_ms)
      return a->created_at_ms > b->created_at_ms;
    return a->id > b->id;
  });
  std::vector<std::string> result;
  for (size_t i = 0; i < picks.size() && i < n; ++i)
    result.push_back(picks[i]->id);
  return result;
}

} // namespace dynserv
