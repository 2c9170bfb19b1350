// Supervision and housekeeping: crashed server actors restart from their
// record, a crash-looping policy actor is left down with a reason, operators
// can clean up hanging servers, old records are pruned.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "tests/fixtures/node_fixture.hpp"

using namespace dynserv;
using namespace dynserv::test;

namespace {

using ss = server_status;

} // namespace

BOOST_FIXTURE_TEST_SUITE(supervision_tests, node_fixture)

BOOST_AUTO_TEST_CASE(a_crashed_server_actor_restarts_from_its_record) {
  quiet_logs quiet; // the pool warns about the crash
  add_pool("web", 1);
  start();
  elapse(2s); // created at the cloud, still provisioning
  auto id = stored_servers("web").at(0).id;
  auto old_hdl = server_handle("web", id);
  caf::anon_send_exit(old_hdl, caf::exit_reason::kill);
  run();
  auto new_hdl = server_handle("web", id);
  BOOST_TEST((new_hdl != old_hdl));
  BOOST_TEST_REQUIRE(until_running("web", 1));
  BOOST_TEST(cloud_calls("create") == 1u);
  BOOST_TEST(cloud->history().size() == 1u);
  BOOST_TEST(stored_servers("web").size() == 1u);
}

BOOST_AUTO_TEST_CASE(restart_intensity_caps_restart_storms) {
  quiet_logs quiet;
  add_pool("web", 1);
  start();
  BOOST_TEST_REQUIRE(until_running("web", 1));
  auto id = stored_servers("web").at(0).id;
  // max_restarts (10) crashes within restart_period (60 s) are restarted;
  // the next one stays down.
  for (int i = 0; i < max_restarts; ++i) {
    caf::anon_send_exit(server_handle("web", id), caf::exit_reason::kill);
    run();
  }
  auto last = server_handle("web", id);
  caf::anon_send_exit(last, caf::exit_reason::kill);
  run();
  // Not restarted: the pool still knows the (dead) actor and its record, so
  // it neither restarts it nor creates a replacement for a server that
  // exists at the cloud.
  BOOST_TEST((server_handle("web", id) == last));
  elapse(30s);
  BOOST_TEST(cloud_calls("create") == 1u);
  BOOST_TEST(stored_servers("web").size() == 1u);
  // Its record stays as it was (it resumes when the node restarts).
  BOOST_TEST((stored(id).status == ss::running));
}

BOOST_AUTO_TEST_CASE(a_crash_looping_policy_actor_stays_down_with_a_reason) {
  quiet_logs quiet; // the pool logs every crash
  add_pool("web", 0);
  auto& p = ncfg.pools["web"].policy;
  p.kind = policy_kind::fixed;
  p.fixed_count = 2;
  start();
  BOOST_TEST_REQUIRE(until_running("web", 2));
  auto policy = [this] {
    return state_of<pool_actor, pool_state>(pool("web")).policy;
  };
  // max_restarts (10) crashes within restart_period (60 s) are restarted,
  // each time as a new actor.
  for (int i = 0; i < max_restarts; ++i) {
    auto before = policy();
    BOOST_TEST_REQUIRE(static_cast<bool>(before));
    caf::anon_send_exit(before, caf::exit_reason::kill);
    run();
    BOOST_TEST_REQUIRE((policy() != before), "crash " << i + 1);
  }
  BOOST_TEST(events("PolicyRestartLimitHit").empty());
  // The next one stays down, and the pool says why: once in the event log,
  // and to every evaluate.
  caf::anon_send_exit(policy(), caf::exit_reason::kill);
  run();
  BOOST_TEST(!policy());
  auto down = events("PolicyRestartLimitHit");
  BOOST_TEST_REQUIRE(down.size() == 1u);
  BOOST_TEST(down[0].pool == "web");
  BOOST_TEST(down[0].message.find("died more than 10 times within 1m")
               != std::string::npos,
             down[0].message);
  BOOST_TEST(down[0].message.find("stays down until the node restarts")
               != std::string::npos,
             down[0].message);
  auto res = ask<decision_record>(pool("web"), atom::evaluate_v);
  BOOST_TEST_REQUIRE(!res);
  BOOST_TEST(outcome(res).find("died more than 10 times") != std::string::npos,
             outcome(res));
  // The servers are unaffected, commands still set the count and no policy
  // sets it back.
  BOOST_REQUIRE(increase("web", 1));
  BOOST_TEST(until_running("web", 3));
  elapse(10min);
  BOOST_TEST(stored_pool("web").desired == 3);
  // A restarted node runs the policy again.
  crash();
  start();
  BOOST_TEST(static_cast<bool>(policy()));
  BOOST_TEST_REQUIRE(settle([&] { return stored_pool("web").desired == 2; }));
}

BOOST_AUTO_TEST_CASE(an_operator_can_stop_and_delete_a_hanging_server) {
  // The FSM lets an operator stop a hanging server so that it stops billing.
  // A server whose build hangs never runs, so it cannot be stopped the usual
  // way; the simulated cloud (like real ones) lets it be deleted instead.
  sim().faults.never_start_rate = 1.0;
  ncfg.timing.hanging_starting = 30s;
  ncfg.timing.hanging_stopping = 60s;
  ncfg.max_servers = 1;
  add_pool("web", 1);
  start();
  auto id = stored_servers("web").at(0).id;
  BOOST_TEST_REQUIRE(settle([&] { return stored(id).status == ss::hanging; }));
  auto res = ask<server_record>(node(), atom::stop_v, id);
  BOOST_REQUIRE_MESSAGE(res, outcome(res));
  auto done = settle([&] { return stored(id).status == ss::deleted; }, 300s);
  BOOST_TEST(done, "status " << to_string(stored(id).status)
                             << ", transitions: " << transitions(id).size()
                             << ", last error " << stored(id).last_error_code
                             << " " << stored(id).last_error_message);
  auto srv = at_cloud(id);
  BOOST_TEST_REQUIRE(srv.size() == 1u);
  BOOST_TEST(srv[0].raw_state == "deleted", "the hung server still bills");
}

BOOST_AUTO_TEST_CASE(deleted_records_are_pruned_after_the_retention) {
  ncfg.deleted_retention = 1min;
  add_pool("web", 2);
  start();
  BOOST_TEST_REQUIRE(until_running("web", 2));
  BOOST_REQUIRE(decrease("web", 1));
  BOOST_TEST_REQUIRE(settle([&] { return count("web", ss::deleted) == 1; }));
  auto gone = ids("web", ss::deleted).at(0);
  // Housekeeping runs every 10 minutes.
  BOOST_TEST_REQUIRE(
    settle([&] { return stored_servers("web").size() == 1; }, 15min));
  BOOST_TEST(!records.get_server(gone)->has_value());
  BOOST_TEST(count("web", ss::running) == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
