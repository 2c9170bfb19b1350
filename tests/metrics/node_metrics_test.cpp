// The metrics a node records while it runs: server gauges across a crash and
// restart, transitions, desired counts, provider calls, time to running.
#include <boost/test/unit_test.hpp>

#include <string>

#include "telemetry/metrics.hpp"
#include "tests/fixtures/node_fixture.hpp"
#include "tests/metrics/exposition.hpp"

using namespace dynserv;
using namespace dynserv::test;

namespace {

/// The process-wide metrics, parsed (the test fails on invalid text).
exposition scrape() {
  auto parsed = parse_exposition(render_prometheus());
  BOOST_REQUIRE_MESSAGE(parsed.error.empty(), parsed.error);
  return parsed;
}

std::string servers_key(const std::string& pool, const char* status) {
  return series_key("dynserv_servers", {{"pool", pool}, {"status", status}});
}

/// Sum of dynserv_servers over every status of `pool`.
double servers_in(const exposition& m, const std::string& pool) {
  double total = 0;
  for (size_t i = 0; i < server_status_count; ++i)
    total += m.value_or_zero(
      servers_key(pool, to_string(static_cast<server_status>(i))));
  return total;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(node_metrics_tests, node_fixture)

// The registry is process-wide and other tests in this binary record into
// it too, so each case uses its own pool names and compares deltas.

BOOST_AUTO_TEST_CASE(server_gauges_follow_the_servers_across_a_restart) {
  add_pool("metrics-a", 3);
  auto transitions_key = series_key("dynserv_server_transitions_total",
                                    {{"from", "starting"}, {"to", "running"}});
  auto before = scrape();
  start();
  BOOST_TEST_REQUIRE(until_running("metrics-a", 3));
  auto m = scrape();
  BOOST_TEST(m.value_or_zero(servers_key("metrics-a", "running")) == 3);
  BOOST_TEST(servers_in(m, "metrics-a") == 3);
  BOOST_TEST(
    m.value_or_zero(series_key("dynserv_pool_desired", {{"pool", "metrics-a"}}))
    == 3);
  BOOST_TEST(m.value_or_zero(transitions_key)
               - before.value_or_zero(transitions_key)
             == 3);
  // Create accepted at once, running after the simulated create time (20 s)
  // plus at most one poll interval.
  auto ttr_count = m.value_or_zero(series_key(
    "dynserv_time_to_running_seconds_count", {{"pool", "metrics-a"}}));
  auto ttr_sum = m.value_or_zero(
    series_key("dynserv_time_to_running_seconds_sum", {{"pool", "metrics-a"}}));
  BOOST_TEST(ttr_count == 3);
  BOOST_TEST(ttr_sum >= 3 * 20.0);
  BOOST_TEST(ttr_sum <= 3 * 22.0);
  auto creates = series_key(
    "dynserv_provider_requests_total",
    {{"provider", "sim"}, {"operation", "create"}, {"code", "ok"}});
  BOOST_TEST(m.value_or_zero(creates) - before.value_or_zero(creates) == 3);
  // A crash ends every actor: its servers leave the gauge ...
  crash();
  BOOST_TEST(servers_in(scrape(), "metrics-a") == 0);
  // ... and the restored ones come back in their recorded status.
  start();
  m = scrape();
  BOOST_TEST(m.value_or_zero(servers_key("metrics-a", "running")) == 3);
  BOOST_TEST(servers_in(m, "metrics-a") == 3);
  // Scaling down moves them through stopping/deleting out of the gauge.
  BOOST_TEST_REQUIRE(static_cast<bool>(ensure("metrics-a", 1)));
  BOOST_TEST(scrape().value_or_zero(
               series_key("dynserv_pool_desired", {{"pool", "metrics-a"}}))
             == 1);
  BOOST_TEST_REQUIRE(settle([&] {
    return count("metrics-a", server_status::deleted) == 2u
           && servers_in(scrape(), "metrics-a") == 1;
  }));
  m = scrape();
  BOOST_TEST(m.value_or_zero(servers_key("metrics-a", "running")) == 1);
  BOOST_TEST(m.value_or_zero(servers_key("metrics-a", "deleted")) == 0);
  auto deletes = series_key("dynserv_server_transitions_total",
                            {{"from", "deleting"}, {"to", "deleted"}});
  BOOST_TEST(m.value_or_zero(deletes) - before.value_or_zero(deletes) == 2);
}

BOOST_AUTO_TEST_CASE(provider_errors_are_counted_by_kind) {
  add_pool("metrics-b", 0);
  auto& s = use_script();
  start();
  auto before = scrape();
  s.fail_next("create",
              provider_error{error_kind::transient, "503", "try later", 0});
  BOOST_TEST_REQUIRE(static_cast<bool>(ensure("metrics-b", 1)));
  BOOST_TEST_REQUIRE(until_running("metrics-b", 1));
  auto m = scrape();
  auto failed = series_key(
    "dynserv_provider_requests_total",
    {{"provider", "sim"}, {"operation", "create"}, {"code", "503"}});
  auto transient = series_key("dynserv_errors_total", {{"kind", "transient"}});
  BOOST_TEST(m.value_or_zero(failed) - before.value_or_zero(failed) == 1);
  BOOST_TEST(m.value_or_zero(transient) - before.value_or_zero(transient) >= 1);
  BOOST_TEST(m.get(series_key("dynserv_provider_tokens", {{"provider", "sim"}}))
               .has_value());
}

BOOST_AUTO_TEST_SUITE_END()
