// Parses and formats the duration strings of the configuration file.
#include "config/duration.hpp"

#include <cstdint>
#include <utility>

namespace dynserv {

duration_parse parse_duration_detail(std::string_view str) {
  auto fail = [](duration_status s) { return duration_parse{s, millis{0}}; };
  size_t pos = 0;
  auto digits = [&] {
    auto first = pos;
    while (pos < str.size() && str[pos] >= '0' && str[pos] <= '9')
      ++pos;
    return str.substr(first, pos - first);
  };
  auto integral = digits();
  if (integral.empty())
    return fail(duration_status::syntax);
  std::string_view fraction;
  if (pos < str.size() && str[pos] == '.') {
    ++pos;
    fraction = digits();
    if (fraction.empty())
      return fail(duration_status::syntax);
  }
  auto unit = str.substr(pos);
  int64_t factor = 0;
  if (unit == "ms")
    factor = 1;
  else if (unit == "s")
    factor = 1000;
  else if (unit == "m")
    factor = 60 * 1000;
  else if (unit == "h")
    factor = 60 * 60 * 1000;
  else
    return fail(duration_status::syntax);
  int64_t whole = 0;
  for (auto c : integral)
    if (__builtin_mul_overflow(whole, 10, &whole)
        || __builtin_add_overflow(whole, c - '0', &whole))
      return fail(duration_status::too_large);
  if (__builtin_mul_overflow(whole, factor, &whole))
    return fail(duration_status::too_large);
  while (!fraction.empty() && fraction.back() == '0')
    fraction.remove_suffix(1);
  // 10^n divides fraction * factor only for n <= 7 (factor <= 2^7 * 5^5 * 9).
  if (fraction.size() > 7)
    return fail(duration_status::sub_millisecond);
  int64_t numerator = 0;
  int64_t denominator = 1;
  for (auto c : fraction) {
    numerator = numerator * 10 + (c - '0');
    denominator *= 10;
  }
  numerator *= factor; // < 10^7 * 3.6 * 10^6: no overflow
  if (numerator % denominator != 0)
    return fail(duration_status::sub_millisecond);
  if (__builtin_add_overflow(whole, numerator / denominator, &whole))
    return fail(duration_status::too_large);
  return {duration_status::ok, millis{whole}};
}

std::optional<millis> parse_duration(std::string_view str) {
  auto result = parse_duration_detail(str);
  if (result.status != duration_status::ok)
    return std::nullopt;
  return result.value;
}

std::string format_duration(millis x) {
  auto n = x.count();
  if (n == 0)
    return "0s";
  constexpr std::pair<int64_t, const char*> units[]
    = {{60 * 60 * 1000, "h"}, {60 * 1000, "m"}, {1000, "s"}};
  for (auto [factor, suffix] : units)
    if (n % factor == 0)
      return std::to_string(n / factor) + suffix;
  return std::to_string(n) + "ms";
}

} // namespace dynserv
