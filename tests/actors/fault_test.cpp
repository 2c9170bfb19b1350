// Faults: hanging deadlines and their generations, transient and permanent
// provider errors, and create answers that get lost.
#include <boost/test/unit_test.hpp>

#include <map>
#include <string>
#include <vector>

#include "tests/fixtures/node_fixture.hpp"

using namespace dynserv;
using namespace dynserv::test;

namespace {

using ss = server_status;
using strings = std::vector<std::string>;

} // namespace

BOOST_FIXTURE_TEST_SUITE(fault_tests, node_fixture)

// -- hanging ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_server_that_never_starts_goes_hanging_at_its_deadline) {
  sim().faults.never_start_rate = 1.0;
  ncfg.timing.hanging_starting = 30s;
  ncfg.max_servers = 1; // no replacement: the hanging server keeps its slot
  add_pool("web", 0);
  start();
  BOOST_REQUIRE(ensure("web", 1));
  auto id = stored_servers("web").at(0).id;
  elapse(29s);
  BOOST_TEST((stored(id).status == ss::starting));
  elapse(2s);
  auto rec = stored(id);
  BOOST_TEST((rec.status == ss::hanging));
  BOOST_TEST((rec.previous_status == ss::starting));
  BOOST_TEST(!rec.provider_id.empty()); // the cloud server is still known
  auto hanging = events("ServerHanging", id);
  BOOST_TEST_REQUIRE(hanging.size() == 1u);
  BOOST_TEST(hanging[0].message.find("starting") != std::string::npos,
             hanging[0].message);
  // No further provider calls for it, and no second server over the limit.
  auto calls = cloud->call_counts();
  elapse(60s);
  BOOST_TEST((stored(id).status == ss::hanging));
  BOOST_TEST(cloud->call_counts() == calls);
  BOOST_TEST(cloud->history().size() == 1u);
}

BOOST_AUTO_TEST_CASE(stale_deadline_generations_are_ignored) {
  sim().faults.never_start_rate = 1.0;
  add_pool("web", 1);
  start();
  auto id = stored_servers("web").at(0).id;
  auto hdl = server_handle("web", id);
  auto gen = server("web", id).deadline_gen;
  BOOST_TEST_REQUIRE(gen >= 1u);
  caf::anon_send(hdl, atom::deadline_v, gen - 1);
  run();
  BOOST_TEST((stored(id).status == ss::starting));
  caf::anon_send(hdl, atom::deadline_v, gen + 1);
  run();
  BOOST_TEST((stored(id).status == ss::starting));
  caf::anon_send(hdl, atom::deadline_v, gen);
  run();
  BOOST_TEST((stored(id).status == ss::hanging));
}

BOOST_AUTO_TEST_CASE(deadline_of_an_earlier_status_does_not_hit_a_later_one) {
  // starting (deadline 30 s) -> running at 20 s -> rebooting for 60 s: the
  // starting deadline fires at 30 s while the server is rebooting.
  ncfg.timing.hanging_starting = 30s;
  ncfg.timing.hanging_rebooting = 120s;
  sim().reboot_time = 60s;
  add_pool("web", 0);
  start();
  auto t0 = now_ms();
  BOOST_REQUIRE(ensure("web", 1));
  auto id = stored_servers("web").at(0).id;
  BOOST_TEST_REQUIRE(until_running("web", 1));
  BOOST_REQUIRE(reboot("web"));
  BOOST_TEST_REQUIRE((stored(id).status == ss::rebooting));
  BOOST_TEST_REQUIRE(now_ms() - t0 < 30'000);
  run_until([] { return false; }, 1s, 15s); // past t0 + 30 s
  BOOST_TEST_REQUIRE(now_ms() - t0 > 30'000);
  BOOST_TEST((stored(id).status == ss::rebooting));
  BOOST_TEST(events("ServerHanging").empty());
  BOOST_TEST_REQUIRE(until_running("web", 1));
  BOOST_TEST(events("ServerHanging").empty());
}

// -- provider errors ----------------------------------------------------------

BOOST_AUTO_TEST_CASE(transient_create_errors_are_retried_and_never_errored) {
  auto& fake = use_script();
  fake.fail_next("create", transient_503(), 3);
  add_pool("web", 0);
  start();
  BOOST_REQUIRE(ensure("web", 1));
  auto id = stored_servers("web").at(0).id;
  BOOST_TEST_REQUIRE(until_running("web", 1));
  BOOST_TEST(fake.count("create") == 4u);
  auto times = fake.times_of("create");
  for (size_t i = 1; i < times.size(); ++i)
    BOOST_TEST(times[i] - times[i - 1] >= 200,
               "retry " << i << " after " << times[i] - times[i - 1] << " ms");
  auto rec = stored(id);
  // The last error stays for diagnosis; the server never errored.
  BOOST_TEST((rec.last_error_kind == error_kind::transient));
  BOOST_TEST(rec.last_error_code == "503");
  strings want{"pending->starting", "starting->running"};
  BOOST_TEST(transitions(id) == want, boost::test_tools::per_element());
  BOOST_TEST(events("ServerErrored").empty());
  // A 503 may hide a create that happened: exactly one server exists.
  BOOST_TEST(cloud->history().size() == 1u);
  BOOST_TEST(at_cloud(id).size() == 1u);
}

BOOST_AUTO_TEST_CASE(backoff_grows_over_consecutive_create_failures) {
  auto& fake = use_script();
  fake.fail_next("create", transient_503(), 4);
  add_pool("web", 0);
  start();
  BOOST_REQUIRE(ensure("web", 1));
  // Small steps so that the retry times are exact.
  BOOST_TEST_REQUIRE(
    run_until([&] { return fake.count("create") == 5; }, 10ms, 20s));
  auto times = fake.times_of("create");
  // backoff_initial 200 ms, multiplier 2, max 2 s, no jitter. The label
  // lookup between two creates (a 503 may hide a create that happened) is
  // part of the same retry and must not start the backoff over.
  BOOST_TEST(times[1] - times[0] == 200);
  BOOST_TEST(times[2] - times[1] == 400);
  BOOST_TEST(times[3] - times[2] == 800);
  BOOST_TEST(times[4] - times[3] == 1600);
  BOOST_TEST_REQUIRE(until_running("web", 1));
}

BOOST_AUTO_TEST_CASE(transient_poll_errors_are_retried) {
  auto& fake = use_script();
  add_pool("web", 0);
  start();
  BOOST_REQUIRE(ensure("web", 2));
  elapse(2s);
  fake.fail_next("list", transient_503(), 3);
  BOOST_TEST_REQUIRE(until_running("web", 2));
  BOOST_TEST(events("ServerErrored").empty());
  BOOST_TEST(cloud->history().size() == 2u);
  BOOST_TEST(cloud_calls("create") == 2u);
}

BOOST_AUTO_TEST_CASE(a_permanent_create_error_marks_the_server_errored) {
  auto& fake = use_script();
  fake.fail_next("create", {error_kind::permanent, "422", "plan not found", 0});
  add_pool("web", 0);
  start();
  BOOST_REQUIRE(ensure("web", 1));
  auto errored = ids("web", ss::errored);
  BOOST_TEST_REQUIRE(errored.size() == 1u);
  auto rec = stored(errored[0]);
  BOOST_TEST((rec.previous_status == ss::starting));
  BOOST_TEST((rec.last_error_kind == error_kind::permanent));
  BOOST_TEST(rec.last_error_code == "422");
  BOOST_TEST(rec.last_error_message == "plan not found");
  auto ev = events("ServerErrored", rec.id);
  BOOST_TEST_REQUIRE(ev.size() == 1u);
  BOOST_TEST(ev[0].message.find("422") != std::string::npos, ev[0].message);
  BOOST_TEST(ev[0].message.find("plan not found") != std::string::npos,
             ev[0].message);
  // Not retried: the errored server made exactly one create call. The pool
  // replaces it, since an errored server is not provisioned.
  BOOST_TEST_REQUIRE(until_running("web", 1));
  BOOST_TEST(fake.count("create") == 2u);
  BOOST_TEST((stored(rec.id).status == ss::errored));
  BOOST_TEST(at_cloud(rec.id).empty());
  // An operator cleans it up: nothing exists at the cloud, so it ends
  // deleted at once.
  auto res = ask<server_record>(node(), atom::stop_v, rec.id);
  BOOST_REQUIRE_MESSAGE(res, outcome(res));
  BOOST_TEST_REQUIRE(
    settle([&] { return stored(rec.id).status == ss::deleted; }));
  BOOST_TEST(count("web", ss::running) == 1u);
}

BOOST_AUTO_TEST_CASE(a_permanent_stop_error_marks_the_server_errored) {
  auto& fake = use_script();
  add_pool("web", 1);
  start();
  BOOST_TEST_REQUIRE(until_running("web", 1));
  auto id = stored_servers("web").at(0).id;
  fake.fail_next("stop", {error_kind::permanent, "403", "forbidden", 0});
  BOOST_REQUIRE(decrease("web", 1));
  auto rec = stored(id);
  BOOST_TEST((rec.status == ss::errored));
  BOOST_TEST((rec.previous_status == ss::stopping));
  BOOST_TEST(rec.last_error_code == "403");
  // An errored server can still be stopped (and is then deleted).
  auto res = ask<server_record>(node(), atom::stop_v, id);
  BOOST_REQUIRE_MESSAGE(res, outcome(res));
  BOOST_TEST_REQUIRE(settle([&] { return stored(id).status == ss::deleted; }));
  BOOST_TEST(cloud->live_count() == 0u);
}

// -- lost create answers ------------------------------------------------------

BOOST_AUTO_TEST_CASE(lost_create_answers_are_resolved_by_label_lookup) {
  sim().faults.lost_create_response_rate = 1.0;
  add_pool("web", 0);
  start();
  BOOST_REQUIRE(ensure("web", 3));
  BOOST_TEST_REQUIRE(until_running("web", 3));
  BOOST_TEST(cloud_calls("create") == 3u);
  BOOST_TEST(cloud->history().size() == 3u);
  for (const auto& rec : stored_servers("web")) {
    BOOST_TEST_CONTEXT("server " << rec.id) {
      auto srv = at_cloud(rec.id);
      BOOST_TEST_REQUIRE(srv.size() == 1u);
      BOOST_TEST(srv[0].provider_id == rec.provider_id);
      BOOST_TEST(rec.create_attempts == 1u);
      auto creating = events("ServerCreating", rec.id);
      BOOST_TEST_REQUIRE(creating.size() == 1u);
      BOOST_TEST(creating[0].message.find("adopted") != std::string::npos,
                 creating[0].message);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_lost_create_answer_with_a_scripted_provider) {
  auto& fake = use_script();
  fake.lose_next_creates(1);
  add_pool("web", 0);
  start();
  BOOST_REQUIRE(ensure("web", 2));
  BOOST_TEST_REQUIRE(until_running("web", 2));
  BOOST_TEST(fake.count("create") == 2u);
  BOOST_TEST(cloud->history().size() == 2u);
  for (const auto& rec : stored_servers("web"))
    BOOST_TEST(at_cloud(rec.id).size() == 1u);
}

// -- throttling ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(
  calls_timing_out_in_the_provider_queue_do_not_strand_servers) {
  // More demand than the token bucket serves within the call timeout: the
  // server actors stop waiting (a create's outcome is then unknown, so they
  // look the server up), while the provider actor still makes every call it
  // queued, including the ones nobody waits for any more. Each server must
  // still end up running exactly once, with no untracked server at the cloud.
  quiet_logs quiet;
  ncfg.providers.at(sim_account).rate_limit = rate_limit_options{1.0, 1.0};
  ncfg.timing.call_timeout = 2s;
  add_pool("web", 0);
  start();
  BOOST_REQUIRE(ensure("web", 8));
  auto ok = until_running("web", 8, 600s);
  BOOST_TEST(ok, "running " << count("web", ss::running) << ", hanging "
                            << count("web", ss::hanging) << ", records "
                            << stored_servers("web").size() << ", cloud "
                            << cloud->history().size() << " servers, "
                            << cloud_calls("create") << " creates, "
                            << cloud_calls("list") << " lists");
  BOOST_TEST(events("ServerHanging").empty());
  BOOST_TEST(cloud->history().size() == 8u, "servers at the cloud");
  size_t untracked = 0;
  for (const auto& srv : cloud->history()) {
    auto id = srv.labels.at(labels::id);
    if (stored(id).provider_id != srv.provider_id)
      ++untracked;
  }
  BOOST_TEST(untracked == 0u, untracked << " cloud servers are not tracked");
}

BOOST_AUTO_TEST_CASE(a_long_retry_after_does_not_duplicate_or_strand_servers) {
  // The provider answers 429 with a Retry-After longer than the call
  // timeout: every call queued meanwhile waits longer than its requester
  // does. The requesters give up (a create's outcome is then unknown) while
  // the provider actor still sends the queued calls afterwards.
  quiet_logs quiet;
  auto& fake = use_script();
  fake.fail_next("create",
                 {error_kind::rate_limited, "429", "slow down", 90'000});
  add_pool("web", 0);
  start();
  BOOST_REQUIRE(ensure("web", 5));
  auto ok = until_running("web", 5, 600s);
  BOOST_TEST(ok, "running " << count("web", ss::running) << ", hanging "
                            << count("web", ss::hanging) << ", records "
                            << stored_servers("web").size() << ", cloud "
                            << cloud->history().size() << " servers, "
                            << fake.count("create") << " creates, "
                            << fake.count("list") << " lists");
  BOOST_TEST(events("ServerHanging").empty());
  BOOST_TEST(cloud->history().size() == 5u, "servers at the cloud");
  size_t untracked = 0;
  for (const auto& srv : cloud->history()) {
    auto id = srv.labels.at(labels::id);
    if (stored(id).provider_id != srv.provider_id)
      ++untracked;
  }
  BOOST_TEST(untracked == 0u, untracked << " cloud servers are not tracked");
}

BOOST_AUTO_TEST_SUITE_END()
