// Tests of the jittered exponential backoff.
#include "providers/backoff.hpp"

#include <boost/test/unit_test.hpp>

#include <vector>

using namespace dynserv;
using namespace std::chrono_literals;

namespace {

std::vector<int64_t> draw(backoff& b, size_t n) {
  std::vector<int64_t> result;
  for (size_t i = 0; i < n; ++i)
    result.push_back(b.next().count());
  return result;
}

} // namespace

BOOST_AUTO_TEST_SUITE(backoff_tests)

BOOST_AUTO_TEST_CASE(delays_grow_by_the_multiplier_without_jitter) {
  backoff b{100ms, 10s, 2.0, 0.0, 1};
  BOOST_TEST(b.attempts() == 0u);
  BOOST_TEST(draw(b, 5) == (std::vector<int64_t>{100, 200, 400, 800, 1600}),
             boost::test_tools::per_element());
  BOOST_TEST(b.attempts() == 5u);
}

BOOST_AUTO_TEST_CASE(delays_stop_growing_at_the_cap) {
  backoff b{100ms, 1000ms, 3.0, 0.0, 1};
  BOOST_TEST(draw(b, 6)
               == (std::vector<int64_t>{100, 300, 900, 1000, 1000, 1000}),
             boost::test_tools::per_element());
  // Many attempts neither overflow nor leave the cap.
  for (int i = 0; i < 2000; ++i)
    BOOST_TEST_REQUIRE(b.next().count() == 1000);
}

BOOST_AUTO_TEST_CASE(an_initial_delay_above_the_cap_is_capped) {
  backoff b{5s, 1s, 2.0, 0.0, 1};
  BOOST_TEST(b.next().count() == 1000);
}

BOOST_AUTO_TEST_CASE(jittered_delays_cover_the_whole_range_and_stay_in_it) {
  backoff b{1000ms, 60s, 2.0, 0.5, 42};
  int64_t lowest = 1'000'000;
  int64_t highest = 0;
  for (int i = 0; i < 2000; ++i) {
    b.reset();
    auto d = b.next().count();
    BOOST_TEST_REQUIRE(d >= 500);
    BOOST_TEST_REQUIRE(d <= 1500);
    lowest = std::min(lowest, d);
    highest = std::max(highest, d);
  }
  // With 2000 uniform draws, both ends of [500, 1500] are reached closely.
  BOOST_TEST(lowest < 550);
  BOOST_TEST(highest > 1450);
}

BOOST_AUTO_TEST_CASE(jittered_delays_never_exceed_the_cap) {
  backoff b{1000ms, 1000ms, 2.0, 1.0, 7};
  auto below_cap = 0;
  for (int i = 0; i < 500; ++i) {
    auto d = b.next().count();
    BOOST_TEST_REQUIRE(d >= 0);
    BOOST_TEST_REQUIRE(d <= 1000);
    if (d < 1000)
      ++below_cap;
  }
  BOOST_TEST(below_cap > 100);
}

BOOST_AUTO_TEST_CASE(jitter_applies_to_later_attempts) {
  backoff b{100ms, 60s, 2.0, 0.2, 3};
  b.next();
  b.next();
  for (int i = 0; i < 100; ++i) {
    BOOST_TEST_REQUIRE(b.base_delay().count() >= 400);
    auto base = b.base_delay().count();
    auto d = b.next().count();
    BOOST_TEST_REQUIRE(d >= base * 8 / 10);
    BOOST_TEST_REQUIRE(d <= std::min<int64_t>(base * 12 / 10, 60'000));
  }
}

BOOST_AUTO_TEST_CASE(reset_starts_over_at_the_initial_delay) {
  backoff b{100ms, 10s, 2.0, 0.0, 1};
  draw(b, 4);
  BOOST_TEST(b.attempts() == 4u);
  b.reset();
  BOOST_TEST(b.attempts() == 0u);
  BOOST_TEST(b.next().count() == 100);
  BOOST_TEST(b.next().count() == 200);
  BOOST_TEST(b.attempts() == 2u);
}

BOOST_AUTO_TEST_CASE(the_same_seed_gives_the_same_delays) {
  backoff a{100ms, 30s, 2.0, 0.5, 99};
  backoff b{100ms, 30s, 2.0, 0.5, 99};
  backoff c{100ms, 30s, 2.0, 0.5, 100};
  auto xs = draw(a, 20);
  BOOST_TEST(xs == draw(b, 20), boost::test_tools::per_element());
  BOOST_TEST((xs != draw(c, 20)));
}

BOOST_AUTO_TEST_CASE(an_external_generator_is_shared_and_advanced) {
  std::mt19937_64 rng1{5};
  std::mt19937_64 rng2{5};
  backoff a{100ms, 30s, 2.0, 0.5, rng1};
  backoff b{100ms, 30s, 2.0, 0.5, rng2};
  BOOST_TEST(draw(a, 10) == draw(b, 10), boost::test_tools::per_element());
  // Both generators moved forward in step.
  BOOST_TEST(rng1() == rng2());
  // Each draw consumes the caller's generator.
  auto before = rng1;
  a.next();
  BOOST_TEST((before != rng1));
}

BOOST_AUTO_TEST_CASE(copies_of_an_owning_backoff_are_independent) {
  backoff a{100ms, 30s, 2.0, 0.5, 11};
  a.next();
  auto b = a;
  BOOST_TEST(draw(a, 5) == draw(b, 5), boost::test_tools::per_element());
  BOOST_TEST(a.attempts() == 6u);
}

BOOST_AUTO_TEST_CASE(odd_parameters_are_tamed) {
  // Jitter above 1 acts as 1, a multiplier below 1 as 1.
  backoff b{100ms, 10s, 0.5, 3.0, 1};
  for (int i = 0; i < 100; ++i) {
    auto d = b.next().count();
    BOOST_TEST_REQUIRE(d >= 0);
    BOOST_TEST_REQUIRE(d <= 200);
  }
}

BOOST_AUTO_TEST_SUITE_END()
