// Duration strings of the configuration file ("500ms", "1.5s", "10m",
// "24h"): parsing with the reason for a rejection, and formatting.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace dynserv {

using millis = std::chrono::milliseconds;

/// Why a duration string was rejected, or `ok`.
enum class duration_status { ok, syntax, sub_millisecond, too_large };

/// Outcome of `parse_duration_detail`; `value` is 0 unless `status` is ok.
struct duration_parse {
  duration_status status;
  millis value;
};

/// Parses `str` like `parse_duration` and says why it fails.
duration_parse parse_duration_detail(std::string_view str);

/// Parses a duration such as "500ms", "1.5s", "10m" or "24h": a non-negative
/// integer or decimal followed by ms, s, m or h, with nothing around it. The
/// result must be a whole number of milliseconds.
std::optional<millis> parse_duration(std::string_view str);

/// Formats `x` in the largest unit that represents it exactly, e.g. "24h",
/// "90s", "1500ms"; the result is accepted by `parse_duration`.
std::string format_duration(millis x);

} // namespace dynserv
