// max_lifetime: servers older than it are replaced one at a time, the
// replacement first, so the pool never runs short.
#include <boost/test/unit_test.hpp>

#include <map>
#include <string>
#include <vector>

#include "tests/fixtures/node_fixture.hpp"

using namespace dynserv;
using namespace dynserv::test;

namespace {

using ss = server_status;

/// Replays the event log of `pool`: the fewest servers running and the most
/// servers not yet deleted at any point after `from_seq`.
struct fleet_extremes {
  int64_t min_running = INT64_MAX;
  int64_t max_alive = 0;
};

fleet_extremes replay(const std::vector<event_record>& events,
                      const std::string& pool, uint64_t from_seq) {
  std::map<std::string, std::string> status;
  fleet_extremes res;
  for (const auto& ev : events) {
    if (ev.reason != "ServerStatusChanged" || ev.pool != pool)
      continue;
    status[ev.server_id] = ev.to;
    if (ev.seq <= from_seq)
      continue;
    int64_t running = 0;
    int64_t alive = 0;
    for (const auto& [id, s] : status) {
      running += s == "running";
      alive += s != "deleted";
    }
    res.min_running = std::min(res.min_running, running);
    res.max_alive = std::max(res.max_alive, alive);
  }
  return res;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(max_lifetime_tests, node_fixture)

BOOST_AUTO_TEST_CASE(old_servers_are_replaced_one_at_a_time) {
  add_pool("web", 3);
  ncfg.pools["web"].max_lifetime = std::chrono::minutes{30};
  start();
  BOOST_TEST_REQUIRE(until_running("web", 3));
  auto first = ids("web", ss::running);
  auto seq = events().back().seq;
  // All three pass 30 minutes together; they go one after the other.
  BOOST_TEST_REQUIRE(settle(
    [&] {
      for (const auto& id : first)
        if (stored(id).status != ss::deleted)
          return false;
      return count("web", ss::running) == 3;
    },
    3600s));
  auto expired = events("ServerExpired");
  BOOST_TEST_REQUIRE(expired.size() == 3u);
  for (const auto& ev : expired)
    BOOST_TEST(ev.message.find("older than max_lifetime 30m")
                 != std::string::npos,
               ev.message);
  auto x = replay(events(), "web", seq);
  BOOST_TEST(x.min_running == 3); // the replacement runs before the stop
  BOOST_TEST(x.max_alive == 4);   // one spare at a time
  BOOST_TEST(cloud->live_count() == 3u);
  // The replacements are young: nothing more happens for a while.
  auto creates = cloud_calls("create");
  elapse(600s);
  BOOST_TEST(cloud_calls("create") == creates);
}

BOOST_AUTO_TEST_CASE(at_the_server_limit_the_old_server_goes_first) {
  ncfg.max_servers = 2;
  add_pool("web", 2, 0, 2);
  ncfg.pools["web"].max_lifetime = std::chrono::minutes{30};
  start();
  BOOST_TEST_REQUIRE(until_running("web", 2));
  auto first = ids("web", ss::running);
  BOOST_TEST_REQUIRE(settle(
    [&] {
      for (const auto& id : first)
        if (stored(id).status != ss::deleted)
          return false;
      return count("web", ss::running) == 2;
    },
    3600s));
  BOOST_TEST(events("ServerExpired").size() == 2u);
  // Never above the limit.
  BOOST_TEST(replay(events(), "web", 0).max_alive == 2);
}

BOOST_AUTO_TEST_CASE(without_max_lifetime_servers_stay) {
  add_pool("web", 2);
  start();
  BOOST_TEST_REQUIRE(until_running("web", 2));
  auto creates = cloud_calls("create");
  elapse(7200s, 10s);
  BOOST_TEST(cloud_calls("create") == creates);
  BOOST_TEST(events("ServerExpired").empty());
}

BOOST_AUTO_TEST_CASE(an_expired_server_goes_first_on_scale_down) {
  add_pool("web", 3);
  ncfg.pools["web"].max_lifetime = std::chrono::minutes{30};
  start();
  BOOST_TEST_REQUIRE(until_running("web", 3));
  auto first = ids("web", ss::running);
  elapse(1800s - 60s);
  BOOST_REQUIRE(increase("web", 1));
  BOOST_TEST_REQUIRE(until_running("web", 4));
  elapse(120s);
  // One old server is being replaced; a decrease takes old ones first.
  BOOST_REQUIRE(decrease("web", 2));
  BOOST_TEST_REQUIRE(settle(
    [&] {
      return count("web", ss::running) == 2
             && count("web", ss::stopping) + count("web", ss::stopped)
                    + count("web", ss::deleting)
                  == 0;
    },
    600s));
  // Every server that still runs is younger than max_lifetime.
  for (const auto& rec : stored_servers("web"))
    if (rec.status == ss::running)
      BOOST_TEST(now_ms() - rec.created_at_ms <= 1800'000, rec.id);
}

BOOST_AUTO_TEST_SUITE_END()
