// Restart intensity, as in OTP supervisors: at most so many restarts of
// crashed children within a period (pure value class).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>

namespace dynserv {

/// At most this many restarts of crashed server actors per pool, and as
/// many of its policy actor, within `restart_period`; beyond that a crashed
/// actor stays down until the node restarts and the pool says why.
constexpr int max_restarts = 10;
constexpr auto restart_period = std::chrono::seconds{60};

/// Counts the restarts of one kind of child in a sliding period.
class restart_intensity {
public:
  restart_intensity(int max_restarts, std::chrono::milliseconds period)
    : max_(max_restarts), period_ms_(period.count()) {
    // nop
  }

  /// Whether a restart at `now_ms` stays within the intensity; an allowed
  /// restart is counted, a refused one is not.
  bool allow(int64_t now_ms);

  /// Restarts counted within the period ending at the last `allow`.
  int recent() const {
    return static_cast<int>(restarts_.size());
  }

private:
  int max_;
  int64_t period_ms_;
  /// Times of the counted restarts, oldest first.
  std::deque<int64_t> restarts_;
};

} // namespace dynserv
