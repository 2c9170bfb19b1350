// The metrics registry: counters, gauges, histograms, labels, threads, and
// the exact text it renders.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <thread>
#include <vector>

#include "messages/types.hpp"
#include "telemetry/metrics.hpp"
#include "tests/metrics/exposition.hpp"

using namespace dynserv;
using namespace dynserv::metrics;
using dynserv::test::parse_exposition;

BOOST_AUTO_TEST_SUITE(registry_tests)

BOOST_AUTO_TEST_CASE(counters_only_go_up_and_gauges_go_both_ways) {
  registry reg;
  auto& c = reg.add("c_total", "a counter", metric_type::counter, {"x"});
  c.counter_with({"a"}).inc();
  c.counter_with({"a"}).inc(2.5);
  c.counter_with({"a"}).inc(-10); // ignored
  BOOST_TEST(c.counter_with({"a"}).value() == 3.5);
  BOOST_TEST(c.counter_with({"b"}).value() == 0);
  auto& g = reg.add("g", "a gauge", metric_type::gauge, {"x"});
  g.gauge_with({"a"}).set(7);
  g.gauge_with({"a"}).add(-9);
  BOOST_TEST(g.gauge_with({"a"}).value() == -2);
}

BOOST_AUTO_TEST_CASE(same_name_returns_the_same_family) {
  registry reg;
  auto& a = reg.add("x_total", "first", metric_type::counter, {"l"});
  auto& b = reg.add("x_total", "second", metric_type::gauge, {"m"});
  BOOST_TEST(&a == &b);
  BOOST_TEST(b.help() == "first");
  BOOST_TEST((b.type() == metric_type::counter));
}

BOOST_AUTO_TEST_CASE(histogram_buckets_include_their_upper_bound) {
  histogram h{{0.1, 1, 10}};
  for (auto x : {0.05, 0.1, 0.5, 1.0, 10.0, 11.0, 1e9})
    h.observe(x);
  auto counts = h.cumulative_counts();
  BOOST_TEST_REQUIRE(counts.size() == 4u);
  BOOST_TEST(counts[0] == 2u); // 0.05, 0.1
  BOOST_TEST(counts[1] == 4u); // + 0.5, 1
  BOOST_TEST(counts[2] == 5u); // + 10
  BOOST_TEST(counts[3] == 7u); // + 11, 1e9
  BOOST_TEST(h.sum() == 0.05 + 0.1 + 0.5 + 1.0 + 10.0 + 11.0 + 1e9);
}

BOOST_AUTO_TEST_CASE(concurrent_updates_lose_nothing) {
  registry reg;
  auto& c = reg.add("c_total", "c", metric_type::counter, {"t"});
  auto& g = reg.add("g", "g", metric_type::gauge, {"t"});
  auto& h = reg.add("h", "h", metric_type::histogram, {"t"}, {1, 2});
  constexpr int threads = 4;
  constexpr int rounds = 20000;
  std::vector<std::thread> workers;
  for (int i = 0; i < threads; ++i)
    workers.emplace_back([&, i] {
      for (int j = 0; j < rounds; ++j) {
        // Half the series are new to the family: creation races lookups.
        auto label = std::to_string(j % 50);
        c.counter_with({label}).inc();
        g.gauge_with({"all"}).add(i % 2 == 0 ? 1 : -1);
        h.histogram_with({"all"}).observe(1.5);
        if (j % 1000 == 0)
          reg.render();
      }
    });
  for (auto& w : workers)
    w.join();
  double total = 0;
  for (int k = 0; k < 50; ++k)
    total += c.counter_with({std::to_string(k)}).value();
  BOOST_TEST(total == threads * rounds);
  BOOST_TEST(g.gauge_with({"all"}).value() == 0);
  auto counts = h.histogram_with({"all"}).cumulative_counts();
  BOOST_TEST(counts[0] == 0u);
  BOOST_TEST(counts[1] == uint64_t{threads * rounds});
  BOOST_TEST(h.histogram_with({"all"}).sum() == 1.5 * threads * rounds);
}

BOOST_AUTO_TEST_CASE(values_are_formatted_for_prometheus) {
  BOOST_TEST(format_value(0) == "0");
  BOOST_TEST(format_value(-3) == "-3");
  BOOST_TEST(format_value(1234567890123) == "1234567890123");
  BOOST_TEST(format_value(0.25) == "0.25");
  BOOST_TEST(format_value(0.1) == "0.1");
  BOOST_TEST(format_value(HUGE_VAL) == "+Inf");
  BOOST_TEST(format_value(-HUGE_VAL) == "-Inf");
  BOOST_TEST(format_value(NAN) == "NaN");
  BOOST_TEST(format_value(1e300) == "1e+300");
}

BOOST_AUTO_TEST_CASE(label_values_and_help_are_escaped) {
  BOOST_TEST(escape_label_value("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
  BOOST_TEST(escape_help("x\\y\nz \"q\"") == "x\\\\y\\nz \"q\"");
}

BOOST_AUTO_TEST_CASE(render_writes_text_format_0_0_4_exactly) {
  registry reg;
  auto& c = reg.add("req_total", "Requests.\nSecond line \\ done.",
                    metric_type::counter, {"code", "path"});
  c.counter_with({"200", "/a"}).inc(3);
  c.counter_with({"500", "we\"ird\\\n"}).inc();
  auto& g = reg.add("up", "Up.", metric_type::gauge);
  g.gauge_with({}).set(1);
  auto& h = reg.add("lat_seconds", "Latency.", metric_type::histogram, {"op"},
                    {0.5, 0.1, HUGE_VAL}); // unsorted, explicit +Inf
  h.histogram_with({"get"}).observe(0.05);
  h.histogram_with({"get"}).observe(0.3);
  h.histogram_with({"get"}).observe(2);
  reg.add("empty", "No series yet.", metric_type::gauge, {"x"});
  auto expected = std::string{
    "# HELP req_total Requests.\\nSecond line \\\\ done.\n"
    "# TYPE req_total counter\n"
    "req_total{code=\"200\",path=\"/a\"} 3\n"
    "req_total{code=\"500\",path=\"we\\\"ird\\\\\\n\"} 1\n"
    "# HELP up Up.\n"
    "# TYPE up gauge\n"
    "up 1\n"
    "# HELP lat_seconds Latency.\n"
    "# TYPE lat_seconds histogram\n"
    "lat_seconds_bucket{op=\"get\",le=\"0.1\"} 1\n"
    "lat_seconds_bucket{op=\"get\",le=\"0.5\"} 2\n"
    "lat_seconds_bucket{op=\"get\",le=\"+Inf\"} 3\n"
    "lat_seconds_sum{op=\"get\"} 2.35\n"
    "lat_seconds_count{op=\"get\"} 3\n"
    "# HELP empty No series yet.\n"
    "# TYPE empty gauge\n"};
  auto text = reg.render();
  BOOST_TEST(text == expected);
  auto parsed = parse_exposition(text);
  BOOST_TEST_REQUIRE(parsed.error.empty(), parsed.error);
  BOOST_TEST(
    parsed.value_or_zero("req_total{code=\"500\",path=\"we\"ird\\\n\"}") == 1);
}

BOOST_AUTO_TEST_CASE(missing_label_values_render_empty) {
  registry reg;
  auto& g = reg.add("g", "g", metric_type::gauge, {"a", "b"});
  g.gauge_with({"x"}).set(2);
  g.gauge_with({"x", "y", "dropped"}).set(3);
  auto text = reg.render();
  BOOST_TEST(text.find("g{a=\"x\",b=\"\"} 2\n") != std::string::npos);
  BOOST_TEST(text.find("g{a=\"x\",b=\"y\"} 3\n") != std::string::npos);
  BOOST_TEST(text.find("dropped") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(provider_calls_are_labelled_by_code_or_kind) {
  registry reg;
  node_metrics m{reg};
  provider_reply ok;
  ok.budget.remaining = 3599;
  ok.budget.limit = 3600;
  m.provider_call("hz", "create", ok, 0.2);
  provider_reply limited;
  limited.error = {error_kind::rate_limited, "429", "slow down", 1000};
  m.provider_call("hz", "create", limited, 0.01);
  provider_reply gone;
  gone.error = {error_kind::not_found, "SERVER_NOT_FOUND", "no such", 0};
  m.provider_call("hz", "get", gone, 0.02);
  provider_reply dropped;
  dropped.error = {error_kind::transient, "", "connection reset", 0};
  m.provider_call("hz", "list", dropped, 7);
  m.provider_tokens("hz", 4.5);
  m.pool_desired("web", 3);
  m.time_to_running("web", 42);
  m.server_transition("web", server_status::starting, server_status::running);
  auto parsed = parse_exposition(reg.render());
  BOOST_TEST_REQUIRE(parsed.error.empty(), parsed.error);
  // -1 marks a missing series.
  auto v = [&](const std::string& key) { return parsed.get(key).value_or(-1); };
  BOOST_TEST(
    v("dynserv_provider_requests_total{code=\"ok\",operation=\"create\","
      "provider=\"hz\"}")
    == 1);
  BOOST_TEST(
    v("dynserv_provider_requests_total{code=\"429\",operation=\"create\","
      "provider=\"hz\"}")
    == 1);
  BOOST_TEST(v("dynserv_provider_requests_total{code=\"not_found\",operation="
               "\"get\",provider=\"hz\"}")
             == 1);
  BOOST_TEST(v("dynserv_provider_requests_total{code=\"transient\",operation="
               "\"list\",provider=\"hz\"}")
             == 1);
  BOOST_TEST(v("dynserv_errors_total{kind=\"rate_limited\"}") == 1);
  BOOST_TEST(v("dynserv_errors_total{kind=\"not_found\"}") == 1);
  BOOST_TEST(v("dynserv_errors_total{kind=\"transient\"}") == 1);
  BOOST_TEST(!parsed.get("dynserv_errors_total{kind=\"none\"}"));
  // Only a reply that carried a budget moves the gauge.
  BOOST_TEST(v("dynserv_provider_budget_remaining{provider=\"hz\"}") == 3599);
  BOOST_TEST(v("dynserv_provider_tokens{provider=\"hz\"}") == 4.5);
  BOOST_TEST(v("dynserv_provider_request_duration_seconds_count{operation="
               "\"create\",provider=\"hz\"}")
             == 2);
  BOOST_TEST(v("dynserv_provider_request_duration_seconds_bucket{le=\"5\","
               "operation=\"list\",provider=\"hz\"}")
             == 0);
  BOOST_TEST(v("dynserv_provider_request_duration_seconds_bucket{le=\"10\","
               "operation=\"list\",provider=\"hz\"}")
             == 1);
  BOOST_TEST(v("dynserv_pool_desired{pool=\"web\"}") == 3);
  BOOST_TEST(v("dynserv_time_to_running_seconds_sum{pool=\"web\"}") == 42);
  BOOST_TEST(v("dynserv_server_transitions_total{from=\"starting\",to="
               "\"running\"}")
             == 1);
  BOOST_TEST(parsed.types["dynserv_build_info"] == "gauge");
  auto build = std::find_if(parsed.samples.begin(), parsed.samples.end(),
                            [](const auto& s) {
                              return s.name == "dynserv_build_info";
                            });
  BOOST_TEST_REQUIRE((build != parsed.samples.end()));
  BOOST_TEST(build->value == 1);
  BOOST_TEST_REQUIRE(build->labels.size() == 1u);
  BOOST_TEST(build->labels[0].first == "version");
  BOOST_TEST(!build->labels[0].second.empty());
}

BOOST_AUTO_TEST_SUITE_END()
