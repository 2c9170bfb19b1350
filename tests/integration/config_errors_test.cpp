// End-to-end checks of the command line: bad config files exit 2 and name
// the key at fault; usage errors exit 2 and print the usage.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "tests/integration/harness.hpp"

using namespace dynserv::test;

namespace fs = std::filesystem;

namespace {

/// A valid file; each bad case replaces one piece of it.
constexpr auto valid_config = R"({
  "node": { "name": "e2e", "data_dir": "data" },
  "limits": { "max_servers": 10 },
  "providers": { "sim": { "type": "simulated" } },
  "pools": { "default": { "provider": "sim", "desired": 3, "max": 6 } }
})";

/// Returns `valid_config` with `from` replaced by `to` (which must occur).
std::string replaced(const std::string& from, const std::string& to) {
  std::string text = valid_config;
  auto pos = text.find(from);
  BOOST_REQUIRE_MESSAGE(pos != std::string::npos, "no " << from);
  return text.replace(pos, from.size(), to);
}

struct bad_config {
  const char* label;
  std::string text;
  /// Each must appear in stderr after "dynserv: config error: ".
  std::vector<std::string> expected;
};

void check_rejected(sandbox& box, const std::string& label,
                    const std::string& path,
                    const std::vector<std::string>& expected) {
  BOOST_TEST_CONTEXT(label) {
    auto res = box.run_cli({"run", "--config", path});
    BOOST_CHECK_EQUAL(res.status.to_string(), "exit code 2");
    for (const auto& e : expected)
      BOOST_CHECK_MESSAGE(res.err.find("dynserv: config error: " + e)
                            != std::string::npos,
                          "want \"config error: " << e << "\" in stderr:\n"
                                                  << res.err);
    // The node never started: no store was created.
    BOOST_CHECK(!fs::exists(box.data_dir()));
    // provider-servers reads the same file and rejects it the same way.
    auto ps = box.run_cli({"provider-servers", "--config", path, "--json"});
    BOOST_CHECK_EQUAL(ps.status.to_string(), "exit code 2");
    BOOST_CHECK_MESSAGE(
      ps.err.find("dynserv: config error: " + expected.front())
        != std::string::npos,
      "provider-servers stderr:\n"
        << ps.err);
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(command_line)

BOOST_AUTO_TEST_CASE(bad_config_files_exit_2_with_key_path) {
  sandbox box{"badcfg"};
  std::vector<bad_config> table{
    {"malformed JSON",
     replaced(R"("max": 6 } })", R"("max": 6, } })"),
     {"malformed JSON at line 5"}},
    {"unknown key",
     replaced(R"("desired": 3)", R"("desird": 3)"),
     {"pools.default.desird: unknown key (did you mean \"desired\"?)"}},
    {"wrong type",
     replaced(R"("desired": 3)", R"("desired": "3")"),
     {"pools.default.desired: expected an integer, got a string"}},
    {"missing data_dir",
     replaced(R"("name": "e2e", "data_dir": "data")", R"("name": "e2e")"),
     {"node.data_dir: missing required key"}},
    {"unknown provider",
     replaced(R"("provider": "sim")", R"("provider": "x")"),
     {"pools.default.provider: unknown provider \"x\" (known: sim)"}},
    {"desired above max",
     replaced(R"("desired": 3)", R"("desired": 7)"),
     {"pools.default.desired: must be between min (0) and max (6), got 7"}},
    {"bad duration",
     replaced(R"("data_dir": "data")",
              R"("data_dir": "data", "reconcile_interval": "5 s")"),
     {"node.reconcile_interval: invalid duration \"5 s\""}},
    {"several problems at once",
     replaced(R"("desired": 3, "max": 6)",
              R"("desired": "3", "max": 6, "mxa": 1)"),
     {"pools.default.desired: expected an integer, got a string",
      "pools.default.mxa: unknown key"}},
  };
  for (size_t i = 0; i < table.size(); ++i) {
    auto path = box.dir() + "/bad" + std::to_string(i) + ".json";
    std::ofstream{path} << table[i].text;
    check_rejected(box, table[i].label, path, table[i].expected);
  }
  // Files that cannot be read at all.
  auto missing = box.dir() + "/missing.json";
  check_rejected(
    box, "missing file", missing,
    {"cannot read \"" + missing + "\": No such file or directory"});
  auto directory = box.dir() + "/a-directory.json";
  fs::create_directory(directory);
  check_rejected(box, "a directory", directory,
                 {"cannot read \"" + directory + "\""});
  if (geteuid() != 0) {
    auto unreadable = box.dir() + "/unreadable.json";
    std::ofstream{unreadable} << valid_config;
    chmod(unreadable.c_str(), 0);
    check_rejected(box, "unreadable file", unreadable,
                   {"cannot read \"" + unreadable + "\": Permission denied"});
  } else {
    BOOST_TEST_MESSAGE("running as root: skipping the unreadable file");
  }
  // The valid file itself passes the loader, so the cases above fail for
  // the reason they name.
  auto good = box.dir() + "/good.json";
  std::ofstream{good} << valid_config;
  auto ps = box.run_cli({"provider-servers", "--config", good, "--json"});
  BOOST_CHECK_NE(ps.status.to_string(), "exit code 2");
  BOOST_CHECK_MESSAGE(ps.err.find("config error") == std::string::npos, ps.err);
}

// A node that never ran has an empty simulated cloud: the report lists no
// servers instead of failing (the store is treated that way already).
BOOST_AUTO_TEST_CASE(provider_servers_before_the_first_run_lists_nothing) {
  sandbox box{"nocloud"};
  config_spec spec;
  spec.pools = {{"default", 2}};
  box.write_config(spec);
  for (bool history : {false, true}) {
    BOOST_TEST_CONTEXT("history " << history) {
      std::string error;
      auto cloud = box.cloud(history, error);
      BOOST_CHECK_MESSAGE(cloud, error);
      if (cloud)
        BOOST_CHECK(cloud->servers.empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_2) {
  sandbox box{"usage"};
  struct usage_case {
    std::vector<std::string> args;
    std::string message;
  };
  std::vector<usage_case> cases{
    {{}, "dynserv: missing command"},
    {{"frobnicate"}, "dynserv: unknown command frobnicate"},
    {{"run"}, "dynserv: run needs --config FILE"},
    {{"run", "--config"}, "dynserv: --config needs a value"},
    {{"run", "--confg", "x.json"}, "dynserv: unknown option --confg"},
    {{"provider-servers", "--json"},
     "dynserv: provider-servers needs --config FILE"},
  };
  for (const auto& c : cases) {
    std::string label = "dynserv";
    for (const auto& a : c.args)
      label += " " + a;
    BOOST_TEST_CONTEXT(label) {
      auto res = box.run_cli(c.args);
      BOOST_CHECK_EQUAL(res.status.to_string(), "exit code 2");
      BOOST_CHECK_MESSAGE(res.err.find(c.message) != std::string::npos,
                          "stderr: " << res.err);
      BOOST_CHECK_MESSAGE(res.err.find("usage:") != std::string::npos,
                          "stderr: " << res.err);
    }
  }
  auto help = box.run_cli({"--help"});
  BOOST_CHECK_EQUAL(help.status.to_string(), "exit code 0");
  BOOST_CHECK(help.out.find("dynserv run --config FILE") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
