// Per-provider request rate limits on REAL time: Hetzner's token bucket,
// DigitalOcean's sliding hour plus per-minute burst window, and an optional
// generic limit for UpCloud.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <optional>

#include "cloudsim/sim_types.hpp"
#include "http/http_message.hpp"

namespace dynserv::cloudsim {

/// Limits of every provider; `enabled` switches all of them.
struct rate_limit_config {
  bool enabled = true;
  /// Hetzner: bucket size and refill (tokens per second).
  double hetzner_capacity = 3600;
  double hetzner_refill_per_second = 1;
  /// DigitalOcean: requests per sliding hour and per sliding minute.
  int64_t digitalocean_per_hour = 5000;
  int64_t digitalocean_per_minute = 250;
  /// UpCloud: requests per second (burst of the same size); none = no limit.
  std::optional<double> upcloud_rps;
};

/// A token bucket on real milliseconds.
class token_bucket {
public:
  token_bucket(double capacity, double refill_per_second, int64_t now_ms);

  /// Takes one token if there is one.
  bool try_take(int64_t now_ms);

  /// Tokens available now.
  double available(int64_t now_ms) const;

  /// Real time at which the bucket is full again.
  int64_t full_at_ms(int64_t now_ms) const;

  /// Milliseconds until one token is available (0 if one is).
  int64_t wait_ms(int64_t now_ms) const;

  double capacity() const {
    return capacity_;
  }

private:
  double capacity_;
  double refill_;
  double tokens_;
  int64_t at_ms_;
};

/// Why a sliding window refused a request.
enum class window_verdict { ok, hour_exceeded, minute_exceeded };

/// DigitalOcean's limits: every request counts for exactly one hour (and one
/// minute for the burst limit) after it was made.
class sliding_window {
public:
  sliding_window(int64_t per_hour, int64_t per_minute);

  /// Counts the request if both windows allow it.
  window_verdict try_take(int64_t now_ms);

  /// Requests left in the hour window.
  int64_t remaining(int64_t now_ms);

  /// Requests left in the minute window.
  int64_t remaining_minute(int64_t now_ms);

  /// When the oldest counted request expires (now if none is counted).
  int64_t reset_ms(int64_t now_ms);

  /// Milliseconds until the minute window has room again.
  int64_t minute_wait_ms(int64_t now_ms);

  int64_t per_hour() const {
    return per_hour_;
  }

  int64_t per_minute() const {
    return per_minute_;
  }

private:
  void expire(int64_t now_ms);
  int64_t in_last_minute(int64_t now_ms) const;

  int64_t per_hour_;
  int64_t per_minute_;
  std::deque<int64_t> times_;
};

/// The verdict on one request.
struct rate_decision {
  bool allowed = true;
  /// DigitalOcean: the per-minute limit refused it (and retry-after applies).
  bool burst = false;
  /// Seconds to put in Retry-After (0 = no header).
  int64_t retry_after_s = 0;
};

/// Counters and remaining budget of one provider, for GET /_sim/budget.
struct rate_budget {
  bool limited = false;
  int64_t limit = 0;
  int64_t remaining = 0;
  int64_t reset_unix_s = 0;
  /// DigitalOcean only.
  int64_t limit_minute = 0;
  int64_t remaining_minute = 0;
  uint64_t requests = 0;
  uint64_t rejected = 0;
};

/// All providers' limiters; not thread-safe (the core locks).
class rate_limits {
public:
  rate_limits(rate_limit_config cfg, int64_t now_ms);

  /// Counts a request to `p` at real time `now_ms` and decides on it.
  rate_decision check(provider_kind p, int64_t now_ms);

  /// Adds the provider's rate-limit headers (none when limits are off, none
  /// for UpCloud).
  void add_headers(provider_kind p, int64_t now_ms, http_headers& headers);

  /// Replaces the configuration; changed limiters start full.
  void reconfigure(rate_limit_config cfg, int64_t now_ms);

  const rate_limit_config& config() const {
    return cfg_;
  }

  rate_budget budget(provider_kind p, int64_t now_ms);

private:
  rate_limit_config cfg_;
  token_bucket hetzner_;
  sliding_window digitalocean_;
  std::optional<token_bucket> upcloud_;
  std::array<uint64_t, 3> requests_{};
  std::array<uint64_t, 3> rejected_{};
};

} // namespace dynserv::cloudsim
