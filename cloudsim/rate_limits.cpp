// Token bucket and sliding-window limiters of the simulated clouds.
#include "cloudsim/rate_limits.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace dynserv::cloudsim {

namespace {

constexpr int64_t hour_ms = 3600 * 1000;
constexpr int64_t minute_ms = 60 * 1000;

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

} // namespace

// -- token_bucket -------------------------------------------------------------

token_bucket::token_bucket(double capacity, double refill_per_second,
                           int64_t now_ms)
  : capacity_(std::max(capacity, 0.0)),
    refill_(std::max(refill_per_second, 0.0)),
    tokens_(capacity_),
    at_ms_(now_ms) {
}

double token_bucket::available(int64_t now_ms) const {
  auto elapsed = std::max<int64_t>(0, now_ms - at_ms_);
  return std::min(capacity_, tokens_ + refill_ * elapsed / 1000.0);
}

bool token_bucket::try_take(int64_t now_ms) {
  tokens_ = available(now_ms);
  at_ms_ = std::max(at_ms_, now_ms);
  if (tokens_ < 1.0)
    return false;
  tokens_ -= 1.0;
  return true;
}

int64_t token_bucket::full_at_ms(int64_t now_ms) const {
  auto missing = capacity_ - available(now_ms);
  if (missing <= 0 || refill_ <= 0)
    return now_ms;
  return now_ms + static_cast<int64_t>(std::ceil(missing / refill_ * 1000.0));
}

int64_t token_bucket::wait_ms(int64_t now_ms) const {
  auto have = available(now_ms);
  if (have >= 1.0)
    return 0;
  if (refill_ <= 0)
    return hour_ms;
  return static_cast<int64_t>(std::ceil((1.0 - have) / refill_ * 1000.0));
}

// -- sliding_window -----------------------------------------------------------

sliding_window::sliding_window(int64_t per_hour, int64_t per_minute)
  : per_hour_(std::max<int64_t>(per_hour, 0)),
    per_minute_(std::max<int64_t>(per_minute, 0)) {
}

void sliding_window::expire(int64_t now_ms) {
  while (!times_.empty() && times_.front() + hour_ms <= now_ms)
    times_.pop_front();
}

int64_t sliding_window::in_last_minute(int64_t now_ms) const {
  auto first = std::upper_bound(times_.begin(), times_.end(),
                                now_ms - minute_ms);
  return static_cast<int64_t>(times_.end() - first);
}

window_verdict sliding_window::try_take(int64_t now_ms) {
  expire(now_ms);
  if (static_cast<int64_t>(times_.size()) >= per_hour_)
    return window_verdict::hour_exceeded;
  if (in_last_minute(now_ms) >= per_minute_)
    return window_verdict::minute_exceeded;
  // Keep the deque sorted even if a caller's clock stood still.
  times_.push_back(times_.empty() ? now_ms : std::max(now_ms, times_.back()));
  return window_verdict::ok;
}

int64_t sliding_window::remaining(int64_t now_ms) {
  expire(now_ms);
  return std::max<int64_t>(0, per_hour_ - static_cast<int64_t>(times_.size()));
}

int64_t sliding_window::remaining_minute(int64_t now_ms) {
  expire(now_ms);
  return std::max<int64_t>(0, per_minute_ - in_last_minute(now_ms));
}

int64_t sliding_window::reset_ms(int64_t now_ms) {
  expire(now_ms);
  return times_.empty() ? now_ms : times_.front() + hour_ms;
}

int64_t sliding_window::minute_wait_ms(int64_t now_ms) {
  expire(now_ms);
  auto n = in_last_minute(now_ms);
  if (n < per_minute_)
    return 0;
  // The request that must expire is the (n - per_minute + 1)-th oldest of
  // the last minute.
  auto first = times_.end() - n;
  auto oldest = *(first + (n - per_minute_));
  return std::max<int64_t>(1, oldest + minute_ms - now_ms);
}

// -- rate_limits --------------------------------------------------------------

rate_limits::rate_limits(rate_limit_config cfg, int64_t now_ms)
  : cfg_(cfg),
    hetzner_(cfg.hetzner_capacity, cfg.hetzner_refill_per_second, now_ms),
    digitalocean_(cfg.digitalocean_per_hour, cfg.digitalocean_per_minute) {
  if (cfg.upcloud_rps && *cfg.upcloud_rps > 0)
    upcloud_.emplace(std::max(1.0, *cfg.upcloud_rps), *cfg.upcloud_rps, now_ms);
}

void rate_limits::reconfigure(rate_limit_config cfg, int64_t now_ms) {
  if (cfg.hetzner_capacity != cfg_.hetzner_capacity
      || cfg.hetzner_refill_per_second != cfg_.hetzner_refill_per_second)
    hetzner_ = token_bucket{cfg.hetzner_capacity, cfg.hetzner_refill_per_second,
                            now_ms};
  if (cfg.digitalocean_per_hour != cfg_.digitalocean_per_hour
      || cfg.digitalocean_per_minute != cfg_.digitalocean_per_minute)
    digitalocean_ = sliding_window{cfg.digitalocean_per_hour,
                                   cfg.digitalocean_per_minute};
  if (cfg.upcloud_rps != cfg_.upcloud_rps) {
    upcloud_.reset();
    if (cfg.upcloud_rps && *cfg.upcloud_rps > 0)
      upcloud_.emplace(std::max(1.0, *cfg.upcloud_rps), *cfg.upcloud_rps,
                       now_ms);
  }
  cfg_ = cfg;
}

rate_decision rate_limits::check(provider_kind p, int64_t now_ms) {
  auto i = index_of(p);
  ++requests_[i];
  rate_decision out;
  if (!cfg_.enabled)
    return out;
  switch (p) {
    case provider_kind::hetzner:
      // Hetzner sends no Retry-After; clients derive it from the headers.
      out.allowed = hetzner_.try_take(now_ms);
      break;
    case provider_kind::digitalocean: {
      auto verdict = digitalocean_.try_take(now_ms);
      out.allowed = verdict == window_verdict::ok;
      if (verdict == window_verdict::minute_exceeded) {
        out.burst = true;
        out.retry_after_s = ceil_div(digitalocean_.minute_wait_ms(now_ms),
                                     1000);
      }
      break;
    }
    case provider_kind::upcloud:
      if (upcloud_ && !upcloud_->try_take(now_ms)) {
        out.allowed = false;
        out.retry_after_s
          = std::max<int64_t>(1, ceil_div(upcloud_->wait_ms(now_ms), 1000));
      }
      break;
  }
  if (!out.allowed)
    ++rejected_[i];
  return out;
}

void rate_limits::add_headers(provider_kind p, int64_t now_ms,
                              http_headers& headers) {
  if (!cfg_.enabled)
    return;
  if (p == provider_kind::hetzner) {
    auto remaining
      = static_cast<int64_t>(std::floor(hetzner_.available(now_ms)));
    set_header(headers, "RateLimit-Limit",
               std::to_string(static_cast<int64_t>(hetzner_.capacity())));
    set_header(headers, "RateLimit-Remaining", std::to_string(remaining));
    set_header(headers, "RateLimit-Reset",
               std::to_string(ceil_div(hetzner_.full_at_ms(now_ms), 1000)));
  } else if (p == provider_kind::digitalocean) {
    set_header(headers, "ratelimit-limit",
               std::to_string(digitalocean_.per_hour()));
    set_header(headers, "ratelimit-remaining",
               std::to_string(digitalocean_.remaining(now_ms)));
    set_header(headers, "ratelimit-reset",
               std::to_string(ceil_div(digitalocean_.reset_ms(now_ms), 1000)));
  }
}

rate_budget rate_limits::budget(provider_kind p, int64_t now_ms) {
  rate_budget out;
  auto i = index_of(p);
  out.requests = requests_[i];
  out.rejected = rejected_[i];
  switch (p) {
    case provider_kind::hetzner:
      out.limited = cfg_.enabled;
      out.limit = static_cast<int64_t>(hetzner_.capacity());
      out.remaining
        = static_cast<int64_t>(std::floor(hetzner_.available(now_ms)));
      out.reset_unix_s = ceil_div(hetzner_.full_at_ms(now_ms), 1000);
      break;
    case provider_kind::digitalocean:
      out.limited = cfg_.enabled;
      out.limit = digitalocean_.per_hour();
      out.remaining = digitalocean_.remaining(now_ms);
      out.reset_unix_s = ceil_div(digitalocean_.reset_ms(now_ms), 1000);
      out.limit_minute = digitalocean_.per_minute();
      out.remaining_minute = digitalocean_.remaining_minute(now_ms);
      break;
    case provider_kind::upcloud:
      out.limited = cfg_.enabled && upcloud_.has_value();
      if (upcloud_) {
        out.limit = static_cast<int64_t>(upcloud_->capacity());
        out.remaining
          = static_cast<int64_t>(std::floor(upcloud_->available(now_ms)));
        out.reset_unix_s = ceil_div(upcloud_->full_at_ms(now_ms), 1000);
      }
      break;
  }
  return out;
}

} // namespace dynserv::cloudsim
