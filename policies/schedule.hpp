// Evaluation of the clock-driven policies (`fixed`, `schedule`) and the
// parsing of their day and time-of-day notation. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "policies/policy_spec.hpp"
#include "policies/time_zone.hpp"

namespace dynserv {

/// What a policy asks for, before guardrails.
struct policy_output {
  /// False when the policy has no answer (metric unavailable): the pool
  /// holds its count.
  bool ok = false;
  int64_t count = 0;
  /// What the count is based on, for decision records, e.g.
  /// "window mon-fri 08:00-18:00 (Europe/Berlin, Mon 09:12)".
  std::string input;
};

/// The count of a `fixed` policy.
policy_output evaluate_fixed(int64_t count);

/// The count of `spec` at `now_ms` in `zone`: the first window containing
/// the local time, else the default.
policy_output evaluate_schedule(const schedule_spec& spec,
                                const time_zone& zone, int64_t now_ms);

/// True if `w` contains local time `t`.
bool window_contains(const schedule_window& w, const local_time& t);

/// Parses "HH:MM" (00:00 to 24:00) into minutes since midnight.
std::optional<int> parse_clock(std::string_view str);

/// Formats minutes since midnight as "HH:MM".
std::string format_clock(int minute);

/// Parses a day name ("mon" ... "sun", "weekdays", "weekend", "daily")
/// into a day bit mask (bit 0 = Sunday); nullopt if unknown.
std::optional<uint8_t> parse_days(std::string_view str);

/// Formats a day mask compactly: "mon-fri", "sat,sun", "daily".
std::string format_days(uint8_t days);

} // namespace dynserv
