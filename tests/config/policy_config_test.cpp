// Pool policies and the top-level `policy` section: every key, defaults,
// and errors that name the key.
#include <boost/test/unit_test.hpp>

#include "config/node_config.hpp"

#include <string>

using namespace dynserv;
using namespace std::chrono_literals;

namespace {

/// A file with one pool "q" whose body is `pool` and an optional top-level
/// `policy` section.
std::string with_pool(const std::string& pool, const std::string& top = "") {
  return R"({"node": {"data_dir": "d"}, "limits": {"max_servers": 30},
            "providers": {"sim": {"type": "simulated"}},
            "pools": {"q": )"
         + pool + "}" + (top.empty() ? std::string{} : ", \"policy\": " + top)
         + "}";
}

std::string errors_of(const std::string& pool, const std::string& top = "") {
  auto res = parse_config(with_pool(pool, top), "/base");
  std::string result;
  for (auto& err : res.errors)
    result += err.to_string() + "\n";
  return result;
}

const pool_config& pool_of(const config_result& res) {
  BOOST_REQUIRE_MESSAGE(res.config,
                        (res.errors.empty() ? std::string{}
                                            : res.errors[0].to_string()));
  return res.config->pools.at("q");
}

} // namespace

BOOST_AUTO_TEST_SUITE(policy_section)

BOOST_AUTO_TEST_CASE(defaults) {
  auto res = parse_config(with_pool(R"({"provider": "sim", "desired": 1})"),
                          "/base");
  const auto& p = pool_of(res);
  BOOST_TEST((p.policy.kind == policy_kind::external));
  BOOST_TEST(!p.policy.active());
  BOOST_TEST(res.config->policy_interval.count() == 60'000);
  BOOST_TEST(res.config->decision_retention.count() == 7 * 24 * 3'600'000);
  const auto& g = p.policy.guardrails;
  BOOST_TEST(g.scale_up_step == 0);
  BOOST_TEST(g.max_in_flight == 0);
  BOOST_TEST(g.scale_down_cooldown.count() == 0);
  BOOST_TEST(g.stabilization_window.count() == 300'000);
  BOOST_TEST(!g.dry_run);
}

BOOST_AUTO_TEST_CASE(horizon_rule_in_config_alone) {
  auto res = parse_config(
    with_pool(R"({"provider": "sim", "min": 1, "max": 20, "policy": {
        "type": "http_metric",
        "url": "https://app.example.com/horizon/api/stats",
        "pointer": "/wait/redis:default",
        "per_server": 10, "offset": -1, "timeout": "5s",
        "token_env": "HORIZON_TOKEN", "headers": {"X-Tenant": "acme"},
        "ca_file": "ca.pem",
        "scale_up_step": 4, "max_in_flight": 6,
        "scale_down_cooldown": "2m", "stabilization_window": "10m",
        "dry_run": true}})",
              R"({"interval": "30s", "decision_retention": "48h"})"),
    "/base");
  const auto& p = pool_of(res);
  // Without `desired`, a pool with a policy starts at its min.
  BOOST_TEST(p.desired == 1);
  BOOST_TEST((p.policy.kind == policy_kind::http_metric));
  const auto& m = p.policy.http_metric;
  BOOST_TEST(m.url == "https://app.example.com/horizon/api/stats");
  BOOST_TEST(m.pointer == "/wait/redis:default");
  BOOST_TEST(m.per_server == 10.0);
  BOOST_TEST(m.offset == -1);
  BOOST_TEST(m.timeout.count() == 5000);
  BOOST_TEST(m.token_env == "HORIZON_TOKEN");
  BOOST_TEST_REQUIRE(m.headers.size() == 1u);
  BOOST_TEST(m.headers[0].first == "X-Tenant");
  BOOST_TEST(m.ca_file == "/base/ca.pem");
  const auto& g = p.policy.guardrails;
  BOOST_TEST(g.scale_up_step == 4);
  BOOST_TEST(g.max_in_flight == 6);
  BOOST_TEST(g.scale_down_cooldown.count() == 120'000);
  BOOST_TEST(g.stabilization_window.count() == 600'000);
  BOOST_TEST(g.dry_run);
  BOOST_TEST(res.config->policy_interval.count() == 30'000);
  BOOST_TEST(res.config->decision_retention.count() == 48 * 3'600'000);
}

BOOST_AUTO_TEST_CASE(fixed_and_schedule) {
  const auto& f = pool_of(parse_config(
    with_pool(
      R"({"provider": "sim", "policy": {"type": "fixed", "count": 4}})"),
    "/base"));
  BOOST_TEST((f.policy.kind == policy_kind::fixed));
  BOOST_TEST(f.policy.fixed_count == 4);
  auto res = parse_config(with_pool(R"({"provider": "sim", "policy": {
      "type": "schedule", "time_zone": "Europe/Berlin", "default": 1,
      "windows": [
        {"days": "weekdays", "from": "08:00", "to": "18:00", "count": 6},
        {"days": ["fri", "sat"], "from": "22:00", "to": "02:00", "count": 2}
      ]}})"),
                          "/base");
  const auto& s = pool_of(res).policy.schedule;
  BOOST_TEST(s.time_zone == "Europe/Berlin");
  BOOST_TEST(s.default_count == 1);
  BOOST_TEST_REQUIRE(s.windows.size() == 2u);
  BOOST_TEST(s.windows[0].days == 0x3e);
  BOOST_TEST(s.windows[0].from_minute == 480);
  BOOST_TEST(s.windows[0].to_minute == 1080);
  BOOST_TEST(s.windows[0].count == 6);
  BOOST_TEST(s.windows[0].label == "mon-fri 08:00-18:00");
  BOOST_TEST(s.windows[1].label == "fri,sat 22:00-02:00");
}

BOOST_AUTO_TEST_CASE(errors_name_the_key) {
  BOOST_TEST(errors_of(R"({"provider": "sim", "policy": {"type": "magic"}})")
             == "pools.q.policy.type: unknown policy type \"magic\" (known: "
                "external, fixed, schedule, http_metric, callback)\n");
  BOOST_TEST(errors_of(R"({"provider": "sim", "policy": {"type": "fixed"}})")
             == "pools.q.policy.count: missing required key\n");
  BOOST_TEST(errors_of(R"({"provider": "sim", "policy": {"type": "fixed",
                           "count": 1, "url": "http://x"}})")
             == "pools.q.policy.url: unknown key\n");
  BOOST_TEST(errors_of(R"({"provider": "sim", "policy": {"type": "http_metric",
                           "url": "ftp://x", "pointer": "wait",
                           "per_server": 0}})")
             == "pools.q.policy.url: expected an http:// or https:// URL, got "
                "\"ftp://x\"\n"
                "pools.q.policy.pointer: expected a JSON pointer such as "
                "\"/wait/redis:default\", got \"wait\"\n"
                "pools.q.policy.per_server: must be > 0, got 0\n");
  BOOST_TEST(errors_of(R"({"provider": "sim", "policy": {"type": "http_metric",
                           "url": "http://x/s", "pointer": "/w",
                           "token_env": "T",
                           "headers": {"authorization": "Bearer x",
                                       "Bad Name": "v", "X-A": 1}}})")
             == "pools.q.policy.headers.Bad Name: invalid header name\n"
                "pools.q.policy.headers.X-A: expected a string, got an "
                "integer\n"
                "pools.q.policy.headers.authorization: set either an "
                "Authorization header or token_env, not both\n");
  BOOST_TEST(
    errors_of(R"({"provider": "sim", "policy": {"type": "schedule",
                           "time_zone": "Mars/Olympus", "windows": [
                           {"days": ["mon", "funday"], "from": "8:00",
                            "to": "25:00", "count": 1},
                           {"days": "daily", "from": "10:00", "to": "10:00",
                            "count": 2},
                           {"days": [], "from": "24:00", "to": "01:00",
                            "count": -1}]}})")
    == "pools.q.policy.time_zone: \"Mars/Olympus\": unknown time zone "
       "(cannot read /usr/share/zoneinfo/Mars/Olympus: No such file "
       "or directory; is tzdata installed?)\n"
       "pools.q.policy.windows[0].days[1]: unknown day \"funday\" "
       "(use mon, tue, wed, thu, fri, sat, sun, weekdays, weekend or "
       "daily)\n"
       "pools.q.policy.windows[0].from: expected a time of day "
       "\"HH:MM\" from 00:00 to 24:00, got \"8:00\"\n"
       "pools.q.policy.windows[0].to: expected a time of day \"HH:MM\" "
       "from 00:00 to 24:00, got \"25:00\"\n"
       "pools.q.policy.windows[1].to: must differ from \"from\" (use "
       "\"00:00\" to \"24:00\" for a whole day)\n"
       "pools.q.policy.windows[2].days: expected a day name or a "
       "non-empty array of them, got an array\n"
       "pools.q.policy.windows[2].count: must be >= 0, got -1\n"
       "pools.q.policy.windows[2].from: must be before 24:00\n");
  BOOST_TEST(errors_of(R"({"provider": "sim", "policy": {"type": "fixed",
                           "count": 1, "scale_up_step": -1,
                           "stabilization_window": "5", "dry_run": "yes"}})")
             == "pools.q.policy.scale_up_step: must be >= 0, got -1\n"
                "pools.q.policy.stabilization_window: invalid duration \"5\": "
                "expected a number followed by ms, s, m or h, e.g. \"500ms\" "
                "or \"1.5s\"\n"
                "pools.q.policy.dry_run: expected true or false, got a "
                "string\n");
  BOOST_TEST(errors_of(R"({"provider": "sim", "desired": 1})",
                       R"({"interval": "1ms", "retention": "1h"})")
             == "policy.interval: must be at least 10ms, got 1ms\n"
                "policy.retention: unknown key\n");
}

BOOST_AUTO_TEST_SUITE_END()
