// Duration strings of the configuration file: parse_duration and
// format_duration.
#include <boost/test/unit_test.hpp>

#include "config/node_config.hpp"

#include <cstdint>
#include <string>

using namespace dynserv;

BOOST_AUTO_TEST_SUITE(durations)

BOOST_AUTO_TEST_CASE(valid_durations_parse_to_milliseconds) {
  struct row {
    const char* text;
    int64_t ms;
  };
  row rows[] = {
    {"0s", 0},           {"0ms", 0},
    {"1ms", 1},          {"500ms", 500},
    {"1s", 1'000},       {"1.5s", 1'500},
    {"0.5s", 500},       {"0.001s", 1},
    {"2.000s", 2'000},   {"10m", 600'000},
    {"1.25m", 75'000},   {"24h", 86'400'000},
    {"0.5h", 1'800'000}, {"0.00025h", 900},
    {"007s", 7'000},     {"9223372036854775807ms", INT64_MAX},
  };
  for (auto& r : rows)
    BOOST_TEST_CONTEXT(r.text) {
      auto d = parse_duration(r.text);
      BOOST_TEST_REQUIRE(d.has_value());
      BOOST_TEST(d->count() == r.ms);
    }
}

BOOST_AUTO_TEST_CASE(invalid_durations_are_rejected) {
  const char* rows[] = {
    "",
    "s",
    "ms",
    "10",
    "10 s",
    " 10s",
    "10s ",
    "-5s",
    "+5s",
    "1.s",
    ".5s",
    "1e3s",
    "10sec",
    "10S",
    "10MS",
    "10d",
    "1h30m",
    "10us",
    "1,5s",
    "0x10s",
    "0.5ms",
    "1.0001s",
    "0.0000001h",
    "0.0000005h",
    "9223372036854775808ms",
    "9999999999999999h",
    "99999999999999999999s",
  };
  for (auto text : rows)
    BOOST_TEST_CONTEXT('"' << text << '"') {
      BOOST_TEST(!parse_duration(text).has_value());
    }
}

BOOST_AUTO_TEST_CASE(format_uses_the_largest_exact_unit) {
  struct row {
    int64_t ms;
    const char* text;
  };
  row rows[] = {
    {0, "0s"},         {1, "1ms"},          {500, "500ms"},  {1'500, "1500ms"},
    {1'000, "1s"},     {90'000, "90s"},     {60'000, "1m"},  {5'400'000, "90m"},
    {3'600'000, "1h"}, {86'400'000, "24h"}, {-5'000, "-5s"},
  };
  for (auto& r : rows)
    BOOST_TEST_CONTEXT(r.ms) {
      BOOST_TEST(format_duration(millis{r.ms}) == r.text);
    }
}

BOOST_AUTO_TEST_CASE(format_round_trips_through_parse) {
  for (int64_t ms : {int64_t{0}, int64_t{7}, int64_t{1'001}, int64_t{61'000},
                     int64_t{7'200'000}, INT64_MAX}) {
    BOOST_TEST_CONTEXT(ms) {
      auto d = parse_duration(format_duration(millis{ms}));
      BOOST_TEST_REQUIRE(d.has_value());
      BOOST_TEST(d->count() == ms);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
