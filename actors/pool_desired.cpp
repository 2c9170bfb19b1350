// Desired-count planner: clamp, change detection, event text.
#include "actors/pool_desired.hpp"

#include <algorithm>

namespace dynserv {

std::optional<std::string> count_problem(int64_t n) {
  if (n < 0)
    return "count must be zero or more, got " + std::to_string(n);
  return std::nullopt;
}

desired_change plan_desired(const pool_config& cfg, const pool_record& rec,
                            int64_t wanted, const std::string& why,
                            std::optional<int64_t> file_value) {
  desired_change result;
  auto& reply = result.reply;
  reply.pool = cfg.name;
  reply.previous_desired = rec.desired;
  reply.desired = std::clamp(wanted, cfg.min, cfg.max);
  if (reply.desired != wanted)
    reply.note = "asked for " + std::to_string(wanted) + ", clamped to "
                 + std::to_string(reply.desired) + " by the pool's min "
                 + std::to_string(cfg.min) + " / max "
                 + std::to_string(cfg.max);
  result.changed = reply.desired != rec.desired
                   || (file_value && *file_value != rec.file_desired);
  if (reply.desired != rec.desired) {
    auto msg = std::to_string(rec.desired) + " -> "
               + std::to_string(reply.desired) + " (" + why + ")";
    if (!reply.note.empty())
      msg += "; " + reply.note;
    result.event = std::move(msg);
  }
  return result;
}

std::string pause_message(bool paused, bool has_policy) {
  if (!has_policy)
    return paused ? "paused (the pool has no policy)"
                  : "resumed (the pool has no policy)";
  return paused ? "policy paused: decisions are recorded, not applied"
                : "policy resumed";
}

} // namespace dynserv
