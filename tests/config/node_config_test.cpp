// Valid configuration files: defaults, every value, data_dir resolution,
// loading from disk and the files in examples/.
#define BOOST_TEST_MODULE config
#include <boost/test/unit_test.hpp>

#include "config/node_config.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

using namespace dynserv;
using namespace std::chrono_literals;

namespace fs = std::filesystem;

namespace {

constexpr auto minimal = R"({
  "node": { "data_dir": "data" },
  "limits": { "max_servers": 5 },
  "providers": { "sim": { "type": "simulated" } },
  "pools": { "default": { "provider": "sim", "desired": 1 } }
})";

std::string errors_of(const config_result& res) {
  std::string result;
  for (auto& err : res.errors)
    result += err.to_string() + "\n";
  return result;
}

/// Parses `text` and fails the test unless it is valid.
node_config valid(std::string_view text, const std::string& base_dir = "/b") {
  auto res = parse_config(text, base_dir);
  BOOST_TEST_REQUIRE(errors_of(res) == "");
  BOOST_TEST_REQUIRE(res.config.has_value());
  return *res.config;
}

/// A fresh directory under the system's temp dir, removed on destruction.
struct temp_dir {
  temp_dir() {
    std::random_device rd;
    path = fs::temp_directory_path()
           / ("dynserv-config-test-" + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  void write(const std::string& name, std::string_view text) const {
    std::ofstream out{path / name, std::ios::binary};
    out << text;
  }
  fs::path path;
};

} // namespace

BOOST_AUTO_TEST_SUITE(valid_configs)

BOOST_AUTO_TEST_CASE(minimal_config_gives_every_default) {
  auto cfg = valid(minimal, "/etc/dynserv");
  BOOST_TEST(cfg.name == "dynserv");
  BOOST_TEST(cfg.data_dir == "/etc/dynserv/data");
  BOOST_TEST(cfg.reconcile_interval.count() == 30'000);
  BOOST_TEST(cfg.log_level == "info");
  BOOST_TEST(cfg.deleted_retention.count() == 24 * 3'600'000);
  BOOST_TEST(cfg.max_servers == 5);
  auto& t = cfg.timing;
  BOOST_TEST(t.poll_interval.count() == 5'000);
  BOOST_TEST(t.backoff_initial.count() == 1'000);
  BOOST_TEST(t.backoff_max.count() == 60'000);
  BOOST_TEST(t.backoff_multiplier == 2.0);
  BOOST_TEST(t.backoff_jitter == 0.2);
  BOOST_TEST(t.call_timeout.count() == 120'000);
  BOOST_TEST(t.hanging_starting.count() == 600'000);
  BOOST_TEST(t.hanging_stopping.count() == 600'000);
  BOOST_TEST(t.hanging_deleting.count() == 600'000);
  BOOST_TEST(t.hanging_rebooting.count() == 600'000);
  BOOST_TEST_REQUIRE(cfg.providers.size() == 1u);
  auto& p = cfg.providers.at("sim");
  BOOST_TEST(p.name == "sim");
  BOOST_TEST(p.type == "simulated");
  BOOST_TEST(!p.rate_limit.has_value());
  auto& sim = p.simulated;
  BOOST_TEST(sim.create_time.count() == 20'000);
  BOOST_TEST(sim.start_time.count() == 10'000);
  BOOST_TEST(sim.stop_time.count() == 5'000);
  BOOST_TEST(sim.delete_time.count() == 5'000);
  BOOST_TEST(sim.reboot_time.count() == 10'000);
  BOOST_TEST(sim.jitter == 0.2);
  BOOST_TEST(sim.seed == 1u);
  BOOST_TEST(sim.time_scale == 1.0);
  BOOST_TEST(sim.faults.error_rate.empty());
  BOOST_TEST(sim.faults.never_start_rate == 0.0);
  BOOST_TEST(sim.faults.lost_create_response_rate == 0.0);
  BOOST_TEST_REQUIRE(cfg.pools.size() == 1u);
  auto& pool = cfg.pools.at("default");
  BOOST_TEST(pool.name == "default");
  BOOST_TEST(pool.provider == "sim");
  BOOST_TEST(pool.desired == 1);
  BOOST_TEST(pool.min == 0);
  BOOST_TEST(pool.max == 5); // limits.max_servers
}

BOOST_AUTO_TEST_CASE(defaults_match_the_documented_constants) {
  node_config cfg;
  BOOST_TEST(cfg.name == default_node_name);
  BOOST_TEST((cfg.reconcile_interval == default_reconcile_interval));
  BOOST_TEST(cfg.log_level == default_log_level);
  BOOST_TEST((cfg.deleted_retention == default_deleted_retention));
  BOOST_TEST((cfg.timing.poll_interval == default_poll_interval));
  BOOST_TEST((cfg.timing.backoff_initial == default_backoff_initial));
  BOOST_TEST((cfg.timing.backoff_max == default_backoff_max));
  BOOST_TEST(cfg.timing.backoff_multiplier == default_backoff_multiplier);
  BOOST_TEST(cfg.timing.backoff_jitter == default_backoff_jitter);
  BOOST_TEST((cfg.timing.call_timeout == default_call_timeout));
  BOOST_TEST((cfg.timing.hanging_starting == default_hanging_after));
}

BOOST_AUTO_TEST_CASE(full_config_gives_every_value) {
  auto cfg = valid(R"({
    "node": {
      "name": "node-1",
      "data_dir": "/var/lib/dynserv",
      "reconcile_interval": "10s",
      "log_level": "debug",
      "deleted_retention": "1.5h"
    },
    "limits": { "max_servers": 20 },
    "timing": {
      "poll_interval": "250ms",
      "backoff_initial": "2s",
      "backoff_max": "2m",
      "backoff_multiplier": 3,
      "backoff_jitter": 0.5,
      "call_timeout": "30s",
      "hanging_after": {
        "starting": "11m",
        "stopping": "12m",
        "deleting": "13m",
        "rebooting": "14m"
      }
    },
    "providers": {
      "sim": {
        "type": "simulated",
        "rate_limit": { "requests_per_second": 2.5, "burst": 4 },
        "create_time": "21s",
        "start_time": "11s",
        "stop_time": "6s",
        "delete_time": "7s",
        "reboot_time": "12s",
        "jitter": 0.1,
        "seed": 18446744073709551615,
        "time_scale": 100,
        "faults": {
          "error_rate": {
            "create": 0.1, "get": 0.2, "list": 0.3, "stop": 0.4,
            "start": 0.5, "reboot": 0.6, "delete": 0.7
          },
          "never_start_rate": 0.25,
          "lost_create_response_rate": 1
        }
      },
      "other_sim": { "type": "simulated" }
    },
    "pools": {
      "default": { "provider": "sim", "desired": 3, "min": 1, "max": 6 },
      "batch_2": { "provider": "other_sim", "desired": 0 }
    }
  })");
  BOOST_TEST(cfg.name == "node-1");
  BOOST_TEST(cfg.data_dir == "/var/lib/dynserv");
  BOOST_TEST(cfg.reconcile_interval.count() == 10'000);
  BOOST_TEST(cfg.log_level == "debug");
  BOOST_TEST(cfg.deleted_retention.count() == 5'400'000);
  BOOST_TEST(cfg.max_servers == 20);
  auto& t = cfg.timing;
  BOOST_TEST(t.poll_interval.count() == 250);
  BOOST_TEST(t.backoff_initial.count() == 2'000);
  BOOST_TEST(t.backoff_max.count() == 120'000);
  BOOST_TEST(t.backoff_multiplier == 3.0);
  BOOST_TEST(t.backoff_jitter == 0.5);
  BOOST_TEST(t.call_timeout.count() == 30'000);
  BOOST_TEST(t.hanging_starting.count() == 660'000);
  BOOST_TEST(t.hanging_stopping.count() == 720'000);
  BOOST_TEST(t.hanging_deleting.count() == 780'000);
  BOOST_TEST(t.hanging_rebooting.count() == 840'000);
  BOOST_TEST_REQUIRE(cfg.providers.size() == 2u);
  auto& p = cfg.providers.at("sim");
  BOOST_TEST(p.name == "sim");
  BOOST_TEST(p.type == "simulated");
  BOOST_TEST_REQUIRE(p.rate_limit.has_value());
  BOOST_TEST(p.rate_limit->requests_per_second == 2.5);
  BOOST_TEST(p.rate_limit->burst == 4.0);
  auto& sim = p.simulated;
  BOOST_TEST(sim.create_time.count() == 21'000);
  BOOST_TEST(sim.start_time.count() == 11'000);
  BOOST_TEST(sim.stop_time.count() == 6'000);
  BOOST_TEST(sim.delete_time.count() == 7'000);
  BOOST_TEST(sim.reboot_time.count() == 12'000);
  BOOST_TEST(sim.jitter == 0.1);
  BOOST_TEST(sim.seed == UINT64_MAX);
  BOOST_TEST(sim.time_scale == 100.0);
  std::map<std::string, double> rates{{"create", 0.1}, {"get", 0.2},
                                      {"list", 0.3},   {"stop", 0.4},
                                      {"start", 0.5},  {"reboot", 0.6},
                                      {"delete", 0.7}};
  BOOST_TEST((sim.faults.error_rate == rates));
  BOOST_TEST(sim.faults.never_start_rate == 0.25);
  BOOST_TEST(sim.faults.lost_create_response_rate == 1.0);
  auto& other = cfg.providers.at("other_sim");
  BOOST_TEST(other.name == "other_sim");
  BOOST_TEST(!other.rate_limit.has_value());
  BOOST_TEST(other.simulated.seed == 1u);
  BOOST_TEST_REQUIRE(cfg.pools.size() == 2u);
  auto& pool = cfg.pools.at("default");
  BOOST_TEST(pool.name == "default");
  BOOST_TEST(pool.provider == "sim");
  BOOST_TEST(pool.desired == 3);
  BOOST_TEST(pool.min == 1);
  BOOST_TEST(pool.max == 6);
  auto& batch = cfg.pools.at("batch_2");
  BOOST_TEST(batch.provider == "other_sim");
  BOOST_TEST(batch.desired == 0);
  BOOST_TEST(batch.min == 0);
  BOOST_TEST(batch.max == 20);
}

BOOST_AUTO_TEST_CASE(rate_limit_keys_default_to_rate_limit_options) {
  auto cfg = valid(R"({
    "node": { "data_dir": "d" },
    "limits": { "max_servers": 0 },
    "providers": { "sim": { "type": "simulated", "rate_limit": {} } },
    "pools": { "p": { "provider": "sim", "desired": 0 } }
  })");
  auto& rl = cfg.providers.at("sim").rate_limit;
  BOOST_TEST_REQUIRE(rl.has_value());
  BOOST_TEST(rl->requests_per_second
             == rate_limit_options{}.requests_per_second);
  BOOST_TEST(rl->burst == rate_limit_options{}.burst);
  BOOST_TEST(cfg.max_servers == 0);
  BOOST_TEST(cfg.pools.at("p").max == 0);
}

BOOST_AUTO_TEST_CASE(boundary_values_are_accepted) {
  auto cfg = valid(R"({
    "node": { "name": "a", "data_dir": "d", "reconcile_interval": "10ms",
              "deleted_retention": "0s", "log_level": "off" },
    "limits": { "max_servers": 3 },
    "timing": { "poll_interval": "10ms", "backoff_initial": "1ms",
                "backoff_max": "1ms", "backoff_multiplier": 1,
                "backoff_jitter": 0, "call_timeout": "1ms" },
    "providers": {
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": {
        "type": "simulated", "jitter": 1, "seed": 0, "time_scale": 0.001,
        "create_time": "0ms",
        "faults": { "error_rate": { "get": 1 }, "never_start_rate": 0 } }
    },
    "pools": {
      "a-b_c": { "provider": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                 "desired": 3, "min": 3, "max": 3 }
    }
  })");
  BOOST_TEST(cfg.name == "a");
  BOOST_TEST(cfg.deleted_retention.count() == 0);
  BOOST_TEST(cfg.timing.backoff_max.count() == 1);
  BOOST_TEST(cfg.pools.at("a-b_c").desired == 3);
}

BOOST_AUTO_TEST_CASE(backoff_initial_may_equal_the_default_backoff_max) {
  auto cfg = valid(R"({
    "node": { "data_dir": "d" },
    "limits": { "max_servers": 1 },
    "timing": { "backoff_initial": "1m" },
    "providers": { "sim": { "type": "simulated" } },
    "pools": { "p": { "provider": "sim", "desired": 1 } }
  })");
  BOOST_TEST(cfg.timing.backoff_initial.count() == 60'000);
}

BOOST_AUTO_TEST_CASE(relative_data_dir_is_resolved_against_base_dir) {
  struct row {
    const char* data_dir;
    const char* base_dir;
    const char* expected;
  };
  row rows[] = {
    {"data", "/etc/dynserv", "/etc/dynserv/data"},
    {"./data/demo", "/srv/x", "/srv/x/data/demo"},
    {"../data/demo", "/repo/examples", "/repo/data/demo"},
    {"../data/demo", "/repo/examples/", "/repo/data/demo"},
    {"data/", "/b", "/b/data"},
    {"/var/lib/dynserv", "/etc", "/var/lib/dynserv"},
    {"/var/lib/dynserv/", "/etc", "/var/lib/dynserv"},
    {"data", "", "data"},
    {"./data", "", "data"},
    {"data", "rel/dir", "rel/dir/data"},
    {"/", "/etc", "/"},
  };
  for (auto& r : rows) {
    BOOST_TEST_CONTEXT("data_dir " << r.data_dir << ", base " << r.base_dir) {
      std::string text = minimal;
      text.replace(text.find("\"data\""), 6,
                   std::string{"\""} + r.data_dir + "\"");
      auto res = parse_config(text, r.base_dir);
      BOOST_TEST_REQUIRE(errors_of(res) == "");
      BOOST_TEST(res.config->data_dir == r.expected);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(files)

BOOST_AUTO_TEST_CASE(load_config_file_resolves_data_dir_against_its_folder) {
  temp_dir dir;
  dir.write("node.json", minimal);
  auto res = load_config_file((dir.path / "node.json").string());
  BOOST_TEST_REQUIRE(errors_of(res) == "");
  BOOST_TEST(res.config->data_dir == (dir.path / "data").string());
}

BOOST_AUTO_TEST_CASE(load_config_file_with_relative_path_gives_absolute_dir) {
  temp_dir dir;
  dir.write("node.json", minimal);
  auto old = fs::current_path();
  fs::current_path(dir.path);
  auto res = load_config_file("node.json");
  fs::current_path(old);
  BOOST_TEST_REQUIRE(errors_of(res) == "");
  BOOST_TEST(res.config->data_dir == (dir.path / "data").string());
}

BOOST_AUTO_TEST_CASE(missing_file_gives_the_os_reason) {
  temp_dir dir;
  auto path = (dir.path / "nope.json").string();
  auto res = load_config_file(path);
  BOOST_TEST(!res.config.has_value());
  BOOST_TEST_REQUIRE(res.errors.size() == 1u);
  BOOST_TEST(res.errors[0].path == "");
  BOOST_TEST(res.errors[0].problem
             == "cannot read \"" + path + "\": No such file or directory");
}

BOOST_AUTO_TEST_CASE(directory_gives_the_os_reason) {
  temp_dir dir;
  auto res = load_config_file(dir.path.string());
  BOOST_TEST(!res.config.has_value());
  BOOST_TEST_REQUIRE(res.errors.size() == 1u);
  BOOST_TEST(res.errors[0].path == "");
  BOOST_TEST(res.errors[0].problem
             == "cannot read \"" + dir.path.string() + "\": Is a directory");
}

BOOST_AUTO_TEST_CASE(malformed_file_reports_line_and_column) {
  temp_dir dir;
  dir.write("bad.json", "{\n  \"node\": {\n    \"data_dir\" \"d\"\n  }\n}\n");
  auto res = load_config_file((dir.path / "bad.json").string());
  BOOST_TEST(errors_of(res)
             == "malformed JSON at line 3, column 16: Missing a colon after a "
                "name of object member.\n");
}

BOOST_AUTO_TEST_CASE(every_example_file_is_valid) {
  size_t count = 0;
  for (auto& entry : fs::directory_iterator{DYNSERV_EXAMPLES_DIR}) {
    if (entry.path().extension() != ".json")
      continue;
    ++count;
    BOOST_TEST_CONTEXT(entry.path().string()) {
      auto res = load_config_file(entry.path().string());
      BOOST_TEST(errors_of(res) == "");
    }
  }
  BOOST_TEST(count >= 1u);
}

BOOST_AUTO_TEST_CASE(demo_example_has_the_documented_values) {
  auto res = load_config_file(DYNSERV_EXAMPLES_DIR "/demo.json");
  BOOST_TEST_REQUIRE(errors_of(res) == "");
  auto& cfg = *res.config;
  auto root = fs::path{DYNSERV_EXAMPLES_DIR}.parent_path();
  BOOST_TEST(cfg.name == "demo");
  BOOST_TEST(cfg.data_dir
             == (fs::absolute(root) / "data" / "demo").lexically_normal());
  BOOST_TEST(cfg.max_servers == 10);
  BOOST_TEST(cfg.reconcile_interval.count() == 5'000);
  BOOST_TEST(cfg.timing.poll_interval.count() == 500);
  BOOST_TEST_REQUIRE(cfg.providers.count("sim") == 1u);
  auto& sim = cfg.providers.at("sim").simulated;
  BOOST_TEST(sim.time_scale == 1.0);
  BOOST_TEST(sim.create_time.count() == 3'000);
  BOOST_TEST(sim.start_time.count() == 2'000);
  BOOST_TEST(sim.stop_time.count() == 1'000);
  BOOST_TEST(sim.delete_time.count() == 1'000);
  BOOST_TEST(sim.reboot_time.count() == 2'000);
  BOOST_TEST_REQUIRE(cfg.pools.size() == 2u);
  auto& def = cfg.pools.at("default");
  BOOST_TEST(def.desired == 3);
  BOOST_TEST(def.min == 0);
  BOOST_TEST(def.max == 6);
  auto& batch = cfg.pools.at("batch");
  BOOST_TEST(batch.desired == 2);
  BOOST_TEST(batch.min == 0);
  BOOST_TEST(batch.max == 4);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(config_error_to_string_joins_path_and_problem) {
  BOOST_TEST(
    (config_error{"pools.default.desired", "expected an integer, got a string"}
       .to_string()
     == "pools.default.desired: expected an integer, got a string"));
  BOOST_TEST((
    config_error{"", "cannot read \"x\": No such file or directory"}.to_string()
    == "cannot read \"x\": No such file or directory"));
}
