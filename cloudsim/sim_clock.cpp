// Virtual clock arithmetic and timestamp formatting.
#include "cloudsim/sim_clock.hpp"

#include <chrono>
#include <cmath>
#include <ctime>

namespace dynserv::cloudsim {

namespace {

sim_clock::real_source default_source() {
  using namespace std::chrono;
  auto sys0
    = duration_cast<milliseconds>(system_clock::now().time_since_epoch())
        .count();
  auto steady0 = steady_clock::now();
  return [sys0, steady0] {
    auto d = steady_clock::now() - steady0;
    return sys0 + duration_cast<milliseconds>(d).count();
  };
}

std::string format(int64_t unix_ms, const char* suffix) {
  std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return std::string{buf} + suffix;
}

} // namespace

sim_clock::sim_clock(real_source source, double scale)
  : source_(source ? std::move(source) : default_source()),
    scale_(scale >= 0 ? scale : 1.0) {
  anchor_real_ = source_();
  anchor_virtual_ = anchor_real_;
}

int64_t sim_clock::real_ms() const {
  return source_();
}

int64_t sim_clock::now_ms() const {
  auto elapsed = static_cast<double>(source_() - anchor_real_);
  return anchor_virtual_ + static_cast<int64_t>(std::floor(elapsed * scale_));
}

void sim_clock::advance(int64_t ms) {
  if (ms > 0)
    anchor_virtual_ += ms;
}

void sim_clock::set_scale(double factor) {
  if (!(factor >= 0) || !std::isfinite(factor))
    return;
  // Rebase so that virtual time is continuous across the change.
  auto now_virtual = now_ms();
  anchor_real_ = source_();
  anchor_virtual_ = now_virtual;
  scale_ = factor;
}

std::string iso8601(int64_t unix_ms) {
  return format(unix_ms, "+00:00");
}

std::string iso8601_z(int64_t unix_ms) {
  return format(unix_ms, "Z");
}

} // namespace dynserv::cloudsim
