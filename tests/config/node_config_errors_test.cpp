// Invalid configuration files: each case asserts the exact list of problems
// (path and text) that parse_config reports.
#include <boost/test/unit_test.hpp>

#include "config/node_config.hpp"

#include <functional>
#include <optional>
#include <string>

using namespace dynserv;

namespace {

/// A config assembled from sections; each starts out minimal and valid, and
/// a section set to nullopt is left out.
struct doc {
  std::optional<std::string> node = R"({"data_dir": "d"})";
  std::optional<std::string> limits = R"({"max_servers": 5})";
  std::optional<std::string> timing;
  std::optional<std::string> providers = R"({"sim": {"type": "simulated"}})";
  std::optional<std::string> pools
    = R"({"p": {"provider": "sim", "desired": 1}})";

  std::string text() const {
    std::string result;
    auto add = [&](const char* key, const std::optional<std::string>& x) {
      if (!x)
        return;
      result += result.empty() ? "{" : ", ";
      result += std::string{"\""} + key + "\": " + *x;
    };
    add("node", node);
    add("limits", limits);
    add("timing", timing);
    add("providers", providers);
    add("pools", pools);
    return result.empty() ? "{}" : result + "}";
  }
};

/// The problems found in `text`, one "path: problem" per line.
std::string errors_of(std::string_view text) {
  auto res = parse_config(text, "/base");
  std::string result;
  for (auto& err : res.errors)
    result += err.to_string() + "\n";
  // Invariant: a config comes back if and only if there are no errors.
  BOOST_TEST(res.config.has_value() == res.errors.empty());
  return result;
}

/// The problems found in the minimal config after `edit`.
std::string errors_of(const std::function<void(doc&)>& edit) {
  doc d;
  edit(d);
  return errors_of(d.text());
}

struct row {
  const char* name;
  std::function<void(doc&)> edit;
  const char* expected;
};

void check(const std::vector<row>& rows) {
  for (auto& r : rows)
    BOOST_TEST_CONTEXT(r.name) {
      BOOST_TEST(errors_of(r.edit) == r.expected);
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(bad_configs)

BOOST_AUTO_TEST_CASE(the_minimal_doc_is_valid) {
  BOOST_TEST(errors_of([](doc&) {}) == "");
}

BOOST_AUTO_TEST_CASE(malformed_json_reports_line_column_and_reason) {
  BOOST_TEST(errors_of("")
             == "malformed JSON at line 1, column 1: The "
                "document is empty.\n");
  BOOST_TEST(errors_of("{\n  \"node\": {\n    \"data_dir\": \"d\",\n  }\n}")
             == "malformed JSON at line 4, column 3: Missing a name for "
                "object member.\n");
  BOOST_TEST(errors_of("{\"a\": 1\n \"b\": 2}")
             == "malformed JSON at line 2, column 2: Missing a comma or '}' "
                "after an object member.\n");
  BOOST_TEST(errors_of("{} {}")
             == "malformed JSON at line 1, column 4: The document root must "
                "not be followed by other values.\n");
  // Columns count characters, not bytes: "é" is two bytes.
  BOOST_TEST(errors_of("{\"é\": x}")
             == "malformed JSON at line 1, column 7: Invalid value.\n");
  BOOST_TEST(errors_of("{\"a\": \"\xff\"}")
             == "malformed JSON at line 1, column 8: Invalid encoding in "
                "string.\n");
}

BOOST_AUTO_TEST_CASE(top_level_must_be_an_object) {
  BOOST_TEST(errors_of("[]")
             == "expected an object at the top level, got an array\n");
  BOOST_TEST(errors_of("42")
             == "expected an object at the top level, got an integer\n");
}

BOOST_AUTO_TEST_CASE(missing_required_keys) {
  check({
    {"everything",
     [](doc& d) {
       d = doc{{}, {}, {}, {}, {}};
     },
     "node: missing required key\n"
     "limits: missing required key\n"
     "providers: missing required key\n"
     "pools: missing required key\n"},
    {"data_dir", [](doc& d) { d.node = R"({"name": "x"})"; },
     "node.data_dir: missing required key\n"},
    {"limits", [](doc& d) { d.limits.reset(); },
     "limits: missing required key\n"},
    {"max_servers", [](doc& d) { d.limits = "{}"; },
     "limits.max_servers: missing required key\n"},
    {"providers", [](doc& d) { d.providers.reset(); },
     "providers: missing required key\n"},
    {"pools", [](doc& d) { d.pools.reset(); }, "pools: missing required key\n"},
    {"provider type", [](doc& d) { d.providers = R"({"sim": {}})"; },
     "providers.sim.type: missing required key\n"},
    {"pool provider", [](doc& d) { d.pools = R"({"p": {"desired": 1}})"; },
     "pools.p.provider: missing required key\n"},
    {"desired", [](doc& d) { d.pools = R"({"p": {"provider": "sim"}})"; },
     "pools.p.desired: missing required key\n"},
  });
}

BOOST_AUTO_TEST_CASE(empty_providers_and_pools) {
  check({
    {"providers", [](doc& d) { d.providers = "{}"; },
     "providers: must contain at least one provider\n"},
    {"pools", [](doc& d) { d.pools = "{}"; },
     "pools: must contain at least one pool\n"},
  });
}

BOOST_AUTO_TEST_CASE(unknown_keys_at_every_depth) {
  check({
    {"top level suggestion",
     [](doc& d) {
       d.pools.reset();
       d.timing = R"({}, "pool": {})";
     },
     "pool: unknown key (did you mean \"pools\"?)\n"
     "pools: missing required key\n"},
    {"top level, nothing close",
     [](doc& d) { d.timing = R"({}, "servers": 3)"; },
     "servers: unknown key\n"},
    {"node", [](doc& d) { d.node = R"({"data_dir": "d", "nmae": "x"})"; },
     "node.nmae: unknown key (did you mean \"name\"?)\n"},
    {"node, far", [](doc& d) { d.node = R"({"data_dir": "d", "colour": 1})"; },
     "node.colour: unknown key\n"},
    {"limits",
     [](doc& d) { d.limits = R"({"max_server": 5, "max_servers": 5})"; },
     "limits.max_server: unknown key (did you mean \"max_servers\"?)\n"},
    {"timing", [](doc& d) { d.timing = R"({"poll_intervall": "1s"})"; },
     "timing.poll_intervall: unknown key (did you mean \"poll_interval\"?)\n"},
    {"hanging_after",
     [](doc& d) { d.timing = R"({"hanging_after": {"strating": "1m"}})"; },
     "timing.hanging_after.strating: unknown key (did you mean "
     "\"starting\"?)\n"},
    {"provider",
     [](doc& d) {
       d.providers = R"({"sim": {"type": "simulated", "seeds": 3}})";
     },
     "providers.sim.seeds: unknown key (did you mean \"seed\"?)\n"},
    {"rate_limit",
     [](doc& d) {
       d.providers = R"({"sim": {"type": "simulated",
                                 "rate_limit": {"brust": 3}}})";
     },
     "providers.sim.rate_limit.brust: unknown key (did you mean "
     "\"burst\"?)\n"},
    {"faults",
     [](doc& d) {
       d.providers = R"({"sim": {"type": "simulated",
                                 "faults": {"error_rates": {}}}})";
     },
     "providers.sim.faults.error_rates: unknown key (did you mean "
     "\"error_rate\"?)\n"},
    {"error_rate operation",
     [](doc& d) {
       d.providers = R"({"sim": {"type": "simulated",
                         "faults": {"error_rate": {"creat": 0.5}}}})";
     },
     "providers.sim.faults.error_rate.creat: unknown key (did you mean "
     "\"create\"?)\n"},
    {"error_rate unknown operation",
     [](doc& d) {
       d.providers = R"({"sim": {"type": "simulated",
                         "faults": {"error_rate": {"resize": 0.5}}}})";
     },
     "providers.sim.faults.error_rate.resize: unknown key\n"},
    {"pool",
     [](doc& d) {
       d.pools = R"({"p": {"provider": "sim", "desired": 1, "maxx": 3}})";
     },
     "pools.p.maxx: unknown key (did you mean \"max\"?)\n"},
    {"duplicate key",
     [](doc& d) { d.node = R"({"data_dir": "d", "data_dir": "e"})"; },
     "node.data_dir: duplicate key\n"},
    {"duplicate pool",
     [](doc& d) {
       d.pools = R"({"p": {"provider": "sim", "desired": 1},
                     "p": {"provider": "sim", "desired": 2}})";
     },
     "pools.p: duplicate key\n"},
  });
}

BOOST_AUTO_TEST_CASE(wrong_types) {
  check({
    {"object", [](doc& d) { d.node = "[]"; },
     "node: expected an object, got an array\n"},
    {"object for timing", [](doc& d) { d.timing = "null"; },
     "timing: expected an object, got null\n"},
    {"string", [](doc& d) { d.node = R"({"data_dir": 7})"; },
     "node.data_dir: expected a string, got an integer\n"},
    {"string, boolean", [](doc& d) { d.node = R"({"data_dir": true})"; },
     "node.data_dir: expected a string, got a boolean\n"},
    {"integer from string",
     [](doc& d) { d.pools = R"({"p": {"provider": "sim", "desired": "3"}})"; },
     "pools.p.desired: expected an integer, got a string\n"},
    {"integer from 3.0",
     [](doc& d) { d.pools = R"({"p": {"provider": "sim", "desired": 3.0}})"; },
     "pools.p.desired: expected an integer, got a decimal number\n"},
    {"integer from exponent",
     [](doc& d) { d.limits = R"({"max_servers": 1e1})"; },
     "limits.max_servers: expected an integer, got a decimal number\n"},
    {"integer too large",
     [](doc& d) { d.limits = R"({"max_servers": 9223372036854775808})"; },
     "limits.max_servers: must be at most 9223372036854775807, got "
     "9223372036854775808\n"},
    {"number", [](doc& d) { d.timing = R"({"backoff_multiplier": "2"})"; },
     "timing.backoff_multiplier: expected a number, got a string\n"},
    {"duration", [](doc& d) { d.timing = R"({"poll_interval": 5})"; },
     "timing.poll_interval: expected a duration string such as \"30s\", got "
     "an integer\n"},
    {"seed",
     [](doc& d) {
       d.providers = R"({"sim": {"type": "simulated", "seed": 1.5}})";
     },
     "providers.sim.seed: expected an integer, got a decimal number\n"},
    {"provider entry", [](doc& d) { d.providers = R"({"sim": "simulated"})"; },
     "providers.sim: expected an object, got a string\n"},
    {"pool entry", [](doc& d) { d.pools = R"({"p": 3})"; },
     "pools.p: expected an object, got an integer\n"},
    {"provider type", [](doc& d) { d.providers = R"({"sim": {"type": 1}})"; },
     "providers.sim.type: expected a string, got an integer\n"},
    {"error_rate",
     [](doc& d) {
       d.providers = R"({"sim": {"type": "simulated",
                                 "faults": {"error_rate": [0.1]}}})";
     },
     "providers.sim.faults.error_rate: expected an object, got an array\n"},
  });
}

BOOST_AUTO_TEST_CASE(provider_types) {
  check({
    {"unknown type",
     [](doc& d) { d.providers = R"({"sim": {"type": "aws", "region": "x"}})"; },
     "providers.sim.type: unknown provider type \"aws\" (known: "
     "simulated, upcloud, hetzner, digitalocean, exec)\n"},
    {"unknown type still checks common keys",
     [](doc& d) {
       d.providers = R"({"sim": {"type": "aws", "rate_limit": 3}})";
     },
     "providers.sim.type: unknown provider type \"aws\" (known: "
     "simulated, upcloud, hetzner, digitalocean, exec)\n"
     "providers.sim.rate_limit: expected an object, got an integer\n"},
    {"missing type tolerates simulated keys",
     [](doc& d) {
       d.providers = R"({"sim": {"seed": 1, "tpye": "simulated"}})";
     },
     "providers.sim.tpye: unknown key (did you mean \"type\"?)\n"
     "providers.sim.type: missing required key\n"},
  });
}

BOOST_AUTO_TEST_CASE(pool_references_and_ranges) {
  check({
    {"unknown provider",
     [](doc& d) { d.pools = R"({"p": {"provider": "x", "desired": 1}})"; },
     "pools.p.provider: unknown provider \"x\" (known: sim)\n"},
    {"unknown provider, several known",
     [](doc& d) {
       d.providers = R"({"sim": {"type": "simulated"},
                         "alt": {"type": "simulated"}})";
       d.pools = R"({"p": {"provider": "x", "desired": 1}})";
     },
     "pools.p.provider: unknown provider \"x\" (known: sim, alt)\n"},
    {"pools before providers",
     [](doc& d) {
       d = doc{R"({"data_dir": "d"})", R"({"max_servers": 5})", {}, {}, {}};
       d.timing = R"({}, "pools": {"p": {"provider": "sim", "desired": 1}},
                         "providers": {"sim": {"type": "simulated"}})";
     },
     ""},
    {"desired > max",
     [](doc& d) {
       d.pools = R"({"p": {"provider": "sim", "desired": 7, "max": 6}})";
     },
     "pools.p.desired: must be between min (0) and max (6), got 7\n"},
    {"desired > max from limits",
     [](doc& d) { d.pools = R"({"p": {"provider": "sim", "desired": 6}})"; },
     "pools.p.desired: must be between min (0) and max (5, from "
     "limits.max_servers), got 6\n"},
    {"desired < min",
     [](doc& d) {
       d.pools = R"({"p": {"provider": "sim", "desired": 1, "min": 2}})";
     },
     "pools.p.desired: must be between min (2) and max (5, from "
     "limits.max_servers), got 1\n"},
    {"min > max",
     [](doc& d) {
       d.pools = R"({"p": {"provider": "sim", "desired": 3, "min": 4,
                           "max": 2}})";
     },
     "pools.p.min: must be at most max (2), got 4\n"},
    {"negative desired",
     [](doc& d) { d.pools = R"({"p": {"provider": "sim", "desired": -1}})"; },
     "pools.p.desired: must be >= 0, got -1\n"},
    {"negative min and max",
     [](doc& d) {
       d.pools = R"({"p": {"provider": "sim", "desired": 0, "min": -1,
                           "max": -2}})";
     },
     "pools.p.min: must be >= 0, got -1\n"
     "pools.p.max: must be >= 0, got -2\n"},
    {"negative max_servers",
     [](doc& d) { d.limits = R"({"max_servers": -1})"; },
     "limits.max_servers: must be >= 0, got -1\n"},
  });
}

BOOST_AUTO_TEST_CASE(pool_lifecycle_settings) {
  auto pool = [](std::string extra) {
    return [extra](doc& d) {
      d.pools = R"({"p": {"provider": "sim", "desired": 1, )" + extra + "}}";
    };
  };
  check({
    {"max_unavailable zero", pool(R"("reboot": {"max_unavailable": 0})"),
     "pools.p.reboot.max_unavailable: expected a count of at least 1 (\"2\") "
     "or a percentage from 1% to 100% (\"25%\"), got \"0\"\n"},
    {"max_unavailable 150%", pool(R"("reboot": {"max_unavailable": "150%"})"),
     "pools.p.reboot.max_unavailable: expected a count of at least 1 (\"2\") "
     "or a percentage from 1% to 100% (\"25%\"), got \"150%\"\n"},
    {"max_unavailable bool", pool(R"("reboot": {"max_unavailable": true})"),
     "pools.p.reboot.max_unavailable: expected a count (2) or a percentage "
     "(\"25%\"), got a boolean\n"},
    {"remediation action", pool(R"("remediation": {"hanging": "delete"})"),
     "pools.p.remediation.hanging: expected \"replace\" or \"keep\", got "
     "\"delete\"\n"},
    {"remediation attempts", pool(R"("remediation": {"max_attempts": 0})"),
     "pools.p.remediation.max_attempts: must be between 1 and 100, got 0\n"},
    {"remediation delay", pool(R"("remediation": {"delay": "soon"})"),
     "pools.p.remediation.delay: invalid duration \"soon\": expected a "
     "number followed by ms, s, m or h, e.g. \"500ms\" or \"1.5s\"\n"},
    {"breaker ratio", pool(R"("circuit_breaker": {"failure_ratio": 1.5})"),
     "pools.p.circuit_breaker.failure_ratio: must be between 0 and 1, got "
     "1.5\n"},
    {"breaker ratio zero", pool(R"("circuit_breaker": {"failure_ratio": 0})"),
     "pools.p.circuit_breaker.failure_ratio: must be above 0, got 0\n"},
    {"breaker min_creates",
     pool(R"("circuit_breaker": {"window": 3, "min_creates": 4})"),
     "pools.p.circuit_breaker.min_creates: must be at most window (3), got "
     "4\n"},
    {"breaker backoff",
     pool(R"("circuit_breaker": {"backoff_initial": "10m", )"
          R"("backoff_max": "5m"})"),
     "pools.p.circuit_breaker.backoff_max: backoff_max (5m) must be at least "
     "backoff_initial (10m)\n"},
    {"breaker unknown key", pool(R"("circuit_breaker": {"windw": 5})"),
     "pools.p.circuit_breaker.windw: unknown key (did you mean "
     "\"window\"?)\n"},
    {"max_lifetime too short", pool(R"("max_lifetime": "30s")"),
     "pools.p.max_lifetime: must be at least 1m, got 30s\n"},
  });
}

BOOST_AUTO_TEST_CASE(pool_lifecycle_settings_are_read) {
  auto res = parse_config(
    R"({"node": {"data_dir": "d"}, "limits": {"max_servers": 5},
        "providers": {"sim": {"type": "simulated"}},
        "pools": {"p": {"provider": "sim", "desired": 1,
          "reboot": {"max_unavailable": "50%"},
          "remediation": {"hanging": "keep", "errored": "replace",
                          "delay": "2m", "max_attempts": 5},
          "circuit_breaker": {"enabled": false, "window": 20,
                              "min_creates": 5, "failure_ratio": 0.25,
                              "backoff_initial": "1m", "backoff_max": "1h"},
          "max_lifetime": "24h"}}})",
    "/base");
  BOOST_REQUIRE(res.config);
  const auto& p = res.config->pools.at("p");
  BOOST_TEST(p.max_unavailable == "50%");
  BOOST_TEST((p.remediation.hanging == remediation_action::keep));
  BOOST_TEST((p.remediation.errored == remediation_action::replace));
  BOOST_TEST(p.remediation.delay.count() == 120'000);
  BOOST_TEST(p.remediation.max_attempts == 5u);
  BOOST_TEST(!p.breaker.enabled);
  BOOST_TEST(p.breaker.window == 20u);
  BOOST_TEST(p.breaker.min_creates == 5u);
  BOOST_TEST(p.breaker.failure_ratio == 0.25);
  BOOST_TEST(p.breaker.backoff_initial.count() == 60'000);
  BOOST_TEST(p.breaker.backoff_max.count() == 3'600'000);
  BOOST_TEST(p.max_lifetime.count() == 86'400'000);
  // Defaults: 25%, replace both after no delay, breaker on (5 min to 30).
  auto defaults = parse_config(
    R"({"node": {"data_dir": "d"}, "limits": {"max_servers": 5},
        "providers": {"sim": {"type": "simulated"}},
        "pools": {"p": {"provider": "sim", "desired": 1}}})",
    "/base");
  BOOST_REQUIRE(defaults.config);
  const auto& d = defaults.config->pools.at("p");
  BOOST_TEST(d.max_unavailable == "25%");
  BOOST_TEST((d.remediation.hanging == remediation_action::replace));
  BOOST_TEST((d.remediation.errored == remediation_action::replace));
  BOOST_TEST(d.remediation.delay.count() == 0);
  BOOST_TEST(d.breaker.enabled);
  BOOST_TEST(d.breaker.backoff_initial.count() == 300'000);
  BOOST_TEST(d.breaker.backoff_max.count() == 1'800'000);
  BOOST_TEST(d.max_lifetime.count() == 0);
}

BOOST_AUTO_TEST_CASE(numbers_out_of_range) {
  auto sim = [](const char* extra) {
    return [extra](doc& d) {
      d.providers = std::string{R"({"sim": {"type": "simulated", )"} + extra
                    + "}}";
    };
  };
  check({
    {"error rate > 1", sim(R"("faults": {"error_rate": {"list": 1.5}})"),
     "providers.sim.faults.error_rate.list: must be between 0 and 1, got "
     "1.5\n"},
    {"error rate < 0", sim(R"("faults": {"error_rate": {"get": -0.1}})"),
     "providers.sim.faults.error_rate.get: must be between 0 and 1, got "
     "-0.1\n"},
    {"never_start_rate", sim(R"("faults": {"never_start_rate": 2})"),
     "providers.sim.faults.never_start_rate: must be between 0 and 1, got "
     "2\n"},
    {"lost_create_response_rate",
     sim(R"("faults": {"lost_create_response_rate": -1})"),
     "providers.sim.faults.lost_create_response_rate: must be between 0 and "
     "1, got -1\n"},
    {"jitter", sim(R"("jitter": 1.01)"),
     "providers.sim.jitter: must be between 0 and 1, got 1.01\n"},
    {"seed", sim(R"("seed": -3)"),
     "providers.sim.seed: must be >= 0, got -3\n"},
    {"time_scale", sim(R"("time_scale": 0)"),
     "providers.sim.time_scale: must be > 0, got 0\n"},
    {"requests_per_second",
     sim(R"("rate_limit": {"requests_per_second": 0, "burst": 0.5})"),
     "providers.sim.rate_limit.requests_per_second: must be > 0, got 0\n"
     "providers.sim.rate_limit.burst: must be >= 1, got 0.5\n"},
    {"backoff_multiplier",
     [](doc& d) { d.timing = R"({"backoff_multiplier": 0.5})"; },
     "timing.backoff_multiplier: must be >= 1, got 0.5\n"},
    {"backoff_jitter", [](doc& d) { d.timing = R"({"backoff_jitter": 1.2})"; },
     "timing.backoff_jitter: must be between 0 and 1, got 1.2\n"},
  });
}

BOOST_AUTO_TEST_CASE(durations) {
  check({
    {"no unit", [](doc& d) { d.timing = R"({"poll_interval": "5"})"; },
     "timing.poll_interval: invalid duration \"5\": expected a number "
     "followed by ms, s, m or h, e.g. \"500ms\" or \"1.5s\"\n"},
    {"space", [](doc& d) { d.timing = R"({"call_timeout": "5 s"})"; },
     "timing.call_timeout: invalid duration \"5 s\": expected a number "
     "followed by ms, s, m or h, e.g. \"500ms\" or \"1.5s\"\n"},
    {"days",
     [](doc& d) {
       d.node = R"({"data_dir": "d",
                                       "deleted_retention": "1d"})";
     },
     "node.deleted_retention: invalid duration \"1d\": expected a number "
     "followed by ms, s, m or h, e.g. \"500ms\" or \"1.5s\"\n"},
    {"negative",
     [](doc& d) { d.timing = R"({"hanging_after": {"rebooting": "-1m"}})"; },
     "timing.hanging_after.rebooting: invalid duration \"-1m\": expected a "
     "number followed by ms, s, m or h, e.g. \"500ms\" or \"1.5s\"\n"},
    {"sub-millisecond",
     [](doc& d) {
       d.providers = R"({"sim": {"type": "simulated",
                                 "create_time": "0.5ms"}})";
     },
     "providers.sim.create_time: invalid duration \"0.5ms\": must be a whole "
     "number of milliseconds\n"},
    {"too large",
     [](doc& d) {
       d.node = R"({"data_dir": "d",
                    "reconcile_interval": "9999999999999999h"})";
     },
     "node.reconcile_interval: invalid duration \"9999999999999999h\": too "
     "large\n"},
    {"poll_interval below 10ms",
     [](doc& d) { d.timing = R"({"poll_interval": "5ms"})"; },
     "timing.poll_interval: must be at least 10ms, got 5ms\n"},
    {"reconcile_interval zero",
     [](doc& d) {
       d.node = R"({"data_dir": "d", "reconcile_interval": "0s"})";
     },
     "node.reconcile_interval: must be at least 10ms, got 0s\n"},
    {"call_timeout zero",
     [](doc& d) { d.timing = R"({"call_timeout": "0s"})"; },
     "timing.call_timeout: must be at least 1ms, got 0s\n"},
    {"hanging zero",
     [](doc& d) { d.timing = R"({"hanging_after": {"starting": "0m"}})"; },
     "timing.hanging_after.starting: must be at least 1ms, got 0s\n"},
    {"backoff_max < backoff_initial",
     [](doc& d) {
       d.timing = R"({"backoff_initial": "10s", "backoff_max": "5s"})";
     },
     "timing.backoff_max: must be at least backoff_initial (10s), got 5s\n"},
    {"backoff_max < default backoff_initial",
     [](doc& d) { d.timing = R"({"backoff_max": "500ms"})"; },
     "timing.backoff_max: must be at least backoff_initial (1s), got "
     "500ms\n"},
    {"backoff_initial > default backoff_max",
     [](doc& d) { d.timing = R"({"backoff_initial": "2m"})"; },
     "timing.backoff_initial: must be at most backoff_max (1m, the "
     "default), got 2m\n"},
  });
}

BOOST_AUTO_TEST_CASE(bad_names_and_values) {
  check({
    {"node name upper case",
     [](doc& d) { d.node = R"({"data_dir": "d", "name": "Demo"})"; },
     "node.name: invalid name \"Demo\": use 1 to 40 characters from a-z, 0-9 "
     "and '-'\n"},
    {"node name underscore",
     [](doc& d) { d.node = R"({"data_dir": "d", "name": "my_node"})"; },
     "node.name: invalid name \"my_node\": use 1 to 40 characters from a-z, "
     "0-9 and '-'\n"},
    {"node name empty",
     [](doc& d) { d.node = R"({"data_dir": "d", "name": ""})"; },
     "node.name: invalid name \"\": use 1 to 40 characters from a-z, 0-9 and "
     "'-'\n"},
    {"node name too long",
     [](doc& d) {
       d.node = R"({"data_dir": "d",
                    "name": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})";
     },
     "node.name: invalid name \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": "
     "use 1 to 40 characters from a-z, 0-9 and '-'\n"},
    {"provider name",
     [](doc& d) {
       d.providers = R"({"Sim 1": {"type": "simulated"}})";
       d.pools = R"({"p": {"provider": "Sim 1", "desired": 1}})";
     },
     "providers.Sim 1: invalid name: use 1 to 40 characters from a-z, 0-9, "
     "'_' and '-'\n"},
    {"pool name",
     [](doc& d) { d.pools = R"({"p.q": {"provider": "sim", "desired": 1}})"; },
     "pools.p.q: invalid name: use 1 to 40 characters from a-z, 0-9, '_' and "
     "'-'\n"},
    {"empty data_dir", [](doc& d) { d.node = R"({"data_dir": ""})"; },
     "node.data_dir: must not be empty\n"},
    {"log level",
     [](doc& d) { d.node = R"({"data_dir": "d", "log_level": "verbose"})"; },
     "node.log_level: must be one of trace, debug, info, warn, error, off; "
     "got \"verbose\"\n"},
    {"log level is case sensitive",
     [](doc& d) { d.node = R"({"data_dir": "d", "log_level": "INFO"})"; },
     "node.log_level: must be one of trace, debug, info, warn, error, off; "
     "got \"INFO\"\n"},
  });
}

BOOST_AUTO_TEST_CASE(all_errors_are_reported_in_document_order) {
  auto text = R"({
    "node": { "name": "Bad", "data_dir": 3, "reconcile_interval": "soon" },
    "limits": { "max_servers": -5 },
    "timing": { "poll_interval": "1ms", "backoff_jitter": 2 },
    "providers": {
      "sim": { "type": "simulated", "time_scale": -1,
               "faults": { "error_rate": { "creat": 0.1, "list": 7 } } },
      "aws": { "type": "aws" }
    },
    "pools": {
      "default": { "provider": "sim", "desired": 3.0, "max": 6 },
      "batch": { "provider": "gcp", "desired": 9, "max": 4 },
      "extra": { "desired": 1 }
    },
    "colour": "blue"
  })";
  BOOST_TEST(errors_of(text)
             == "node.name: invalid name \"Bad\": use 1 to 40 characters "
                "from a-z, 0-9 and '-'\n"
                "node.data_dir: expected a string, got an integer\n"
                "node.reconcile_interval: invalid duration \"soon\": expected "
                "a number followed by ms, s, m or h, e.g. \"500ms\" or "
                "\"1.5s\"\n"
                "limits.max_servers: must be >= 0, got -5\n"
                "timing.poll_interval: must be at least 10ms, got 1ms\n"
                "timing.backoff_jitter: must be between 0 and 1, got 2\n"
                "providers.sim.time_scale: must be > 0, got -1\n"
                "providers.sim.faults.error_rate.creat: unknown key (did you "
                "mean \"create\"?)\n"
                "providers.sim.faults.error_rate.list: must be between 0 and "
                "1, got 7\n"
                "providers.aws.type: unknown provider type \"aws\" (known: "
                "simulated, upcloud, hetzner, digitalocean, exec)\n"
                "pools.default.desired: expected an integer, got a decimal "
                "number\n"
                "pools.batch.provider: unknown provider \"gcp\" (known: sim, "
                "aws)\n"
                "pools.batch.desired: must be between min (0) and max (4), "
                "got 9\n"
                "pools.extra.provider: missing required key\n"
                "colour: unknown key\n");
}

BOOST_AUTO_TEST_SUITE_END()
