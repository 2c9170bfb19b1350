// End-to-end tests of the `dynserv` binary against the embedded simulated
// cloud: scaling through the config file and SIGHUP, crashes (SIGKILL) at
// random moments, clean shutdown and resume, the status report, the example
// config.
#define BOOST_TEST_MODULE test_integration
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

#include "tests/integration/harness.hpp"

using namespace dynserv::test;
using namespace std::chrono_literals;

namespace fs = std::filesystem;

namespace {

/// Upper bound for a pool to reach its desired count with the fast config.
constexpr auto converge_timeout = millis{60s};
/// Upper bound for a node to exit after SIGTERM or SIGKILL.
constexpr auto exit_timeout = millis{30s};

status_report require_status(sandbox& box) {
  std::string error;
  auto res = box.status(error);
  BOOST_REQUIRE_MESSAGE(res, error);
  return std::move(*res);
}

cloud_report require_cloud(sandbox& box, bool history) {
  std::string error;
  auto res = box.cloud(history, error);
  BOOST_REQUIRE_MESSAGE(res, error);
  return std::move(*res);
}

void require_converged(sandbox& box,
                       const std::map<std::string, int64_t>& desired,
                       millis timeout = converge_timeout) {
  auto problem = wait_converged(box, desired, timeout);
  BOOST_REQUIRE_MESSAGE(problem.empty(), "not converged within "
                                           << timeout.count()
                                           << " ms: " << problem << "\n"
                                           << box.node_log_tail());
}

/// SIGTERM, then expects a clean exit with code 0.
void stop_cleanly(sandbox& box, child_process& node) {
  BOOST_REQUIRE_MESSAGE(node.running(), "the node died before SIGTERM: "
                                          << node.status().to_string() << "\n"
                                          << box.node_log_tail());
  BOOST_REQUIRE_MESSAGE(signal_and_wait(node, SIGTERM, exit_timeout),
                        "the node did not exit within " << exit_timeout.count()
                                                        << " ms of SIGTERM\n"
                                                        << box.node_log_tail());
  BOOST_CHECK_MESSAGE(node.status().exited && node.status().code == 0,
                      "SIGTERM: " << node.status().to_string() << "\n"
                                  << box.node_log_tail());
}

/// History rows sorted by provider id; the simulated cloud numbers its
/// servers ("sim-00000001", ...) in creation order.
std::vector<cloud_row> in_creation_order(std::vector<cloud_row> rows) {
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.provider_id < b.provider_id;
  });
  return rows;
}

std::set<std::string> dynserv_ids(const std::vector<cloud_row>& rows) {
  std::set<std::string> res;
  for (const auto& r : rows)
    res.insert(r.dynserv_id);
  return res;
}

std::string describe(const std::set<std::string>& xs) {
  std::string res;
  for (const auto& x : xs)
    res += (res.empty() ? "" : ", ") + x;
  return "{" + res + "}";
}

/// Checks the history after convergence: nothing was created twice, and the
/// store knows every server the cloud ever created for this node.
void check_history(const cloud_report& history, const status_report& status) {
  auto dups = duplicate_ids(history);
  BOOST_CHECK_MESSAGE(dups.empty(), "servers created more than once at the "
                                    "cloud: "
                                      << describe({dups.begin(), dups.end()}));
  auto known = status.all_ids();
  for (const auto& r : history.servers) {
    BOOST_CHECK_MESSAGE(!r.dynserv_id.empty(),
                        "cloud server " << r.provider_id << " has no id label");
    BOOST_CHECK_MESSAGE(known.count(r.dynserv_id) > 0,
                        "cloud server " << r.provider_id << " (" << r.dynserv_id
                                        << ", " << r.state
                                        << ") is unknown to the store");
  }
}

/// Checks what must hold whenever the node is not running: every server
/// alive at the cloud has a live record in the store (a server without one
/// would never be deleted), and none was created twice.
void check_no_leak_at_rest(sandbox& box, const std::string& when) {
  auto cloud = require_cloud(box, true);
  for (const auto& r : cloud.live())
    BOOST_CHECK_MESSAGE(r.known, when << ": cloud server " << r.provider_id
                                      << " (" << r.dynserv_id << ", " << r.state
                                      << ") has no live record in the store");
  auto dups = duplicate_ids(cloud);
  BOOST_CHECK_MESSAGE(dups.empty(), when
                                      << ": created more than once: "
                                      << describe({dups.begin(), dups.end()}));
}

/// Waits until the node's output contains `text`; returns false on timeout.
bool wait_for_log(sandbox& box, const std::string& text, millis timeout) {
  auto problem = poll_until(timeout, [&]() -> std::string {
    auto log = read_file(box.dir() + "/node.out")
               + read_file(box.dir() + "/node.err");
    return log.find(text) == std::string::npos ? "no \"" + text + "\" yet" : "";
  });
  return problem.empty();
}

/// Seed of the random test: $DYNSERV_E2E_SEED if set, else a random one.
uint32_t test_seed() {
  if (auto env = std::getenv("DYNSERV_E2E_SEED"); env != nullptr && *env)
    return static_cast<uint32_t>(std::strtoul(env, nullptr, 10));
  return std::random_device{}();
}

} // namespace

BOOST_AUTO_TEST_SUITE(end_to_end)

BOOST_AUTO_TEST_CASE(ensure_5_then_decrease_2) {
  sandbox box{"ensure5"};
  config_spec spec;
  spec.pools = {{"default", 5}};
  box.write_config(spec);
  auto node = box.start_node();
  require_converged(box, {{"default", 5}});
  auto five = require_cloud(box, false).live();
  BOOST_REQUIRE_EQUAL(five.size(), 5u);
  auto history = require_cloud(box, true);
  BOOST_REQUIRE_EQUAL(history.servers.size(), 5u);
  // A config file that does not load on SIGHUP changes nothing.
  box.write_config_text(R"({"node": {"data_dir": "data"}, "pools": 3})");
  BOOST_REQUIRE(node->send_signal(SIGHUP));
  BOOST_CHECK_MESSAGE(wait_for_log(box, "keeping the running counts", 30s),
                      "no reload failure logged\n"
                        << box.node_log_tail());
  BOOST_REQUIRE(node->running());
  BOOST_CHECK_EQUAL(require_status(box).pool("default")->desired, 5);
  // Scale down to 3 through the file.
  spec.pools[0].desired = 3;
  box.write_config(spec);
  BOOST_REQUIRE(node->send_signal(SIGHUP));
  require_converged(box, {{"default", 3}});
  auto status = require_status(box);
  auto survivors = status.ids("default", "running");
  auto deleted = status.ids("default", "deleted");
  BOOST_CHECK_EQUAL(survivors.size(), 3u);
  BOOST_CHECK_EQUAL(deleted.size(), 2u);
  BOOST_CHECK_EQUAL(status.pool("default")->counts.at("deleted"), 2);
  BOOST_CHECK_EQUAL(status.pool("default")->counts.at("running"), 3);
  BOOST_CHECK_EQUAL(status.servers.size(), 5u);
  auto cloud = require_cloud(box, false);
  BOOST_CHECK_EQUAL(cloud.live().size(), 3u);
  BOOST_CHECK(dynserv_ids(cloud.live()) == survivors);
  // The history holds all five, the two stopped ones as "deleted".
  history = require_cloud(box, true);
  BOOST_CHECK_EQUAL(history.servers.size(), 5u);
  for (const auto& r : history.servers) {
    if (deleted.count(r.dynserv_id))
      BOOST_CHECK_MESSAGE(r.state == "deleted",
                          r.dynserv_id << " is " << r.state << " in history");
    else
      BOOST_CHECK_MESSAGE(survivors.count(r.dynserv_id) && r.state == "running",
                          r.dynserv_id << " is " << r.state << " in history");
  }
  check_history(history, status);
  // Down-scaling stops the newest first: the survivors are the three servers
  // the cloud created first.
  auto ordered = in_creation_order(history.servers);
  std::set<std::string> oldest;
  for (size_t i = 0; i < 3 && i < ordered.size(); ++i)
    oldest.insert(ordered[i].dynserv_id);
  std::string order;
  for (const auto& r : ordered)
    order += r.provider_id + "=" + r.dynserv_id.substr(0, 8) + " ";
  BOOST_CHECK_MESSAGE(survivors == oldest,
                      "survivors "
                        << describe(survivors) << " are not the 3 oldest "
                        << describe(oldest) << "; creation order: " << order);
  // Two more servers are strictly newer than the survivors; scaling down
  // again must stop exactly those two.
  spec.pools[0].desired = 5;
  box.write_config(spec);
  BOOST_REQUIRE(node->send_signal(SIGHUP));
  require_converged(box, {{"default", 5}});
  auto newer = require_status(box).ids("default", "running");
  for (const auto& id : survivors)
    newer.erase(id);
  BOOST_REQUIRE_EQUAL(newer.size(), 2u);
  spec.pools[0].desired = 3;
  box.write_config(spec);
  BOOST_REQUIRE(node->send_signal(SIGHUP));
  require_converged(box, {{"default", 3}});
  status = require_status(box);
  BOOST_CHECK_MESSAGE(status.ids("default", "running") == survivors,
                      "after 5 -> 3 again the running servers are "
                        << describe(status.ids("default", "running"))
                        << ", want the older " << describe(survivors));
  for (const auto& id : newer)
    BOOST_CHECK_MESSAGE(status.ids("default", "deleted").count(id),
                        "the newer server " << id << " was not deleted");
  history = require_cloud(box, true);
  BOOST_CHECK_EQUAL(history.servers.size(), 7u);
  check_history(history, status);
  stop_cleanly(box, *node);
}

BOOST_AUTO_TEST_CASE(
  kill_dash_9_during_scale_up_and_down_never_leaks_or_duplicates) {
  auto seed = test_seed();
  std::cout << "kill -9 test: seed " << seed
            << " (set DYNSERV_E2E_SEED to repeat)" << std::endl;
  BOOST_TEST_CONTEXT("seed " << seed) {
    std::mt19937 rng{seed};
    auto pick = [&rng](int lo, int hi) {
      return std::uniform_int_distribution<int>{lo, hi}(rng);
    };
    sandbox box{"kill9"};
    config_spec spec;
    spec.pools = {{"workers", 0}};
    spec.lost_create_response_rate = 0.2;
    spec.error_rate = {{"create", 0.1}, {"stop", 0.1}, {"delete", 0.1}};
    constexpr int rounds = 24;
    auto started = std::chrono::steady_clock::now();
    for (int round = 0; round < rounds; ++round) {
      auto desired = round % 2 == 0 ? pick(4, 8) : pick(0, 2);
      auto run_for = millis{pick(0, 1500)};
      spec.pools[0].desired = desired;
      spec.sim_seed = rng();
      box.write_config(spec);
      auto node = box.start_node();
      sleep_for(run_for);
      BOOST_REQUIRE_MESSAGE(node->running(),
                            "round " << round << ": the node ended by itself: "
                                     << node->status().to_string() << "\n"
                                     << box.node_log_tail());
      node->kill_and_reap();
      BOOST_REQUIRE_EQUAL(node->status().signal, SIGKILL);
      std::cout << "round " << round << ": desired " << desired
                << ", killed after " << run_for.count() << " ms" << std::endl;
      check_no_leak_at_rest(box, "after round " + std::to_string(round));
    }
    auto elapsed = std::chrono::steady_clock::now() - started;
    std::cout << rounds << " kill rounds took "
              << std::chrono::duration_cast<millis>(elapsed).count() << " ms"
              << std::endl;
    spec.pools[0].desired = 3;
    box.write_config(spec);
    auto node = box.start_node();
    require_converged(box, {{"workers", 3}}, 90s);
    auto status = require_status(box);
    auto history = require_cloud(box, true);
    check_history(history, status);
    // No two live records claim the same cloud server.
    std::map<std::string, int> by_provider_id;
    for (const auto& s : status.servers)
      if (s.status != "deleted" && !s.provider_id.empty())
        ++by_provider_id[s.provider_id];
    for (const auto& [pid, n] : by_provider_id)
      BOOST_CHECK_MESSAGE(n == 1, pid << " is claimed by " << n << " records");
    std::cout << "history: " << history.servers.size()
              << " servers ever created" << std::endl;
    stop_cleanly(box, *node);
  }
}

BOOST_AUTO_TEST_CASE(sigterm_exits_zero_and_resumes) {
  sandbox box{"sigterm"};
  config_spec spec;
  spec.pools = {{"default", 4}};
  box.write_config(spec);
  {
    auto node = box.start_node();
    // Wait until servers exist but are not up yet, then stop the node.
    auto problem = poll_until(20s, [&]() -> std::string {
      std::string error;
      auto status = box.status(error);
      if (!status)
        return error;
      auto starting = status->ids("default", "pending").size()
                      + status->ids("default", "starting").size();
      return starting > 0 ? "" : "no server pending or starting yet";
    });
    BOOST_REQUIRE_MESSAGE(problem.empty(), problem << "\n"
                                                   << box.node_log_tail());
    stop_cleanly(box, *node);
    BOOST_WARN_MESSAGE(require_status(box).ids("default", "running").size() < 4,
                       "all servers were running at SIGTERM; the test did "
                       "not stop the node while they were starting");
    check_no_leak_at_rest(box, "after SIGTERM");
  }
  auto node = box.start_node();
  require_converged(box, {{"default", 4}});
  auto status = require_status(box);
  auto history = require_cloud(box, true);
  // Exactly four servers were ever created: the restart resumed them.
  BOOST_CHECK_EQUAL(history.servers.size(), 4u);
  BOOST_CHECK_EQUAL(status.servers.size(), 4u);
  check_history(history, status);
  stop_cleanly(box, *node);
}

BOOST_AUTO_TEST_CASE(status_works_while_running_and_after) {
  sandbox box{"status"};
  config_spec spec;
  spec.pools = {{"alpha", 2}, {"beta_pool", 1}};
  box.write_config(spec);
  auto node = box.start_node();
  require_converged(box, {{"alpha", 2}, {"beta_pool", 1}});
  // While the node runs: the JSON report is complete and consistent.
  auto json = box.run_cli({"status", "--data-dir", box.data_dir(), "--json"});
  BOOST_REQUIRE(node->running());
  BOOST_CHECK_EQUAL(json.status.to_string(), "exit code 0");
  std::string error;
  auto running = parse_status(json.out, error);
  BOOST_REQUIRE_MESSAGE(running, error);
  BOOST_REQUIRE_EQUAL(running->pools.size(), 2u);
  BOOST_CHECK_EQUAL(running->pool("alpha")->desired, 2);
  BOOST_CHECK_EQUAL(running->pool("alpha")->provisioned, 2);
  BOOST_CHECK_EQUAL(running->pool("beta_pool")->desired, 1);
  BOOST_CHECK_EQUAL(running->servers.size(), 3u);
  for (const auto& s : running->servers) {
    BOOST_CHECK_EQUAL(s.provider, "sim");
    BOOST_CHECK(!s.provider_id.empty());
    BOOST_CHECK(s.since_ms > 0);
    BOOST_CHECK_MESSAGE(s.name.find(s.id.substr(0, 8)) != std::string::npos,
                        s.name << " does not carry " << s.id);
  }
  stop_cleanly(box, *node);
  // After the node stopped: the text report names pools and servers.
  auto text = box.run_cli({"status", "--data-dir", box.data_dir()});
  BOOST_CHECK_EQUAL(text.status.to_string(), "exit code 0");
  BOOST_CHECK(text.out.find("POOL") != std::string::npos);
  BOOST_CHECK(text.out.find("alpha") != std::string::npos);
  BOOST_CHECK(text.out.find("beta_pool") != std::string::npos);
  for (const auto& s : running->servers)
    BOOST_CHECK_MESSAGE(text.out.find(s.id) != std::string::npos,
                        "server " << s.id << " missing in\n"
                                  << text.out);
  auto after = require_status(box);
  BOOST_CHECK_EQUAL(after.servers.size(), 3u);
  BOOST_CHECK(after.ids("", "running") == running->ids("", "running"));
  // A data dir that does not exist: an error, and nothing is created.
  auto missing = box.dir() + "/no-such-dir";
  auto bad = box.run_cli({"status", "--data-dir", missing, "--json"});
  BOOST_CHECK(!(bad.status.exited && bad.status.code == 0));
  BOOST_CHECK_MESSAGE(bad.err.find("dynserv: ") != std::string::npos,
                      "stderr: " << bad.err);
  BOOST_CHECK(bad.out.empty());
  BOOST_CHECK(!fs::exists(missing));
  // And without --data-dir: a usage error.
  auto usage = box.run_cli({"status", "--json"});
  BOOST_CHECK_EQUAL(usage.status.to_string(), "exit code 2");
  BOOST_CHECK(usage.err.find("usage:") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(demo_example_runs) {
  sandbox box{"demo"};
  auto text = read_file(std::string{DYNSERV_EXAMPLES_DIR} + "/demo.json");
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  BOOST_REQUIRE(!doc.HasParseError() && doc.IsObject());
  // Only the data dir changes, so the example's own data stays untouched.
  auto data_dir = box.data_dir();
  doc["node"]["data_dir"].SetString(
    data_dir.c_str(), static_cast<rapidjson::SizeType>(data_dir.size()),
    doc.GetAllocator());
  // ... and the console binds port 0 so tests can run side by side.
  rapidjson::Value admin{rapidjson::kObjectType};
  admin.AddMember("listen", "127.0.0.1:0", doc.GetAllocator());
  doc.RemoveMember("admin");
  doc.AddMember("admin", admin, doc.GetAllocator());
  rapidjson::Value http{rapidjson::kObjectType};
  http.AddMember("listen", "127.0.0.1:0", doc.GetAllocator());
  doc.RemoveMember("http");
  doc.AddMember("http", http, doc.GetAllocator());
  std::map<std::string, int64_t> desired;
  for (const auto& p : doc["pools"].GetObject())
    desired[p.name.GetString()] = p.value["desired"].GetInt64();
  BOOST_REQUIRE(!desired.empty());
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  doc.Accept(w);
  box.write_config_text(buf.GetString());
  auto node = box.start_node();
  require_converged(box, desired);
  auto history = require_cloud(box, true);
  int64_t total = 0;
  for (const auto& [name, n] : desired)
    total += n;
  BOOST_CHECK_EQUAL(static_cast<int64_t>(history.servers.size()), total);
  check_history(history, require_status(box));
  stop_cleanly(box, *node);
}

BOOST_AUTO_TEST_SUITE_END()
