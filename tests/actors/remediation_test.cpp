// Remediation: hanging and errored servers are stopped, deleted and replaced
// per the pool's settings, with events, at most max_attempts times.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "tests/fixtures/node_fixture.hpp"

using namespace dynserv;
using namespace dynserv::test;

namespace {

using ss = server_status;
using strings = std::vector<std::string>;

/// True if `seq` contains `part` as a contiguous run.
bool contains_run(const strings& seq, const strings& part) {
  return std::search(seq.begin(), seq.end(), part.begin(), part.end())
         != seq.end();
}

} // namespace

struct remediation_fixture : node_fixture {
  /// The server whose create failed (its replacement exists as well).
  std::string errored_server() {
    auto errored = events("ServerErrored");
    BOOST_REQUIRE_EQUAL(errored.size(), 1u);
    return errored[0].server_id;
  }
};

BOOST_FIXTURE_TEST_SUITE(remediation_tests, remediation_fixture)

BOOST_AUTO_TEST_CASE(a_hanging_server_is_stopped_deleted_and_replaced) {
  auto& fake = use_script();
  ncfg.timing.hanging_starting = 45s; // a server runs after about 30 s
  add_pool("web", 1);
  ncfg.pools["web"].remediation.hanging = remediation_action::replace;
  ncfg.pools["web"].breaker.enabled = false;
  // Polls fail for about 50 s (one list a second): the first server makes
  // no progress before its deadline, its replacement does.
  fake.fail_next("list", transient_503(), 50);
  start();
  auto first = stored_servers("web").at(0).id;
  BOOST_TEST_REQUIRE(
    settle([&] { return stored(first).status != ss::starting; }));
  BOOST_TEST_REQUIRE(settle(
    [&] {
      return stored(first).status == ss::deleted
             && count("web", ss::running) == 1;
    },
    600s));
  auto t = transitions(first);
  BOOST_TEST(contains_run(t, {"starting->hanging", "hanging->stopping"}),
             "transitions of the hanging server");
  BOOST_TEST(t.back() == "deleting->deleted");
  auto remediating = events("ServerRemediating", first);
  BOOST_TEST_REQUIRE(!remediating.empty());
  BOOST_TEST(remediating[0].message.find("hanging while starting")
               != std::string::npos,
             remediating[0].message);
  BOOST_TEST(remediating[0].message.find("attempt 1 of 3") != std::string::npos,
             remediating[0].message);
  // Every server that hung was remediated and is gone (the polls may fail
  // long enough for a replacement to hang as well); nothing leaks: the
  // cloud has the one running replacement.
  auto hung = events("ServerHanging");
  BOOST_TEST(!hung.empty());
  for (const auto& ev : hung) {
    BOOST_TEST((stored(ev.server_id).status == ss::deleted), ev.server_id);
    BOOST_TEST(!events("ServerRemediating", ev.server_id).empty());
  }
  BOOST_TEST(cloud->live_count() == 1u);
}

BOOST_AUTO_TEST_CASE(an_errored_create_is_cleaned_up_by_label_and_replaced) {
  auto& fake = use_script();
  add_pool("web", 1);
  ncfg.pools["web"].remediation.errored = remediation_action::replace;
  fake.fail_next("create", permanent_422());
  start();
  auto first = errored_server();
  BOOST_TEST_REQUIRE(until_running("web", 1));
  BOOST_TEST_REQUIRE(
    settle([&] { return stored(first).status == ss::deleted; }));
  strings want{"pending->starting", "starting->errored", "errored->stopping",
               "stopping->deleted"};
  BOOST_TEST(transitions(first) == want, boost::test_tools::per_element());
  // Never created, so it was looked up by label instead of stopped blindly.
  BOOST_TEST(fake.count("stop") == 0u);
  BOOST_TEST(events("ServerRemediating", first).size() == 1u);
  BOOST_TEST(cloud->live_count() == 1u);
}

BOOST_AUTO_TEST_CASE(keep_leaves_the_server_for_an_operator) {
  auto& fake = use_script();
  add_pool("web", 1);
  fake.fail_next("create", permanent_422());
  start();
  auto first = errored_server();
  BOOST_TEST_REQUIRE(until_running("web", 1));
  elapse(600s);
  BOOST_TEST((stored(first).status == ss::errored));
  BOOST_TEST(events("ServerRemediating").empty());
}

BOOST_AUTO_TEST_CASE(remediation_waits_for_its_delay) {
  auto& fake = use_script();
  add_pool("web", 1);
  auto& rem = ncfg.pools["web"].remediation;
  rem.errored = remediation_action::replace;
  rem.delay = 60s;
  fake.fail_next("create", permanent_422());
  start();
  auto first = errored_server();
  BOOST_TEST_REQUIRE((stored(first).status == ss::errored));
  auto since = stored(first).status_since_ms;
  elapse_until(since + 59'000);
  BOOST_TEST((stored(first).status == ss::errored));
  BOOST_TEST(events("ServerRemediating").empty());
  BOOST_TEST_REQUIRE(
    settle([&] { return stored(first).status == ss::deleted; }));
  auto ev = events("ServerRemediating", first);
  BOOST_TEST_REQUIRE(ev.size() == 1u);
  BOOST_TEST(ev[0].at_ms >= since + 60'000);
}

BOOST_AUTO_TEST_CASE(remediation_gives_up_after_max_attempts) {
  quiet_logs quiet;
  auto& fake = use_script();
  add_pool("web", 1);
  auto& rem = ncfg.pools["web"].remediation;
  rem.errored = remediation_action::replace;
  rem.max_attempts = 3;
  start();
  BOOST_TEST_REQUIRE(until_running("web", 1));
  auto id = stored_servers("web").at(0).id;
  // The reboot fails for good, and so does every stop afterwards.
  fake.fail_next("reboot", permanent_422());
  fake.fail_next("stop", permanent_422(), 100);
  BOOST_REQUIRE(reboot("web"));
  BOOST_TEST_REQUIRE(settle(
    [&] {
      return !events("RemediationGaveUp", id).empty()
             && count("web", ss::running) == 1;
    },
    600s));
  elapse(600s);
  BOOST_TEST((stored(id).status == ss::errored));
  BOOST_TEST(events("ServerRemediating", id).size() == 3u);
  BOOST_TEST(events("RemediationGaveUp", id).size() == 1u);
  BOOST_TEST(fake.count("stop") == 3u);
}

BOOST_AUTO_TEST_SUITE_END()
