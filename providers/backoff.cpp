// Capped exponential backoff with jitter.
#include "providers/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace dynserv {

namespace {

double clamp_non_negative(double x) {
  return std::isfinite(x) && x > 0.0 ? x : 0.0;
}

} // namespace

backoff::backoff(millis initial, millis max, double multiplier, double jitter,
                 uint64_t seed)
  : initial_ms_(clamp_non_negative(static_cast<double>(initial.count()))),
    max_ms_(clamp_non_negative(static_cast<double>(max.count()))),
    // A multiplier below 1 would shrink the delays; treat it as constant.
    multiplier_(std::isfinite(multiplier) ? std::max(multiplier, 1.0) : 1.0),
    jitter_(std::isfinite(jitter) ? std::clamp(jitter, 0.0, 1.0) : 0.0),
    current_ms_(std::min(initial_ms_, max_ms_)),
    own_rng_(seed) {
  // Nothing else to do.
}

backoff::backoff(millis initial, millis max, double multiplier, double jitter,
                 std::mt19937_64& rng)
  : backoff(initial, max, multiplier, jitter, uint64_t{0}) {
  external_rng_ = &rng;
}

millis backoff::next() {
  auto base = current_ms_;
  current_ms_ = std::min(current_ms_ * multiplier_, max_ms_);
  if (attempts_ < UINT32_MAX)
    ++attempts_;
  auto low = base * (1.0 - jitter_);
  auto high = base * (1.0 + jitter_);
  auto delay = low + (high - low) * unit_interval(rng());
  delay = std::min(delay, max_ms_);
  return millis{static_cast<millis::rep>(std::llround(delay))};
}

void backoff::reset() {
  current_ms_ = std::min(initial_ms_, max_ms_);
  attempts_ = 0;
}

millis backoff::base_delay() const {
  return millis{static_cast<millis::rep>(std::llround(current_ms_))};
}

std::mt19937_64& backoff::rng() {
  return external_rng_ != nullptr ? *external_rng_ : own_rng_;
}

double unit_interval(std::mt19937_64& rng) {
  // The top 53 bits fill a double's mantissa exactly.
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

} // namespace dynserv
