// limits.max_servers: an exact cap across pools, ServerLimitHit, and slots
// passed on when servers go away.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>

#include "tests/fixtures/node_fixture.hpp"

using namespace dynserv;
using namespace dynserv::test;

namespace {

using ss = server_status;

} // namespace

BOOST_FIXTURE_TEST_SUITE(limit_tests, node_fixture)

BOOST_AUTO_TEST_CASE(max_servers_is_exact_and_slots_move_to_waiting_pools) {
  ncfg.max_servers = 4;
  add_pool("a", 3);
  add_pool("b", 3);
  start();
  size_t max_live = 0;
  auto watch = [&] {
    max_live = std::max(max_live, cloud->live_count());
    return false;
  };
  // Give both pools plenty of time: never more than four servers exist.
  run_until(watch, 1s, 60s);
  BOOST_TEST(max_live == 4u);
  BOOST_TEST(cloud->live_count() == 4u);
  BOOST_TEST(cloud->history().size() == 4u); // nothing deleted, nothing extra
  BOOST_TEST(count("", ss::running) == 4u);
  BOOST_TEST(count("", ss::deleted) == 0u);
  auto hits = events("ServerLimitHit");
  BOOST_TEST_REQUIRE(hits.size() == 1u, "one event per hit, not per retry");
  // Whichever pool reserved second got what was left.
  auto full = count("a", ss::running) == 3 ? std::string{"a"} : "b";
  auto limited = full == "a" ? std::string{"b"} : "a";
  BOOST_TEST(count(full, ss::running) == 3u);
  BOOST_TEST(count(limited, ss::running) == 1u);
  BOOST_TEST(hits[0].pool == limited);
  BOOST_TEST(hits[0].message.find("max_servers") != std::string::npos,
             hits[0].message);
  // Both pools keep their desired count; the limit is not a scale-down.
  BOOST_TEST(stored_pool("a").desired == 3);
  BOOST_TEST(stored_pool("b").desired == 3);
  // One pool shrinks: its freed slots go to the pool that waits.
  auto reply = decrease(full, 2);
  BOOST_REQUIRE_MESSAGE(reply, outcome(reply));
  auto converged = [&] {
    max_live = std::max(max_live, cloud->live_count());
    return count(full, ss::running) == 1 && count(full, ss::deleted) == 2
           && count(limited, ss::running) == 3;
  };
  BOOST_TEST_REQUIRE(run_until(converged, 1s, 120s));
  BOOST_TEST(max_live == 4u);
  BOOST_TEST(cloud->live_count() == 4u);
  BOOST_TEST(cloud_calls("create") == 6u);
}

BOOST_AUTO_TEST_CASE(a_pool_at_the_limit_does_not_delete_anything) {
  ncfg.max_servers = 2;
  add_pool("web", 2);
  start();
  BOOST_TEST_REQUIRE(until_running("web", 2));
  auto reply = ensure("web", 5);
  BOOST_REQUIRE_MESSAGE(reply, outcome(reply));
  BOOST_TEST(reply->desired == 5);
  elapse(60s);
  BOOST_TEST(count("web", ss::running) == 2u);
  BOOST_TEST(cloud->live_count() == 2u);
  BOOST_TEST(cloud_calls("create") == 2u);
  BOOST_TEST(cloud_calls("delete") == 0u);
  BOOST_TEST(events("ServerLimitHit").size() == 1u);
}

BOOST_AUTO_TEST_CASE(servers_of_a_pool_removed_from_the_config_still_count) {
  // Servers of a pool that left the config are left alone, but they still
  // exist at the cloud, so they must keep counting towards max_servers.
  ncfg.max_servers = 4;
  add_pool("a", 2);
  add_pool("b", 2);
  start();
  BOOST_TEST_REQUIRE(settle([&] { return count("", ss::running) == 4; }));
  stop();
  ncfg.pools.erase("b");
  ncfg.pools["a"].desired = 4;
  {
    quiet_logs quiet; // start_node warns about b's servers
    start();
  }
  size_t max_live = 0;
  run_until(
    [&] {
      max_live = std::max(max_live, cloud->live_count());
      return false;
    },
    1s, 60s);
  BOOST_TEST(max_live <= 4u);
  BOOST_TEST(count("b", ss::running) == 2u); // left alone
  BOOST_TEST(count("a", ss::running) == 2u);
  BOOST_TEST(!events("ServerLimitHit").empty());
}

BOOST_AUTO_TEST_SUITE_END()
