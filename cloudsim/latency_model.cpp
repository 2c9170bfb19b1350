// Seeded randomness and the latency distributions of the simulated clouds.
#include "cloudsim/latency_model.hpp"

#include <algorithm>
#include <cmath>

namespace dynserv::cloudsim {

double sim_random::uniform(double lo, double hi) {
  if (hi <= lo)
    return lo;
  return std::uniform_real_distribution<double>{lo, hi}(engine_);
}

bool sim_random::chance(double p) {
  if (p <= 0)
    return false;
  if (p >= 1)
    return true;
  return uniform(0, 1) < p;
}

double sim_random::lognormal(double median, double sigma) {
  std::normal_distribution<double> normal{0.0, 1.0};
  return median * std::exp(sigma * normal(engine_));
}

int64_t sim_random::integer(int64_t lo, int64_t hi) {
  if (hi <= lo)
    return lo;
  return std::uniform_int_distribution<int64_t>{lo, hi}(engine_);
}

std::string sim_random::hex(size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i)
    out += digits[integer(0, 15)];
  return out;
}

std::string sim_random::uuid(std::string_view prefix) {
  std::string out{prefix};
  out += hex(8 - prefix.size());
  out += '-' + hex(4) + "-4" + hex(3) + "-8" + hex(3) + '-' + hex(12);
  return out;
}

std::string sim_random::ipv4(int a, int b) {
  return std::to_string(a) + '.' + std::to_string(b) + '.'
         + std::to_string(integer(0, 255)) + '.'
         + std::to_string(integer(1, 254));
}

namespace latency {

namespace {

int64_t seconds(double s) {
  return static_cast<int64_t>(std::llround(s * 1000.0));
}

int64_t between(sim_random& rng, double lo, double hi) {
  return seconds(rng.uniform(lo, hi));
}

} // namespace

int64_t upcloud_create(sim_random& rng) {
  if (rng.chance(0.01))
    return between(rng, 120, 600);
  // sigma 0.38 puts p5 near 18 s and p95 near 63 s; clamp to what was seen.
  return seconds(std::clamp(rng.lognormal(34, 0.38), 20.0, 120.0));
}

int64_t upcloud_hard_stop(sim_random& rng) {
  return between(rng, 5, 25);
}

int64_t guest_shutdown(sim_random& rng) {
  return between(rng, 3, 30);
}

int64_t upcloud_restart_enter(sim_random& rng) {
  return between(rng, 1, 6);
}

int64_t upcloud_restart_done(sim_random& rng) {
  return between(rng, 15, 25);
}

int64_t upcloud_storage_delete(sim_random& rng) {
  return between(rng, 2, 10);
}

int64_t hetzner_create(sim_random& rng, bool bulk) {
  return bulk ? between(rng, 60, 120) : between(rng, 15, 30);
}

int64_t hetzner_poweroff(sim_random& rng) {
  return between(rng, 2, 5);
}

int64_t hetzner_poweron(sim_random& rng) {
  return between(rng, 5, 15);
}

int64_t hetzner_shutdown_action(sim_random& rng) {
  return between(rng, 1, 3);
}

int64_t hetzner_reboot(sim_random& rng) {
  return between(rng, 3, 10);
}

int64_t hetzner_delete(sim_random& rng) {
  return between(rng, 1, 5);
}

int64_t digitalocean_create(sim_random& rng, bool snapshot) {
  if (snapshot && rng.chance(0.1))
    return between(rng, 180, 3600);
  return between(rng, 30, 90);
}

int64_t digitalocean_action(sim_random& rng) {
  return between(rng, 5, 30);
}

int64_t response(sim_random& rng) {
  if (rng.chance(0.02))
    return between(rng, 2, 10);
  return between(rng, 0.05, 0.4);
}

} // namespace latency

} // namespace dynserv::cloudsim
