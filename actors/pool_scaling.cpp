// Scale planner: stop picks for a scale-down, slot use for a scale-up.
#include "actors/pool_scaling.hpp"

#include <algorithm>

namespace dynserv {

std::vector<std::string> scale_down_picks(const pool_children& children,
                                          size_t n,
                                          const server_expiry& expiry) {
  std::vector<server_record> candidates;
  for (const auto& [id, child] : children)
    if (is_active(child))
      candidates.push_back(child.rec);
  return stop_order(candidates, n, expiry);
}

grant_use use_grant(int64_t granted, int64_t desired, int64_t active,
                    int64_t allowed) {
  auto needed = std::min(std::max<int64_t>(desired - active, 0), allowed);
  grant_use result;
  result.create = std::min(granted, needed);
  result.release = granted - result.create;
  result.short_of_slots = result.create < needed;
  return result;
}

} // namespace dynserv
