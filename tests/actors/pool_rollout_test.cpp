// The rolling reboot over a pool's children: targets, what counts as
// unavailable, steps, start over and abort.
#include "actors/pool_rollout.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "tests/actors/pool_test_records.hpp"

using namespace dynserv;
using namespace dynserv::test;

namespace {

using ss = server_status;
using ids = std::vector<std::string>;

/// Four running servers (a oldest) and one starting.
pool_children five() {
  return make_children(
    {make_record("a", ss::running, 1), make_record("b", ss::running, 2),
     make_record("c", ss::running, 3), make_record("d", ss::running, 4),
     make_record("s", ss::starting, 5)});
}

} // namespace

BOOST_AUTO_TEST_SUITE(pool_rollout_unit)

BOOST_AUTO_TEST_CASE(a_rollout_covers_active_provisioned_servers) {
  auto xs = five();
  xs.add(server_actor{}, make_record("p", ss::pending, 6));
  xs.add(server_actor{}, make_record("x", ss::stopping, 7));
  xs.set_stop_sent("d", true);
  ids got;
  for (const auto& rec : rollout_targets(xs))
    got.push_back(rec.id);
  BOOST_TEST(got == (ids{"a", "b", "c", "s"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(servers_leaving_have_no_status_for_the_rollout) {
  auto xs = five();
  xs.set_stop_sent("a", true);
  xs.set_retiring("b", true);
  BOOST_TEST(!rollout_status(xs, "a").has_value());
  BOOST_TEST(!rollout_status(xs, "b").has_value());
  BOOST_TEST(!rollout_status(xs, "gone").has_value());
  BOOST_TEST((rollout_status(xs, "s") == ss::starting));
}

BOOST_AUTO_TEST_CASE(reboots_outside_the_rollout_count_as_unavailable) {
  auto xs = five();
  auto start = plan_rollout_start(rollout_record{}, xs, "2", 100);
  auto& r = start.rollout;
  BOOST_TEST(start.message
             == "5 servers, at most 2 at a time "
                "(max_unavailable 2)");
  BOOST_TEST(!start.finished);
  BOOST_TEST(rollout_unavailable(r, xs) == 0);
  // "d" reboots for another reason: one slot is left.
  xs.update_record("d", make_record("d", ss::rebooting, 4));
  BOOST_TEST(rollout_unavailable(r, xs) == 1);
  auto step = step_rollout(r, xs, 200);
  BOOST_TEST(step.reboot == ids{"a"}, boost::test_tools::per_element());
  BOOST_TEST(!step.finished);
  // "a" reboots as the rollout's pick: counted once.
  xs.update_record("a", make_record("a", ss::rebooting, 1));
  BOOST_TEST(rollout_unavailable(r, xs) == 2);
  BOOST_TEST(step_rollout(r, xs, 300).reboot.empty());
}

BOOST_AUTO_TEST_CASE(a_step_skips_leavers_and_finishes_the_rollout) {
  auto xs = make_children(
    {make_record("a", ss::running, 1), make_record("b", ss::running, 2)});
  auto r = plan_rollout_start(rollout_record{}, xs, "100%", 0).rollout;
  xs.set_stop_sent("b", true);
  auto step = step_rollout(r, xs, 10);
  BOOST_TEST(step.reboot == ids{"a"}, boost::test_tools::per_element());
  BOOST_TEST(step.skipped == 1);
  xs.update_record("a", make_record("a", ss::rebooting, 1));
  observe_rollout(r, ss::running, xs.find("a")->rec);
  xs.update_record("a", make_record("a", ss::running, 1));
  observe_rollout(r, ss::rebooting, xs.find("a")->rec);
  step = step_rollout(r, xs, 70'000);
  BOOST_TEST(step.finished);
  BOOST_TEST(r.state == "finished");
  BOOST_TEST(finished_message(r) == describe(r) + "; took 70s");
  // A finished rollout takes no more steps.
  BOOST_TEST(!step_rollout(r, xs, 80'000).finished);
}

BOOST_AUTO_TEST_CASE(starting_over_keeps_the_reboots_under_way) {
  auto xs = five();
  auto r = plan_rollout_start(rollout_record{}, xs, "1", 0).rollout;
  BOOST_TEST(step_rollout(r, xs, 1).reboot == ids{"a"});
  auto again = plan_rollout_start(r, xs, "1", 2);
  BOOST_TEST(again.rollout.rebooting == ids{"a"},
             boost::test_tools::per_element());
  BOOST_TEST(again.rollout.waiting.size() == 5u);
  BOOST_TEST(again.message.find("; started over, 1 rebooting now are "
                                "rebooted again once running")
             != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_empty_pool_finishes_at_once_and_aborts_skip) {
  auto none = plan_rollout_start(rollout_record{}, pool_children{}, "1", 5);
  BOOST_TEST(none.finished);
  BOOST_TEST(none.rollout.state == "finished");
  auto xs = five();
  auto r = plan_rollout_start(rollout_record{}, xs, "1", 0).rollout;
  auto msg = abort_running_rollout(r, 9);
  BOOST_TEST(r.state == "aborted");
  BOOST_TEST(r.finished_at_ms == 9);
  BOOST_TEST(r.skipped == 5);
  BOOST_TEST(r.waiting.empty());
  BOOST_TEST(msg.find("; 5 servers will not be rebooted") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
