// The scale planner: scale-down picks and the use of granted slots.
#include "actors/pool_scaling.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "tests/actors/pool_test_records.hpp"

using namespace dynserv;
using namespace dynserv::test;

namespace {

using ss = server_status;
using ids = std::vector<std::string>;

} // namespace

BOOST_AUTO_TEST_SUITE(pool_scaling_unit)

BOOST_AUTO_TEST_CASE(scale_down_picks_active_servers_in_stop_order) {
  auto xs = make_children({make_record("run-old", ss::running, 1),
                           make_record("run-new", ss::running, 5),
                           make_record("pend", ss::pending, 9),
                           make_record("sent", ss::pending, 10),
                           make_record("retiring", ss::running, 11),
                           make_record("hang", ss::hanging, 12)});
  xs.set_stop_sent("sent", true);
  xs.set_retiring("retiring", true);
  BOOST_TEST(scale_down_picks(xs, 10, {})
               == (ids{"pend", "run-new", "run-old"}),
             boost::test_tools::per_element());
  BOOST_TEST(scale_down_picks(xs, 1, {}) == ids{"pend"},
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(scale_down_takes_expired_servers_first) {
  auto xs = make_children({make_record("run-old", ss::running, 1),
                           make_record("run-new", ss::running, 5),
                           make_record("pend", ss::pending, 9)});
  server_expiry e{100, 96}; // run-old is 99 old: expired
  BOOST_TEST(scale_down_picks(xs, 2, e) == (ids{"run-old", "pend"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_grant_is_used_for_what_is_still_needed) {
  // Asked for 3 (allowed), 3 granted, still 3 missing.
  auto use = use_grant(3, 5, 2, 3);
  BOOST_TEST(use.create == 3);
  BOOST_TEST(use.release == 0);
  BOOST_TEST(!use.short_of_slots);
  // The desired count dropped meanwhile: 1 needed, 2 handed back.
  use = use_grant(3, 3, 2, 3);
  BOOST_TEST(use.create == 1);
  BOOST_TEST(use.release == 2);
  BOOST_TEST(!use.short_of_slots);
  // Nothing needed any more.
  use = use_grant(2, 1, 2, 2);
  BOOST_TEST(use.create == 0);
  BOOST_TEST(use.release == 2);
  // The node's limit granted less than needed.
  use = use_grant(1, 5, 2, 3);
  BOOST_TEST(use.create == 1);
  BOOST_TEST(use.release == 0);
  BOOST_TEST(use.short_of_slots);
  // The breaker allowed fewer creates than missing: not short of slots.
  use = use_grant(1, 5, 2, 1);
  BOOST_TEST(use.create == 1);
  BOOST_TEST(!use.short_of_slots);
}

BOOST_AUTO_TEST_SUITE_END()
