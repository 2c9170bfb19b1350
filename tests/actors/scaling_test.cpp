// Scaling a pool: ensure, increase and decrease, their argument checks, and
// which servers a decrease stops.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "tests/fixtures/node_fixture.hpp"

using namespace dynserv;
using namespace dynserv::test;

namespace {

using ss = server_status;

/// Every server of `recs` sorted by creation time, newest first.
std::vector<server_record> newest_first(std::vector<server_record> recs) {
  std::sort(recs.begin(), recs.end(), [](const auto& a, const auto& b) {
    return a.created_at_ms > b.created_at_ms;
  });
  return recs;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(scaling_tests, node_fixture)

BOOST_AUTO_TEST_CASE(ensure_five_creates_five_running_servers_polled_by_list) {
  add_pool("web", 0);
  start();
  auto t0 = now_ms();
  auto reply = ensure("web", 5);
  BOOST_REQUIRE_MESSAGE(reply, outcome(reply));
  BOOST_TEST(reply->pool == "web");
  BOOST_TEST(reply->previous_desired == 0);
  BOOST_TEST(reply->desired == 5);
  BOOST_TEST(reply->note.empty());
  BOOST_TEST_REQUIRE(until_running("web", 5));
  auto ticks = (now_ms() - t0) / 1000; // poll_interval is 1 s
  // The store, the cloud and the pool agree on five running servers.
  auto recs = stored_servers("web");
  BOOST_TEST(recs.size() == 5u);
  BOOST_TEST(cloud->live_count() == 5u);
  for (const auto& rec : recs) {
    BOOST_TEST_CONTEXT("server " << rec.id) {
      BOOST_TEST((rec.status == ss::running));
      BOOST_TEST(rec.pool == "web");
      BOOST_TEST(rec.provider == "sim");
      BOOST_TEST(rec.create_attempts == 1u);
      auto srv = at_cloud(rec.id);
      BOOST_TEST_REQUIRE(srv.size() == 1u);
      BOOST_TEST(srv[0].provider_id == rec.provider_id);
      BOOST_TEST((srv[0].state == cloud_state::running));
      BOOST_TEST(srv[0].name == rec.name);
      BOOST_TEST(srv[0].labels[labels::owner] == "test-node");
      BOOST_TEST(srv[0].labels[labels::pool] == "web");
    }
  }
  auto st = status();
  BOOST_TEST_REQUIRE(st.size() == 1u);
  BOOST_TEST(st[0].desired == 5);
  BOOST_TEST(st[0].counts[static_cast<size_t>(ss::running)] == 5);
  // Batched polling: one list call per poll tick, no get per server.
  BOOST_TEST(cloud_calls("create") == 5u);
  BOOST_TEST(cloud_calls("get") == 0u);
  BOOST_TEST(cloud_calls("list") >= 1u);
  BOOST_TEST(cloud_calls("list") <= static_cast<uint64_t>(ticks) + 1,
             cloud_calls("list") << " lists in " << ticks << " ticks");
  BOOST_TEST(events("ServerRunning").size() == 5u);
}

BOOST_AUTO_TEST_CASE(running_servers_cause_no_provider_calls) {
  add_pool("web", 2);
  start();
  BOOST_TEST_REQUIRE(until_running("web", 2));
  auto before = cloud->call_counts();
  elapse(60s);
  BOOST_TEST(cloud->call_counts() == before);
}

BOOST_AUTO_TEST_CASE(decrease_stops_and_deletes_the_newest_servers) {
  add_pool("web", 0);
  start();
  BOOST_REQUIRE(ensure("web", 3));
  elapse(3s);
  auto reply = increase("web", 2);
  BOOST_REQUIRE_MESSAGE(reply, outcome(reply));
  BOOST_TEST(reply->desired == 5);
  BOOST_TEST_REQUIRE(until_running("web", 5));
  auto sorted = newest_first(stored_servers("web"));
  std::set<std::string> newest{sorted[0].id, sorted[1].id};
  BOOST_REQUIRE(sorted[1].created_at_ms > sorted[2].created_at_ms);
  reply = decrease("web", 2);
  BOOST_REQUIRE_MESSAGE(reply, outcome(reply));
  BOOST_TEST(reply->previous_desired == 5);
  BOOST_TEST(reply->desired == 3);
  BOOST_TEST_REQUIRE(settle([&] { return count("web", ss::deleted) == 2; }));
  auto deleted = ids("web", ss::deleted);
  BOOST_TEST((std::set<std::string>{deleted.begin(), deleted.end()} == newest));
  BOOST_TEST(count("web", ss::running) == 3u);
  BOOST_TEST(cloud->live_count() == 3u);
  BOOST_TEST(cloud_calls("create") == 5u); // no replacement
  for (const auto& id : newest) {
    BOOST_TEST_CONTEXT("server " << id) {
      auto srv = at_cloud(id);
      BOOST_TEST_REQUIRE(srv.size() == 1u);
      BOOST_TEST(srv[0].raw_state == "deleted");
      std::vector<std::string> want{"pending->starting", "starting->running",
                                    "running->stopping", "stopping->stopped",
                                    "stopped->deleting", "deleting->deleted"};
      BOOST_TEST(transitions(id) == want, boost::test_tools::per_element());
      BOOST_TEST(events("ServerDeleted", id).size() == 1u);
    }
  }
  // The deleted servers' actors are gone; the pool reports three.
  auto st = status();
  BOOST_TEST(st[0].desired == 3);
  BOOST_TEST(st[0].counts[static_cast<size_t>(ss::running)] == 3);
}

BOOST_AUTO_TEST_CASE(
  decrease_while_starting_stops_once_running_and_leaks_nothing) {
  add_pool("web", 0);
  start();
  BOOST_REQUIRE(ensure("web", 2));
  elapse(2s); // created at the cloud, still provisioning
  BOOST_TEST_REQUIRE(count("web", ss::starting) == 2u);
  auto reply = decrease("web", 2);
  BOOST_REQUIRE_MESSAGE(reply, outcome(reply));
  BOOST_TEST(reply->desired == 0);
  for (const auto& rec : stored_servers("web"))
    BOOST_TEST(rec.stop_requested);
  BOOST_TEST_REQUIRE(settle([&] { return count("web", ss::deleted) == 2; }));
  BOOST_TEST(cloud->live_count() == 0u);
  BOOST_TEST(cloud_calls("create") == 2u);
}

BOOST_AUTO_TEST_CASE(increase_by_zero_creates_nothing) {
  add_pool("web", 2);
  start();
  BOOST_TEST_REQUIRE(until_running("web", 2));
  auto changes = events("DesiredCountChanged").size();
  auto reply = increase("web", 0);
  BOOST_REQUIRE_MESSAGE(reply, outcome(reply));
  BOOST_TEST(reply->previous_desired == 2);
  BOOST_TEST(reply->desired == 2);
  elapse(30s);
  BOOST_TEST(cloud_calls("create") == 2u);
  BOOST_TEST(stored_servers("web").size() == 2u);
  BOOST_TEST(events("DesiredCountChanged").size() == changes);
}

BOOST_AUTO_TEST_CASE(negative_counts_are_rejected) {
  add_pool("web", 1);
  start();
  for (auto reply :
       {ensure("web", -1), increase("web", -1), decrease("web", -1)}) {
    BOOST_TEST_REQUIRE(!reply);
    BOOST_TEST(is_error(reply.error(), ec::invalid_argument),
               render(reply.error()));
  }
  BOOST_TEST(status()[0].desired == 1);
  BOOST_TEST(stored_pool("web").desired == 1);
}

BOOST_AUTO_TEST_CASE(ensure_above_max_is_clamped_with_a_note) {
  add_pool("web", 0, 1, 4);
  start();
  auto reply = ensure("web", 50);
  BOOST_REQUIRE_MESSAGE(reply, outcome(reply));
  BOOST_TEST(reply->desired == 4);
  BOOST_TEST(reply->note.find("clamped") != std::string::npos, reply->note);
  BOOST_TEST(stored_pool("web").desired == 4);
  BOOST_TEST_REQUIRE(until_running("web", 4));
  BOOST_TEST(cloud_calls("create") == 4u);
  // Below min is clamped as well.
  reply = ensure("web", 0);
  BOOST_REQUIRE_MESSAGE(reply, outcome(reply));
  BOOST_TEST(reply->desired == 1);
  BOOST_TEST(!reply->note.empty());
}

BOOST_AUTO_TEST_CASE(decrease_more_than_exist_goes_to_zero_without_error) {
  add_pool("web", 3);
  start();
  BOOST_TEST_REQUIRE(until_running("web", 3));
  auto reply = decrease("web", 6);
  BOOST_REQUIRE_MESSAGE(reply, outcome(reply));
  BOOST_TEST(reply->previous_desired == 3);
  BOOST_TEST(reply->desired == 0);
  BOOST_TEST_REQUIRE(settle([&] { return count("web", ss::deleted) == 3; }));
  BOOST_TEST(cloud->live_count() == 0u);
}

BOOST_AUTO_TEST_CASE(ensure_3_3_5_2_converges_each_time) {
  add_pool("web", 0);
  start();
  for (int64_t n : {3, 3, 5, 2}) {
    BOOST_TEST_CONTEXT("ensure " << n) {
      auto reply = ensure("web", n);
      BOOST_REQUIRE_MESSAGE(reply, outcome(reply));
      BOOST_TEST(reply->desired == n);
      BOOST_TEST_REQUIRE(settle([&] {
        return count("web", ss::running) == static_cast<size_t>(n)
               && cloud->live_count() == static_cast<size_t>(n);
      }));
    }
  }
  BOOST_TEST(cloud_calls("create") == 5u);
  BOOST_TEST(count("web", ss::deleted) == 3u);
}

BOOST_AUTO_TEST_CASE(ensure_does_not_touch_other_pools) {
  add_pool("a", 0);
  add_pool("b", 1);
  start();
  BOOST_TEST_REQUIRE(until_running("b", 1));
  BOOST_REQUIRE(ensure("a", 3));
  BOOST_TEST_REQUIRE(until_running("a", 3));
  BOOST_TEST(stored_servers("b").size() == 1u);
  BOOST_TEST(stored_pool("b").desired == 1);
  BOOST_REQUIRE(ensure("a", 0));
  BOOST_TEST_REQUIRE(settle([&] { return count("a", ss::deleted) == 3; }));
  BOOST_TEST(count("b", ss::running) == 1u);
}

BOOST_AUTO_TEST_CASE(unknown_pools_are_reported) {
  add_pool("web", 0);
  start();
  auto reply = ensure("nope", 1);
  BOOST_TEST_REQUIRE(!reply);
  BOOST_TEST(is_error(reply.error(), ec::unknown_pool), render(reply.error()));
  auto rb = reboot("nope");
  BOOST_TEST_REQUIRE(!rb);
  BOOST_TEST(is_error(rb.error(), ec::unknown_pool), render(rb.error()));
}

BOOST_AUTO_TEST_CASE(stop_by_id_stops_one_server_and_the_pool_replaces_it) {
  add_pool("web", 2);
  start();
  BOOST_TEST_REQUIRE(until_running("web", 2));
  auto victim = stored_servers("web").front().id;
  auto res = ask<server_record>(node(), atom::stop_v, victim);
  BOOST_REQUIRE_MESSAGE(res, outcome(res));
  BOOST_TEST(res->id == victim);
  BOOST_TEST((res->status == ss::stopping));
  BOOST_TEST_REQUIRE(settle([&] {
    return stored(victim).status == ss::deleted
           && count("web", ss::running) == 2;
  }));
  BOOST_TEST(cloud_calls("create") == 3u);
  auto unknown = ask<server_record>(node(), atom::stop_v,
                                    std::string{"no-such-id"});
  BOOST_TEST_REQUIRE(!unknown);
  BOOST_TEST(is_error(unknown.error(), ec::unknown_server),
             render(unknown.error()));
}

BOOST_AUTO_TEST_SUITE_END()
