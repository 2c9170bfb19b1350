// Tests of the embedded simulated cloud (state machine, guards, faults,
// persistence through the store interface, read-only access).
#include "providers/simulated_provider.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <stdlib.h>   // mkdtemp
#include <sys/wait.h> // waitpid
#include <unistd.h>   // fork, alarm

#include "messages/errors.hpp"
#include "storage/memory_store.hpp"
#include "storage/rocksdb_store.hpp"

using namespace dynserv;
using namespace std::chrono_literals;

namespace {

constexpr int64_t t0 = 1'700'000'000'000;

/// A temporary directory, removed with everything in it afterwards.
struct temp_dir {
  std::string path;

  temp_dir() {
    auto pattern
      = (std::filesystem::temp_directory_path() / "dynserv-sim-test-XXXXXX")
          .string();
    BOOST_REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }

  ~temp_dir() {
    std::error_code err;
    std::filesystem::remove_all(path, err);
  }
};

/// Deterministic durations: no jitter, round numbers.
simulated_options exact_options() {
  simulated_options result;
  result.create_time = 20s;
  result.start_time = 10s;
  result.stop_time = 5s;
  result.delete_time = 5s;
  result.reboot_time = 8s;
  result.jitter = 0.0;
  result.seed = 1;
  result.time_scale = 1.0;
  return result;
}

create_request request(const std::string& id, label_map labels = {}) {
  create_request result;
  result.server_id = id;
  result.name = "ds-" + id;
  result.pool = "default";
  result.labels = std::move(labels);
  result.labels.emplace(labels::id, id);
  return result;
}

/// A provider in a fresh directory on a clock the test advances.
struct fixture {
  temp_dir tmp;
  std::string dir = tmp.path + "/cloud/sim";
  int64_t now = t0;
  std::unique_ptr<simulated_provider> cloud;

  fixture() {
    reopen(exact_options());
  }

  std::function<int64_t()> clock() {
    return [this] { return now; };
  }

  void reopen(simulated_options opts) {
    cloud.reset();
    auto res = open_simulated_provider(dir, std::move(opts), clock());
    BOOST_REQUIRE(res);
    cloud = std::move(*res);
  }

  void advance(millis d) {
    now += d.count();
  }

  /// Creates a server and returns its provider id.
  std::string create(const std::string& id, label_map labels = {}) {
    auto reply = cloud->create(request(id, std::move(labels)));
    BOOST_REQUIRE(reply.ok());
    BOOST_REQUIRE_EQUAL(reply.servers.size(), 1u);
    return reply.servers.front().provider_id;
  }

  cloud_state state_of(const std::string& pid) {
    auto reply = cloud->get(pid);
    BOOST_REQUIRE(reply.ok());
    BOOST_REQUIRE_EQUAL(reply.servers.size(), 1u);
    return reply.servers.front().state;
  }

  /// Creates a server and lets it run.
  std::string create_running(const std::string& id) {
    auto pid = create(id);
    advance(20s);
    BOOST_REQUIRE((state_of(pid) == cloud_state::running));
    return pid;
  }

  /// Creates a server and stops it.
  std::string create_stopped(const std::string& id) {
    auto pid = create_running(id);
    BOOST_REQUIRE(cloud->stop(pid).ok());
    advance(5s);
    BOOST_REQUIRE((state_of(pid) == cloud_state::stopped));
    return pid;
  }
};

std::vector<std::string> ids_of(const provider_reply& reply) {
  std::vector<std::string> result;
  for (const auto& s : reply.servers)
    result.push_back(s.provider_id);
  std::sort(result.begin(), result.end());
  return result;
}

void check_conflict(const provider_reply& reply, const std::string& message) {
  BOOST_TEST((reply.error.kind == error_kind::conflict));
  BOOST_TEST(reply.error.code == "409");
  BOOST_TEST(reply.error.message == message);
  BOOST_TEST(reply.servers.empty());
}

void check_not_found(const provider_reply& reply) {
  BOOST_TEST((reply.error.kind == error_kind::not_found));
  BOOST_TEST(reply.error.code == "404");
  BOOST_TEST(reply.error.message == "SERVER_NOT_FOUND");
}

void check_unavailable(const provider_reply& reply) {
  BOOST_TEST((reply.error.kind == error_kind::transient));
  BOOST_TEST(reply.error.code == "503");
  BOOST_TEST(reply.error.message == "simulated service unavailable");
  BOOST_TEST(reply.servers.empty());
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(simulated_provider_tests, fixture)

// -- lifecycle ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_server_goes_through_its_whole_life) {
  BOOST_TEST(cloud->type_name() == "simulated");
  auto reply = cloud->create(request("a", {{labels::pool, "web"}}));
  BOOST_REQUIRE(reply.ok());
  BOOST_REQUIRE_EQUAL(reply.servers.size(), 1u);
  auto created = reply.servers.front();
  auto pid = created.provider_id;
  BOOST_TEST(pid.rfind("sim-", 0) == 0u);
  BOOST_TEST(created.name == "ds-a");
  BOOST_TEST(created.labels.at(labels::pool) == "web");
  BOOST_TEST(created.labels.at(labels::id) == "a");
  BOOST_TEST((created.state == cloud_state::provisioning));
  BOOST_TEST(created.raw_state == "provisioning");
  BOOST_TEST(created.created_at_ms == t0);
  advance(19'999ms);
  BOOST_TEST((state_of(pid) == cloud_state::provisioning));
  advance(1ms);
  BOOST_TEST((state_of(pid) == cloud_state::running));
  BOOST_TEST(cloud->get(pid).servers.front().raw_state == "running");
  // stop
  reply = cloud->stop(pid);
  BOOST_TEST(reply.ok());
  BOOST_TEST((reply.servers.at(0).state == cloud_state::stopping));
  advance(4'999ms);
  BOOST_TEST((state_of(pid) == cloud_state::stopping));
  advance(1ms);
  BOOST_TEST((state_of(pid) == cloud_state::stopped));
  // destroy
  reply = cloud->destroy(pid);
  BOOST_TEST(reply.ok());
  BOOST_TEST((reply.servers.at(0).state == cloud_state::deleting));
  BOOST_TEST((state_of(pid) == cloud_state::deleting));
  BOOST_TEST(cloud->list({}).servers.size() == 1u);
  advance(5s);
  check_not_found(cloud->get(pid));
  BOOST_TEST(cloud->list({}).servers.empty());
  BOOST_TEST(cloud->live_count() == 0u);
  auto hist = cloud->history();
  BOOST_REQUIRE_EQUAL(hist.size(), 1u);
  BOOST_TEST(hist.front().provider_id == pid);
  BOOST_TEST(hist.front().raw_state == "deleted");
  BOOST_TEST(hist.front().name == "ds-a");
}

BOOST_AUTO_TEST_CASE(a_stopped_server_starts_again) {
  auto pid = create_stopped("a");
  auto reply = cloud->start(pid);
  BOOST_TEST(reply.ok());
  BOOST_TEST((reply.servers.at(0).state == cloud_state::provisioning));
  advance(9'999ms);
  BOOST_TEST((state_of(pid) == cloud_state::provisioning));
  advance(1ms);
  BOOST_TEST((state_of(pid) == cloud_state::running));
}

BOOST_AUTO_TEST_CASE(a_running_server_reboots) {
  auto pid = create_running("a");
  auto reply = cloud->reboot(pid);
  BOOST_TEST(reply.ok());
  BOOST_TEST((reply.servers.at(0).state == cloud_state::rebooting));
  advance(7'999ms);
  BOOST_TEST((state_of(pid) == cloud_state::rebooting));
  BOOST_TEST(cloud->get(pid).servers.front().raw_state == "rebooting");
  advance(1ms);
  BOOST_TEST((state_of(pid) == cloud_state::running));
}

BOOST_AUTO_TEST_CASE(capabilities_match_a_cloud_that_deletes_only_stopped) {
  auto caps = cloud->capabilities();
  BOOST_TEST(caps.list_by_labels);
  BOOST_TEST(!caps.delete_running);
  BOOST_TEST(caps.start_stopped);
  BOOST_TEST(caps.reboot);
}

// -- guards -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(calls_that_do_not_fit_a_provisioning_server_conflict) {
  auto pid = create("a");
  check_conflict(cloud->stop(pid), "server is provisioning");
  check_conflict(cloud->start(pid), "server is provisioning");
  check_conflict(cloud->reboot(pid), "server is provisioning");
  check_conflict(cloud->destroy(pid), "server is provisioning");
  // Nothing changed.
  advance(20s);
  BOOST_TEST((state_of(pid) == cloud_state::running));
}

BOOST_AUTO_TEST_CASE(calls_that_do_not_fit_a_running_server_conflict) {
  auto pid = create_running("a");
  check_conflict(cloud->start(pid), "server is running");
  check_conflict(cloud->destroy(pid), "server is running");
  BOOST_TEST((state_of(pid) == cloud_state::running));
}

BOOST_AUTO_TEST_CASE(calls_that_do_not_fit_a_stopping_server_conflict) {
  auto pid = create_running("a");
  BOOST_REQUIRE(cloud->stop(pid).ok());
  check_conflict(cloud->stop(pid), "server is stopping");
  check_conflict(cloud->start(pid), "server is stopping");
  check_conflict(cloud->reboot(pid), "server is stopping");
  check_conflict(cloud->destroy(pid), "server is stopping");
}

BOOST_AUTO_TEST_CASE(calls_that_do_not_fit_a_stopped_server_conflict) {
  auto pid = create_stopped("a");
  check_conflict(cloud->stop(pid), "server is stopped");
  check_conflict(cloud->reboot(pid), "server is stopped");
}

BOOST_AUTO_TEST_CASE(calls_that_do_not_fit_a_rebooting_server_conflict) {
  auto pid = create_running("a");
  BOOST_REQUIRE(cloud->reboot(pid).ok());
  check_conflict(cloud->stop(pid), "server is rebooting");
  check_conflict(cloud->start(pid), "server is rebooting");
  check_conflict(cloud->reboot(pid), "server is rebooting");
  check_conflict(cloud->destroy(pid), "server is rebooting");
}

BOOST_AUTO_TEST_CASE(calls_on_a_deleting_server) {
  auto pid = create_stopped("a");
  BOOST_REQUIRE(cloud->destroy(pid).ok());
  advance(2s);
  // Deleting twice is fine and does not restart the clock.
  auto again = cloud->destroy(pid);
  BOOST_TEST(again.ok());
  BOOST_TEST((again.servers.at(0).state == cloud_state::deleting));
  check_conflict(cloud->start(pid), "server is deleting");
  check_conflict(cloud->stop(pid), "server is deleting");
  check_conflict(cloud->reboot(pid), "server is deleting");
  advance(3s);
  check_not_found(cloud->get(pid));
}

BOOST_AUTO_TEST_CASE(unknown_and_deleted_servers_are_not_found) {
  for (auto pid : {std::string{"sim-99999999"}, std::string{}}) {
    check_not_found(cloud->get(pid));
    check_not_found(cloud->stop(pid));
    check_not_found(cloud->start(pid));
    check_not_found(cloud->reboot(pid));
    check_not_found(cloud->destroy(pid));
  }
  auto pid = create_stopped("a");
  BOOST_REQUIRE(cloud->destroy(pid).ok());
  advance(5s);
  check_not_found(cloud->get(pid));
  check_not_found(cloud->stop(pid));
  check_not_found(cloud->start(pid));
  check_not_found(cloud->reboot(pid));
  check_not_found(cloud->destroy(pid));
}

BOOST_AUTO_TEST_CASE(create_rejects_an_empty_name_or_id) {
  auto req = request("a");
  req.name.clear();
  auto reply = cloud->create(req);
  BOOST_TEST((reply.error.kind == error_kind::permanent));
  BOOST_TEST(reply.error.code == "422");
  req = request("a");
  req.server_id.clear();
  reply = cloud->create(req);
  BOOST_TEST((reply.error.kind == error_kind::permanent));
  BOOST_TEST(reply.error.code == "422");
  BOOST_TEST(cloud->history().empty());
}

// -- labels -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(list_returns_servers_carrying_every_selector_label) {
  auto a = create("a", {{labels::owner, "n1"}, {labels::pool, "web"}});
  auto b = create("b", {{labels::owner, "n1"}, {labels::pool, "db"}});
  auto c = create("c", {{labels::owner, "n2"}, {labels::pool, "web"}});
  auto d = create("d");
  using ids = std::vector<std::string>;
  auto all = ids{a, b, c, d};
  std::sort(all.begin(), all.end());
  BOOST_TEST(ids_of(cloud->list({})) == all, boost::test_tools::per_element());
  BOOST_TEST(ids_of(cloud->list({{labels::owner, "n1"}})) == (ids{a, b}),
             boost::test_tools::per_element());
  BOOST_TEST(ids_of(cloud->list({{labels::pool, "web"}})) == (ids{a, c}),
             boost::test_tools::per_element());
  BOOST_TEST(ids_of(cloud->list({{labels::owner, "n1"}, {labels::pool, "web"}}))
               == (ids{a}),
             boost::test_tools::per_element());
  BOOST_TEST(ids_of(cloud->list({{labels::id, "d"}})) == (ids{d}),
             boost::test_tools::per_element());
  BOOST_TEST(cloud->list({{labels::owner, "n3"}}).servers.empty());
  BOOST_TEST(cloud->list({{"no-such-key", ""}}).servers.empty());
  auto reply = cloud->list({{labels::owner, "n2"}});
  BOOST_REQUIRE_EQUAL(reply.servers.size(), 1u);
  BOOST_TEST(reply.servers.front().name == "ds-c");
  BOOST_TEST(reply.servers.front().labels.at(labels::pool) == "web");
}

BOOST_AUTO_TEST_CASE(provider_ids_are_never_reused) {
  std::set<std::string> seen;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 3; ++i) {
      auto pid = create_stopped("s" + std::to_string(round * 10 + i));
      BOOST_TEST_REQUIRE(seen.insert(pid).second);
      BOOST_REQUIRE(cloud->destroy(pid).ok());
    }
    advance(5s);
    reopen(exact_options());
  }
  BOOST_TEST(cloud->history().size() == 9u);
}

// -- persistence --------------------------------------------------------------

BOOST_AUTO_TEST_CASE(the_inventory_survives_close_and_reopen) {
  auto running = create_running("a");
  auto stopping = create_running("b");
  BOOST_REQUIRE(cloud->stop(stopping).ok());
  auto gone = create_stopped("c");
  BOOST_REQUIRE(cloud->destroy(gone).ok());
  advance(5s);
  auto provisioning = create("d", {{labels::pool, "p"}});
  cloud.reset();
  advance(1s);
  reopen(exact_options());
  BOOST_TEST((state_of(running) == cloud_state::running));
  BOOST_TEST((state_of(provisioning) == cloud_state::provisioning));
  BOOST_TEST((state_of(stopping) == cloud_state::stopped));
  check_not_found(cloud->get(gone));
  auto reply = cloud->list({{labels::pool, "p"}});
  BOOST_REQUIRE_EQUAL(reply.servers.size(), 1u);
  BOOST_TEST(reply.servers.front().provider_id == provisioning);
  BOOST_TEST(reply.servers.front().created_at_ms == t0 + 70'000);
  BOOST_TEST(reply.servers.front().labels.at(labels::id) == "d");
  BOOST_TEST(cloud->live_count() == 3u);
  BOOST_TEST(cloud->history().size() == 4u);
  // Timers keep running across the restart.
  advance(19s);
  BOOST_TEST((state_of(provisioning) == cloud_state::running));
  auto fresh = create("e");
  BOOST_TEST(fresh != running);
  BOOST_TEST(fresh != stopping);
  BOOST_TEST(fresh != gone);
  BOOST_TEST(fresh != provisioning);
}

BOOST_AUTO_TEST_CASE(a_create_survives_kill_9_of_the_process) {
  temp_dir other;
  auto child = fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {
    // The child creates a server and dies without closing anything. The
    // alarm ends it should RocksDB hang after the fork.
    alarm(20);
    auto clock_ms = t0;
    auto res = open_simulated_provider(other.path, exact_options(),
                                       [&] { return clock_ms; });
    if (res)
      (*res)->create(request("survivor"));
    raise(SIGKILL);
    _exit(1);
  }
  int status = 0;
  BOOST_REQUIRE(waitpid(child, &status, 0) == child);
  BOOST_REQUIRE(WIFSIGNALED(status));
  BOOST_TEST(WTERMSIG(status) == SIGKILL);
  auto res = open_simulated_provider(other.path, exact_options(), clock());
  BOOST_REQUIRE(res);
  auto found = (*res)->list({{labels::id, "survivor"}});
  BOOST_REQUIRE(found.ok());
  BOOST_TEST(found.servers.size() == 1u);
}

BOOST_AUTO_TEST_CASE(the_directory_is_created_with_its_parents) {
  BOOST_TEST(std::filesystem::is_directory(dir));
  BOOST_TEST(cloud->dir() == dir);
  BOOST_TEST(!cloud->read_only());
}

BOOST_AUTO_TEST_CASE(a_second_primary_on_the_same_directory_fails) {
  auto res = open_simulated_provider(dir, exact_options(), clock());
  BOOST_TEST(!res);
}

// -- timing -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(time_scale_shortens_every_duration) {
  auto opts = exact_options();
  opts.time_scale = 100.0;
  reopen(opts);
  auto pid = create("a");
  advance(199ms);
  BOOST_TEST((state_of(pid) == cloud_state::provisioning));
  advance(1ms);
  BOOST_TEST((state_of(pid) == cloud_state::running));
  BOOST_REQUIRE(cloud->stop(pid).ok());
  advance(49ms);
  BOOST_TEST((state_of(pid) == cloud_state::stopping));
  advance(1ms);
  BOOST_TEST((state_of(pid) == cloud_state::stopped));
  BOOST_REQUIRE(cloud->destroy(pid).ok());
  advance(50ms);
  check_not_found(cloud->get(pid));
}

BOOST_AUTO_TEST_CASE(jitter_spreads_durations_within_bounds) {
  auto opts = exact_options();
  opts.jitter = 0.5;
  reopen(opts);
  std::vector<std::string> pids;
  for (int i = 0; i < 40; ++i)
    pids.push_back(create("j" + std::to_string(i)));
  // Create takes 20 s +- 50%: nothing runs before 10 s, everything by 30 s.
  advance(9'999ms);
  for (const auto& pid : pids)
    BOOST_TEST_REQUIRE((state_of(pid) == cloud_state::provisioning));
  advance(10s);
  auto running = std::count_if(pids.begin(), pids.end(), [&](auto& pid) {
    return state_of(pid) == cloud_state::running;
  });
  BOOST_TEST(running > 5);
  BOOST_TEST(running < 35);
  advance(10'001ms);
  for (const auto& pid : pids)
    BOOST_TEST_REQUIRE((state_of(pid) == cloud_state::running));
}

// -- faults -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(error_rate_one_fails_each_operation_without_effect) {
  auto stopped = create_stopped("a");
  auto running = create_running("b");
  auto before = cloud->history().size();
  for (const std::string op :
       {"create", "get", "list", "stop", "start", "reboot", "delete"}) {
    BOOST_TEST_CONTEXT("operation " << op) {
      auto opts = exact_options();
      opts.faults.error_rate[op] = 1.0;
      reopen(opts);
      if (op == "create")
        check_unavailable(cloud->create(request("x")));
      else if (op == "get")
        check_unavailable(cloud->get(running));
      else if (op == "list")
        check_unavailable(cloud->list({}));
      else if (op == "stop")
        check_unavailable(cloud->stop(running));
      else if (op == "start")
        check_unavailable(cloud->start(stopped));
      else if (op == "reboot")
        check_unavailable(cloud->reboot(running));
      else
        check_unavailable(cloud->destroy(stopped));
      // Other operations still work and nothing changed.
      if (op != "get") {
        BOOST_TEST((state_of(running) == cloud_state::running));
        BOOST_TEST((state_of(stopped) == cloud_state::stopped));
      }
      BOOST_TEST(cloud->history().size() == before);
      BOOST_TEST(cloud->call_counts().at(op) == 1u);
    }
  }
}

BOOST_AUTO_TEST_CASE(fault_rates_of_zero_never_fire) {
  auto opts = exact_options();
  for (auto op : {"create", "get", "list", "stop", "start", "reboot", "delete"})
    opts.faults.error_rate[op] = 0.0;
  opts.faults.never_start_rate = 0.0;
  opts.faults.lost_create_response_rate = 0.0;
  reopen(opts);
  for (int i = 0; i < 50; ++i) {
    auto pid = create("z" + std::to_string(i));
    BOOST_TEST_REQUIRE(cloud->list({}).ok());
    advance(20s);
    BOOST_TEST_REQUIRE((state_of(pid) == cloud_state::running));
    BOOST_TEST_REQUIRE(cloud->reboot(pid).ok());
    advance(8s);
    BOOST_TEST_REQUIRE(cloud->stop(pid).ok());
    advance(5s);
    BOOST_TEST_REQUIRE(cloud->start(pid).ok());
    advance(10s);
    BOOST_TEST_REQUIRE(cloud->stop(pid).ok());
    advance(5s);
    BOOST_TEST_REQUIRE(cloud->destroy(pid).ok());
  }
}

BOOST_AUTO_TEST_CASE(never_start_keeps_a_server_provisioning_forever) {
  auto opts = exact_options();
  opts.faults.never_start_rate = 1.0;
  reopen(opts);
  auto pid = create("a");
  advance(std::chrono::hours{24 * 365});
  BOOST_TEST((state_of(pid) == cloud_state::provisioning));
  check_conflict(cloud->stop(pid), "server is provisioning");
  check_conflict(cloud->reboot(pid), "server is provisioning");
  // Still stuck after a restart.
  reopen(exact_options());
  BOOST_TEST((state_of(pid) == cloud_state::provisioning));
  // A hung build can be deleted, or it would leak forever.
  BOOST_TEST(cloud->destroy(pid).ok());
  advance(5s);
  check_not_found(cloud->get(pid));
}

BOOST_AUTO_TEST_CASE(a_lost_create_response_still_creates_the_server) {
  auto opts = exact_options();
  opts.faults.lost_create_response_rate = 1.0;
  reopen(opts);
  auto reply = cloud->create(request("a", {{labels::pool, "web"}}));
  BOOST_TEST((reply.error.kind == error_kind::outcome_unknown));
  BOOST_TEST(reply.error.code == "timeout");
  BOOST_TEST(reply.servers.empty());
  auto found = cloud->list({{labels::id, "a"}});
  BOOST_REQUIRE(found.ok());
  BOOST_REQUIRE_EQUAL(found.servers.size(), 1u);
  BOOST_TEST(found.servers.front().name == "ds-a");
  BOOST_TEST((found.servers.front().state == cloud_state::provisioning));
  // It is persisted too.
  reopen(exact_options());
  BOOST_TEST(cloud->list({{labels::id, "a"}}).servers.size() == 1u);
}

BOOST_AUTO_TEST_CASE(the_same_seed_gives_the_same_outcomes) {
  auto opts = exact_options();
  opts.jitter = 0.3;
  opts.faults.error_rate["create"] = 0.3;
  opts.faults.error_rate["get"] = 0.3;
  opts.faults.lost_create_response_rate = 0.3;
  opts.faults.never_start_rate = 0.3;
  auto run = [&](uint64_t seed) {
    temp_dir other;
    auto clock_ms = t0;
    auto o = opts;
    o.seed = seed;
    auto res = open_simulated_provider(other.path, o, [&] { return clock_ms; });
    BOOST_REQUIRE(res);
    auto& sim = **res;
    std::vector<std::string> trace;
    for (int i = 0; i < 60; ++i) {
      auto reply = sim.create(request("x" + std::to_string(i)));
      trace.push_back(to_string(reply.error.kind));
      clock_ms += 1000;
      auto listed = sim.list({{labels::id, "x" + std::to_string(i)}});
      for (const auto& s : listed.servers)
        trace.push_back(to_string(s.state));
    }
    clock_ms += 22'000;
    for (const auto& s : sim.history()) {
      auto reply = sim.get(s.provider_id);
      trace.push_back(to_string(reply.error.kind));
      for (const auto& t : reply.servers)
        trace.push_back(to_string(t.state));
    }
    return trace;
  };
  auto first = run(5);
  BOOST_TEST(first == run(5), boost::test_tools::per_element());
  BOOST_TEST((first != run(6)));
  // Every kind of outcome happened.
  for (auto word :
       {"none", "transient", "outcome_unknown", "provisioning", "running"})
    BOOST_TEST(std::count(first.begin(), first.end(), word) > 0, word);
}

// -- inspection ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(history_keeps_tombstones_of_deleted_servers) {
  auto a = create_stopped("a");
  auto b = create_running("b");
  auto c = create_stopped("c");
  BOOST_REQUIRE(cloud->destroy(a).ok());
  BOOST_REQUIRE(cloud->destroy(c).ok());
  advance(5s);
  BOOST_TEST(cloud->live_count() == 1u);
  auto hist = cloud->history();
  BOOST_REQUIRE_EQUAL(hist.size(), 3u);
  std::map<std::string, std::string> raw;
  for (const auto& s : hist)
    raw[s.provider_id] = s.raw_state;
  BOOST_TEST(raw[a] == "deleted");
  BOOST_TEST(raw[b] == "running");
  BOOST_TEST(raw[c] == "deleted");
  BOOST_TEST(ids_of(cloud->list({})) == (std::vector<std::string>{b}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(calls_are_counted_per_operation) {
  auto pid = create("a");
  cloud->get(pid);
  cloud->get(pid);
  cloud->list({});
  cloud->stop(pid); // conflict, counted anyway
  cloud->destroy("sim-nope");
  auto counts = cloud->call_counts();
  BOOST_TEST(counts.at("create") == 1u);
  BOOST_TEST(counts.at("get") == 2u);
  BOOST_TEST(counts.at("list") == 1u);
  BOOST_TEST(counts.at("stop") == 1u);
  BOOST_TEST(counts.at("start") == 0u);
  BOOST_TEST(counts.at("reboot") == 0u);
  BOOST_TEST(counts.at("delete") == 1u);
}

// -- options ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(bad_options_are_rejected) {
  temp_dir other;
  auto check_rejected = [&](simulated_options opts) {
    auto res = open_simulated_provider(other.path + "/x", opts, clock());
    BOOST_TEST(!res);
  };
  auto opts = exact_options();
  opts.time_scale = 0.0;
  check_rejected(opts);
  opts = exact_options();
  opts.jitter = 1.5;
  check_rejected(opts);
  opts = exact_options();
  opts.faults.error_rate["destroy"] = 0.5; // the key is "delete"
  check_rejected(opts);
  opts = exact_options();
  opts.faults.error_rate["get"] = 1.5;
  check_rejected(opts);
  opts = exact_options();
  opts.faults.never_start_rate = -0.1;
  check_rejected(opts);
  opts = exact_options();
  opts.create_time = -1s;
  check_rejected(opts);
  BOOST_TEST(
    !open_simulated_provider(other.path + "/y", exact_options(), nullptr));
}

// -- read-only access ---------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_read_only_instance_follows_an_open_primary) {
  auto a = create_running("a");
  auto b = create("b", {{labels::pool, "web"}});
  auto res = open_simulated_provider(dir, exact_options(), clock(), true);
  BOOST_REQUIRE(res);
  auto& reader = **res;
  BOOST_TEST(reader.read_only());
  BOOST_TEST(ids_of(reader.list({})) == ids_of(cloud->list({})),
             boost::test_tools::per_element());
  BOOST_TEST(reader.list({}).servers.size() == 2u);
  // Writes of the primary after opening show up.
  auto c = create("c", {{labels::pool, "web"}});
  BOOST_REQUIRE(cloud->stop(a).ok());
  BOOST_TEST(ids_of(reader.list({{labels::pool, "web"}}))
               == (std::vector<std::string>{b, c}),
             boost::test_tools::per_element());
  auto got = reader.get(a);
  BOOST_REQUIRE(got.ok());
  BOOST_TEST((got.servers.front().state == cloud_state::stopping));
  BOOST_TEST(reader.history().size() == 3u);
  BOOST_TEST(reader.live_count() == 3u);
  // It refuses every change.
  for (auto reply : {reader.create(request("d")), reader.stop(b),
                     reader.start(a), reader.reboot(b), reader.destroy(a)}) {
    BOOST_TEST((reply.error.kind == error_kind::permanent));
    BOOST_TEST(reply.error.code == "403");
  }
  BOOST_TEST(cloud->history().size() == 3u);
  // A deletion by the primary shows up too.
  advance(5s);
  BOOST_REQUIRE(cloud->destroy(a).ok());
  advance(5s);
  check_not_found(reader.get(a));
  BOOST_TEST(reader.live_count() == 2u);
}

BOOST_AUTO_TEST_CASE(a_read_only_instance_needs_an_existing_inventory) {
  temp_dir other;
  auto res = open_simulated_provider(other.path + "/missing", exact_options(),
                                     clock(), true);
  BOOST_TEST(!res);
  BOOST_TEST(!std::filesystem::exists(other.path + "/missing"));
}

// -- the store interface ------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_directory_keeps_its_rocksdb_layout_and_keys) {
  // Inventories written before the store interface open unchanged: the
  // same RocksDB directory, the same keys and records.
  auto a = create("a");
  cloud.reset();
  auto opened = open_rocksdb_store(dir, rocksdb_open_mode::primary);
  BOOST_REQUIRE(opened);
  auto record = (*opened)->get("server/" + a);
  BOOST_REQUIRE(record);
  BOOST_REQUIRE(record->has_value());
  BOOST_TEST(record->value().find("\"id\":\"" + a + "\"") != std::string::npos);
  auto counter = (*opened)->get("meta/next_id");
  BOOST_REQUIRE(counter);
  BOOST_TEST(counter->value_or("") == "2");
  opened->reset();
  reopen(exact_options());
  BOOST_TEST((state_of(a) == cloud_state::provisioning));
}

BOOST_AUTO_TEST_CASE(the_inventory_can_share_a_store_under_a_key_prefix) {
  auto shared = make_memory_store();
  write_batch theirs;
  theirs.put("s/other", "not the cloud's");
  BOOST_REQUIRE(!shared->write(theirs));
  auto open_on = [&](const std::string& prefix, bool read_only = false) {
    auto res = open_simulated_provider(*shared, prefix, exact_options(),
                                       clock(), read_only);
    BOOST_REQUIRE(res);
    return std::move(*res);
  };
  auto first = open_on("sim/a/");
  BOOST_TEST(first->dir().empty());
  auto reply = first->create(request("x"));
  BOOST_REQUIRE(reply.ok());
  auto pid = reply.servers.front().provider_id;
  // Only keys below the prefix were written; the other data is untouched.
  std::vector<std::string> keys;
  BOOST_REQUIRE(!shared->scan("", [&](std::string_view key, std::string_view) {
    keys.emplace_back(key);
    return true;
  }));
  BOOST_TEST(keys
               == (std::vector<std::string>{"s/other", "sim/a/meta/next_id",
                                            "sim/a/server/" + pid}),
             boost::test_tools::per_element());
  // A second instance on the same prefix reads the inventory back; another
  // prefix is another, empty account.
  auto again = open_on("sim/a/");
  BOOST_TEST(again->list({}).servers.size() == 1u);
  BOOST_TEST(open_on("sim/b/")->list({}).servers.size() == 0u);
  // A read-only instance refuses changes.
  auto reader = open_on("sim/a/", true);
  BOOST_TEST(reader->read_only());
  BOOST_TEST(reader->get(pid).ok());
  BOOST_TEST(reader->create(request("y")).error.code == "403");
}

BOOST_AUTO_TEST_CASE(a_corrupt_record_in_a_shared_store_is_reported) {
  auto shared = make_memory_store();
  write_batch junk;
  junk.put("sim/server/sim-00000001", "{not json");
  BOOST_REQUIRE(!shared->write(junk));
  auto res = open_simulated_provider(*shared, "sim/", exact_options(), clock());
  BOOST_REQUIRE(!res);
  BOOST_TEST(res.error().code() == static_cast<uint8_t>(ec::corrupt_record));
  BOOST_TEST(describe(res.error()).find("sim/server/sim-00000001")
             != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
