// Changes of one pool's desired count and pause flag (pure planner): the
// clamp to [min, max], whether anything changed and the event text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "config/node_config.hpp"
#include "messages/types.hpp"

namespace dynserv {

/// Why `n` is not a valid count for ensure/increase/decrease; nullopt when
/// it is (zero or more).
std::optional<std::string> count_problem(int64_t n);

/// A planned change of the desired count.
struct desired_change {
  /// The answer to the command (the applied count, a clamp note).
  scale_reply reply;
  /// Something changes (the count, or the count last applied from file), so
  /// the pool record is written.
  bool changed = false;
  /// The text of the DesiredCountChanged event; nullopt when the count
  /// stays (only the file's count was recorded, or nothing changed).
  std::optional<std::string> event;
};

/// Plans setting the desired count of `cfg`'s pool (now `rec.desired`) to
/// `wanted`, clamped to [min, max], because of `why`. `file_value` is the
/// count of the config file when the change comes from it.
desired_change plan_desired(const pool_config& cfg, const pool_record& rec,
                            int64_t wanted, const std::string& why,
                            std::optional<int64_t> file_value);

/// The text of a PolicyPaused / PolicyResumed event.
std::string pause_message(bool paused, bool has_policy);

} // namespace dynserv
