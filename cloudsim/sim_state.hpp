// The simulated world shared by the provider APIs and the control API:
// clock, randomness, inventory, faults, limits, request log and settings.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "cloudsim/fault_rules.hpp"
#include "cloudsim/inventory.hpp"
#include "cloudsim/latency_model.hpp"
#include "cloudsim/rate_limits.hpp"
#include "cloudsim/request_log.hpp"
#include "cloudsim/sim_clock.hpp"

namespace dynserv::cloudsim {

/// Accepted credentials. They are compared, never logged.
struct sim_credentials {
  std::string upcloud_user = "dynserv";
  std::string upcloud_password = "secret";
  /// UpCloud also accepts `Authorization: Bearer <token>`.
  std::string upcloud_token = "test-token";
  std::string hetzner_token = "test-token";
  std::string digitalocean_token = "test-token";
};

/// Everything the simulator is started with.
struct sim_options {
  uint64_t seed = 1;
  /// Virtual seconds per real second.
  double time_scale = 1.0;
  /// Real time source (Unix ms); empty = the system's steady clock. Tests
  /// inject a manual one.
  sim_clock::real_source real_time;
  sim_credentials credentials;
  rate_limit_config rate_limits;
  /// Add the HTTP response latency of the notes (scaled by the time scale).
  bool response_latency = true;
  /// Per provider: how long a new server stays invisible (virtual ms).
  std::array<int64_t, 3> consistency_delay_ms{};
  /// Per provider: most servers the account may hold; none = no quota.
  std::array<std::optional<size_t>, 3> max_servers{};
  /// Entries kept by the request log.
  size_t request_log_capacity = 100000;
  /// True if served over TLS (links in bodies and headers use https).
  bool tls = false;
};

/// The mutable world. Not thread-safe: `cloud_sim` serializes access.
struct sim_state {
  explicit sim_state(sim_options opts)
    : options(std::move(opts)),
      clock(options.real_time, options.time_scale),
      rng(options.seed),
      limits(options.rate_limits, clock.real_ms()),
      log(options.request_log_capacity) {
  }

  sim_options options;
  sim_clock clock;
  sim_random rng;
  inventory inv;
  fault_rules faults;
  rate_limits limits;
  request_log log;
};

} // namespace dynserv::cloudsim
