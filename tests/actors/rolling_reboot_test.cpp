// Rolling reboots: never more than max_unavailable servers rebooting, every
// server rebooted once, abortable, resumed after a crash.
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <map>
#include <string>
#include <vector>

#include "actors/reboot_rollout.hpp"
#include "tests/fixtures/node_fixture.hpp"

using namespace dynserv;
using namespace dynserv::test;

namespace {

using ss = server_status;
namespace bdata = boost::unit_test::data;

/// The most servers of `pool` that were in `rebooting` at once, replayed
/// from the event log (every status change is an event, in commit order).
int64_t peak_rebooting(const std::vector<event_record>& events,
                       const std::string& pool) {
  std::map<std::string, std::string> status;
  int64_t now = 0;
  int64_t peak = 0;
  for (const auto& ev : events) {
    if (ev.reason != "ServerStatusChanged" || ev.pool != pool)
      continue;
    now -= status[ev.server_id] == "rebooting" ? 1 : 0;
    status[ev.server_id] = ev.to;
    now += ev.to == "rebooting" ? 1 : 0;
    peak = std::max(peak, now);
  }
  return peak;
}

struct rollout_case {
  const char* spec;
  int64_t servers;
  int64_t expected_max;
};

[[maybe_unused]] std::ostream& operator<<(std::ostream& os,
                                          const rollout_case& x) {
  return os << x.spec << " of " << x.servers;
}

const rollout_case rollout_cases[] = {
  {"1", 6, 1},    {"2", 7, 2}, {"25%", 8, 2}, {"30%", 5, 1}, // rounds down
  {"100%", 4, 4},
};

} // namespace

BOOST_TEST_DONT_PRINT_LOG_VALUE(rollout_case)

BOOST_AUTO_TEST_SUITE(reboot_rollout_unit)

BOOST_AUTO_TEST_CASE(max_unavailable_is_a_count_or_a_percentage) {
  for (const char* ok : {"1", "2", "100", "1%", "25%", "100%"})
    BOOST_TEST(!max_unavailable_problem(ok), ok);
  for (const char* bad : {"", "0", "-1", "0%", "101%", "1.5", "x", "%", "2 ",
                          "25 %", "99999999999999999999"}) {
    auto problem = max_unavailable_problem(bad);
    BOOST_TEST_REQUIRE(problem.has_value(), bad);
    BOOST_TEST(problem->find("got \"" + std::string{bad} + "\"")
                 != std::string::npos,
               *problem);
  }
  BOOST_TEST(resolve_max_unavailable("3", 10) == 3);
  BOOST_TEST(resolve_max_unavailable("25%", 10) == 2); // rounds down
  BOOST_TEST(resolve_max_unavailable("25%", 3) == 1);  // at least 1
  BOOST_TEST(resolve_max_unavailable("100%", 7) == 7);
  BOOST_TEST(resolve_max_unavailable("10%", 0) == 1);
}

BOOST_AUTO_TEST_CASE(picks_running_servers_oldest_first_within_the_budget) {
  std::vector<server_record> servers(4);
  for (size_t i = 0; i < servers.size(); ++i) {
    servers[i].id = "s" + std::to_string(i);
    servers[i].created_at_ms = 100 - static_cast<int64_t>(i); // s3 oldest
  }
  auto r = begin_rollout(servers, "2", 7);
  BOOST_TEST(r.state == "running");
  BOOST_TEST(r.total == 4);
  BOOST_TEST((r.waiting == std::vector<std::string>{"s3", "s2", "s1", "s0"}));
  std::map<std::string, server_status> status{{"s0", ss::running},
                                              {"s1", ss::running},
                                              {"s2", ss::starting},
                                              {"s3", ss::running}};
  auto lookup = [&](const std::string& id) -> std::optional<server_status> {
    auto i = status.find(id);
    if (i == status.end())
      return std::nullopt;
    return i->second;
  };
  // s2 is starting: it waits; s3 and s1 go.
  auto picked = next_reboots(r, 0, lookup);
  BOOST_TEST((picked == std::vector<std::string>{"s3", "s1"}));
  BOOST_TEST(next_reboots(r, 2, lookup).empty()); // budget used up
  server_record s3;
  s3.id = "s3";
  s3.status = ss::running;
  BOOST_TEST((observe_rollout(r, ss::rebooting, s3) == rollout_change::done));
  BOOST_TEST(r.done == 1);
  // s0 is stopped before its turn: skipped.
  server_record s0;
  s0.id = "s0";
  s0.status = ss::stopping;
  BOOST_TEST((observe_rollout(r, ss::running, s0) == rollout_change::skipped));
  BOOST_TEST(r.skipped == 1);
  status["s2"] = ss::running;
  BOOST_TEST((next_reboots(r, 1, lookup) == std::vector<std::string>{"s2"}));
  BOOST_TEST(!finish_if_done(r, 9));
  for (const char* id : {"s1", "s2"}) {
    server_record rec;
    rec.id = id;
    rec.status = ss::running;
    observe_rollout(r, ss::rebooting, rec);
  }
  BOOST_TEST(finish_if_done(r, 9));
  BOOST_TEST(r.state == "finished");
  BOOST_TEST(r.done == 3);
  BOOST_TEST(describe(r)
             == "3 of 4 rebooted, 0 rebooting, 0 waiting, 1 "
                "skipped; at most 2 at a time");
}

BOOST_AUTO_TEST_CASE(a_restore_sends_again_what_may_not_have_been_sent) {
  rollout_record r;
  r.state = "running";
  r.rebooting = {"a", "b"};
  r.waiting = {"c"};
  restore_rollout(r, [](const std::string& id) -> std::optional<server_status> {
    return id == "a" ? ss::running : ss::rebooting;
  });
  BOOST_TEST((r.rebooting == std::vector<std::string>{"b"}));
  BOOST_TEST((r.waiting == std::vector<std::string>{"a", "c"}));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(rolling_reboot_tests, node_fixture)

BOOST_DATA_TEST_CASE_F(node_fixture,
                       a_rolling_reboot_never_exceeds_max_unavailable,
                       bdata::make(rollout_cases), c) {
  sim().reboot_time = 20s;
  add_pool("web", c.servers, 0, 20);
  start();
  BOOST_TEST_REQUIRE(until_running("web", static_cast<size_t>(c.servers)));
  auto r = reboot("web", c.spec);
  BOOST_REQUIRE_MESSAGE(r, outcome(r));
  BOOST_TEST(r->total == c.servers);
  BOOST_TEST(r->max_unavailable == c.expected_max);
  BOOST_TEST(r->max_unavailable_spec == c.spec);
  BOOST_TEST(static_cast<int64_t>(count("web", ss::rebooting))
             == c.expected_max);
  BOOST_TEST_REQUIRE(settle(
    [&] { return stored_pool("web").rollout.state == "finished"; }, 600s));
  auto all = events();
  BOOST_TEST(peak_rebooting(all, "web") == c.expected_max);
  // Every server rebooted exactly once and is running again.
  BOOST_TEST(count("web", ss::running) == static_cast<size_t>(c.servers));
  for (const auto& rec : stored_servers("web"))
    BOOST_TEST(events("ServerRebooting", rec.id).size() == 1u, rec.id);
  BOOST_TEST(cloud_calls("reboot") == static_cast<uint64_t>(c.servers));
  auto done = stored_pool("web").rollout;
  BOOST_TEST(done.done == c.servers);
  BOOST_TEST(done.skipped == 0);
  BOOST_TEST(done.finished_at_ms > done.started_at_ms);
  // Nothing more happens afterwards.
  elapse(120s);
  BOOST_TEST(cloud_calls("reboot") == static_cast<uint64_t>(c.servers));
}

BOOST_AUTO_TEST_CASE(the_pools_default_max_unavailable_applies) {
  sim().reboot_time = 20s;
  add_pool("web", 4);
  ncfg.pools["web"].max_unavailable = "2";
  start();
  BOOST_TEST_REQUIRE(until_running("web", 4));
  auto r = reboot("web");
  BOOST_REQUIRE_MESSAGE(r, outcome(r));
  BOOST_TEST(r->max_unavailable == 2);
  BOOST_TEST(r->max_unavailable_spec == "2");
  BOOST_TEST(count("web", ss::rebooting) == 2u);
}

BOOST_AUTO_TEST_CASE(a_pool_without_servers_finishes_at_once) {
  add_pool("web", 0);
  start();
  auto r = reboot("web");
  BOOST_REQUIRE_MESSAGE(r, outcome(r));
  BOOST_TEST(r->state == "finished");
  BOOST_TEST(r->total == 0);
  BOOST_TEST(events("RollingRebootFinished").size() == 1u);
  BOOST_TEST(stored_pool("web").rollout.state == "finished");
}

BOOST_AUTO_TEST_CASE(an_invalid_max_unavailable_is_refused) {
  add_pool("web", 1);
  start();
  BOOST_TEST_REQUIRE(until_running("web", 1));
  for (const char* bad : {"0", "0%", "101%", "-1", "x", "2.5", "%"}) {
    auto r = reboot("web", bad);
    BOOST_TEST_REQUIRE(!r, bad);
    BOOST_TEST(is_error(r.error(), ec::invalid_argument), render(r.error()));
    BOOST_TEST(render(r.error()).find("max_unavailable") != std::string::npos,
               render(r.error()));
  }
  BOOST_TEST(cloud_calls("reboot") == 0u);
  BOOST_TEST(stored_pool("web").rollout.state == "none");
}

BOOST_AUTO_TEST_CASE(an_aborted_rollout_reboots_no_further_server) {
  sim().reboot_time = 30s;
  add_pool("web", 4);
  start();
  BOOST_TEST_REQUIRE(until_running("web", 4));
  BOOST_REQUIRE(reboot("web", "1"));
  BOOST_TEST(cloud_calls("reboot") == 1u);
  // Wait for the first to finish and the second to start.
  BOOST_TEST_REQUIRE(settle([&] { return cloud_calls("reboot") == 2; }));
  auto aborted = abort_reboot("web");
  BOOST_REQUIRE_MESSAGE(aborted, outcome(aborted));
  BOOST_TEST(aborted->state == "aborted");
  BOOST_TEST(aborted->done == 1);
  BOOST_TEST(aborted->waiting.empty());
  BOOST_TEST(aborted->skipped == 2);
  // The reboot under way ends; no other starts.
  BOOST_TEST_REQUIRE(until_running("web", 4));
  elapse(300s);
  BOOST_TEST(cloud_calls("reboot") == 2u);
  BOOST_TEST(events("RollingRebootAborted").size() == 1u);
  BOOST_TEST(events("RollingRebootFinished").empty());
  BOOST_TEST(stored_pool("web").rollout.state == "aborted");
  // Aborting twice is an error that says why.
  auto again = abort_reboot("web");
  BOOST_TEST_REQUIRE(!again);
  BOOST_TEST(render(again.error()).find("no rolling reboot")
               != std::string::npos,
             render(again.error()));
}

BOOST_AUTO_TEST_CASE(a_rollout_survives_a_crash) {
  sim().reboot_time = 30s;
  add_pool("web", 3);
  start();
  BOOST_TEST_REQUIRE(until_running("web", 3));
  BOOST_REQUIRE(reboot("web", "1"));
  BOOST_TEST_REQUIRE(settle([&] { return cloud_calls("reboot") == 2; }));
  auto before = stored_pool("web").rollout;
  BOOST_TEST(before.state == "running");
  BOOST_TEST(before.done == 1);
  BOOST_TEST(before.rebooting.size() == 1u);
  BOOST_TEST(before.waiting.size() == 1u);
  crash();
  start();
  BOOST_TEST_REQUIRE(settle(
    [&] { return stored_pool("web").rollout.state == "finished"; }, 600s));
  // One reboot per server in all: the one under way at the crash was seen
  // through, not sent again.
  for (const auto& rec : stored_servers("web"))
    BOOST_TEST(events("ServerRebooting", rec.id).size() == 1u, rec.id);
  BOOST_TEST(peak_rebooting(events(), "web") == 1);
  BOOST_TEST(count("web", ss::running) == 3u);
}

BOOST_AUTO_TEST_CASE(a_server_stopped_during_a_rollout_is_skipped) {
  sim().reboot_time = 30s;
  add_pool("web", 3);
  start();
  BOOST_TEST_REQUIRE(until_running("web", 3));
  BOOST_REQUIRE(reboot("web", "1"));
  auto waiting = stored_pool("web").rollout.waiting;
  BOOST_TEST_REQUIRE(waiting.size() == 2u);
  auto res = ask<server_record>(node(), atom::stop_v, waiting.back());
  BOOST_REQUIRE_MESSAGE(res, outcome(res));
  BOOST_TEST_REQUIRE(settle(
    [&] { return stored_pool("web").rollout.state == "finished"; }, 600s));
  auto r = stored_pool("web").rollout;
  BOOST_TEST(r.done == 2);
  BOOST_TEST(r.skipped == 1);
  BOOST_TEST(events("RollingRebootSkipped", waiting.back()).size() == 1u);
  BOOST_TEST(events("ServerRebooting", waiting.back()).empty());
}

BOOST_AUTO_TEST_CASE(servers_created_during_a_rollout_are_not_rebooted) {
  sim().reboot_time = 30s;
  add_pool("web", 2);
  start();
  BOOST_TEST_REQUIRE(until_running("web", 2));
  auto old_ids = ids("web", ss::running);
  BOOST_REQUIRE(reboot("web", "1"));
  BOOST_REQUIRE(increase("web", 2));
  BOOST_TEST_REQUIRE(settle(
    [&] { return stored_pool("web").rollout.state == "finished"; }, 600s));
  BOOST_TEST_REQUIRE(until_running("web", 4));
  BOOST_TEST(cloud_calls("reboot") == 2u);
  for (const auto& id : old_ids)
    BOOST_TEST(events("ServerRebooting", id).size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
