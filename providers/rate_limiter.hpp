// Token bucket that paces provider API calls, driven by an injected clock.
#pragma once

#include <cstdint>
#include <limits>

#include "providers/provider_options.hpp"

namespace dynserv {

/// A token bucket: it holds at most `burst` tokens and gains
/// `requests_per_second` tokens per second; each call spends tokens. The
/// caller passes the current time (milliseconds on any monotonic clock) to
/// every function, so the class owns no clock, no timer and no thread.
class rate_limiter {
public:
  /// Returned by `wait_ms` when the tokens can never become available
  /// (more than `burst` asked, or no refill rate).
  static constexpr int64_t never = std::numeric_limits<int64_t>::max();

  /// Creates a full bucket at time `now_ms`.
  rate_limiter(rate_limit_options opts, int64_t now_ms);

  /// Spends `tokens` and returns true if that many are available at
  /// `now_ms`; returns false and spends nothing otherwise.
  bool try_acquire(int64_t now_ms, double tokens = 1);

  /// Spends `tokens` at `now_ms` whether or not they are there: the bucket
  /// may go below zero, and later calls wait until it has refilled past
  /// the debt. Used for the extra requests a call turned out to make.
  void spend(int64_t now_ms, double tokens);

  /// Returns how many milliseconds from `now_ms` until `tokens` are
  /// available: 0 if they are available now, `never` if they never will be.
  int64_t wait_ms(int64_t now_ms, double tokens = 1) const;

  /// Returns the tokens available at `now_ms` (negative while in debt).
  double available(int64_t now_ms) const;

  /// Empties the bucket until `until_ms` (the provider answered 429 with
  /// Retry-After); it refills from that moment on, and a debt from `spend`
  /// is kept. A penalty that ends before an earlier one changes nothing.
  void penalize(int64_t until_ms);

  /// Returns the options the bucket was built with.
  const rate_limit_options& options() const {
    return opts_;
  }

private:
  rate_limit_options opts_;
  /// Tokens in the bucket at `at_ms_`; negative after `spend` ran it dry.
  double tokens_;
  /// The time `tokens_` refers to; lies in the future during a penalty.
  int64_t at_ms_;
};

} // namespace dynserv
