// Scaling policies on a whole node (deterministic scheduler, virtual
// clock): fixed and http_metric policies, guardrails in action, metric
// failures that hold the count, pause/resume, dry-run, decision records
// (query, retention, restart) and a flapping metric over an hour.
#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>
#include <vector>

#include "tests/fixtures/node_fixture.hpp"

using namespace dynserv;
using namespace dynserv::test;

namespace {

/// A metric the test controls: a value, or a failure.
struct fake_metric {
  double value = 0;
  std::string error;
  int fetches = 0;
};

struct policy_fixture : node_fixture {
  std::shared_ptr<fake_metric> metric = std::make_shared<fake_metric>();

  policy_fixture() {
    ncfg.policy_interval = 60s;
    auto m = metric;
    fetch_metric = [m](const http_metric_spec&) {
      ++m->fetches;
      if (!m->error.empty())
        return metric_sample{false, 0, m->error};
      return metric_sample{true, m->value, ""};
    };
  }

  /// A pool on the "queue wait / 10" rule (pool max 20).
  void add_metric_pool(const std::string& name, guardrail_config g = {}) {
    add_pool(name, 0, 0, 20);
    auto& p = ncfg.pools[name].policy;
    p.kind = policy_kind::http_metric;
    p.http_metric.url = "http://127.0.0.1:1/horizon/api/stats";
    p.http_metric.pointer = "/wait/redis:default";
    p.http_metric.per_server = 10;
    p.guardrails = g;
  }

  std::vector<decision_record> decisions(const std::string& pool,
                                         uint32_t limit = 1000) {
    auto res = ask<std::vector<decision_record>>(node(), atom::decisions_v,
                                                 pool, limit);
    BOOST_REQUIRE_MESSAGE(res, "decisions failed: " << outcome(res));
    return std::move(*res);
  }

  decision_record evaluate(const std::string& pool) {
    auto res = ask<decision_record>(this->pool(pool), atom::evaluate_v);
    BOOST_REQUIRE_MESSAGE(res, "evaluate failed: " << outcome(res));
    return std::move(*res);
  }

  int64_t desired(const std::string& pool) {
    return stored_pool(pool).desired;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(policy_tests, policy_fixture)

BOOST_AUTO_TEST_CASE(fixed_policy_sets_the_count_and_records_why) {
  add_pool("web", 0);
  auto& p = ncfg.pools["web"].policy;
  p.kind = policy_kind::fixed;
  p.fixed_count = 3;
  start();
  BOOST_TEST(desired("web") == 3);
  BOOST_TEST_REQUIRE(until_running("web", 3));
  auto ds = decisions("web");
  BOOST_TEST_REQUIRE(ds.size() >= 1u);
  const auto& first = ds.back();
  BOOST_TEST(first.policy == "fixed");
  BOOST_TEST(first.input == "fixed count 3");
  BOOST_TEST(first.wanted == 3);
  BOOST_TEST(first.result == 3);
  BOOST_TEST(first.mode == "applied");
  BOOST_TEST(first.applied);
  BOOST_TEST(first.summary == "wanted 3; creating 3");
  auto changed = events("DesiredCountChanged");
  BOOST_TEST_REQUIRE(changed.size() == 1u);
  BOOST_TEST(changed[0].message == "0 -> 3 (policy: wanted 3; creating 3)");
}

BOOST_AUTO_TEST_CASE(queue_wait_over_ten_in_config_alone) {
  add_metric_pool("workers");
  metric->value = 42; // seconds of wait: ceil(42 / 10) = 5
  start();
  BOOST_TEST(metric->fetches == 1);
  BOOST_TEST(desired("workers") == 5);
  auto d = decisions("workers").front();
  BOOST_TEST(d.input == "metric 42 at /wait/redis:default = ceil(42 / 10) = 5");
  BOOST_TEST(d.summary == "wanted 5; creating 5");
  // One interval later the metric is read again.
  metric->value = 75;
  advance(60s);
  BOOST_TEST(metric->fetches == 2);
  BOOST_TEST(desired("workers") == 8);
  BOOST_TEST(decisions("workers").front().summary
             == "wanted 8; 5 starting; creating 3");
}

BOOST_AUTO_TEST_CASE(node_limit_is_a_recorded_guardrail) {
  ncfg.max_servers = 9;
  add_metric_pool("workers");
  metric->value = 120; // wants 12
  start();
  BOOST_TEST(desired("workers") == 9);
  auto d = decisions("workers").front();
  BOOST_TEST(d.wanted == 12);
  BOOST_TEST(d.result == 9);
  BOOST_TEST_REQUIRE(d.steps.size() == 1u);
  BOOST_TEST(d.steps[0].name == "max_servers");
  BOOST_TEST(d.summary
             == "wanted 12; max 9 by limits.max_servers (0 of 9 in use); "
                "creating 9");
  // Nothing is asked of the node beyond the limit.
  BOOST_TEST(events("ServerLimitHit").empty());
}

BOOST_AUTO_TEST_CASE(failing_metric_holds_the_count_and_raises_an_event) {
  add_metric_pool("workers");
  metric->value = 30;
  start();
  BOOST_TEST(desired("workers") == 3);
  metric->error = "HTTP 500 (body starts with \"oops\")";
  advance(60s);
  advance(60s);
  BOOST_TEST(desired("workers") == 3); // never zero
  auto d = decisions("workers").front();
  BOOST_TEST(d.mode == "held");
  BOOST_TEST(d.wanted == -1);
  BOOST_TEST(d.result == 3);
  BOOST_TEST(d.summary
             == "metric unavailable: HTTP 500 (body starts with \"oops\"); "
                "holding 3");
  // One event per failure streak, not one per evaluation.
  auto failed = events("PolicyMetricFailed");
  BOOST_TEST_REQUIRE(failed.size() == 1u);
  BOOST_TEST(failed[0].pool == "workers");
  BOOST_TEST(failed[0].message
             == "metric unavailable: HTTP 500 (body starts with \"oops\"); "
                "holding the count");
  metric->error.clear();
  metric->value = 50;
  advance(60s);
  BOOST_TEST(desired("workers") == 5);
  BOOST_TEST(events("PolicyMetricRecovered").size() == 1u);
}

BOOST_AUTO_TEST_CASE(pause_records_without_acting_and_survives_restarts) {
  add_metric_pool("workers");
  metric->value = 20;
  start();
  BOOST_TEST(desired("workers") == 2);
  auto paused = ask<pool_status>(node(), atom::pause_v, std::string{"workers"});
  BOOST_REQUIRE_MESSAGE(paused, outcome(paused));
  BOOST_TEST(paused->paused);
  BOOST_TEST(paused->policy == "http_metric");
  BOOST_TEST(stored_pool("workers").paused);
  BOOST_TEST(events("PolicyPaused").size() == 1u);
  metric->value = 60;
  advance(60s);
  BOOST_TEST(desired("workers") == 2);
  auto d = decisions("workers").front();
  BOOST_TEST(d.mode == "paused");
  BOOST_TEST(!d.applied);
  BOOST_TEST(d.summary.find("paused, would be: creating 4")
               != std::string::npos,
             d.summary);
  // An operator still sets the count while paused.
  BOOST_TEST(static_cast<bool>(ensure("workers", 4)));
  advance(60s);
  BOOST_TEST(desired("workers") == 4);
  // The flag is persisted: still paused after a restart.
  crash();
  start();
  advance(60s);
  BOOST_TEST(desired("workers") == 4);
  BOOST_TEST(decisions("workers").front().mode == "paused");
  auto resumed = ask<pool_status>(node(), atom::resume_v,
                                  std::string{"workers"});
  BOOST_REQUIRE(resumed);
  BOOST_TEST(!resumed->paused);
  advance(60s);
  BOOST_TEST(desired("workers") == 6);
  BOOST_TEST(events("PolicyResumed").size() == 1u);
  // Unknown pools are refused.
  auto bad = ask<pool_status>(node(), atom::pause_v, std::string{"nope"});
  BOOST_REQUIRE(!bad);
  BOOST_TEST(is_error(bad.error(), ec::unknown_pool));
}

BOOST_AUTO_TEST_CASE(dry_run_records_decisions_and_does_nothing) {
  guardrail_config g;
  g.dry_run = true;
  add_metric_pool("workers", g);
  metric->value = 90;
  start();
  elapse(5min, 60s);
  BOOST_TEST(desired("workers") == 0);
  BOOST_TEST(stored_servers("workers").empty());
  BOOST_TEST(cloud_calls("create") == 0u);
  auto ds = decisions("workers");
  BOOST_TEST(ds.size() == 6u);
  for (const auto& d : ds) {
    BOOST_TEST(d.mode == "dry_run");
    BOOST_TEST(d.result == 9);
    BOOST_TEST(d.summary == "wanted 9; dry run, would be: creating 9");
  }
  BOOST_TEST(events("DesiredCountChanged").empty());
  auto st = status();
  BOOST_TEST(st[0].dry_run);
}

BOOST_AUTO_TEST_CASE(flapping_metric_over_an_hour_makes_no_flapping_fleet) {
  guardrail_config g; // stabilization 5m by default
  g.scale_down_cooldown = 2min;
  add_metric_pool("workers", g);
  metric->value = 95;
  start();
  for (int minute = 1; minute <= 60; ++minute) {
    metric->value = minute % 2 == 0 ? 95 : 5;
    elapse(60s, 5s);
  }
  BOOST_TEST(desired("workers") == 10);
  // Up once, never down: no server was stopped.
  auto changed = events("DesiredCountChanged");
  BOOST_TEST(changed.size() == 1u);
  BOOST_TEST(count("workers", server_status::stopping) == 0u);
  BOOST_TEST(count("workers", server_status::deleted) == 0u);
  BOOST_TEST(cloud_calls("create") == 10u);
  // The decisions say why the count held.
  auto ds = decisions("workers", 2);
  const auto& low = ds[0].wanted == 1 ? ds[0] : ds[1];
  BOOST_TEST_REQUIRE(low.steps.size() == 1u);
  BOOST_TEST(low.steps[0].name == "stabilization");
  BOOST_TEST(low.summary
             == "wanted 1; held at 10 by stabilization_window 5m (highest "
                "recommendation 10); no change");
}

BOOST_AUTO_TEST_CASE(a_restart_keeps_the_stabilization_window) {
  // Long enough to outlast the fixture's crash, which fires every pending
  // timer and so moves the virtual clock by several minutes.
  guardrail_config g;
  g.stabilization_window = 30min;
  add_metric_pool("workers", g);
  metric->value = 80;
  start();
  BOOST_TEST(desired("workers") == 8);
  advance(60s);
  crash();
  metric->value = 0;
  start();
  // Right after the restart the window still holds the 8.
  BOOST_TEST(desired("workers") == 8);
  auto d = decisions("workers").front();
  BOOST_TEST(d.wanted == 0);
  BOOST_TEST_REQUIRE(d.steps.size() == 1u);
  BOOST_TEST(d.steps[0].name == "stabilization");
  auto restarted = now_ms();
  // Once the last 8 (before the crash) leaves the window, it scales down.
  BOOST_TEST(settle([&] { return desired("workers") == 0; }, 31min));
  BOOST_TEST(now_ms() - restarted < 30 * 60'000);
  BOOST_TEST(now_ms() - restarted > 15 * 60'000);
}

BOOST_AUTO_TEST_CASE(decisions_are_queryable_and_pruned) {
  ncfg.decision_retention = 15min;
  add_metric_pool("workers");
  metric->value = 10;
  start();
  elapse(30min, 60s);
  auto ds = decisions("workers", 1000);
  // The node prunes every 10 minutes: at 30 min everything older than
  // 15 min went, so 15 to 16 remain, newest first.
  BOOST_TEST(ds.size() >= 15u);
  BOOST_TEST(ds.size() <= 16u);
  for (size_t i = 1; i < ds.size(); ++i)
    BOOST_TEST_REQUIRE(ds[i - 1].at_ms > ds[i].at_ms);
  BOOST_TEST(ds.back().at_ms >= now_ms() - 16 * 60'000);
  BOOST_TEST(decisions("workers", 3).size() == 3u);
  auto bad = ask<std::vector<decision_record>>(
    node(), atom::decisions_v, std::string{"nope"}, uint32_t{10});
  BOOST_REQUIRE(!bad);
  BOOST_TEST(is_error(bad.error(), ec::unknown_pool));
  // A pool without a policy has no decisions and cannot evaluate.
  add_pool("manual", 0);
  stop();
  start();
  BOOST_TEST(decisions("manual").empty());
  auto ev = ask<decision_record>(pool("manual"), atom::evaluate_v);
  BOOST_REQUIRE(!ev);
  BOOST_TEST(is_error(ev.error(), ec::invalid_argument));
}

BOOST_AUTO_TEST_CASE(scale_up_step_and_in_flight_pace_creations) {
  guardrail_config g;
  g.scale_up_step = 4;
  g.max_in_flight = 3;
  add_metric_pool("workers", g);
  metric->value = 200; // wants 20
  start();
  auto d = decisions("workers").front();
  BOOST_TEST(d.result == 3);
  BOOST_TEST(d.summary
             == "wanted 20; max 4 by scale_up_step 4; max 3 by max_in_flight "
                "3 (0 starting); creating 3");
  // While those three start, nothing more is created.
  auto second = evaluate("workers");
  BOOST_TEST(second.result == 3);
  BOOST_TEST_REQUIRE(until_running("workers", 3));
  auto third = evaluate("workers");
  BOOST_TEST(third.result == 6);
}

BOOST_AUTO_TEST_CASE(callbacks_decide_like_determine_server_count) {
  add_pool("workers", 0);
  ncfg.pools["workers"].policy.kind = policy_kind::callback;
  add_pool("orphan", 0);
  ncfg.pools["orphan"].policy.kind = policy_kind::callback;
  auto wait = std::make_shared<int64_t>(42);
  auto throws = std::make_shared<bool>(false);
  callbacks["workers"]
    = [wait, throws](const std::string& pool) -> std::optional<int64_t> {
    BOOST_TEST(pool == "workers");
    if (*throws)
      throw std::runtime_error("queue unreachable");
    if (*wait < 0)
      return std::nullopt;
    return (*wait + 9) / 10;
  };
  start();
  BOOST_TEST(desired("workers") == 5);
  BOOST_TEST(decisions("workers").front().input == "callback returned 5");
  *throws = true;
  advance(60s);
  BOOST_TEST(desired("workers") == 5);
  BOOST_TEST(decisions("workers").front().summary
             == "callback unavailable: the callback threw: queue unreachable; "
                "5 starting; holding 5");
  auto failed = events("PolicyMetricFailed");
  BOOST_TEST(std::count_if(failed.begin(), failed.end(),
                           [](const auto& ev) { return ev.pool == "workers"; })
             == 1);
  *throws = false;
  *wait = -1;
  advance(60s);
  BOOST_TEST(decisions("workers").front().mode == "held");
  *wait = 0;
  elapse(6min, 60s);
  BOOST_TEST(desired("workers") == 0);
  // A callback policy without a callback holds its count.
  auto d = decisions("orphan").front();
  BOOST_TEST(d.mode == "held");
  BOOST_TEST(d.input == "no callback registered for this pool");
}

BOOST_AUTO_TEST_SUITE_END()
