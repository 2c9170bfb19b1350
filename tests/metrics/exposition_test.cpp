// The exposition checkers: the test parser rejects broken text, and promtool
// accepts what the node renders.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <sys/wait.h>

#include "messages/types.hpp"
#include "telemetry/metrics.hpp"
#include "tests/fixtures/temp_dir.hpp"
#include "tests/metrics/exposition.hpp"

using namespace dynserv;
using namespace dynserv::metrics;
using dynserv::test::parse_exposition;

namespace {

/// A registry with every node metric and awkward label values.
std::string sample_text(registry& reg) {
  node_metrics m{reg};
  m.server_added("web \"blue\"\\green\n", server_status::running);
  m.server_transition("web", server_status::pending, server_status::starting);
  m.pool_desired("web", 3);
  provider_reply r;
  r.error = {error_kind::rate_limited, "429", "x", 5};
  r.budget.remaining = 0;
  m.provider_call("hz", "create", r, 0.3);
  m.provider_tokens("hz", HUGE_VAL);
  m.time_to_running("web", 12.5);
  m.breaker_state("web", "open");
  m.breaker_opened("web");
  m.rollout_remaining("web", 3);
  m.remediated("web", server_status::hanging);
  m.expired("web");
  return reg.render();
}

/// Runs `promtool check metrics` on `text`; returns its exit code and output.
std::pair<int, std::string> promtool(const std::string& text) {
  dynserv::test::temp_dir tmp{"dynserv-promtool"};
  auto in = tmp.path + "/metrics.txt";
  auto out = tmp.path + "/out.txt";
  std::ofstream{in} << text;
  auto cmd = "promtool check metrics < '" + in + "' > '" + out + "' 2>&1";
  auto rc = std::system(cmd.c_str());
  std::ifstream f{out};
  std::stringstream ss;
  ss << f.rdbuf();
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, ss.str()};
}

bool have_promtool() {
  return std::system("command -v promtool >/dev/null 2>&1") == 0;
}

} // namespace

BOOST_AUTO_TEST_SUITE(exposition_tests)

BOOST_AUTO_TEST_CASE(the_parser_rejects_broken_text) {
  auto bad = [](const std::string& text) {
    return !parse_exposition(text).error.empty();
  };
  BOOST_TEST(!bad("# TYPE a counter\na 1\n"));
  BOOST_TEST(bad("# TYPE a counter\na 1"));            // no final newline
  BOOST_TEST(bad("# TYPE a counter\na -1\n"));         // negative counter
  BOOST_TEST(bad("a{b=\"x} 1\n"));                     // unterminated value
  BOOST_TEST(bad("a{b=\"\\t\"} 1\n"));                 // bad escape
  BOOST_TEST(bad("a{1b=\"x\"} 1\n"));                  // bad label name
  BOOST_TEST(bad("a{b=\"x\",b=\"y\"} 1\n"));           // label twice
  BOOST_TEST(bad("a 1\na 2\n"));                       // duplicate series
  BOOST_TEST(bad("a one\n"));                          // bad value
  BOOST_TEST(bad("a 1\nb 1\na{x=\"1\"} 1\n"));         // interleaved
  BOOST_TEST(bad("a 1\n# TYPE a gauge\n"));            // TYPE after samples
  BOOST_TEST(bad("# TYPE a gauge\n# TYPE a gauge\n")); // TYPE twice
  BOOST_TEST(bad("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\n"
                 "h_count 1\n")); // no +Inf
  BOOST_TEST(bad("# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
                 "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"));
  BOOST_TEST(bad("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\n"
                 "h_count 1\n")); // count differs
  BOOST_TEST(!bad("# TYPE h histogram\nh_bucket{le=\"1\"} 1\n"
                  "h_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\n"));
}

BOOST_AUTO_TEST_CASE(node_metrics_pass_the_strict_parser) {
  registry reg;
  auto parsed = parse_exposition(sample_text(reg));
  BOOST_TEST_REQUIRE(parsed.error.empty(), parsed.error);
  BOOST_TEST(
    parsed.value_or_zero(
      "dynserv_servers{pool=\"web \"blue\"\\green\n\",status=\"running\"}")
    == 1);
  // Every metric of node_metrics has its TYPE line.
  BOOST_TEST(parsed.types.size() == 15u);
  BOOST_TEST(parsed.value_or_zero(
               "dynserv_circuit_breaker_state{pool=\"web\",state=\"open\"}")
             == 1);
  // The other states are present at 0, so that a query sees the change.
  BOOST_TEST((parsed.get("dynserv_circuit_breaker_state{pool=\"web\","
                         "state=\"closed\"}")
              == std::optional<double>{0}));
  BOOST_TEST(parsed.types.count("dynserv_circuit_breaker_state") == 1u);
  BOOST_TEST(
    parsed.value_or_zero("dynserv_circuit_breaker_trips_total{pool=\"web\"}")
    == 1);
  BOOST_TEST(
    parsed.value_or_zero("dynserv_rolling_reboot_remaining{pool=\"web\"}")
    == 3);
  BOOST_TEST(parsed.value_or_zero("dynserv_remediations_total{pool=\"web\","
                                  "status=\"hanging\"}")
             == 1);
  BOOST_TEST(parsed.value_or_zero("dynserv_servers_expired_total{pool=\"web\"}")
             == 1);
}

BOOST_AUTO_TEST_CASE(promtool_accepts_the_node_metrics) {
  // tools/setup.sh installs Debian's prometheus package, which ships it.
  BOOST_TEST_REQUIRE(have_promtool(),
                     "promtool not found: run tools/setup.sh build or "
                     "apt-get install prometheus");
  registry reg;
  auto text = sample_text(reg);
  auto [rc, out] = promtool(text);
  BOOST_TEST(rc == 0, "promtool exit " << rc << ": " << out << "\n" << text);
  BOOST_TEST(out.empty(), "promtool lint: " << out);
  // And the checker can fail: promtool rejects a broken exposition.
  auto broken = promtool("# TYPE a counter\na{b=\"x} 1\n");
  BOOST_TEST(broken.first != 0);
  // The process-wide render goes through the same code.
  auto [grc, gout] = promtool(render_prometheus());
  BOOST_TEST(grc == 0, "promtool exit " << grc << ": " << gout);
}

BOOST_AUTO_TEST_SUITE_END()
