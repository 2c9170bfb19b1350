// Time zones: TZif files from tzdata, POSIX footer rules, DST edges, and a
// cross-check against the C library.
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <ctime>
#include <random>
#include <string>

#include "policies/time_zone.hpp"

using namespace dynserv;

namespace {

/// ms since the epoch of a UTC date and time.
int64_t utc(int64_t y, unsigned mo, unsigned d, int h, int mi, int s = 0) {
  return (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * 1000;
}

std::shared_ptr<const time_zone> zone(const std::string& name) {
  std::string error;
  auto tz = load_time_zone(name, &error);
  BOOST_REQUIRE_MESSAGE(tz != nullptr, name << ": " << error);
  return tz;
}

/// "HH:MM" of a local time.
std::string hm(const local_time& t) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%02d:%02d", t.minute_of_day / 60,
                t.minute_of_day % 60);
  return buf;
}

} // namespace

BOOST_AUTO_TEST_SUITE(time_zone_tests)

BOOST_AUTO_TEST_CASE(civil_dates_round_trip) {
  BOOST_TEST(days_from_civil(1970, 1, 1) == 0);
  BOOST_TEST(days_from_civil(2000, 3, 1) == 11017);
  BOOST_TEST(days_from_civil(1969, 12, 31) == -1);
  for (int64_t d = -800000; d < 800000; d += 997) {
    int64_t y = 0;
    unsigned m = 0;
    unsigned day = 0;
    civil_from_days(d, y, m, day);
    BOOST_TEST_REQUIRE(days_from_civil(y, m, day) == d);
  }
}

BOOST_AUTO_TEST_CASE(utc_zone_works_without_files) {
  std::string error;
  auto tz = load_time_zone("UTC", &error, "/nonexistent");
  BOOST_REQUIRE(tz != nullptr);
  auto t = tz->to_local(utc(2024, 1, 1, 13, 45));
  BOOST_TEST(t.weekday == 1); // a Monday
  BOOST_TEST(hm(t) == "13:45");
  BOOST_TEST(t.utc_offset_s == 0);
}

BOOST_AUTO_TEST_CASE(bad_names_and_unknown_zones_are_refused) {
  for (auto name : {"../etc/passwd", "/etc/passwd", "Europe/../UTC", "",
                    "Europe//Berlin", "Europe/Berlin "}) {
    std::string error;
    BOOST_TEST_CONTEXT("name '" << name << "'") {
      BOOST_TEST(load_time_zone(name, &error) == nullptr);
      BOOST_TEST(error == "invalid time zone name");
    }
  }
  std::string error;
  BOOST_TEST(load_time_zone("Nowhere/City", &error) == nullptr);
  BOOST_TEST(error.find("unknown time zone") == 0u, error);
}

BOOST_AUTO_TEST_CASE(garbage_is_not_a_zone) {
  std::string error;
  BOOST_TEST(!time_zone::from_tzif("x", "hello", &error));
  BOOST_TEST(error == "not a TZif file");
  std::string header = "TZif2";
  header.resize(44, '\0');
  header[20 + 4 * 4 + 3] = 1; // typecnt = 1, no data follows
  BOOST_TEST(!time_zone::from_tzif("x", header, &error));
  BOOST_TEST(error == "truncated TZif file");
}

BOOST_AUTO_TEST_CASE(berlin_spring_forward_and_fall_back) {
  auto tz = zone("Europe/Berlin");
  // 2024-03-31: 02:00 CET becomes 03:00 CEST at 01:00 UTC.
  auto before = tz->to_local(utc(2024, 3, 31, 0, 59));
  auto after = tz->to_local(utc(2024, 3, 31, 1, 0));
  BOOST_TEST(hm(before) == "01:59");
  BOOST_TEST(!before.dst);
  BOOST_TEST(hm(after) == "03:00");
  BOOST_TEST(after.dst);
  BOOST_TEST(after.utc_offset_s == 7200);
  // 2024-10-27: 03:00 CEST becomes 02:00 CET at 01:00 UTC; 02:xx twice.
  BOOST_TEST(hm(tz->to_local(utc(2024, 10, 27, 0, 30))) == "02:30");
  BOOST_TEST(hm(tz->to_local(utc(2024, 10, 27, 1, 30))) == "02:30");
  BOOST_TEST(!tz->to_local(utc(2024, 10, 27, 1, 30)).dst);
  BOOST_TEST(tz->to_local(utc(2024, 10, 27, 1, 30)).weekday == 0); // Sunday
}

BOOST_AUTO_TEST_CASE(new_york_and_sydney) {
  auto ny = zone("America/New_York");
  BOOST_TEST(hm(ny->to_local(utc(2024, 3, 10, 6, 59))) == "01:59");
  BOOST_TEST(hm(ny->to_local(utc(2024, 3, 10, 7, 0))) == "03:00");
  BOOST_TEST(ny->to_local(utc(2024, 7, 1, 12, 0)).utc_offset_s == -4 * 3600);
  // Southern hemisphere: DST from October to April.
  auto syd = zone("Australia/Sydney");
  auto dst_end = utc(2024, 4, 6, 16, 0); // 03:00 AEDT, Sunday 7 April
  BOOST_TEST(hm(syd->to_local(dst_end - 60'000)) == "02:59");
  BOOST_TEST(syd->to_local(dst_end - 60'000).dst);
  BOOST_TEST(hm(syd->to_local(dst_end)) == "02:00");
  BOOST_TEST(!syd->to_local(dst_end).dst);
  BOOST_TEST(syd->to_local(utc(2024, 1, 15, 0, 0)).utc_offset_s == 11 * 3600);
}

BOOST_AUTO_TEST_CASE(far_future_times_use_the_footer_rule) {
  auto tz = zone("Europe/Berlin");
  BOOST_TEST(tz->to_local(utc(2100, 7, 1, 12, 0)).utc_offset_s == 7200);
  BOOST_TEST(tz->to_local(utc(2100, 12, 1, 12, 0)).utc_offset_s == 3600);
  // Last Sunday of March 2100 is the 28th.
  BOOST_TEST(hm(tz->to_local(utc(2100, 3, 28, 1, 0))) == "03:00");
}

BOOST_AUTO_TEST_CASE(posix_rules) {
  auto r = parse_posix_tz("CET-1CEST,M3.5.0,M10.5.0/3");
  BOOST_REQUIRE(r);
  BOOST_TEST(r->std_offset_s == 3600);
  BOOST_TEST(r->has_dst);
  BOOST_TEST(r->dst_offset_s == 7200);
  BOOST_TEST(r->start.month == 3);
  BOOST_TEST(r->start.week == 5);
  BOOST_TEST(r->end.time_s == 3 * 3600);
  auto fixed = parse_posix_tz("<+03>-3");
  BOOST_REQUIRE(fixed);
  BOOST_TEST(fixed->std_offset_s == 3 * 3600);
  BOOST_TEST(!fixed->has_dst);
  auto odd = parse_posix_tz("IST-2IDT,M3.4.4/26,M10.5.0");
  BOOST_REQUIRE(odd);
  BOOST_TEST(odd->start.time_s == 26 * 3600);
  auto julian = parse_posix_tz("XXX3YYY,J60/1:30,300");
  BOOST_REQUIRE(julian);
  BOOST_TEST(julian->start.kind == 'J');
  BOOST_TEST(julian->start.time_s == 5400);
  BOOST_TEST(julian->end.kind == 'D');
  for (auto bad :
       {"", "C1", "CET", "CET-1CEST,M13.1.0,M10.5.0", "CET-1CEST,M3.5.0",
        "CET-1CEST,M3.6.0,M10.5.0", "CET-1CEST,M3.5.7,M10.5.0", "<AB>1",
        "CET-1CEST,J0,J10", "CET-1CEST,M3.5.0,M10.5.0x"})
    BOOST_TEST(!parse_posix_tz(bad), "accepted '" << bad << "'");
}

BOOST_AUTO_TEST_CASE(agrees_with_the_c_library) {
  // glibc reads the same files: compare offsets at random instants from
  // 1970 to 2120 (after 2037 only the footer rule decides).
  std::mt19937_64 rng{42};
  std::uniform_int_distribution<int64_t> when{0, 4'733'510'400};
  auto saved = std::getenv("TZ");
  std::string saved_tz = saved ? saved : "";
  for (auto name : {"Europe/Berlin", "America/New_York", "Australia/Sydney",
                    "Asia/Kolkata", "America/Sao_Paulo", "Pacific/Chatham"}) {
    auto tz = zone(name);
    setenv("TZ", name, 1);
    tzset();
    for (int i = 0; i < 2000; ++i) {
      auto t = static_cast<time_t>(when(rng));
      struct tm lt;
      localtime_r(&t, &lt);
      auto mine = tz->to_local(static_cast<int64_t>(t) * 1000);
      BOOST_TEST_REQUIRE(mine.utc_offset_s == lt.tm_gmtoff,
                         name << " at " << t);
      BOOST_TEST_REQUIRE(mine.weekday == lt.tm_wday);
      BOOST_TEST_REQUIRE(mine.minute_of_day == lt.tm_hour * 60 + lt.tm_min);
    }
  }
  if (saved)
    setenv("TZ", saved_tz.c_str(), 1);
  else
    unsetenv("TZ");
  tzset();
}

BOOST_AUTO_TEST_SUITE_END()
