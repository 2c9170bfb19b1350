// Options of provider accounts as read from the config file.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace dynserv {

using millis = std::chrono::milliseconds;

/// Token bucket applied by the provider actor to every API call.
struct rate_limit_options {
  /// Sustained rate; tokens added per second.
  double requests_per_second = 10.0;
  /// Bucket size: how many calls may go out back to back.
  double burst = 20.0;
};

/// Fault injection of the simulated cloud (all rates are probabilities 0..1).
struct simulated_faults {
  /// Per operation ("create", "get", "list", "stop", "start", "reboot",
  /// "delete"): chance that a call fails with a transient 503.
  std::map<std::string, double> error_rate;
  /// Chance that a created server never leaves provisioning.
  double never_start_rate = 0.0;
  /// Chance that a create succeeds at the cloud but its answer is lost
  /// (reported as `error_kind::outcome_unknown`).
  double lost_create_response_rate = 0.0;
};

/// Options of the embedded `simulated` provider.
struct simulated_options {
  /// Simulated durations of each operation (before time scaling).
  millis create_time{std::chrono::seconds{20}};
  millis start_time{std::chrono::seconds{10}};
  millis stop_time{std::chrono::seconds{5}};
  millis delete_time{std::chrono::seconds{5}};
  millis reboot_time{std::chrono::seconds{10}};
  /// Each duration is multiplied by a random factor in [1-jitter, 1+jitter].
  double jitter = 0.2;
  /// Seed of the random generator (durations and faults).
  uint64_t seed = 1;
  /// Durations are divided by this factor (100 = a hundred times faster).
  double time_scale = 1.0;
  simulated_faults faults;
};

} // namespace dynserv
