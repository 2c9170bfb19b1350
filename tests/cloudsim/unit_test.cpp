// Unit tests of the simulator's building blocks: label selectors, command
// line, virtual clock, delayed replies.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "cloudsim/cloudsim_options.hpp"
#include "cloudsim/delayed_replies.hpp"
#include "cloudsim/label_selector.hpp"
#include "cloudsim/sim_clock.hpp"

using namespace dynserv::cloudsim;

BOOST_AUTO_TEST_SUITE(unit_tests)

BOOST_AUTO_TEST_CASE(label_selector_parses_every_operator) {
  std::string err;
  auto sel = label_selector::parse(
    "a=1, b==2,c!=3,d,!e,f in (x, y),g notin (z)", &err);
  BOOST_REQUIRE_MESSAGE(sel.has_value(), err);
  BOOST_TEST(sel->requirements().size() == 7u);
  label_list match{{"a", "1"}, {"b", "2"}, {"d", ""}, {"f", "y"}};
  BOOST_TEST(sel->matches(match));
  auto with = [&](std::string k, std::string v) {
    auto l = match;
    for (auto& [key, value] : l)
      if (key == k) {
        value = v;
        return l;
      }
    l.emplace_back(k, v);
    return l;
  };
  BOOST_TEST(!sel->matches(with("a", "2")));
  BOOST_TEST(!sel->matches(with("c", "3")));
  BOOST_TEST(sel->matches(with("c", "4")));
  BOOST_TEST(!sel->matches(with("e", "")));
  BOOST_TEST(!sel->matches(with("f", "z")));
  BOOST_TEST(!sel->matches(with("g", "z")));
  BOOST_TEST(sel->matches(with("g", "q")));
  for (auto bad : {"", "a,", "a in (", "a in ()", "a in x", "=b", "a foo (b)",
                   "a=b c", "bad key=1"})
    BOOST_TEST(!label_selector::parse(bad, &err).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(command_line_options) {
  std::string err;
  auto cli = parse_cloudsim_args({"--listen",
                                  "0.0.0.0:8080",
                                  "--seed=7",
                                  "--time-scale",
                                  "20",
                                  "--hetzner-rate-limit",
                                  "10/0.5",
                                  "--digitalocean-rate-limit=100/5",
                                  "--upcloud-rate-limit",
                                  "3",
                                  "--rate-limits",
                                  "off",
                                  "--latency",
                                  "off",
                                  "--hetzner-token",
                                  "h",
                                  "--consistency-delay",
                                  "4",
                                  "--consistency-delay",
                                  "hetzner=2",
                                  "--max-servers",
                                  "5",
                                  "--max-servers",
                                  "upcloud=1"},
                                 &err);
  BOOST_REQUIRE_MESSAGE(cli.has_value(), err);
  BOOST_TEST(cli->host == "0.0.0.0");
  BOOST_TEST(cli->port == 8080);
  BOOST_TEST(cli->sim.seed == 7u);
  BOOST_TEST(cli->sim.time_scale == 20.0);
  BOOST_TEST(cli->sim.rate_limits.hetzner_capacity == 10.0);
  BOOST_TEST(cli->sim.rate_limits.hetzner_refill_per_second == 0.5);
  BOOST_TEST(cli->sim.rate_limits.digitalocean_per_hour == 100);
  BOOST_TEST(cli->sim.rate_limits.digitalocean_per_minute == 5);
  BOOST_TEST(*cli->sim.rate_limits.upcloud_rps == 3.0);
  BOOST_TEST(!cli->sim.rate_limits.enabled);
  BOOST_TEST(!cli->sim.response_latency);
  BOOST_TEST(cli->sim.credentials.hetzner_token == "h");
  BOOST_TEST(cli->sim.credentials.upcloud_user == "dynserv");
  BOOST_TEST(cli->sim.consistency_delay_ms[2] == 4000);
  BOOST_TEST(cli->sim.consistency_delay_ms[1] == 2000);
  BOOST_TEST(*cli->sim.max_servers[0] == 1u);
  BOOST_TEST(*cli->sim.max_servers[1] == 5u);
  auto defaults = parse_cloudsim_args({}, &err);
  BOOST_REQUIRE(defaults.has_value());
  BOOST_TEST(defaults->host == "127.0.0.1");
  BOOST_TEST(defaults->port == 0);
  BOOST_TEST(defaults->sim.rate_limits.enabled);
  BOOST_TEST(!defaults->sim.rate_limits.upcloud_rps.has_value());
  BOOST_TEST(!defaults->sim.tls);
  auto fails = [&](std::vector<std::string> args, const std::string& option) {
    std::string e;
    auto r = parse_cloudsim_args(args, &e);
    BOOST_TEST(!r.has_value());
    BOOST_TEST(e.find(option) != std::string::npos, e);
    return e;
  };
  fails({"--listen", "nowhere"}, "--listen");
  fails({"--listen", "127.0.0.1:70000"}, "--listen");
  fails({"--seed", "-1"}, "--seed");
  fails({"--time-scale", "fast"}, "--time-scale");
  fails({"--rate-limits", "maybe"}, "--rate-limits");
  fails({"--hetzner-rate-limit", "10"}, "--hetzner-rate-limit");
  fails({"--digitalocean-rate-limit", "1.5/2"}, "--digitalocean-rate-limit");
  fails({"--max-servers", "aws=3"}, "--max-servers");
  fails({"--frobnicate"}, "--frobnicate");
  fails({"--seed"}, "--seed");
  fails({"--tls-cert", "c.pem"}, "--tls-key");
  // Secrets are never echoed.
  auto e = fails({"--hetzner-token="}, "--hetzner-token");
  BOOST_TEST(cloudsim_usage().find("--digitalocean-rate-limit")
             != std::string::npos);
  auto tls = parse_cloudsim_args({"--tls-cert", "c", "--tls-key", "k"}, &err);
  BOOST_REQUIRE(tls.has_value());
  BOOST_TEST(tls->sim.tls);
}

BOOST_AUTO_TEST_CASE(virtual_clock_scales_and_jumps) {
  int64_t real = 1000;
  sim_clock clock{[&] { return real; }, 2.0};
  BOOST_TEST(clock.now_ms() == 1000);
  real += 500;
  BOOST_TEST(clock.now_ms() == 2000);
  clock.advance(10000);
  BOOST_TEST(clock.now_ms() == 12000);
  clock.set_scale(0);
  real += 5000;
  BOOST_TEST(clock.now_ms() == 12000);
  clock.set_scale(1);
  real += 1;
  BOOST_TEST(clock.now_ms() == 12001);
  BOOST_TEST(iso8601(0) == "1970-01-01T00:00:00+00:00");
  BOOST_TEST(iso8601_z(86400000) == "1970-01-02T00:00:00Z");
}

BOOST_AUTO_TEST_CASE(delayed_replies_run_when_due_and_flush_on_stop) {
  delayed_replies timer;
  std::atomic<bool> late{false};
  std::atomic<bool> soon{false};
  // Scheduled first but due much later: must not block the earlier one.
  timer.schedule(std::chrono::hours{1}, [&] { late = true; });
  timer.schedule(std::chrono::milliseconds{0}, [&] { soon = true; });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  while (!soon && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  BOOST_TEST(soon.load());
  BOOST_TEST(!late.load());
  BOOST_TEST(timer.pending() == 1u);
  timer.stop();
  BOOST_TEST(late.load());
  bool after_stop = false;
  timer.schedule(std::chrono::hours{1}, [&] { after_stop = true; });
  BOOST_TEST(after_stop);
}

BOOST_AUTO_TEST_SUITE_END()
