// Rebooting a pool: only its running servers now, deferred while starting,
// and once more after a reboot asked for while rebooting.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "tests/fixtures/node_fixture.hpp"

using namespace dynserv;
using namespace dynserv::test;

namespace {

using ss = server_status;
using strings = std::vector<std::string>;

} // namespace

BOOST_FIXTURE_TEST_SUITE(reboot_tests, node_fixture)

BOOST_AUTO_TEST_CASE(reboot_of_a_pool_reboots_only_that_pools_servers) {
  add_pool("a", 2);
  add_pool("b", 2);
  start();
  BOOST_TEST_REQUIRE(until_running("a", 2));
  BOOST_TEST_REQUIRE(until_running("b", 2));
  auto affected = reboot("a", "100%");
  BOOST_REQUIRE_MESSAGE(affected, outcome(affected));
  BOOST_TEST(affected->total == 2);
  BOOST_TEST(affected->max_unavailable == 2);
  BOOST_TEST(count("a", ss::rebooting) == 2u);
  BOOST_TEST(count("b", ss::running) == 2u);
  BOOST_TEST(cloud_calls("reboot") == 2u);
  for (const auto& rec : stored_servers("b"))
    BOOST_TEST(at_cloud(rec.id).at(0).raw_state == "running");
  BOOST_TEST_REQUIRE(
    settle([&] { return stored_pool("a").rollout.state == "finished"; }));
  BOOST_TEST(count("a", ss::running) == 2u);
  for (const auto& rec : stored_servers("a")) {
    BOOST_TEST(events("ServerRebooting", rec.id).size() == 1u);
    BOOST_TEST(!rec.reboot_requested);
  }
  for (const auto& rec : stored_servers("b"))
    BOOST_TEST(events("ServerRebooting", rec.id).empty());
  BOOST_TEST(cloud_calls("reboot") == 2u);
  auto started = events("RollingRebootStarted");
  BOOST_TEST_REQUIRE(started.size() == 1u);
  BOOST_TEST(started[0].pool == "a");
  auto finished = events("RollingRebootFinished");
  BOOST_TEST_REQUIRE(finished.size() == 1u);
  BOOST_TEST(finished[0].message.find("2 of 2 rebooted") != std::string::npos,
             finished[0].message);
  auto r = stored_pool("a").rollout;
  BOOST_TEST(r.done == 2);
  BOOST_TEST(r.skipped == 0);
  BOOST_TEST(r.waiting.empty());
  BOOST_TEST(r.rebooting.empty());
}

BOOST_AUTO_TEST_CASE(reboot_while_starting_is_deferred_until_running) {
  add_pool("web", 0);
  start();
  BOOST_REQUIRE(ensure("web", 1));
  elapse(2s);
  auto id = stored_servers("web").at(0).id;
  BOOST_TEST_REQUIRE((stored(id).status == ss::starting));
  auto affected = reboot("web");
  BOOST_REQUIRE_MESSAGE(affected, outcome(affected));
  BOOST_TEST(affected->total == 1);
  auto rec = stored(id);
  BOOST_TEST((rec.status == ss::starting));
  BOOST_TEST(waits_for_reboot("web", id));
  BOOST_TEST(cloud_calls("reboot") == 0u);
  BOOST_TEST_REQUIRE(settle([&] {
    return stored(id).status == ss::running && cloud_calls("reboot") == 1;
  }));
  strings want{"pending->starting", "starting->running", "running->rebooting",
               "rebooting->running"};
  BOOST_TEST(transitions(id) == want, boost::test_tools::per_element());
  BOOST_TEST(!stored(id).reboot_requested);
  elapse(30s);
  BOOST_TEST(cloud_calls("reboot") == 1u);
  BOOST_TEST((stored(id).status == ss::running));
}

BOOST_AUTO_TEST_CASE(reboot_while_rebooting_reboots_again_afterwards) {
  add_pool("web", 1);
  start();
  BOOST_TEST_REQUIRE(until_running("web", 1));
  auto id = stored_servers("web").at(0).id;
  BOOST_REQUIRE(reboot("web"));
  BOOST_TEST_REQUIRE((stored(id).status == ss::rebooting));
  elapse(2s);
  auto again = reboot("web");
  BOOST_REQUIRE_MESSAGE(again, outcome(again));
  BOOST_TEST(again->total == 1);
  BOOST_TEST((stored(id).status == ss::rebooting));
  BOOST_TEST(waits_for_reboot("web", id));
  BOOST_TEST(cloud_calls("reboot") == 1u);
  BOOST_TEST_REQUIRE(settle([&] {
    return stored(id).status == ss::running && cloud_calls("reboot") == 2;
  }));
  strings want{"pending->starting",  "starting->running",
               "running->rebooting", "rebooting->running",
               "running->rebooting", "rebooting->running"};
  BOOST_TEST(transitions(id) == want, boost::test_tools::per_element());
  BOOST_TEST(!stored(id).reboot_requested);
  elapse(30s);
  BOOST_TEST(cloud_calls("reboot") == 2u);
}

BOOST_AUTO_TEST_CASE(reboot_skips_servers_that_are_being_stopped) {
  add_pool("web", 2);
  start();
  BOOST_TEST_REQUIRE(until_running("web", 2));
  BOOST_REQUIRE(decrease("web", 1));
  auto affected = reboot("web");
  BOOST_REQUIRE_MESSAGE(affected, outcome(affected));
  BOOST_TEST(affected->total == 1);
  BOOST_TEST_REQUIRE(settle([&] {
    return count("web", ss::deleted) == 1 && count("web", ss::running) == 1
           && cloud_calls("reboot") == 1;
  }));
}

BOOST_AUTO_TEST_CASE(
  a_stop_asked_for_while_rebooting_happens_after_the_reboot) {
  add_pool("web", 1);
  start();
  BOOST_TEST_REQUIRE(until_running("web", 1));
  auto id = stored_servers("web").at(0).id;
  BOOST_REQUIRE(reboot("web"));
  BOOST_TEST_REQUIRE((stored(id).status == ss::rebooting));
  BOOST_REQUIRE(decrease("web", 1));
  BOOST_TEST((stored(id).status == ss::rebooting));
  BOOST_TEST(stored(id).stop_requested);
  BOOST_TEST_REQUIRE(settle([&] { return stored(id).status == ss::deleted; }));
  strings want{"pending->starting",  "starting->running", "running->rebooting",
               "rebooting->running", "running->stopping", "stopping->stopped",
               "stopped->deleting",  "deleting->deleted"};
  BOOST_TEST(transitions(id) == want, boost::test_tools::per_element());
  BOOST_TEST(cloud->live_count() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
