// max_lifetime planner: retire the oldest expired server once the pool is
// settled, stop it once its replacement runs.
#include "actors/pool_lifetime.hpp"

#include "config/node_config.hpp"

namespace dynserv {

std::vector<std::string> retiring_unstopped(const pool_children& children) {
  std::vector<std::string> result;
  if (children.retiring() == 0)
    return result;
  for (const auto& [id, child] : children)
    if (child.retiring && !child.stop_sent)
      result.push_back(id);
  return result;
}

std::vector<std::string> retiring_to_stop(const pool_children& children,
                                          int64_t desired,
                                          bool replacement_impossible) {
  if (!replacement_impossible && children.active_running() < desired)
    return {};
  return retiring_unstopped(children);
}

lifetime_step plan_lifetime(const pool_children& children, int64_t desired,
                            bool may_replace, const server_expiry& expiry) {
  lifetime_step result;
  if (expiry.max_lifetime_ms <= 0)
    return result;
  const pool_child* oldest = nullptr;
  int64_t oldest_age = 0;
  for (const auto& [id, child] : children) {
    if (child.retiring) {
      result.stop = retiring_to_stop(children, desired, false);
      return result; // one at a time
    }
    if (!is_active(child))
      continue;
    if (child.rec.status != server_status::running)
      return result; // still settling: starting, rebooting or pending
    auto age = server_age_ms(child.rec, expiry.now_ms);
    if (is_expired(child.rec, expiry) && (!oldest || age > oldest_age)) {
      oldest = &child;
      oldest_age = age;
    }
  }
  if (oldest && children.active() >= desired && may_replace) {
    result.retire = oldest->rec.id;
    result.retire_age_ms = oldest_age;
  }
  return result;
}

std::string expired_message(int64_t max_lifetime_ms, int64_t age_ms) {
  return "older than max_lifetime " + format_duration(millis{max_lifetime_ms})
         + " (" + format_duration(millis{age_ms})
         + "); creating a replacement, then stopping it";
}

} // namespace dynserv
