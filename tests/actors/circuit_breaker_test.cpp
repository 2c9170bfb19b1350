// The create circuit breaker: the value class on its own, then a pool whose
// creates keep failing (opens, backs off 5 min doubling to 30, closes).
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "actors/circuit_breaker.hpp"
#include "tests/fixtures/node_fixture.hpp"

using namespace dynserv;
using namespace dynserv::test;

namespace {

using ss = server_status;
using change = circuit_breaker::change;

constexpr int64_t minute = 60'000;

breaker_config small_config() {
  breaker_config cfg;
  cfg.window = 4;
  cfg.min_creates = 3;
  cfg.failure_ratio = 0.5;
  return cfg;
}

} // namespace

BOOST_AUTO_TEST_SUITE(circuit_breaker_unit)

BOOST_AUTO_TEST_CASE(stays_closed_below_min_creates_and_ratio) {
  circuit_breaker b{small_config(), breaker_record{}};
  BOOST_TEST(b.allowed(0, 5) == 5);
  BOOST_TEST((b.record(true, 0) == change::none));
  BOOST_TEST((b.record(true, 0) == change::none)); // 2 < min_creates
  BOOST_TEST(b.state().state == "closed");
  circuit_breaker c{small_config(), breaker_record{}};
  c.record(false, 0);
  c.record(false, 0);
  c.record(true, 0);
  BOOST_TEST((c.record(false, 0) == change::none)); // 1 of 4 failed
  BOOST_TEST(c.state().window_creates == 4);
  BOOST_TEST(c.state().window_failures == 1);
  BOOST_TEST(c.allowed(0, 3) == 3);
}

BOOST_AUTO_TEST_CASE(opens_backs_off_doubles_and_closes) {
  circuit_breaker b{small_config(), breaker_record{}};
  b.record(false, 0);
  b.record(true, 0);
  BOOST_TEST((b.record(true, 0) == change::opened)); // 2 of 3
  BOOST_TEST(b.state().state == "open");
  BOOST_TEST(b.state().backoff_ms == 5 * minute);
  BOOST_TEST(b.state().open_until_ms == 5 * minute);
  BOOST_TEST(b.state().trips == 1);
  BOOST_TEST(b.state().reason == "2 of the last 3 creates failed or hung");
  BOOST_TEST(b.allowed(5 * minute - 1, 4) == 0);
  BOOST_TEST((b.take_change() == change::none));
  // Half-open: one probe at a time.
  BOOST_TEST(b.allowed(5 * minute, 4) == 1);
  BOOST_TEST((b.take_change() == change::half_opened));
  b.on_create_sent();
  BOOST_TEST(b.allowed(5 * minute, 4) == 0);
  // Failed probes double the backoff up to 30 minutes.
  int64_t now = 5 * minute;
  for (int64_t expected : {10, 20, 30, 30}) {
    BOOST_TEST((b.record(true, now) == change::opened));
    BOOST_TEST(b.state().backoff_ms == expected * minute);
    BOOST_TEST(b.state().open_until_ms == now + expected * minute);
    now += expected * minute;
    BOOST_TEST(b.allowed(now, 4) == 1);
    b.on_create_sent();
  }
  BOOST_TEST(b.state().trips == 5);
  // A probe that runs closes it and forgets the window and the backoff.
  BOOST_TEST((b.record(false, now) == change::closed));
  BOOST_TEST(b.state().state == "closed");
  BOOST_TEST(b.state().window_creates == 0);
  BOOST_TEST(b.allowed(now, 4) == 4);
  b.record(true, now);
  b.record(true, now);
  BOOST_TEST((b.record(true, now) == change::opened));
  BOOST_TEST(b.state().backoff_ms == 5 * minute); // from the start again
}

BOOST_AUTO_TEST_CASE(outcomes_of_earlier_creates_do_not_move_an_open_breaker) {
  circuit_breaker b{small_config(), breaker_record{}};
  for (int i = 0; i < 3; ++i)
    b.record(true, 0);
  BOOST_TEST(b.state().state == "open");
  BOOST_TEST((b.record(false, minute) == change::none));
  BOOST_TEST((b.record(true, minute) == change::none));
  BOOST_TEST(b.state().state == "open");
  BOOST_TEST(b.state().open_until_ms == 5 * minute);
}

BOOST_AUTO_TEST_CASE(
  a_restored_open_breaker_stays_open_and_disabled_never_opens) {
  breaker_record stored;
  stored.state = "open";
  stored.open_until_ms = 10 * minute;
  stored.backoff_ms = 10 * minute;
  stored.trips = 2;
  circuit_breaker b{small_config(), stored};
  BOOST_TEST(b.allowed(9 * minute, 3) == 0);
  BOOST_TEST(b.allowed(10 * minute, 3) == 1);
  auto off = small_config();
  off.enabled = false;
  circuit_breaker d{off, stored};
  BOOST_TEST(d.state().state == "closed");
  for (int i = 0; i < 10; ++i)
    BOOST_TEST((d.record(true, 0) == change::none));
  BOOST_TEST(d.allowed(0, 3) == 3);
}

BOOST_AUTO_TEST_CASE(a_create_ends_when_a_starting_server_moves_on) {
  BOOST_TEST((create_failed(ss::starting, ss::running) == false));
  for (auto s : {ss::errored, ss::hanging, ss::deleted})
    BOOST_TEST((create_failed(ss::starting, s) == true), to_string(s));
  BOOST_TEST(!create_failed(ss::starting, ss::starting).has_value());
  BOOST_TEST(!create_failed(ss::starting, ss::stopping).has_value());
  BOOST_TEST(!create_failed(ss::pending, ss::errored).has_value());
  BOOST_TEST(!create_failed(ss::rebooting, ss::running).has_value());
}

BOOST_AUTO_TEST_CASE(every_change_has_an_event_and_none_has_none) {
  breaker_record b;
  b.reason = "3 of the last 4 creates failed or hung";
  b.backoff_ms = 5 * minute;
  b.trips = 2;
  auto opened = describe_change(change::opened, b);
  BOOST_TEST_REQUIRE(opened.has_value());
  BOOST_TEST(opened->reason == std::string{"CircuitBreakerOpened"});
  BOOST_TEST(opened->message
             == "3 of the last 4 creates failed or hung; no creates for 5m "
                "(opened 2 times)");
  auto half = describe_change(change::half_opened, b);
  BOOST_TEST(half->reason == std::string{"CircuitBreakerHalfOpen"});
  BOOST_TEST(half->message == "backoff of 5m passed; trying one create");
  auto closed = describe_change(change::closed, b);
  BOOST_TEST(closed->reason == std::string{"CircuitBreakerClosed"});
  BOOST_TEST(!describe_change(change::none, b).has_value());
}

BOOST_AUTO_TEST_CASE(closed_means_creates_go_out) {
  circuit_breaker b{small_config(), breaker_record{}};
  BOOST_TEST(b.closed());
  b.record(true, 0);
  b.record(true, 0);
  b.record(true, 0);
  BOOST_TEST(!b.closed());
  auto off = small_config();
  off.enabled = false;
  breaker_record open;
  open.state = "open";
  BOOST_TEST(circuit_breaker(off, open).closed());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(circuit_breaker_pool, node_fixture)

BOOST_AUTO_TEST_CASE(a_pool_whose_creates_fail_stops_creating_and_recovers) {
  quiet_logs quiet;
  auto& fake = use_script();
  add_pool("web", 0);
  auto& pc = ncfg.pools["web"];
  pc.remediation.errored = remediation_action::replace;
  fake.fail_next("create", permanent_422(), 1000);
  start();
  BOOST_REQUIRE(ensure("web", 4));
  // Four creates go out at once and fail; the third failure opens it.
  BOOST_TEST_REQUIRE(
    settle([&] { return !events("CircuitBreakerOpened").empty(); }));
  auto opened_at = events("CircuitBreakerOpened").at(0).at_ms;
  BOOST_TEST(events("CircuitBreakerOpened").at(0).message.find("of the last")
             != std::string::npos);
  auto creates = fake.count("create");
  BOOST_TEST(creates == 4u);
  auto ps = status().at(0);
  BOOST_TEST(ps.breaker.state == "open");
  BOOST_TEST(ps.breaker.trips == 1);
  BOOST_TEST(stored_pool("web").breaker.state == "open"); // persisted
  // No create for 5 minutes, although 4 servers are wanted.
  elapse_until(opened_at + 5 * minute - 1000);
  BOOST_TEST(fake.count("create") == creates);
  BOOST_TEST(count("web", ss::running) == 0u);
  // Then one probe, which fails: 10 minutes, then 20, then 30, then 30.
  int64_t at = opened_at;
  for (int64_t backoff : {5, 10, 20, 30}) {
    auto probes_before = fake.count("create");
    elapse_until(at + backoff * minute + 2000);
    BOOST_TEST(fake.count("create") == probes_before + 1, "after " << backoff);
    BOOST_TEST_REQUIRE(settle([&] {
      return stored_pool("web").breaker.backoff_ms
             == std::min<int64_t>(backoff * 2, 30) * minute;
    }));
    at = stored_pool("web").breaker.open_until_ms
         - stored_pool("web").breaker.backoff_ms;
  }
  BOOST_TEST(events("CircuitBreakerHalfOpen").size() == 4u);
  BOOST_TEST(events("CircuitBreakerOpened").size() == 5u);
  // The cloud recovers: the next probe runs, the breaker closes and the
  // pool fills up.
  fake.clear_script();
  BOOST_TEST_REQUIRE(until_running("web", 4, 3600s));
  BOOST_TEST(events("CircuitBreakerClosed").size() == 1u);
  BOOST_TEST(stored_pool("web").breaker.state == "closed");
  BOOST_TEST(status().at(0).breaker.trips == 5);
  // Every failed create was cleaned up: nothing leaks, nothing is left
  // errored.
  BOOST_TEST(count("web", ss::errored) == 0u);
  BOOST_TEST(cloud->live_count() == 4u);
}

BOOST_AUTO_TEST_CASE(an_open_breaker_survives_a_restart) {
  quiet_logs quiet;
  auto& fake = use_script();
  add_pool("web", 3);
  fake.fail_next("create", permanent_422(), 1000);
  start();
  BOOST_TEST_REQUIRE(
    settle([&] { return !events("CircuitBreakerOpened").empty(); }));
  BOOST_TEST(stored_pool("web").breaker.state == "open");
  // The crash fires every pending timer, so the backoff is over when the
  // node is back, and the cloud works again. A breaker restored as open
  // sends one probe first; a forgotten one would send three creates.
  crash();
  start();
  BOOST_TEST(cloud_calls("create") == 1u);
  BOOST_TEST(events("CircuitBreakerHalfOpen").size() == 1u);
  BOOST_TEST(status().at(0).breaker.trips == 1);
  BOOST_TEST_REQUIRE(until_running("web", 3, 600s));
  BOOST_TEST(cloud_calls("create") == 3u);
  BOOST_TEST(events("CircuitBreakerClosed").size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_disabled_breaker_keeps_creating) {
  quiet_logs quiet;
  auto& fake = use_script();
  add_pool("web", 2);
  ncfg.pools["web"].breaker.enabled = false;
  ncfg.pools["web"].remediation.errored = remediation_action::replace;
  fake.fail_next("create", permanent_422(), 6);
  start();
  BOOST_TEST_REQUIRE(until_running("web", 2, 600s));
  BOOST_TEST(fake.count("create") == 8u);
  BOOST_TEST(events("CircuitBreakerOpened").empty());
}

BOOST_AUTO_TEST_SUITE_END()
