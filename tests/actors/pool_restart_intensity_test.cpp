// Restart intensity: at most max restarts within the period, counted in a
// sliding window.
#include "actors/pool_restart_intensity.hpp"

#include <boost/test/unit_test.hpp>

using namespace dynserv;

BOOST_AUTO_TEST_SUITE(restart_intensity_unit)

BOOST_AUTO_TEST_CASE(allows_max_restarts_within_the_period) {
  restart_intensity x{3, std::chrono::seconds{60}};
  BOOST_TEST(x.allow(0));
  BOOST_TEST(x.allow(1000));
  BOOST_TEST(x.allow(2000));
  BOOST_TEST(!x.allow(3000));
  BOOST_TEST(!x.allow(60'000)); // the first is still inside the period
  BOOST_TEST(x.recent() == 3);
}

BOOST_AUTO_TEST_CASE(restarts_older_than_the_period_no_longer_count) {
  restart_intensity x{2, std::chrono::seconds{60}};
  BOOST_TEST(x.allow(0));
  BOOST_TEST(x.allow(30'000));
  BOOST_TEST(!x.allow(59'000));
  BOOST_TEST(x.allow(60'001)); // the one at 0 left the window
  BOOST_TEST(x.recent() == 2);
  BOOST_TEST(!x.allow(60'002));
}

BOOST_AUTO_TEST_CASE(the_pools_cap_is_ten_per_minute) {
  restart_intensity x{max_restarts, restart_period};
  for (int i = 0; i < max_restarts; ++i)
    BOOST_TEST(x.allow(i));
  BOOST_TEST(!x.allow(max_restarts));
}

BOOST_AUTO_TEST_SUITE_END()
