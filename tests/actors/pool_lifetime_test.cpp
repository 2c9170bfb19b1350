// The max_lifetime planner: one server at a time, only when the pool is
// settled, stopped once its replacement runs.
#include "actors/pool_lifetime.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "tests/actors/pool_test_records.hpp"

using namespace dynserv;
using namespace dynserv::test;

namespace {

using ss = server_status;
using ids = std::vector<std::string>;

constexpr int64_t minute = 60'000;

/// max_lifetime 30 minutes, at minute 40.
server_expiry at_40_minutes() {
  return {40 * minute, 30 * minute};
}

} // namespace

BOOST_AUTO_TEST_SUITE(pool_lifetime_unit)

BOOST_AUTO_TEST_CASE(the_oldest_expired_server_retires) {
  auto old = make_record("old", ss::running, 2 * minute);
  auto older = make_record("older", ss::running, 5 * minute);
  older.provider_created_at_ms = 1 * minute; // the provider's time wins
  auto xs = make_children(
    {old, older, make_record("young", ss::running, 20 * minute)});
  auto step = plan_lifetime(xs, 3, true, at_40_minutes());
  BOOST_TEST(step.retire == "older");
  BOOST_TEST(step.retire_age_ms == 39 * minute);
  BOOST_TEST(step.stop.empty());
  BOOST_TEST(expired_message(30 * minute, 40 * minute)
             == "older than max_lifetime 30m (40m); creating a replacement, "
                "then stopping it");
}

BOOST_AUTO_TEST_CASE(nothing_retires_while_the_pool_is_unsettled) {
  auto xs = make_children({make_record("old", ss::running, 0),
                           make_record("new", ss::starting, 39 * minute)});
  BOOST_TEST(plan_lifetime(xs, 2, true, at_40_minutes()).retire.empty());
  auto ys = make_children({make_record("old", ss::running, 0)});
  BOOST_TEST(plan_lifetime(ys, 2, true, at_40_minutes()).retire.empty());
  BOOST_TEST(plan_lifetime(ys, 1, false, at_40_minutes()).retire.empty());
  BOOST_TEST(plan_lifetime(ys, 1, true, {40 * minute, 0}).retire.empty());
  BOOST_TEST(
    plan_lifetime(ys, 1, true, {29 * minute, 30 * minute}).retire.empty());
}

BOOST_AUTO_TEST_CASE(a_retiring_server_stops_once_its_replacement_runs) {
  auto xs = make_children({make_record("old", ss::running, 0),
                           make_record("older", ss::running, 0),
                           make_record("new", ss::starting, 39 * minute)});
  xs.set_retiring("old", true);
  // One at a time: "older" waits; "old" waits for the replacement.
  auto step = plan_lifetime(xs, 2, true, at_40_minutes());
  BOOST_TEST(step.retire.empty());
  BOOST_TEST(step.stop.empty());
  xs.update_record("new", make_record("new", ss::running, 39 * minute));
  step = plan_lifetime(xs, 2, true, at_40_minutes());
  BOOST_TEST(step.stop == ids{"old"}, boost::test_tools::per_element());
  BOOST_TEST(step.retire.empty());
  xs.set_stop_sent("old", true);
  BOOST_TEST(retiring_to_stop(xs, 2, false).empty());
}

BOOST_AUTO_TEST_CASE(without_a_slot_for_a_replacement_it_stops_at_once) {
  auto xs = make_children({make_record("old", ss::running, 0)});
  xs.set_retiring("old", true);
  BOOST_TEST(retiring_to_stop(xs, 1, false).empty());
  BOOST_TEST(retiring_to_stop(xs, 1, true) == ids{"old"},
             boost::test_tools::per_element());
  BOOST_TEST(retiring_unstopped(xs) == ids{"old"},
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
