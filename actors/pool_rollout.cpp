// Rolling reboot planner over a pool's children.
#include "actors/pool_rollout.hpp"

#include <algorithm>

#include "config/node_config.hpp"
#include "messages/status.hpp"

namespace dynserv {

std::vector<server_record> rollout_targets(const pool_children& children) {
  std::vector<server_record> result;
  for (const auto& [id, child] : children)
    if (is_active(child) && is_provisioned(child.rec.status))
      result.push_back(child.rec);
  return result;
}

std::optional<server_status> rollout_status(const pool_children& children,
                                            const std::string& id) {
  const auto* child = children.find(id);
  if (child == nullptr || child->stop_sent || child->retiring)
    return std::nullopt;
  return child->rec.status;
}

int64_t rollout_unavailable(const rollout_record& r,
                            const pool_children& children) {
  auto picks = static_cast<int64_t>(r.rebooting.size());
  if (picks >= r.max_unavailable)
    return picks;
  auto outside = children.rebooting();
  for (const auto& id : r.rebooting) {
    const auto* child = children.find(id);
    if (child != nullptr && child->rec.status == server_status::rebooting)
      --outside;
  }
  return picks + std::max<int64_t>(outside, 0);
}

rollout_step step_rollout(rollout_record& r, const pool_children& children,
                          int64_t now_ms) {
  rollout_step result;
  if (!r.running())
    return result;
  auto skipped_before = r.skipped;
  result.reboot = next_reboots(r, rollout_unavailable(r, children),
                               [&children](const std::string& id) {
                                 return rollout_status(children, id);
                               });
  result.skipped = r.skipped - skipped_before;
  result.finished = finish_if_done(r, now_ms);
  return result;
}

rollout_start plan_rollout_start(const rollout_record& current,
                                 const pool_children& children,
                                 std::string spec, int64_t now_ms) {
  rollout_start result;
  auto& r = result.rollout;
  r = begin_rollout(rollout_targets(children), std::move(spec), now_ms);
  if (current.running())
    r.rebooting = current.rebooting;
  result.message = std::to_string(r.total) + " servers, at most "
                   + std::to_string(r.max_unavailable)
                   + " at a time (max_unavailable " + r.max_unavailable_spec
                   + ")";
  if (!r.rebooting.empty())
    result.message += "; started over, " + std::to_string(r.rebooting.size())
                      + " rebooting now are rebooted again once running";
  result.finished = finish_if_done(r, now_ms);
  return result;
}

std::string abort_running_rollout(rollout_record& r, int64_t now_ms) {
  auto msg = describe(r) + "; " + std::to_string(r.waiting.size())
             + " servers will not be rebooted";
  r.skipped += static_cast<int64_t>(r.waiting.size());
  r.waiting.clear();
  r.state = "aborted";
  r.finished_at_ms = now_ms;
  return msg;
}

std::string finished_message(const rollout_record& r) {
  return describe(r) + "; took "
         + format_duration(millis{r.finished_at_ms - r.started_at_ms});
}

} // namespace dynserv
