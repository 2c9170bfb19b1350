// Fixed and schedule policies on an injected clock: windows, days, time
// zones, windows past midnight and DST edges.
#include <boost/test/unit_test.hpp>

#include <string>

#include "policies/schedule.hpp"
#include "policies/time_zone.hpp"

using namespace dynserv;

namespace {

int64_t utc(int64_t y, unsigned mo, unsigned d, int h, int mi) {
  return (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60) * 1000;
}

schedule_window window(const char* days, const char* from, const char* to,
                       int64_t count) {
  schedule_window w;
  w.days = *parse_days(days);
  w.from_minute = *parse_clock(from);
  w.to_minute = *parse_clock(to);
  w.count = count;
  w.label = format_days(w.days) + " " + from + "-" + to;
  return w;
}

std::shared_ptr<const time_zone> zone(const std::string& name) {
  std::string error;
  auto tz = load_time_zone(name, &error);
  BOOST_REQUIRE_MESSAGE(tz != nullptr, error);
  return tz;
}

} // namespace

BOOST_AUTO_TEST_SUITE(schedule_tests)

BOOST_AUTO_TEST_CASE(fixed_policy_wants_its_count) {
  auto out = evaluate_fixed(4);
  BOOST_TEST(out.ok);
  BOOST_TEST(out.count == 4);
  BOOST_TEST(out.input == "fixed count 4");
}

BOOST_AUTO_TEST_CASE(clock_and_day_notation) {
  BOOST_TEST(*parse_clock("00:00") == 0);
  BOOST_TEST(*parse_clock("08:30") == 510);
  BOOST_TEST(*parse_clock("24:00") == 1440);
  for (auto bad : {"24:01", "8:30", "08:60", "08-30", "", "ab:cd", "08:30 "})
    BOOST_TEST(!parse_clock(bad), bad);
  BOOST_TEST(format_clock(510) == "08:30");
  BOOST_TEST(*parse_days("sun") == 1);
  BOOST_TEST(*parse_days("weekdays") == 0x3e);
  BOOST_TEST(!parse_days("Monday"));
  BOOST_TEST(format_days(0x3e) == "mon-fri");
  BOOST_TEST(format_days(0x41) == "sat,sun");
  BOOST_TEST(format_days(0x7f) == "daily");
  BOOST_TEST(format_days(0x0a) == "mon,wed");
  BOOST_TEST(format_days(0x06) == "mon,tue");
}

BOOST_AUTO_TEST_CASE(business_hours_in_berlin) {
  schedule_spec spec;
  spec.time_zone = "Europe/Berlin";
  spec.default_count = 1;
  spec.windows = {window("weekdays", "08:00", "18:00", 5),
                  window("sat", "10:00", "14:00", 3)};
  auto tz = zone(spec.time_zone);
  // Monday 2024-06-03 07:59 CEST = 05:59 UTC.
  auto early = evaluate_schedule(spec, *tz, utc(2024, 6, 3, 5, 59));
  BOOST_TEST(early.count == 1);
  BOOST_TEST(early.input == "no window; default 1 (Europe/Berlin, Mon 07:59)");
  auto open = evaluate_schedule(spec, *tz, utc(2024, 6, 3, 6, 0));
  BOOST_TEST(open.count == 5);
  BOOST_TEST(
    open.input
    == "window mon-fri 08:00-18:00 wants 5 (Europe/Berlin, Mon 08:00)");
  // 18:00 is already outside.
  BOOST_TEST(evaluate_schedule(spec, *tz, utc(2024, 6, 3, 16, 0)).count == 1);
  // In winter the same local hours are an hour later in UTC.
  BOOST_TEST(evaluate_schedule(spec, *tz, utc(2024, 12, 2, 6, 30)).count == 1);
  BOOST_TEST(evaluate_schedule(spec, *tz, utc(2024, 12, 2, 7, 0)).count == 5);
  BOOST_TEST(evaluate_schedule(spec, *tz, utc(2024, 6, 8, 9, 0)).count == 3);
  BOOST_TEST(evaluate_schedule(spec, *tz, utc(2024, 6, 9, 9, 0)).count == 1);
}

BOOST_AUTO_TEST_CASE(first_matching_window_wins) {
  schedule_spec spec;
  spec.windows = {window("daily", "12:00", "13:00", 7),
                  window("daily", "00:00", "24:00", 2)};
  auto tz = zone("UTC");
  BOOST_TEST(evaluate_schedule(spec, *tz, utc(2024, 6, 3, 12, 30)).count == 7);
  BOOST_TEST(evaluate_schedule(spec, *tz, utc(2024, 6, 3, 13, 0)).count == 2);
}

BOOST_AUTO_TEST_CASE(windows_past_midnight_belong_to_their_first_day) {
  schedule_spec spec;
  spec.default_count = 0;
  spec.windows = {window("fri", "22:00", "02:00", 4)};
  auto tz = zone("UTC");
  // Friday 2024-06-07 23:00 and Saturday 01:59 are inside; Saturday 22:00
  // and Friday 01:00 (Thursday night) are not.
  BOOST_TEST(evaluate_schedule(spec, *tz, utc(2024, 6, 7, 23, 0)).count == 4);
  BOOST_TEST(evaluate_schedule(spec, *tz, utc(2024, 6, 8, 1, 59)).count == 4);
  BOOST_TEST(evaluate_schedule(spec, *tz, utc(2024, 6, 8, 2, 0)).count == 0);
  BOOST_TEST(evaluate_schedule(spec, *tz, utc(2024, 6, 8, 22, 0)).count == 0);
  BOOST_TEST(evaluate_schedule(spec, *tz, utc(2024, 6, 7, 1, 0)).count == 0);
}

BOOST_AUTO_TEST_CASE(dst_edges_follow_local_time) {
  schedule_spec spec;
  spec.time_zone = "Europe/Berlin";
  spec.default_count = 0;
  spec.windows = {window("sun", "02:00", "03:00", 9)};
  auto tz = zone(spec.time_zone);
  // Spring forward (2024-03-31): 02:00-03:00 does not exist that night, so
  // the window never matches, minute by minute.
  for (int m = 0; m < 180; ++m)
    BOOST_TEST_REQUIRE(
      evaluate_schedule(spec, *tz, utc(2024, 3, 31, 0, 0) + m * 60'000).count
      == 0);
  // Fall back (2024-10-27): 02:00-03:00 happens twice, so the window holds
  // for two real hours (00:00 to 02:00 UTC).
  int minutes = 0;
  for (int m = 0; m < 240; ++m)
    minutes += evaluate_schedule(spec, *tz,
                                 utc(2024, 10, 26, 23, 0) + m * 60'000)
                 .count
               == 9;
  BOOST_TEST(minutes == 120);
}

BOOST_AUTO_TEST_CASE(time_zones_shift_the_windows) {
  schedule_spec spec;
  spec.default_count = 0;
  spec.windows = {window("mon", "09:00", "10:00", 1)};
  auto ny = zone("America/New_York");
  auto tokyo = zone("Asia/Tokyo");
  // Monday 2024-06-03 09:30 in New York = 13:30 UTC; in Tokyo 00:30 UTC.
  BOOST_TEST(evaluate_schedule(spec, *ny, utc(2024, 6, 3, 13, 30)).count == 1);
  BOOST_TEST(evaluate_schedule(spec, *tokyo, utc(2024, 6, 3, 13, 30)).count
             == 0);
  BOOST_TEST(evaluate_schedule(spec, *tokyo, utc(2024, 6, 3, 0, 30)).count
             == 1);
}

BOOST_AUTO_TEST_SUITE_END()
