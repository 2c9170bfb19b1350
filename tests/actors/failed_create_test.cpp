// Creates that fail at the cloud for good (a failed create action at Hetzner
// or DigitalOcean, `cloud_state::failed`): errored within the first poll,
// with the provider's reason, replaced, remediated and kept across restarts.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/fixtures/node_fixture.hpp"

using namespace dynserv;
using namespace dynserv::test;

namespace {

using ss = server_status;
using strings = std::vector<std::string>;

constexpr auto failure_code = "server_create_failed";
constexpr auto failure_message = "image ubuntu-99.04 not found";

} // namespace

struct failed_create_fixture : node_fixture {
  /// Starts a one-server pool whose first create fails at the cloud, and
  /// returns the id of that server once it left `starting`.
  std::string start_with_a_failed_build() {
    auto& fake = *script;
    fake.fail_next_builds(failure_code, failure_message);
    start();
    auto all = stored_servers("web");
    BOOST_REQUIRE_EQUAL(all.size(), 1u);
    auto id = all[0].id;
    BOOST_REQUIRE(all[0].provider_id.rfind("failed-build-", 0) == 0);
    BOOST_REQUIRE(settle([&] { return stored(id).status != ss::starting; }));
    return id;
  }

  /// Virtual time of the first call of `op` at or after `at_ms`.
  int64_t first_call_at(const std::string& op, int64_t at_ms) {
    for (auto t : script->times_of(op))
      if (t >= at_ms)
        return t;
    BOOST_FAIL("no " << op << " call after " << at_ms);
    return 0;
  }
};

BOOST_FIXTURE_TEST_SUITE(failed_create_tests, failed_create_fixture)

BOOST_AUTO_TEST_CASE(a_failed_create_errors_at_the_first_poll_and_is_replaced) {
  quiet_logs quiet;
  use_script();
  add_pool("web", 1);
  auto first = start_with_a_failed_build();
  auto rec = stored(first);
  BOOST_TEST((rec.status == ss::errored));
  BOOST_TEST((rec.last_error_kind == error_kind::permanent));
  BOOST_TEST(rec.last_error_code == failure_code);
  BOOST_TEST(rec.last_error_message == failure_message);
  // Errored by the first poll after the create, not at the 120 s deadline.
  auto created_at = script->times_of("create").at(0);
  auto first_poll = first_call_at("list", created_at);
  BOOST_TEST(rec.status_since_ms == first_poll);
  BOOST_TEST(first_poll - created_at <= 1000); // one poll interval
  strings want{"pending->starting", "starting->errored"};
  BOOST_TEST(transitions(first) == want, boost::test_tools::per_element());
  auto errored = events("ServerErrored", first);
  BOOST_TEST_REQUIRE(errored.size() == 1u);
  BOOST_TEST(errored[0].message.find(failure_code) != std::string::npos,
             errored[0].message);
  BOOST_TEST(errored[0].message.find(failure_message) != std::string::npos,
             errored[0].message);
  // The pool replaces it at once, and the replacement runs.
  BOOST_TEST_REQUIRE(until_running("web", 1));
  auto creates = script->times_of("create");
  BOOST_TEST_REQUIRE(creates.size() == 2u);
  BOOST_TEST(creates[1] - rec.status_since_ms <= 1000);
  // `keep` (the test default) leaves the failed server for an operator.
  elapse(60s);
  BOOST_TEST((stored(first).status == ss::errored));
  BOOST_TEST(script->failed_builds() == 1u);
}

BOOST_AUTO_TEST_CASE(remediation_deletes_a_failed_create) {
  quiet_logs quiet;
  use_script();
  add_pool("web", 1);
  ncfg.pools["web"].remediation.errored = remediation_action::replace;
  auto first = start_with_a_failed_build();
  BOOST_TEST_REQUIRE(settle(
    [&] {
      return stored(first).status == ss::deleted
             && count("web", ss::running) == 1;
    },
    300s));
  // A server whose create failed is not waited on to stop: it is deleted.
  strings want{"pending->starting", "starting->errored", "errored->stopping",
               "stopping->deleting", "deleting->deleted"};
  BOOST_TEST(transitions(first) == want, boost::test_tools::per_element());
  auto remediating = events("ServerRemediating", first);
  BOOST_TEST_REQUIRE(remediating.size() == 1u);
  BOOST_TEST(remediating[0].message.find(failure_code) != std::string::npos,
             remediating[0].message);
  BOOST_TEST(script->count("delete") == 1u);
  BOOST_TEST(script->failed_builds() == 0u); // gone at the cloud
  BOOST_TEST(cloud->live_count() == 1u);     // the replacement only
}

BOOST_AUTO_TEST_CASE(a_failed_create_stays_errored_across_a_restart) {
  quiet_logs quiet;
  use_script();
  add_pool("web", 1);
  auto first = start_with_a_failed_build();
  BOOST_TEST_REQUIRE(until_running("web", 1));
  auto before = stored(first);
  BOOST_TEST_REQUIRE((before.status == ss::errored));
  crash();
  start();
  elapse(30s);
  auto after = stored(first);
  BOOST_TEST((after.status == ss::errored));
  BOOST_TEST(after.status_since_ms == before.status_since_ms);
  BOOST_TEST(after.last_error_code == failure_code);
  BOOST_TEST(after.last_error_message == failure_message);
  BOOST_TEST(transitions(first).size() == 2u);
  // Not replaced twice: the replacement from before the crash still runs.
  BOOST_TEST(stored_servers("web").size() == 2u);
  BOOST_TEST(count("web", ss::running) == 1u);
  BOOST_TEST(cloud_calls("create") == 0u); // since the restart
}

BOOST_AUTO_TEST_CASE(failed_creates_open_the_breaker_within_seconds) {
  quiet_logs quiet;
  auto& fake = use_script();
  add_pool("web", 3);
  fake.fail_next_builds(failure_code, failure_message, 100);
  start();
  // The breaker hears of each failure at once, not after the 120 s
  // hanging deadline.
  BOOST_TEST_REQUIRE(
    settle([&] { return !events("CircuitBreakerOpened").empty(); }, 10s));
  BOOST_TEST(count("web", ss::errored) >= 3u);
  BOOST_TEST(count("web", ss::hanging) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
