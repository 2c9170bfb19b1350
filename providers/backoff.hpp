// Capped exponential backoff with jitter, a value class kept apart from timers.
#pragma once

#include <cstdint>
#include <random>

#include "providers/provider_options.hpp"

namespace dynserv {

/// Computes the delays between retries of a failing call, as Envoy's
/// `JitteredExponentialBackOffStrategy` does: the base delay starts at
/// `initial`, grows by `multiplier` after each attempt and is capped at
/// `max`; each returned delay is drawn uniformly from
/// `[base * (1 - jitter), base * (1 + jitter)]` and then clamped to `max`.
/// The class knows nothing about timers or clocks; the caller arms a timer
/// with the returned delay. The same seed yields the same delays.
class backoff {
public:
  /// Creates a backoff with its own generator seeded with `seed`.
  backoff(millis initial, millis max, double multiplier, double jitter,
          uint64_t seed);

  /// Creates a backoff that draws from `rng`, which must outlive this object
  /// and all of its copies.
  backoff(millis initial, millis max, double multiplier, double jitter,
          std::mt19937_64& rng);

  /// Returns the delay before the next attempt and counts the attempt.
  millis next();

  /// Starts over at the initial delay (after a success).
  void reset();

  /// Returns how many delays `next()` handed out since the last reset.
  uint32_t attempts() const {
    return attempts_;
  }

  /// Returns the delay before jitter that the next call to `next()` uses.
  millis base_delay() const;

private:
  std::mt19937_64& rng();

  double initial_ms_;
  double max_ms_;
  double multiplier_;
  double jitter_;
  /// Base delay of the next attempt, in milliseconds.
  double current_ms_;
  uint32_t attempts_ = 0;
  /// Used when no external generator was given.
  std::mt19937_64 own_rng_;
  /// The caller's generator, or nullptr to use `own_rng_`. Copies of a
  /// backoff that owns its generator keep working because this stays null.
  std::mt19937_64* external_rng_ = nullptr;
};

/// Returns a number in [0, 1) from the next output of `rng`. Unlike
/// `std::uniform_real_distribution`, the result is the same with every
/// standard library, so seeded sequences are portable.
double unit_interval(std::mt19937_64& rng);

} // namespace dynserv
