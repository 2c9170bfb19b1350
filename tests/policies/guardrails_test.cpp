// The guardrail pipeline as a table: each step changes the count or not,
// with its recorded text; the decision texts; and a flapping metric over a
// simulated hour that must not make a flapping fleet.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "policies/guardrails.hpp"
#include "policies/http_metric.hpp"

using namespace dynserv;
using namespace std::chrono_literals;

namespace {

constexpr int64_t t0 = 1'700'000'000'000;

/// A pool of 0..10 on a node with room for 20, no history, no limits but
/// the defaults (stabilization 5 minutes).
guardrail_input base(int64_t wanted, int64_t active = 3) {
  guardrail_input in;
  in.wanted = wanted;
  in.pool = {active, active, 0, 0, 10};
  in.node = {20, active};
  in.now_ms = t0;
  return in;
}

std::string steps_of(const guardrail_result& r) {
  std::string res;
  for (const auto& s : r.steps)
    res += (res.empty() ? "" : " | ") + s.name + " " + std::to_string(s.before)
           + "->" + std::to_string(s.after) + ": " + s.why;
  return res;
}

struct row {
  const char* what;
  guardrail_input in;
  int64_t count;
  const char* steps;
};

} // namespace

BOOST_AUTO_TEST_SUITE(guardrail_tests)

BOOST_AUTO_TEST_CASE(table) {
  std::vector<row> rows;
  rows.push_back({"nothing to do", base(3), 3, ""});
  rows.push_back({"plain scale-up", base(7), 7, ""});
  rows.push_back({"negative wants zero", base(-4, 0), 0, ""});
  {
    auto in = base(12);
    rows.push_back(
      {"pool max", in, 10, "pool_bounds 12->10: max 10 by the pool's max"});
  }
  {
    auto in = base(0);
    in.pool.min = 2;
    in.cfg.stabilization_window = 0ms;
    rows.push_back(
      {"pool min", in, 2, "pool_bounds 0->2: min 2 by the pool's min"});
  }
  {
    // 3 active (all starting) in a pool; 14 of 20 in use node-wide.
    auto in = base(12);
    in.pool.max = 20;
    in.pool.starting = 3;
    in.node.allocated = 14;
    rows.push_back({"node max_servers", in, 9,
                    "max_servers 12->9: max 9 by limits.max_servers (14 of 20 "
                    "in use)"});
  }
  {
    auto in = base(2);
    in.node.allocated = 20; // the node is full: scale-down still fine
    in.cfg.stabilization_window = 0ms;
    rows.push_back({"full node allows scale-down", in, 2, ""});
  }
  {
    auto in = base(9);
    in.cfg.scale_up_step = 2;
    rows.push_back(
      {"scale-up step", in, 5, "scale_up_step 9->5: max 5 by scale_up_step 2"});
  }
  {
    auto in = base(9);
    in.cfg.max_in_flight = 4;
    in.pool.starting = 3;
    rows.push_back({"in flight", in, 4,
                    "max_in_flight 9->4: max 4 by max_in_flight 4 (3 "
                    "starting)"});
  }
  {
    auto in = base(9);
    in.cfg.max_in_flight = 2;
    in.pool.starting = 3; // already above the cap: hold, never shrink
    rows.push_back({"in flight above cap holds", in, 3,
                    "max_in_flight 9->3: max 3 by max_in_flight 2 (3 "
                    "starting)"});
  }
  {
    auto in = base(9);
    in.cfg.scale_up_step = 4;
    in.cfg.max_in_flight = 2;
    rows.push_back({"both up limits", in, 5,
                    "scale_up_step 9->7: max 7 by scale_up_step 4 | "
                    "max_in_flight 7->5: max 5 by max_in_flight 2 (0 "
                    "starting)"});
  }
  {
    auto in = base(1, 6);
    in.history = {{t0 - 4 * 60'000, 5}, {t0 - 6 * 60'000, 9}};
    rows.push_back({"stabilization", in, 5,
                    "stabilization 1->5: held at 5 by stabilization_window 5m "
                    "(highest recommendation 5)"});
  }
  {
    auto in = base(1, 6);
    in.history = {{t0 - 60'000, 9}};
    rows.push_back({"stabilization never raises above active", in, 6,
                    "stabilization 1->6: held at 6 by stabilization_window 5m "
                    "(highest recommendation 9)"});
  }
  {
    auto in = base(1, 6);
    in.history = {{t0 - 6 * 60'000, 9}};
    rows.push_back({"old recommendations expire", in, 1, ""});
  }
  {
    auto in = base(2, 6);
    in.cfg.stabilization_window = 0ms;
    in.cfg.scale_down_cooldown = 2min;
    in.last_change_ms = t0 - 40'000;
    rows.push_back({"cooldown", in, 6,
                    "cooldown 2->6: held at 6 by scale_down_cooldown 2m (last "
                    "change 40s ago)"});
  }
  {
    auto in = base(2, 6);
    in.cfg.stabilization_window = 0ms;
    in.cfg.scale_down_cooldown = 2min;
    in.last_change_ms = t0 - 120'000;
    rows.push_back({"cooldown over", in, 2, ""});
  }
  {
    auto in = base(9, 6);
    in.cfg.scale_down_cooldown = 2min;
    in.last_change_ms = t0 - 1'000;
    rows.push_back({"cooldown does not stop scale-up", in, 9, ""});
  }
  {
    auto in = base(9);
    in.api_budget = 2;
    rows.push_back({"api budget", in, 5,
                    "api_budget 9->5: max 5 by the provider's API budget (2 "
                    "calls left)"});
  }
  {
    auto in = base(1);
    in.api_budget = 0;
    in.cfg.stabilization_window = 0ms;
    rows.push_back({"api budget does not stop scale-down", in, 1, ""});
  }
  {
    auto in = base(30);
    in.pool.max = 20;
    in.node.allocated = 10;
    in.cfg.scale_up_step = 5;
    in.api_budget = 3;
    rows.push_back({"every up step in order", in, 6,
                    "pool_bounds 30->20: max 20 by the pool's max | "
                    "max_servers 20->13: max 13 by limits.max_servers (10 of "
                    "20 in use) | scale_up_step 13->8: max 8 by scale_up_step "
                    "5 | api_budget 8->6: max 6 by the provider's API budget "
                    "(3 calls left)"});
  }
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.what) {
      auto res = run_guardrails(r.in);
      BOOST_TEST(res.count == r.count);
      BOOST_TEST(steps_of(res) == std::string{r.steps});
    }
  }
}

BOOST_AUTO_TEST_CASE(decision_texts) {
  decision_record d;
  d.wanted = 12;
  d.steps = {{"max_servers", 12, 9, "max 9 by limits.max_servers"}};
  d.starting = 3;
  d.active = 3;
  d.result = 9;
  d.mode = "applied";
  d.action = action_text(d.active, d.result);
  BOOST_TEST(d.action == "creating 6");
  BOOST_TEST(summary_text(d)
             == "wanted 12; max 9 by limits.max_servers; 3 starting; "
                "creating 6");
  d.mode = "dry_run";
  BOOST_TEST(summary_text(d)
             == "wanted 12; max 9 by limits.max_servers; 3 starting; dry run, "
                "would be: creating 6");
  d.mode = "paused";
  d.starting = 0;
  d.steps.clear();
  BOOST_TEST(summary_text(d) == "wanted 12; paused, would be: creating 6");
  decision_record held;
  held.wanted = -1;
  held.input = "metric unavailable: HTTP 500";
  held.action = "holding 4";
  held.mode = "held";
  BOOST_TEST(summary_text(held) == "metric unavailable: HTTP 500; holding 4");
  BOOST_TEST(action_text(5, 2) == "stopping 3");
  BOOST_TEST(action_text(2, 2) == "no change");
  BOOST_TEST(short_duration(300'000ms) == "5m");
  BOOST_TEST(short_duration(90'000ms) == "90s");
  BOOST_TEST(short_duration(250ms) == "250ms");
  BOOST_TEST(short_duration(2h) == "2h");
}

BOOST_AUTO_TEST_CASE(history_trimming) {
  std::deque<recommendation> h{
    {t0 - 400'000, 1}, {t0 - 300'000, 2}, {t0 - 10'000, 3}};
  trim_history(h, t0, 5min);
  BOOST_TEST_REQUIRE(h.size() == 1u);
  BOOST_TEST(h.front().count == 3);
}

BOOST_AUTO_TEST_CASE(flapping_metric_makes_no_flapping_fleet) {
  // A Horizon wait time that jumps between 5 s and 95 s every minute for an
  // hour, evaluated every minute; the fleet follows the decisions at once
  // (the worst case for flapping).
  http_metric_spec spec;
  spec.pointer = "/wait/redis:default";
  spec.per_server = 10;
  guardrail_config cfg; // defaults: stabilization 5m
  cfg.scale_down_cooldown = 2min;
  pool_view pool{1, 1, 0, 0, 20};
  std::deque<recommendation> history;
  int64_t last_change = 0;
  std::vector<int64_t> counts;
  int changes = 0;
  int downs = 0;
  for (int minute = 0; minute < 60; ++minute) {
    auto now = t0 + minute * 60'000;
    double wait = minute % 2 == 0 ? 95 : 5;
    auto out = metric_output(spec, metric_sample{true, wait, ""});
    guardrail_input in;
    in.wanted = out.count;
    in.pool = pool;
    in.node = {50, pool.active};
    in.history.assign(history.begin(), history.end());
    in.last_change_ms = last_change;
    in.now_ms = now;
    in.cfg = cfg;
    auto res = run_guardrails(in);
    history.push_back({now, out.count});
    trim_history(history, now, cfg.stabilization_window);
    if (res.count != pool.desired) {
      ++changes;
      downs += res.count < pool.desired;
      last_change = now;
    }
    pool.desired = pool.active = res.count;
    counts.push_back(res.count);
  }
  // Up to 10 at the first peak, then held there: one change, no scale-down.
  BOOST_TEST(changes == 1);
  BOOST_TEST(downs == 0);
  BOOST_TEST(counts.back() == 10);
  // Once the load is gone for good, the fleet shrinks after the window.
  int64_t minute = 60;
  int64_t first_down = -1;
  for (; minute < 80; ++minute) {
    auto now = t0 + minute * 60'000;
    guardrail_input in;
    in.wanted = 1;
    in.pool = pool;
    in.node = {50, pool.active};
    in.history.assign(history.begin(), history.end());
    in.last_change_ms = last_change;
    in.now_ms = now;
    in.cfg = cfg;
    auto res = run_guardrails(in);
    history.push_back({now, 1});
    trim_history(history, now, cfg.stabilization_window);
    if (res.count < pool.active && first_down < 0)
      first_down = minute;
    pool.desired = pool.active = res.count;
  }
  // The last 95 s reading was at minute 58; five minutes later it leaves
  // the window.
  BOOST_TEST(first_down == 63);
  BOOST_TEST(pool.active == 1);
}

BOOST_AUTO_TEST_SUITE_END()
