// Fixed and schedule policies: which weekly window applies at a time.
#include "policies/schedule.hpp"

#include <cstdio>

namespace dynserv {

namespace {

constexpr const char* day_names[] = {"sun", "mon", "tue", "wed",
                                     "thu", "fri", "sat"};

constexpr uint8_t all_days = 0x7f;

std::string capitalized(const char* day) {
  std::string res{day};
  res[0] = static_cast<char>(res[0] - 'a' + 'A');
  return res;
}

} // namespace

const char* to_string(policy_kind x) {
  switch (x) {
    case policy_kind::external:
      return "external";
    case policy_kind::fixed:
      return "fixed";
    case policy_kind::schedule:
      return "schedule";
    case policy_kind::http_metric:
      return "http_metric";
    case policy_kind::callback:
      return "callback";
  }
  return "unknown";
}

policy_output evaluate_fixed(int64_t count) {
  return {true, count, "fixed count " + std::to_string(count)};
}

bool window_contains(const schedule_window& w, const local_time& t) {
  auto on = [&w](int day) { return (w.days >> day & 1) != 0; };
  auto m = t.minute_of_day;
  if (w.from_minute < w.to_minute)
    return on(t.weekday) && m >= w.from_minute && m < w.to_minute;
  // Runs past midnight: the evening of a listed day or the morning after.
  auto yesterday = (t.weekday + 6) % 7;
  return (on(t.weekday) && m >= w.from_minute)
         || (on(yesterday) && m < w.to_minute);
}

policy_output evaluate_schedule(const schedule_spec& spec,
                                const time_zone& zone, int64_t now_ms) {
  auto t = zone.to_local(now_ms);
  auto when = " (" + zone.name() + ", " + capitalized(day_names[t.weekday])
              + " " + format_clock(t.minute_of_day) + ")";
  for (const auto& w : spec.windows)
    if (window_contains(w, t))
      return {true, w.count,
              "window " + w.label + " wants " + std::to_string(w.count) + when};
  return {true, spec.default_count,
          "no window; default " + std::to_string(spec.default_count) + when};
}

std::optional<int> parse_clock(std::string_view str) {
  if (str.size() != 5 || str[2] != ':')
    return std::nullopt;
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!digit(str[0]) || !digit(str[1]) || !digit(str[3]) || !digit(str[4]))
    return std::nullopt;
  auto h = (str[0] - '0') * 10 + (str[1] - '0');
  auto m = (str[3] - '0') * 10 + (str[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && m != 0))
    return std::nullopt;
  return h * 60 + m;
}

std::string format_clock(int minute) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%02d:%02d", (minute / 60) % 100,
                minute % 60);
  return buf;
}

std::optional<uint8_t> parse_days(std::string_view str) {
  for (int i = 0; i < 7; ++i)
    if (str == day_names[i])
      return static_cast<uint8_t>(1 << i);
  if (str == "weekdays")
    return static_cast<uint8_t>(0x3e);
  if (str == "weekend")
    return static_cast<uint8_t>(0x41);
  if (str == "daily")
    return all_days;
  return std::nullopt;
}

std::string format_days(uint8_t days) {
  days &= all_days;
  if (days == all_days)
    return "daily";
  // Monday-first order, with runs of three or more as "mon-fri".
  static constexpr int order[] = {1, 2, 3, 4, 5, 6, 0};
  std::string res;
  int i = 0;
  while (i < 7) {
    if ((days >> order[i] & 1) == 0) {
      ++i;
      continue;
    }
    auto j = i;
    while (j + 1 < 7 && (days >> order[j + 1] & 1) != 0)
      ++j;
    if (!res.empty())
      res += ",";
    res += day_names[order[i]];
    if (j - i >= 2) {
      res += "-";
      res += day_names[order[j]];
    } else if (j == i + 1) {
      res += ",";
      res += day_names[order[j]];
    }
    i = j + 1;
  }
  return res;
}

} // namespace dynserv
