// Restart intensity: a sliding window of restart times.
#include "actors/pool_restart_intensity.hpp"

namespace dynserv {

bool restart_intensity::allow(int64_t now_ms) {
  while (!restarts_.empty() && restarts_.front() < now_ms - period_ms_)
    restarts_.pop_front();
  if (static_cast<int>(restarts_.size()) >= max_)
    return false;
  restarts_.push_back(now_ms);
  return true;
}

} // namespace dynserv
