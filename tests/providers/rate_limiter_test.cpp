// Tests of the token bucket.
#include "providers/rate_limiter.hpp"

#include <boost/test/unit_test.hpp>

using namespace dynserv;

namespace {

rate_limit_options opts(double rps, double burst) {
  rate_limit_options result;
  result.requests_per_second = rps;
  result.burst = burst;
  return result;
}

constexpr int64_t t0 = 1'700'000'000'000;

} // namespace

BOOST_AUTO_TEST_SUITE(rate_limiter_tests)

BOOST_AUTO_TEST_CASE(a_new_bucket_allows_a_full_burst) {
  rate_limiter rl{opts(10, 5), t0};
  BOOST_TEST(rl.available(t0) == 5.0);
  for (int i = 0; i < 5; ++i)
    BOOST_TEST_REQUIRE(rl.try_acquire(t0));
  BOOST_TEST(!rl.try_acquire(t0));
  BOOST_TEST(rl.available(t0) == 0.0);
}

BOOST_AUTO_TEST_CASE(tokens_come_back_at_the_configured_rate) {
  rate_limiter rl{opts(10, 5), t0};
  BOOST_TEST(rl.try_acquire(t0, 5));
  BOOST_TEST(!rl.try_acquire(t0 + 50));
  BOOST_TEST(rl.available(t0 + 50) == 0.5, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(rl.try_acquire(t0 + 100));
  BOOST_TEST(!rl.try_acquire(t0 + 100));
  BOOST_TEST(rl.available(t0 + 300) == 2.0, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(the_bucket_never_holds_more_than_the_burst) {
  rate_limiter rl{opts(10, 5), t0};
  BOOST_TEST(rl.try_acquire(t0, 3));
  BOOST_TEST(rl.available(t0 + 3'600'000) == 5.0);
  for (int i = 0; i < 5; ++i)
    BOOST_TEST_REQUIRE(rl.try_acquire(t0 + 3'600'000));
  BOOST_TEST(!rl.try_acquire(t0 + 3'600'000));
}

BOOST_AUTO_TEST_CASE(a_failed_acquire_spends_nothing) {
  rate_limiter rl{opts(1, 2), t0};
  BOOST_TEST(!rl.try_acquire(t0, 3));
  BOOST_TEST(rl.available(t0) == 2.0);
}

BOOST_AUTO_TEST_CASE(wait_ms_says_when_the_tokens_are_there) {
  rate_limiter rl{opts(10, 5), t0};
  BOOST_TEST(rl.wait_ms(t0) == 0);
  BOOST_TEST(rl.wait_ms(t0, 5) == 0);
  BOOST_TEST(rl.try_acquire(t0, 5));
  BOOST_TEST(rl.wait_ms(t0) == 100);
  BOOST_TEST(rl.wait_ms(t0, 3) == 300);
  BOOST_TEST(rl.wait_ms(t0 + 40) == 60);
  BOOST_TEST(!rl.try_acquire(t0 + 99));
  BOOST_TEST(rl.try_acquire(t0 + 100));
  // A non-integer rate: 3 per second means a token every 333.3 ms.
  rate_limiter slow{opts(3, 1), t0};
  BOOST_TEST(slow.try_acquire(t0));
  auto w = slow.wait_ms(t0);
  BOOST_TEST(w == 334);
  BOOST_TEST(!slow.try_acquire(t0 + w - 1));
  BOOST_TEST(slow.try_acquire(t0 + w));
}

BOOST_AUTO_TEST_CASE(wait_ms_reports_never_for_impossible_requests) {
  rate_limiter rl{opts(10, 5), t0};
  BOOST_TEST(rl.wait_ms(t0, 6) == rate_limiter::never);
  rate_limiter frozen{opts(0, 1), t0};
  BOOST_TEST(frozen.try_acquire(t0));
  BOOST_TEST(frozen.wait_ms(t0 + 1'000'000) == rate_limiter::never);
}

BOOST_AUTO_TEST_CASE(penalize_empties_the_bucket_until_the_deadline) {
  rate_limiter rl{opts(10, 5), t0};
  rl.penalize(t0 + 5000);
  BOOST_TEST(rl.available(t0) == 0.0);
  BOOST_TEST(!rl.try_acquire(t0 + 4999));
  BOOST_TEST(rl.wait_ms(t0) == 5100);
  BOOST_TEST(rl.wait_ms(t0 + 1000, 2) == 4200);
  BOOST_TEST(rl.available(t0 + 5000) == 0.0);
  BOOST_TEST(!rl.try_acquire(t0 + 5000));
  BOOST_TEST(rl.try_acquire(t0 + 5100));
  BOOST_TEST(rl.available(t0 + 60'000) == 5.0);
}

BOOST_AUTO_TEST_CASE(a_shorter_penalty_does_not_cut_a_longer_one) {
  rate_limiter rl{opts(10, 5), t0};
  rl.penalize(t0 + 5000);
  rl.penalize(t0 + 1000);
  BOOST_TEST(!rl.try_acquire(t0 + 2000));
  BOOST_TEST(rl.wait_ms(t0 + 2000) == 3100);
  // A longer one extends it.
  rl.penalize(t0 + 8000);
  BOOST_TEST(rl.wait_ms(t0 + 2000) == 6100);
}

BOOST_AUTO_TEST_CASE(a_penalty_in_the_past_changes_nothing) {
  rate_limiter rl{opts(10, 5), t0};
  BOOST_TEST(rl.try_acquire(t0 + 1000));
  rl.penalize(t0 + 500);
  BOOST_TEST(rl.available(t0 + 1000) == 4.0);
}

BOOST_AUTO_TEST_CASE(a_clock_stepping_back_refills_nothing) {
  rate_limiter rl{opts(10, 5), t0};
  BOOST_TEST(rl.try_acquire(t0 + 1000, 5));
  BOOST_TEST(rl.available(t0 + 500) == 0.0);
  BOOST_TEST(!rl.try_acquire(t0 + 500));
  BOOST_TEST(rl.try_acquire(t0 + 1100));
  BOOST_TEST(!rl.try_acquire(t0 + 1100));
}

BOOST_AUTO_TEST_CASE(fractional_tokens_are_supported) {
  rate_limiter rl{opts(1, 1), t0};
  BOOST_TEST(rl.try_acquire(t0, 0.5));
  BOOST_TEST(rl.try_acquire(t0, 0.5));
  BOOST_TEST(!rl.try_acquire(t0, 0.25));
  BOOST_TEST(rl.wait_ms(t0, 0.25) == 250);
}

BOOST_AUTO_TEST_CASE(spend_may_run_the_bucket_into_debt) {
  rate_limiter rl{opts(10, 5), t0};
  BOOST_TEST(rl.try_acquire(t0));
  // The call turned out to make 8 requests: 7 more than it paid for.
  rl.spend(t0, 7);
  BOOST_TEST(rl.available(t0) == -3.0, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(!rl.try_acquire(t0));
  // 4 tokens missing at 10/s: 400 ms.
  BOOST_TEST(rl.wait_ms(t0) == 400);
  BOOST_TEST(!rl.try_acquire(t0 + 399));
  BOOST_TEST(rl.try_acquire(t0 + 400));
  // The debt never lets the bucket grow past the burst afterwards.
  BOOST_TEST(rl.available(t0 + 60'000) == 5.0);
}

BOOST_AUTO_TEST_CASE(a_debt_outlives_a_penalty) {
  rate_limiter rl{opts(1, 5), t0};
  rl.spend(t0, 7); // 5 - 7 = -2
  rl.penalize(t0 + 1000);
  BOOST_TEST(rl.available(t0 + 500) == -2.0,
             boost::test_tools::tolerance(1e-9));
  rl.spend(t0 + 500, 1); // during the penalty
  BOOST_TEST(rl.available(t0 + 1000) == -3.0,
             boost::test_tools::tolerance(1e-9));
  BOOST_TEST(rl.wait_ms(t0) == 5000); // 1 s penalty + 4 tokens at 1/s
}

BOOST_AUTO_TEST_SUITE_END()
