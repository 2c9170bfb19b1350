// dynserv-bench's rolling-reboot scenario: the peak replayed from the event
// log, and one tiny rollout through a real node (the scenario the --reboot
// option runs, at N = 4 so that it takes well under a second).
#include <boost/test/unit_test.hpp>

#include <memory>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "spdlog/spdlog.h"

#include "actors/node.hpp"
#include "messages/events.hpp"
#include "providers/simulated_provider.hpp"
#include "tests/fixtures/temp_dir.hpp"
#include "tools/bench/bench_node.hpp"
#include "tools/bench/counting_provider.hpp"
#include "tools/bench/node_driver.hpp"
#include "tools/bench/rolling_reboot.hpp"

using namespace dynserv;
using namespace std::chrono;

namespace {

event_record change(uint64_t seq, std::string pool, std::string id,
                    std::string from, std::string to) {
  event_record ev;
  ev.seq = seq;
  ev.reason = reason::status_changed;
  ev.pool = std::move(pool);
  ev.server_id = std::move(id);
  ev.from = std::move(from);
  ev.to = std::move(to);
  return ev;
}

} // namespace

BOOST_AUTO_TEST_CASE(peak_rebooting_replays_the_pools_status_changes) {
  std::vector<event_record> log{
    change(1, "p", "a", "running", "rebooting"),
    change(2, "q", "x", "running", "rebooting"), // another pool
    change(3, "p", "b", "running", "rebooting"),
    change(4, "p", "a", "rebooting", "running"),
    change(5, "p", "c", "running", "rebooting"),
    change(6, "p", "b", "rebooting", "hanging"),
    change(7, "p", "c", "rebooting", "running"),
  };
  // Over the whole log: a and b, then b and c.
  BOOST_TEST(peak_rebooting(log, "p", 0) == 2);
  // After seq 4 only b (rebooting since seq 3) and c overlap.
  BOOST_TEST(peak_rebooting(log, "p", 4) == 2);
  BOOST_TEST(peak_rebooting(log, "p", 6) == 0);
  BOOST_TEST(peak_rebooting(log, "q", 0) == 1);
  BOOST_TEST(peak_rebooting({}, "p", 0) == 0);
}

BOOST_AUTO_TEST_CASE(a_tiny_rolling_reboot_reaches_its_max_unavailable) {
  // The node's per-event info lines would drown the test's output.
  spdlog::set_level(spdlog::level::warn);
  test::temp_dir tmp{"dynserv-bench-test"};
  const int64_t n = 4;
  // Create 20 ms, reboot 10 ms (before jitter).
  auto cfg = bench_node_config(tmp.path, n, 1000);
  cfg.timing.poll_interval = milliseconds{10};
  auto sim = open_bench_cloud(cfg);
  BOOST_REQUIRE(sim);
  auto counted = std::make_shared<counting_provider>(sim);
  caf::actor_system_config sys_cfg;
  add_dynserv_types(sys_cfg);
  caf::actor_system sys{sys_cfg};
  node_start_options opts;
  opts.providers["sim"] = counted;
  auto rt = start_node(sys, cfg, opts);
  BOOST_REQUIRE(rt);
  BOOST_REQUIRE(ensure_servers(sys, rt->supervisor, "bench", n));
  auto up = wait_for_counts(
    sys, rt->supervisor,
    [n](const auto& c) { return count_of(c, server_status::running) == n; },
    seconds{10});
  BOOST_REQUIRE(up >= 0);
  auto r = run_rolling_reboot(sys, rt->supervisor, "bench", "50%", *counted,
                              seconds{10});
  BOOST_TEST(r.finished);
  BOOST_TEST(r.spec == "50%");
  BOOST_TEST(r.rollout.total == n);
  BOOST_TEST(r.rollout.max_unavailable == 2);
  BOOST_TEST(r.rollout.done == n);
  BOOST_TEST(r.rollout.skipped == 0);
  BOOST_TEST(r.peak_rebooting == 2);
  BOOST_TEST(r.peak_picked_sampled <= 2);
  BOOST_TEST(r.wall_s >= 0);
  BOOST_TEST(r.rollout_s >= 0);
  // Calls during the rollout only: one reboot per server, no creates.
  BOOST_TEST(r.calls["reboot"] == static_cast<uint64_t>(n));
  BOOST_TEST(r.calls.count("create") == 0u);
  stop_node(*rt);
}
