// The seeded random source of the simulator and the latency distributions of
// provider-api-notes.md section 5, all in virtual milliseconds.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace dynserv::cloudsim {

/// Deterministic randomness: the same seed and the same request sequence
/// give the same ids, latencies and fault draws.
class sim_random {
public:
  explicit sim_random(uint64_t seed) : engine_(seed) {
  }

  /// Re-seeds the generator.
  void seed(uint64_t seed) {
    engine_.seed(seed);
  }

  /// Uniform in [lo, hi].
  double uniform(double lo, double hi);

  /// True with probability `p` (p <= 0 never draws, p >= 1 always true).
  bool chance(double p);

  /// Lognormal with the given median and shape.
  double lognormal(double median, double sigma);

  /// Uniform integer in [lo, hi].
  int64_t integer(int64_t lo, int64_t hi);

  /// `n` lower-case hex digits.
  std::string hex(size_t n);

  /// A UUID whose first two hex digits are `prefix` (UpCloud uses "00" for
  /// servers and "01" for storages).
  std::string uuid(std::string_view prefix);

  /// A dotted IPv4 address inside `a.b.0.0/16`.
  std::string ipv4(int a, int b);

private:
  std::mt19937_64 engine_;
};

/// Operation durations per provider (virtual milliseconds).
namespace latency {

/// UpCloud create -> started: lognormal, median 34 s, p5 ~22 s, p95 ~65 s,
/// with a rare tail up to 10 min.
int64_t upcloud_create(sim_random& rng);
/// UpCloud hard stop -> stopped: 5-25 s.
int64_t upcloud_hard_stop(sim_random& rng);
/// Time the guest needs to halt after ACPI: 3-30 s.
int64_t guest_shutdown(sim_random& rng);
/// UpCloud restart: maintenance seen within 1-6 s.
int64_t upcloud_restart_enter(sim_random& rng);
/// UpCloud restart: started again 15-25 s after the call.
int64_t upcloud_restart_done(sim_random& rng);
/// UpCloud storage deletion after DELETE ?storages=1: 2-10 s.
int64_t upcloud_storage_delete(sim_random& rng);
/// Hetzner create -> running: 15-30 s, 60-120 s when `bulk`.
int64_t hetzner_create(sim_random& rng, bool bulk);
/// Hetzner poweroff: 2-5 s.
int64_t hetzner_poweroff(sim_random& rng);
/// Hetzner poweron: 5-15 s.
int64_t hetzner_poweron(sim_random& rng);
/// Hetzner shutdown action (ACPI sent): 1-3 s.
int64_t hetzner_shutdown_action(sim_random& rng);
/// Hetzner reboot/reset: 3-10 s.
int64_t hetzner_reboot(sim_random& rng);
/// Hetzner deleting -> gone: 1-5 s.
int64_t hetzner_delete(sim_random& rng);
/// DigitalOcean create -> active: 30-90 s; from a snapshot (`snapshot`) a
/// 10% tail of 3-60 min.
int64_t digitalocean_create(sim_random& rng, bool snapshot);
/// DigitalOcean droplet action: 5-30 s.
int64_t digitalocean_action(sim_random& rng);
/// HTTP response latency: 50-400 ms, 2% at 2-10 s.
int64_t response(sim_random& rng);

} // namespace latency

} // namespace dynserv::cloudsim
