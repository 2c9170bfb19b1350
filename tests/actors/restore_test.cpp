// Restarting a node over the same store and cloud: servers resume from their
// records, nothing is created twice, and the desired count follows the
// config-file rule.
#include <boost/test/unit_test.hpp>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "actors/server_naming.hpp"
#include "tests/fixtures/node_fixture.hpp"

using namespace dynserv;
using namespace dynserv::test;

namespace {

using ss = server_status;
using strings = std::vector<std::string>;

std::set<std::string> id_set(const std::vector<server_record>& recs) {
  std::set<std::string> result;
  for (const auto& rec : recs)
    result.insert(rec.id);
  return result;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(restore_tests, node_fixture)

BOOST_AUTO_TEST_CASE(servers_resume_from_their_records_after_a_crash) {
  add_pool("web", 0);
  start();
  BOOST_REQUIRE(ensure("web", 4));
  elapse(5s);
  auto before = stored_servers("web");
  BOOST_TEST_REQUIRE(before.size() == 4u);
  for (const auto& rec : before) {
    BOOST_TEST_REQUIRE((rec.status == ss::starting));
    BOOST_TEST_REQUIRE(!rec.provider_id.empty());
  }
  crash();
  start(); // same store, cloud inventory reopened
  BOOST_TEST_REQUIRE(until_running("web", 4));
  BOOST_TEST(cloud_calls("create") == 0u); // counts since the reopen
  BOOST_TEST(cloud->history().size() == 4u);
  auto after = stored_servers("web");
  BOOST_TEST((id_set(after) == id_set(before)));
  for (const auto& rec : after) {
    BOOST_TEST(at_cloud(rec.id).size() == 1u);
    strings want{"pending->starting", "starting->running"};
    BOOST_TEST(transitions(rec.id) == want, boost::test_tools::per_element());
  }
  BOOST_TEST(status().at(0).desired == 4);
}

BOOST_AUTO_TEST_CASE(running_servers_stay_untouched_across_a_restart) {
  add_pool("web", 0);
  start();
  BOOST_REQUIRE(ensure("web", 3));
  BOOST_TEST_REQUIRE(until_running("web", 3));
  auto events_before = events().size();
  stop();
  start();
  elapse(60s);
  BOOST_TEST(count("web", ss::running) == 3u);
  BOOST_TEST(cloud_calls("create") == 0u);
  BOOST_TEST(cloud_calls("stop") == 0u);
  BOOST_TEST(cloud->history().size() == 3u);
  BOOST_TEST(events().size() == events_before); // no transition at all
}

BOOST_AUTO_TEST_CASE(an_unknown_create_outcome_is_adopted_after_a_restart) {
  // The node crashed after sending a create and before its answer was
  // recorded: the record counts the attempt but has no provider id, and the
  // server exists at the cloud with its labels.
  add_pool("web", 1);
  std::mt19937_64 rng{42};
  server_record rec;
  rec.id = make_uuid(rng);
  rec.name = server_name("web", rec.id);
  rec.pool = "web";
  rec.provider = sim_account;
  rec.status = ss::starting;
  rec.previous_status = ss::pending;
  rec.created_at_ms = now_ms();
  rec.status_since_ms = now_ms();
  rec.create_attempts = 1;
  pool_record pool{"web", 1, 1, now_ms()};
  BOOST_REQUIRE(!records.commit({rec}, {pool}, {}));
  open_cloud();
  create_request req{rec.id, rec.name, "web",
                     label_map{{labels::owner, "test-node"},
                               {labels::id, rec.id},
                               {labels::pool, "web"}}};
  BOOST_REQUIRE(cloud->create(req).ok());
  start();
  BOOST_TEST_REQUIRE(until_running("web", 1));
  BOOST_TEST(cloud_calls("create") == 1u); // ours, none from dynserv
  BOOST_TEST(cloud->history().size() == 1u);
  auto now = stored(rec.id);
  BOOST_TEST((now.status == ss::running));
  BOOST_TEST(now.provider_id == at_cloud(rec.id).at(0).provider_id);
  BOOST_TEST(stored_servers("web").size() == 1u);
}

BOOST_AUTO_TEST_CASE(
  an_unknown_create_outcome_that_never_happened_creates_once) {
  add_pool("web", 1);
  std::mt19937_64 rng{43};
  server_record rec;
  rec.id = make_uuid(rng);
  rec.name = server_name("web", rec.id);
  rec.pool = "web";
  rec.provider = sim_account;
  rec.status = ss::starting;
  rec.previous_status = ss::pending;
  rec.created_at_ms = now_ms();
  rec.status_since_ms = now_ms();
  rec.create_attempts = 1;
  pool_record pool{"web", 1, 1, now_ms()};
  BOOST_REQUIRE(!records.commit({rec}, {pool}, {}));
  start();
  BOOST_TEST_REQUIRE(until_running("web", 1));
  BOOST_TEST(cloud_calls("create") == 1u);
  BOOST_TEST(cloud->history().size() == 1u);
  BOOST_TEST(at_cloud(rec.id).size() == 1u);
  BOOST_TEST(stored(rec.id).create_attempts == 2u);
  BOOST_TEST(stored_servers("web").size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_stop_in_progress_completes_after_a_crash) {
  add_pool("web", 2);
  start();
  BOOST_TEST_REQUIRE(until_running("web", 2));
  BOOST_REQUIRE(decrease("web", 1));
  advance(1s);
  auto stopping = ids("web", ss::stopping);
  BOOST_TEST_REQUIRE(stopping.size() == 1u);
  crash();
  start();
  BOOST_TEST_REQUIRE(settle([&] {
    return stored(stopping[0]).status == ss::deleted
           && count("web", ss::running) == 1;
  }));
  elapse(30s);
  BOOST_TEST(count("web", ss::running) == 1u);
  BOOST_TEST(cloud->live_count() == 1u);
  BOOST_TEST(cloud_calls("create") == 0u);
  BOOST_TEST(at_cloud(stopping[0]).at(0).raw_state == "deleted");
}

BOOST_AUTO_TEST_CASE(event_seq_continues_after_a_restart) {
  add_pool("web", 1);
  start();
  BOOST_TEST_REQUIRE(until_running("web", 1));
  crash();
  start();
  BOOST_REQUIRE(ensure("web", 2));
  BOOST_TEST_REQUIRE(until_running("web", 2));
  auto all = events();
  BOOST_TEST_REQUIRE(!all.empty());
  for (size_t i = 0; i < all.size(); ++i)
    BOOST_TEST(all[i].seq == i + 1);
}

BOOST_AUTO_TEST_CASE(a_deadline_missed_while_down_gets_one_more_look) {
  // The node is down past the starting deadline, but the server came up at
  // the cloud meanwhile: the restored server must see that before it calls
  // the server hanging.
  ncfg.timing.hanging_starting = 30s;
  add_pool("web", 1);
  start();
  elapse(5s);
  auto id = stored_servers("web").at(0).id;
  BOOST_TEST_REQUIRE((stored(id).status == ss::starting));
  crash();
  elapse(60s); // nobody runs; the cloud server finishes building
  start();
  BOOST_TEST_REQUIRE(until_running("web", 1, 10s));
  BOOST_TEST(events("ServerHanging").empty());
}

BOOST_AUTO_TEST_CASE(a_server_still_stuck_after_a_restart_goes_hanging_soon) {
  sim().faults.never_start_rate = 1.0;
  ncfg.timing.hanging_starting = 30s;
  add_pool("web", 1);
  ncfg.max_servers = 1;
  start();
  elapse(5s);
  auto id = stored_servers("web").at(0).id;
  crash();
  elapse(60s);
  start();
  BOOST_TEST((stored(id).status == ss::starting));
  BOOST_TEST_REQUIRE(
    settle([&] { return stored(id).status == ss::hanging; }, 10s));
  BOOST_TEST(events("ServerHanging", id).size() == 1u);
}

// -- desired count and the config file ----------------------------------------

BOOST_AUTO_TEST_CASE(
  the_pool_record_remembers_the_value_applied_from_the_file) {
  add_pool("web", 2);
  start();
  auto rec = stored_pool("web");
  BOOST_TEST(rec.desired == 2);
  BOOST_TEST(rec.file_desired == 2);
  BOOST_REQUIRE(ensure("web", 4));
  rec = stored_pool("web");
  BOOST_TEST(rec.desired == 4);
  BOOST_TEST(rec.file_desired == 2);
  BOOST_TEST_REQUIRE(until_running("web", 4));
}

BOOST_AUTO_TEST_CASE(same_file_value_on_restart_keeps_the_runtime_count) {
  add_pool("web", 2);
  start();
  BOOST_REQUIRE(ensure("web", 4));
  BOOST_TEST_REQUIRE(until_running("web", 4));
  stop();
  start(); // the file still says 2
  BOOST_TEST(stored_pool("web").desired == 4);
  BOOST_TEST(status().at(0).desired == 4);
  elapse(30s);
  BOOST_TEST(count("web", ss::running) == 4u);
  BOOST_TEST(count("web", ss::deleted) == 0u);
}

BOOST_AUTO_TEST_CASE(a_different_file_value_on_restart_overrides_the_count) {
  add_pool("web", 2);
  start();
  BOOST_REQUIRE(ensure("web", 4));
  BOOST_TEST_REQUIRE(until_running("web", 4));
  stop();
  ncfg.pools["web"].desired = 3; // the operator edited the file
  start();
  auto rec = stored_pool("web");
  BOOST_TEST(rec.desired == 3);
  BOOST_TEST(rec.file_desired == 3);
  BOOST_TEST_REQUIRE(settle([&] {
    return count("web", ss::running) == 3 && count("web", ss::deleted) == 1;
  }));
  BOOST_TEST(cloud->live_count() == 3u);
}

BOOST_AUTO_TEST_CASE(reload_applies_only_changed_file_values) {
  add_pool("web", 2);
  add_pool("other", 0);
  start();
  BOOST_REQUIRE(ensure("web", 4));
  using replies = std::vector<scale_reply>;
  auto same = ask<replies>(node(), atom::reload_v,
                           std::vector<pool_record>{{"web", 2, -1, 0}});
  BOOST_REQUIRE_MESSAGE(same, outcome(same));
  BOOST_TEST_REQUIRE(same->size() == 1u);
  BOOST_TEST(same->at(0).desired == 4);
  BOOST_TEST(stored_pool("web").desired == 4);
  auto changed = ask<replies>(node(), atom::reload_v,
                              std::vector<pool_record>{{"web", 1, -1, 0},
                                                       {"unknown", 5, -1, 0}});
  BOOST_REQUIRE_MESSAGE(changed, outcome(changed));
  BOOST_TEST_REQUIRE(changed->size() == 1u);
  BOOST_TEST(changed->at(0).previous_desired == 4);
  BOOST_TEST(changed->at(0).desired == 1);
  auto rec = stored_pool("web");
  BOOST_TEST(rec.desired == 1);
  BOOST_TEST(rec.file_desired == 1);
  BOOST_TEST(stored_pool("other").desired == 0);
}

BOOST_AUTO_TEST_SUITE_END()
