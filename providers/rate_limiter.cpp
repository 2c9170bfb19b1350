// Token bucket that paces provider API calls.
#include "providers/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace dynserv {

namespace {

/// Absorbs floating-point error so that waiting `wait_ms` really suffices.
constexpr double epsilon = 1e-9;

double sanitize(double x) {
  return std::isfinite(x) && x > 0.0 ? x : 0.0;
}

} // namespace

rate_limiter::rate_limiter(rate_limit_options opts, int64_t now_ms)
  : opts_(opts), at_ms_(now_ms) {
  opts_.requests_per_second = sanitize(opts_.requests_per_second);
  opts_.burst = sanitize(opts_.burst);
  tokens_ = opts_.burst;
}

double rate_limiter::available(int64_t now_ms) const {
  // Before `at_ms_` (a penalty runs) nothing refills yet.
  if (now_ms <= at_ms_)
    return now_ms < at_ms_ ? std::min(tokens_, 0.0) : tokens_;
  auto elapsed_s = static_cast<double>(now_ms - at_ms_) / 1000.0;
  return std::min(opts_.burst, tokens_ + elapsed_s * opts_.requests_per_second);
}

bool rate_limiter::try_acquire(int64_t now_ms, double tokens) {
  tokens = sanitize(tokens);
  auto avail = available(now_ms);
  if (avail + epsilon < tokens)
    return false;
  tokens_ = std::max(avail - tokens, 0.0);
  // A clock that steps back must not refill the bucket a second time.
  at_ms_ = std::max(at_ms_, now_ms);
  return true;
}

void rate_limiter::spend(int64_t now_ms, double tokens) {
  tokens = sanitize(tokens);
  if (now_ms < at_ms_) {
    // During a penalty: the debt adds to what the bucket holds at its end.
    tokens_ = std::min(tokens_, 0.0) - tokens;
    return;
  }
  tokens_ = available(now_ms) - tokens;
  at_ms_ = now_ms;
}

int64_t rate_limiter::wait_ms(int64_t now_ms, double tokens) const {
  tokens = sanitize(tokens);
  if (available(now_ms) + epsilon >= tokens)
    return 0;
  if (tokens > opts_.burst + epsilon || opts_.requests_per_second <= 0.0)
    return never;
  // Count from `at_ms_` when a penalty is still running.
  auto from = std::max(now_ms, at_ms_);
  auto missing = tokens - available(from);
  auto refill
    = std::ceil(missing * 1000.0 / opts_.requests_per_second - epsilon);
  auto total = static_cast<double>(from - now_ms) + std::max(refill, 0.0);
  if (total >= static_cast<double>(never))
    return never;
  return static_cast<int64_t>(total);
}

void rate_limiter::penalize(int64_t until_ms) {
  if (until_ms < at_ms_)
    return;
  tokens_ = std::min(tokens_, 0.0);
  at_ms_ = until_ms;
}

} // namespace dynserv
