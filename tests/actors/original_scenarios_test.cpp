// The test suite of the original PHP package (spatie/laravel-dynamic-servers
// 1.1.0, tests/), ported scenario by scenario to dynserv's semantics. Each
// case is named after the original test and cites its file; where dynserv
// deliberately differs (see "What dynserv does instead" in
// reference-behaviour.md), the case asserts dynserv's behaviour and says so.
//
// The original's pools are its server types: "default" and "other" (its
// TestCase registers type "other" on a second provider account). Queued jobs
// become virtual time: one `processQueuedJobs()` is about one poll tick.
//
// Not ported, because they do not apply to dynserv:
// - Commands/ListDynamicServersCommandTest ("has a command to list all
//   servers", "works when there are no servers defined"): artisan table
//   output; dynserv's CLI reports are not actors.
// - Support/ConfigTest ("can get a job class", "throws when adding an invalid
//   job class"): dynserv has no configurable job or action classes.
// - Models/ServerTest "can add meta data to a server" and "can merge meta
//   data of a server": no free-form meta bag; the provider's id and creation
//   time are typed fields of the server record.
// - Models/ServerTest "can get a provider" and "will throw an exception when
//   using an unknown provider": accounts are resolved and validated when the
//   config is read (tests/config/node_config_errors_test.cpp).
// - Models/ServerTest "will copy the configuration of a server type to the
//   configuration attribute": pools carry no per-server create payload.
// - ServerProviders/UpCloudTest ("can determine the total number of servers
//   on UpCloud", "can determine that the server has been deleted"): live
//   UpCloud API; dynserv has no UpCloud provider.
// - Models/ServerTest "will dispatch a job to start a server" is asserted
//   inside can_increase_the_number_of_servers_by_1 (one create call).
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "tests/fixtures/node_fixture.hpp"

using namespace dynserv;
using namespace dynserv::test;

namespace {

using ss = server_status;
using strings = std::vector<std::string>;
namespace bdata = boost::unit_test::data;

/// The original's `serverTypes` dataset.
const char* const pool_names[] = {"default", "other"};

/// The statuses of the original's DetectHangingServerJob dataset, plus
/// rebooting (dynserv also has a rebooting deadline).
const char* const hanging_statuses[] = {"starting", "stopping", "deleting",
                                        "rebooting"};

/// Name of the second provider account ("other_provider" in the original).
constexpr auto other_account = "other_sim";

std::string other_pool(const std::string& pool) {
  return pool == "default" ? "other" : "default";
}

struct scenario_fixture : node_fixture {
  /// Adds the pools "default" and "other" (with the given desired counts)
  /// and starts the node.
  void start_two_pools(int64_t default_desired = 0, int64_t other_desired = 0) {
    add_pool("default", default_desired);
    add_pool("other", other_desired);
    start();
  }

  /// Starts the node with `n` servers in `pool`, none in the other one, and
  /// waits until they run.
  void start_with_running(const std::string& pool, int64_t n) {
    start_two_pools(pool == "default" ? n : 0, pool == "other" ? n : 0);
    BOOST_TEST_REQUIRE(until_running(pool, static_cast<size_t>(n)));
  }

  /// Stored servers of `pool` that are starting, running or rebooting.
  size_t provisioned(const std::string& pool) {
    size_t n = 0;
    for (const auto& rec : stored_servers(pool))
      if (is_provisioned(rec.status))
        ++n;
    return n;
  }

  /// DynamicServers::provisionedCount(): provisioned servers of every pool,
  /// as the pool actors report them.
  int64_t provisioned_count() {
    int64_t n = 0;
    for (const auto& ps : status())
      for (size_t i = 0; i < ps.counts.size(); ++i)
        if (is_provisioned(static_cast<ss>(i)))
          n += ps.counts[i];
    return n;
  }

  /// The id of the only stored server of `pool`.
  std::string only_server(const std::string& pool) {
    auto recs = stored_servers(pool);
    BOOST_REQUIRE_EQUAL(recs.size(), 1u);
    return recs[0].id;
  }

  /// Sequence numbers of the events `reason` of server `id`.
  std::vector<uint64_t> seqs(const std::string& reason, const std::string& id) {
    std::vector<uint64_t> result;
    for (const auto& ev : events(reason, id))
      result.push_back(ev.seq);
    return result;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(original_package_scenarios, scenario_fixture)

// -- Feature/StartServerFlowTest.php ------------------------------------------

// tests/Feature/StartServerFlowTest.php "can start a server"; dynserv's `new`
// is `pending`.
BOOST_AUTO_TEST_CASE(can_start_a_server) {
  start_two_pools();
  auto reply = increase("default", 1);
  BOOST_REQUIRE_MESSAGE(reply, outcome(reply));
  auto id = only_server("default");
  // start(): starting at once, and the create went out (CreateServerJob).
  auto rec = stored(id);
  BOOST_TEST((rec.status == ss::starting));
  BOOST_TEST((rec.previous_status == ss::pending));
  BOOST_TEST(cloud_calls("create") == 1u);
  BOOST_TEST(rec.call_accepted);
  BOOST_TEST(!rec.provider_id.empty());
  BOOST_TEST(events("ServerCreating", id).size() == 1u);
  // The first verify (VerifyServerStartedJob) finds it still provisioning.
  elapse(1s);
  BOOST_TEST(cloud_calls("list") >= 1u);
  BOOST_TEST((stored(id).status == ss::starting));
  // A later verify finds it running.
  BOOST_TEST_REQUIRE(settle([&] { return stored(id).status == ss::running; }));
  strings want{"pending->starting", "starting->running"};
  BOOST_TEST(transitions(id) == want, boost::test_tools::per_element());
  auto running = events("ServerRunning", id);
  BOOST_TEST_REQUIRE(running.size() == 1u);
  BOOST_TEST(running[0].message.find("starting") != std::string::npos,
             running[0].message);
  BOOST_TEST(cloud_calls("create") == 1u);
  BOOST_TEST(stored_servers("other").empty());
}

// tests/Feature/StartServerFlowTest.php "will restart a server when it has
// been marked to be restarted during start"
BOOST_AUTO_TEST_CASE(
  will_restart_a_server_when_it_has_been_marked_to_be_restarted_during_start) {
  start_two_pools();
  BOOST_REQUIRE(increase("default", 1));
  auto id = only_server("default");
  BOOST_TEST_REQUIRE((stored(id).status == ss::starting));
  auto affected = reboot("default");
  BOOST_REQUIRE_MESSAGE(affected, outcome(affected));
  BOOST_TEST(affected->total == 1);
  auto rec = stored(id);
  BOOST_TEST((rec.status == ss::starting));
  // dynserv: the rolling reboot takes it once it is running.
  BOOST_TEST(waits_for_reboot("default", id));
  BOOST_TEST(cloud_calls("reboot") == 0u);
  elapse(1s);
  BOOST_TEST((stored(id).status == ss::starting));
  // Once it is up it goes straight on to rebooting (no rest in running).
  BOOST_TEST_REQUIRE(settle([&] { return stored(id).status != ss::starting; }));
  rec = stored(id);
  BOOST_TEST((rec.status == ss::rebooting));
  BOOST_TEST(!rec.reboot_requested);
  BOOST_TEST(cloud_calls("reboot") == 1u);
  BOOST_TEST(events("ServerRunning", id).size() == 1u);
  // The next verify finds it still rebooting, a later one running.
  elapse(1s);
  BOOST_TEST((stored(id).status == ss::rebooting));
  BOOST_TEST_REQUIRE(settle([&] { return stored(id).status == ss::running; }));
  strings want{"pending->starting", "starting->running", "running->rebooting",
               "rebooting->running"};
  BOOST_TEST(transitions(id) == want, boost::test_tools::per_element());
  BOOST_TEST(cloud_calls("reboot") == 1u);
  BOOST_TEST(!stored(id).reboot_requested);
}

// -- Feature/StopServerFlowTest.php -------------------------------------------

// tests/Feature/StopServerFlowTest.php "can stop a server"
BOOST_AUTO_TEST_CASE(can_stop_a_server) {
  start_with_running("default", 1);
  auto id = only_server("default");
  auto res = ask<server_record>(node(), atom::stop_v, id);
  BOOST_REQUIRE_MESSAGE(res, outcome(res));
  BOOST_TEST((res->status == ss::stopping));
  BOOST_TEST((stored(id).status == ss::stopping));
  BOOST_TEST(cloud_calls("stop") == 1u);
  BOOST_TEST_REQUIRE(settle([&] { return stored(id).status == ss::deleted; }));
  // One status after the other, in this order, in the event log.
  strings want{"pending->starting", "starting->running", "running->stopping",
               "stopping->stopped", "stopped->deleting", "deleting->deleted"};
  BOOST_TEST(transitions(id) == want, boost::test_tools::per_element());
  auto stopping = seqs("ServerStopping", id);
  auto stopped = seqs("ServerStopped", id);
  auto deleting = seqs("ServerDeleting", id);
  auto deleted = seqs("ServerDeleted", id);
  BOOST_TEST_REQUIRE(stopping.size() == 1u);
  BOOST_TEST_REQUIRE(stopped.size() == 1u);
  BOOST_TEST_REQUIRE(deleting.size() == 1u);
  BOOST_TEST_REQUIRE(deleted.size() == 1u);
  BOOST_TEST(stopping[0] < stopped[0]);
  BOOST_TEST(stopped[0] < deleting[0]);
  BOOST_TEST(deleting[0] < deleted[0]);
  auto srv = at_cloud(id);
  BOOST_TEST_REQUIRE(srv.size() == 1u);
  BOOST_TEST(srv[0].raw_state == "deleted");
  BOOST_TEST(cloud_calls("delete") == 1u);
}

// -- Feature/RebootServerFlowTest.php -----------------------------------------

// tests/Feature/RebootServerFlowTest.php "can reboot a server"
BOOST_AUTO_TEST_CASE(can_reboot_a_server) {
  start_two_pools();
  BOOST_REQUIRE(increase("default", 1));
  auto id = only_server("default");
  BOOST_TEST((stored(id).status == ss::starting));
  elapse(1s);
  BOOST_TEST((stored(id).status == ss::starting));
  BOOST_TEST_REQUIRE(until_running("default", 1));
  auto affected = reboot("default");
  BOOST_REQUIRE_MESSAGE(affected, outcome(affected));
  BOOST_TEST(affected->total == 1);
  BOOST_TEST((stored(id).status == ss::rebooting));
  BOOST_TEST(cloud_calls("reboot") == 1u);
  elapse(1s);
  BOOST_TEST((stored(id).status == ss::rebooting));
  BOOST_TEST_REQUIRE(settle([&] { return stored(id).status == ss::running; }));
  strings want{"pending->starting", "starting->running", "running->rebooting",
               "rebooting->running"};
  BOOST_TEST(transitions(id) == want, boost::test_tools::per_element());
  BOOST_TEST(events("ServerRebooting", id).size() == 1u);
  auto running = events("ServerRunning", id);
  BOOST_TEST_REQUIRE(running.size() == 2u);
  BOOST_TEST(running[1].message.find("rebooting") != std::string::npos,
             running[1].message);
  BOOST_TEST(cloud_calls("reboot") == 1u);
}

// tests/Feature/RebootServerFlowTest.php "will reboot as server again when a
// reboot is requested during a reboot"
BOOST_AUTO_TEST_CASE(
  will_reboot_a_server_again_when_a_reboot_is_requested_during_a_reboot) {
  start_with_running("default", 1);
  auto id = only_server("default");
  BOOST_REQUIRE(reboot("default"));
  auto rec = stored(id);
  BOOST_TEST((rec.status == ss::rebooting));
  BOOST_TEST(!rec.reboot_requested);
  auto again = reboot("default");
  BOOST_REQUIRE_MESSAGE(again, outcome(again));
  BOOST_TEST(again->total == 1);
  elapse(1s);
  rec = stored(id);
  BOOST_TEST((rec.status == ss::rebooting));
  BOOST_TEST(waits_for_reboot("default", id));
  BOOST_TEST(cloud_calls("reboot") == 1u);
  // The first reboot ends and the second starts at once: the flag is
  // cleared and the server is rebooting again.
  BOOST_TEST_REQUIRE(settle([&] { return cloud_calls("reboot") == 2; }));
  rec = stored(id);
  BOOST_TEST((rec.status == ss::rebooting));
  BOOST_TEST(!rec.reboot_requested);
  elapse(1s);
  rec = stored(id);
  BOOST_TEST((rec.status == ss::rebooting));
  BOOST_TEST(!rec.reboot_requested);
  BOOST_TEST_REQUIRE(settle([&] { return stored(id).status == ss::running; }));
  strings want{"pending->starting",  "starting->running",
               "running->rebooting", "rebooting->running",
               "running->rebooting", "rebooting->running"};
  BOOST_TEST(transitions(id) == want, boost::test_tools::per_element());
  elapse(30s);
  BOOST_TEST(cloud_calls("reboot") == 2u); // no third reboot
}

// -- Commands/DetectHangingServersCommandTest.php -----------------------------

// tests/Commands/DetectHangingServersCommandTest.php "can detect a hanging
// server"; dynserv needs no command: the starting deadline fires by itself.
BOOST_AUTO_TEST_CASE(can_detect_a_hanging_server) {
  sim().faults.never_start_rate = 1.0; // EndlessStartServerProvider
  ncfg.max_servers = 1; // the hanging server keeps its slot: no replacement
  start_two_pools();
  BOOST_REQUIRE(increase("default", 1));
  auto id = only_server("default");
  auto since = stored(id).status_since_ms;
  auto threshold = ncfg.timing.hanging_starting.count();
  elapse_until(since + threshold - 1000);
  BOOST_TEST((stored(id).status == ss::starting));
  BOOST_TEST(events("ServerHanging").empty());
  elapse(1s);
  auto rec = stored(id);
  BOOST_TEST((rec.status == ss::hanging));
  BOOST_TEST((rec.previous_status == ss::starting));
  BOOST_TEST(rec.status_since_ms == since + threshold);
  BOOST_TEST(events("ServerHanging", id).size() == 1u);
}

// -- Jobs/DetectHangingServerJob.php ------------------------------------------

// tests/Jobs/DetectHangingServerJob.php "can detect that the server is hanging
// when stopping takes too long" (never run upstream: the file lacks the Test
// suffix). dynserv: one deadline per status, rebooting included.
BOOST_DATA_TEST_CASE(
  can_detect_that_the_server_is_hanging_when_stopping_takes_too_long,
  bdata::make(hanging_statuses), status_name) {
  auto status = parse_server_status(status_name);
  BOOST_TEST_REQUIRE(status.has_value());
  // Distinct deadlines prove that each status uses its own.
  ncfg.timing.hanging_starting = 60s;
  ncfg.timing.hanging_stopping = 90s;
  ncfg.timing.hanging_deleting = 150s;
  ncfg.timing.hanging_rebooting = 45s;
  ncfg.max_servers = 1; // no replacement server muddles the counts
  // The Endless*ServerProvider: the cloud never finishes this operation.
  switch (*status) {
    case ss::starting:
      sim().faults.never_start_rate = 1.0;
      break;
    case ss::stopping:
      sim().stop_time = 24h;
      break;
    case ss::deleting:
      sim().delete_time = 24h;
      break;
    default:
      sim().reboot_time = 24h;
      break;
  }
  start_two_pools();
  BOOST_REQUIRE(increase("default", 1));
  auto id = only_server("default");
  switch (*status) {
    case ss::starting:
      break;
    case ss::stopping:
    case ss::deleting:
      BOOST_TEST_REQUIRE(until_running("default", 1));
      BOOST_REQUIRE(decrease("default", 1));
      break;
    default:
      BOOST_TEST_REQUIRE(until_running("default", 1));
      BOOST_REQUIRE(reboot("default"));
      break;
  }
  BOOST_TEST_REQUIRE(settle([&] { return stored(id).status == *status; }));
  auto since = stored(id).status_since_ms;
  auto threshold = hanging_after(ncfg.timing, *status).count();
  BOOST_TEST_REQUIRE(threshold > 0);
  elapse_until(since + threshold - 1000);
  BOOST_TEST((stored(id).status == *status));
  BOOST_TEST(events("ServerHanging").empty());
  elapse(1s);
  auto rec = stored(id);
  BOOST_TEST((rec.status == ss::hanging));
  BOOST_TEST((rec.previous_status == *status));
  auto hanging = events("ServerHanging", id);
  BOOST_TEST_REQUIRE(hanging.size() == 1u);
  BOOST_TEST(hanging[0].message.find(status_name) != std::string::npos,
             hanging[0].message);
  auto changes = events("ServerStatusChanged", id);
  BOOST_TEST_REQUIRE(!changes.empty());
  BOOST_TEST(changes.back().from == std::string{status_name});
  BOOST_TEST(changes.back().to == "hanging");
}

// -- Support/DynamicServersTest.php -------------------------------------------

// tests/Support/DynamicServersTest.php "can increase the number of servers by
// 1" (with Models/ServerTest "will dispatch a job to start a server")
BOOST_DATA_TEST_CASE(can_increase_the_number_of_servers_by_1,
                     bdata::make(pool_names), pool_name) {
  std::string pool = pool_name;
  start_two_pools();
  auto reply = increase(pool, 1);
  BOOST_REQUIRE_MESSAGE(reply, outcome(reply));
  BOOST_TEST(reply->pool == pool);
  BOOST_TEST(reply->previous_desired == 0);
  BOOST_TEST(reply->desired == 1);
  BOOST_TEST(provisioned(pool) == 1u);
  BOOST_TEST(provisioned(other_pool(pool)) == 0u);
  BOOST_TEST(cloud_calls("create") == 1u);
  BOOST_TEST_REQUIRE(until_running(pool, 1));
  BOOST_TEST(provisioned(pool) == 1u);
  BOOST_TEST(stored_servers(other_pool(pool)).empty());
}

// tests/Support/DynamicServersTest.php "can increase the number of servers by
// a given number"
BOOST_DATA_TEST_CASE(can_increase_the_number_of_servers_by_a_given_number,
                     bdata::make(pool_names), pool_name) {
  std::string pool = pool_name;
  start_two_pools();
  auto reply = increase(pool, 3);
  BOOST_REQUIRE_MESSAGE(reply, outcome(reply));
  BOOST_TEST(reply->desired == 3);
  BOOST_TEST(provisioned_count() == 3);
  BOOST_TEST(provisioned(pool) == 3u);
  BOOST_TEST(cloud_calls("create") == 3u);
  BOOST_TEST_REQUIRE(until_running(pool, 3));
  BOOST_TEST(provisioned_count() == 3);
}

// tests/Support/DynamicServersTest.php "can decrease the number of servers by
// 1"
BOOST_DATA_TEST_CASE(can_decrease_the_number_of_servers_by_1,
                     bdata::make(pool_names), pool_name) {
  std::string pool = pool_name;
  start_with_running(pool, 3);
  auto reply = decrease(pool, 1);
  BOOST_REQUIRE_MESSAGE(reply, outcome(reply));
  BOOST_TEST(reply->previous_desired == 3);
  BOOST_TEST(reply->desired == 2);
  BOOST_TEST(provisioned(pool) == 2u);
  BOOST_TEST(count(pool, ss::stopping) == 1u);
  BOOST_TEST_REQUIRE(settle([&] { return count(pool, ss::deleted) == 1; }));
  BOOST_TEST(provisioned(pool) == 2u);
  BOOST_TEST(count(pool, ss::running) == 2u);
  BOOST_TEST(cloud->live_count() == 2u);
}

// tests/Support/DynamicServersTest.php "can decrease the number of servers by
// a given number"
BOOST_DATA_TEST_CASE(can_decrease_the_number_of_servers_by_a_given_number,
                     bdata::make(pool_names), pool_name) {
  std::string pool = pool_name;
  start_with_running(pool, 3);
  auto reply = decrease(pool, 2);
  BOOST_REQUIRE_MESSAGE(reply, outcome(reply));
  BOOST_TEST(reply->desired == 1);
  BOOST_TEST(provisioned_count() == 1);
  BOOST_TEST(count(pool, ss::stopping) == 2u);
  BOOST_TEST_REQUIRE(settle([&] { return count(pool, ss::deleted) == 2; }));
  BOOST_TEST(provisioned_count() == 1);
  BOOST_TEST(cloud->live_count() == 1u);
}

// tests/Support/DynamicServersTest.php "will not throw an exception when
// decreasing more servers than available"
BOOST_DATA_TEST_CASE(
  will_not_throw_an_exception_when_decreasing_more_servers_than_available,
  bdata::make(pool_names), pool_name) {
  std::string pool = pool_name;
  start_with_running(pool, 3);
  auto reply = decrease(pool, 6);
  BOOST_REQUIRE_MESSAGE(reply, outcome(reply));
  BOOST_TEST(reply->previous_desired == 3);
  BOOST_TEST(reply->desired == 0);
  BOOST_TEST(provisioned(pool) == 0u);
  BOOST_TEST_REQUIRE(settle([&] { return count(pool, ss::deleted) == 3; }));
  BOOST_TEST(provisioned(pool) == 0u);
  BOOST_TEST(cloud->live_count() == 0u);
  BOOST_TEST(events("ServerErrored").empty());
}

// tests/Support/DynamicServersTest.php "can ensure a given number of servers"
BOOST_DATA_TEST_CASE(can_ensure_a_given_number_of_servers,
                     bdata::make(pool_names), pool_name) {
  std::string pool = pool_name;
  start_with_running(pool, 3);
  // ensure(3) with three provisioned: nothing to do.
  auto reply = ensure(pool, 3);
  BOOST_REQUIRE_MESSAGE(reply, outcome(reply));
  BOOST_TEST(reply->desired == 3);
  BOOST_TEST(provisioned(pool) == 3u);
  elapse(10s);
  BOOST_TEST(cloud_calls("create") == 3u);
  BOOST_TEST(cloud_calls("stop") == 0u);
  // ensure(5): two more, provisioned (starting) at once.
  reply = ensure(pool, 5);
  BOOST_REQUIRE_MESSAGE(reply, outcome(reply));
  BOOST_TEST(provisioned(pool) == 5u);
  BOOST_TEST(count(pool, ss::starting) == 2u);
  BOOST_TEST(cloud_calls("create") == 5u);
  BOOST_TEST_REQUIRE(until_running(pool, 5));
  // ensure(2): three stop at once and no longer count.
  reply = ensure(pool, 2);
  BOOST_REQUIRE_MESSAGE(reply, outcome(reply));
  BOOST_TEST(provisioned(pool) == 2u);
  BOOST_TEST(count(pool, ss::stopping) == 3u);
  BOOST_TEST_REQUIRE(settle([&] { return count(pool, ss::deleted) == 3; }));
  BOOST_TEST(provisioned(pool) == 2u);
  BOOST_TEST(cloud->live_count() == 2u);
  BOOST_TEST(cloud_calls("create") == 5u);
  BOOST_TEST(stored_servers(other_pool(pool)).empty());
}

// tests/Support/DynamicServersTest.php "will not destroy servers of other
// types"
BOOST_AUTO_TEST_CASE(will_not_destroy_servers_of_other_types) {
  start_two_pools(3, 3);
  BOOST_TEST_REQUIRE(until_running("default", 3));
  BOOST_TEST_REQUIRE(until_running("other", 3));
  BOOST_REQUIRE(ensure("default", 1));
  BOOST_TEST(provisioned("default") == 1u);
  BOOST_TEST(provisioned("other") == 3u);
  BOOST_TEST_REQUIRE(
    settle([&] { return count("default", ss::deleted) == 2; }));
  BOOST_TEST(count("other", ss::running) == 3u);
  BOOST_TEST(stored_pool("other").desired == 3);
  BOOST_REQUIRE(ensure("other", 2));
  BOOST_TEST(provisioned("default") == 1u);
  BOOST_TEST(provisioned("other") == 2u);
  BOOST_TEST_REQUIRE(settle([&] { return count("other", ss::deleted) == 1; }));
  BOOST_TEST(count("default", ss::running) == 1u);
  BOOST_TEST(count("default", ss::deleted) == 2u);
  BOOST_TEST(stored_pool("default").desired == 1);
}

// tests/Support/DynamicServersTest.php "will restart running servers";
// dynserv: reboot(pool) reboots that pool only (the original ignores $type).
BOOST_DATA_TEST_CASE(will_restart_running_servers, bdata::make(pool_names),
                     pool_name) {
  std::string pool = pool_name;
  auto other = other_pool(pool);
  start_two_pools(1, 1);
  BOOST_TEST_REQUIRE(until_running(pool, 1));
  BOOST_TEST_REQUIRE(until_running(other, 1));
  auto id = only_server(pool);
  auto other_id = only_server(other);
  auto affected = reboot(pool);
  BOOST_REQUIRE_MESSAGE(affected, outcome(affected));
  BOOST_TEST(affected->total == 1);
  auto rec = stored(id);
  BOOST_TEST(!rec.reboot_requested);
  BOOST_TEST((rec.status == ss::rebooting));
  auto untouched = stored(other_id);
  BOOST_TEST(!untouched.reboot_requested);
  BOOST_TEST((untouched.status == ss::running));
  BOOST_TEST(cloud_calls("reboot") == 1u);
  BOOST_TEST(at_cloud(other_id).at(0).raw_state == "running");
}

// tests/Support/DynamicServersTest.php "will mark starting servers as to be
// restarted"; dynserv: only the servers of the rebooted pool.
BOOST_DATA_TEST_CASE(will_mark_starting_servers_as_to_be_restarted,
                     bdata::make(pool_names), pool_name) {
  std::string pool = pool_name;
  auto other = other_pool(pool);
  start_two_pools(1, 1);
  auto id = only_server(pool);
  auto other_id = only_server(other);
  BOOST_TEST_REQUIRE((stored(id).status == ss::starting));
  BOOST_TEST_REQUIRE((stored(other_id).status == ss::starting));
  auto affected = reboot(pool);
  BOOST_REQUIRE_MESSAGE(affected, outcome(affected));
  BOOST_TEST(affected->total == 1);
  auto rec = stored(id);
  BOOST_TEST(waits_for_reboot(pool, id));
  BOOST_TEST((rec.status == ss::starting));
  auto untouched = stored(other_id);
  BOOST_TEST(!untouched.reboot_requested);
  BOOST_TEST((untouched.status == ss::starting));
  BOOST_TEST(cloud_calls("reboot") == 0u);
  // Once both are up, only the marked one reboots.
  BOOST_TEST_REQUIRE(settle([&] {
    return stored(id).status == ss::running && cloud_calls("reboot") == 1
           && stored(other_id).status == ss::running;
  }));
  BOOST_TEST(events("ServerRebooting", id).size() == 1u);
  BOOST_TEST(events("ServerRebooting", other_id).empty());
}

// tests/Support/DynamicServersTest.php "will mark rebooting servers as to be
// rebooting again"; dynserv: only the servers of the rebooted pool.
BOOST_DATA_TEST_CASE(will_mark_rebooting_servers_as_to_be_rebooting_again,
                     bdata::make(pool_names), pool_name) {
  std::string pool = pool_name;
  auto other = other_pool(pool);
  start_two_pools(1, 1);
  BOOST_TEST_REQUIRE(until_running(pool, 1));
  BOOST_TEST_REQUIRE(until_running(other, 1));
  auto id = only_server(pool);
  auto other_id = only_server(other);
  BOOST_REQUIRE(reboot(pool));
  BOOST_REQUIRE(reboot(other));
  BOOST_TEST_REQUIRE((stored(id).status == ss::rebooting));
  BOOST_TEST_REQUIRE((stored(other_id).status == ss::rebooting));
  auto affected = reboot(pool);
  BOOST_REQUIRE_MESSAGE(affected, outcome(affected));
  BOOST_TEST(affected->total == 1);
  auto rec = stored(id);
  BOOST_TEST(waits_for_reboot(pool, id));
  BOOST_TEST((rec.status == ss::rebooting));
  auto untouched = stored(other_id);
  BOOST_TEST(!untouched.reboot_requested);
  BOOST_TEST((untouched.status == ss::rebooting));
  BOOST_TEST(cloud_calls("reboot") == 2u);
}

// tests/Support/DynamicServersTest.php "can get the provisioned servers
// count"; dynserv's count comes from the pools' status (all pools).
BOOST_AUTO_TEST_CASE(can_get_the_provisioned_servers_count) {
  start_two_pools();
  BOOST_TEST(provisioned_count() == 0);
  // running
  BOOST_REQUIRE(increase("default", 1));
  BOOST_TEST_REQUIRE(until_running("default", 1));
  BOOST_TEST(provisioned_count() == 1);
  BOOST_REQUIRE(increase("other", 2));
  BOOST_TEST_REQUIRE(until_running("other", 2));
  BOOST_TEST(provisioned_count() == 3);
  // stopping (not provisioned) and rebooting
  BOOST_REQUIRE(decrease("other", 1));
  BOOST_TEST(provisioned_count() == 2);
  BOOST_REQUIRE(reboot("other"));
  BOOST_TEST(provisioned_count() == 2);
  // starting
  BOOST_REQUIRE(increase("default", 1));
  BOOST_TEST(provisioned_count() == 3);
  auto st = status();
  BOOST_TEST_REQUIRE(st.size() == 2u);
  std::vector<int64_t> per_status(server_status_count, 0);
  for (const auto& ps : st)
    for (size_t i = 0; i < ps.counts.size(); ++i)
      per_status[i] += ps.counts[i];
  BOOST_TEST(per_status[static_cast<size_t>(ss::starting)] == 1);
  BOOST_TEST(per_status[static_cast<size_t>(ss::running)] == 1);
  BOOST_TEST(per_status[static_cast<size_t>(ss::rebooting)] == 1);
  BOOST_TEST(per_status[static_cast<size_t>(ss::stopping)] == 1);
  // The store agrees with the live pools.
  BOOST_TEST(provisioned("default") + provisioned("other") == 3u);
}

// -- Models/ServerTest.php ----------------------------------------------------

// tests/Models/ServerTest.php "can mark a server as errored"; dynserv keeps
// kind, provider code and message instead of the exception class and trace,
// and remembers the previous status.
BOOST_AUTO_TEST_CASE(can_mark_a_server_as_errored) {
  quiet_logs quiet;
  auto& fake = use_script();
  start_with_running("default", 1);
  auto id = only_server("default");
  fake.fail_next("reboot",
                 {error_kind::permanent, "422", "This is an exception", 0});
  BOOST_REQUIRE(reboot("default"));
  auto rec = stored(id);
  BOOST_TEST((rec.status == ss::errored));
  BOOST_TEST((rec.previous_status == ss::rebooting));
  BOOST_TEST((rec.last_error_kind == error_kind::permanent));
  BOOST_TEST(rec.last_error_code == "422");
  BOOST_TEST(rec.last_error_message == "This is an exception");
  auto errored = events("ServerErrored", id);
  BOOST_TEST_REQUIRE(errored.size() == 1u);
  BOOST_TEST(errored[0].message.find("This is an exception")
               != std::string::npos,
             errored[0].message);
  BOOST_TEST(errored[0].message.find("rebooting") != std::string::npos,
             errored[0].message);
}

// tests/Models/ServerTest.php "will throw an exception if the server is not in
// the right state to be started"; dynserv: start is a message, and a server
// that is not pending ignores it (no second create).
BOOST_AUTO_TEST_CASE(
  will_throw_an_exception_if_the_server_is_not_in_the_right_state_to_be_started) {
  quiet_logs quiet; // the server warns about the ignored start
  start_with_running("default", 1);
  auto id = only_server("default");
  auto before = transitions(id);
  caf::anon_send(server_handle("default", id), atom::start_v);
  run();
  elapse(5s);
  BOOST_TEST((stored(id).status == ss::running));
  BOOST_TEST(transitions(id) == before, boost::test_tools::per_element());
  BOOST_TEST(cloud_calls("create") == 1u);
  BOOST_TEST(cloud->history().size() == 1u);
}

// tests/Models/ServerTest.php "can prepare a server for the default provider";
// dynserv: a new server is `pending` and takes its pool's provider account.
BOOST_AUTO_TEST_CASE(can_prepare_a_server_for_the_default_provider) {
  start_two_pools();
  BOOST_REQUIRE(increase("default", 1));
  auto rec = stored(only_server("default"));
  BOOST_TEST(rec.pool == "default");
  BOOST_TEST(rec.provider == sim_account);
  auto changes = events("ServerStatusChanged", rec.id);
  BOOST_TEST_REQUIRE(!changes.empty());
  BOOST_TEST(changes.front().from == "pending");
  BOOST_TEST(at_cloud(rec.id).size() == 1u);
}

// tests/Models/ServerTest.php "can prepare a server for another provider"
BOOST_AUTO_TEST_CASE(can_prepare_a_server_for_another_provider) {
  auto other_cfg = ncfg.providers.at(sim_account);
  other_cfg.name = other_account;
  ncfg.providers.emplace(other_account, other_cfg);
  add_pool("default", 0);
  add_pool("other", 0);
  ncfg.pools["other"].provider = other_account;
  start();
  BOOST_REQUIRE(increase("other", 1));
  auto rec = stored(only_server("other"));
  BOOST_TEST(rec.pool == "other");
  BOOST_TEST(rec.provider == other_account);
  auto changes = events("ServerStatusChanged", rec.id);
  BOOST_TEST_REQUIRE(!changes.empty());
  BOOST_TEST(changes.front().from == "pending");
  BOOST_TEST(!rec.provider_id.empty());
  BOOST_TEST_REQUIRE(until_running("other", 1));
  // It was created at the other account, not at the default one.
  BOOST_TEST(at_cloud(rec.id).empty());
  BOOST_TEST(cloud_calls("create") == 0u);
  auto peek = open_simulated_provider(tmp.path + "/cloud/" + other_account,
                                      other_cfg.simulated, clock(), true);
  BOOST_REQUIRE_MESSAGE(peek, outcome(peek));
  auto there = (*peek)->history();
  BOOST_TEST_REQUIRE(there.size() == 1u);
  BOOST_TEST(there[0].labels[labels::id] == rec.id);
  BOOST_TEST(there[0].provider_id == stored(rec.id).provider_id);
}

// tests/Models/ServerTest.php "can generate a new name for a server";
// dynserv: "dynserv-<pool>-<first 8 characters of the id>".
BOOST_AUTO_TEST_CASE(can_generate_a_new_name_for_a_server) {
  start_two_pools();
  BOOST_REQUIRE(increase("default", 2));
  auto recs = stored_servers("default");
  BOOST_TEST_REQUIRE(recs.size() == 2u);
  std::set<std::string> names;
  for (const auto& rec : recs) {
    BOOST_TEST(rec.name == "dynserv-default-" + rec.id.substr(0, 8));
    auto srv = at_cloud(rec.id);
    BOOST_TEST_REQUIRE(srv.size() == 1u);
    BOOST_TEST(srv[0].name == rec.name);
    names.insert(rec.name);
  }
  BOOST_TEST(names.size() == 2u);
}

// tests/Models/ServerTest.php "can get the server count by status"; dynserv
// has 10 statuses (no `paused`, `pending` for `new`).
BOOST_AUTO_TEST_CASE(can_get_the_server_count_by_status) {
  start_with_running("default", 3);
  BOOST_REQUIRE(decrease("default", 1));
  auto st = status();
  BOOST_TEST_REQUIRE(st.size() == 2u);
  strings names;
  for (size_t i = 0; i < server_status_count; ++i)
    names.emplace_back(to_string(static_cast<ss>(i)));
  strings want_names{"pending", "starting", "running", "rebooting", "stopping",
                     "stopped", "deleting", "deleted", "errored",   "hanging"};
  BOOST_TEST(names == want_names, boost::test_tools::per_element());
  for (const auto& ps : st) {
    BOOST_TEST_CONTEXT("pool " << ps.name) {
      BOOST_TEST_REQUIRE(ps.counts.size() == server_status_count);
      std::vector<int64_t> want(server_status_count, 0);
      if (ps.name == "default") {
        want[static_cast<size_t>(ss::running)] = 2;
        want[static_cast<size_t>(ss::stopping)] = 1;
      }
      BOOST_TEST(ps.counts == want, boost::test_tools::per_element());
    }
  }
}

// tests/Models/ServerTest.php "can determine that the server is probably
// hanging"; dynserv: only statuses that wait for the provider have a
// deadline (deleted is terminal, not "hanging"; paused does not exist).
BOOST_AUTO_TEST_CASE(can_determine_that_the_server_is_probably_hanging) {
  struct row {
    ss status;
    bool has_deadline;
  };
  const row rows[] = {
    {ss::stopped, false}, {ss::running, false},  {ss::errored, false},
    {ss::starting, true}, {ss::stopping, true},  {ss::deleting, true},
    {ss::deleted, false}, {ss::rebooting, true}, {ss::pending, false},
    {ss::hanging, false},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT("status " << to_string(r.status)) {
      BOOST_TEST(is_moving(r.status) == r.has_deadline);
      BOOST_TEST((hanging_after(ncfg.timing, r.status) > millis{0})
                 == r.has_deadline);
    }
  }
  // A running server is never marked hanging, however long it runs.
  start_with_running("default", 1);
  auto id = only_server("default");
  elapse(3 * ncfg.timing.hanging_starting);
  BOOST_TEST((stored(id).status == ss::running));
  BOOST_TEST(events("ServerHanging").empty());
}

// -- limits -------------------------------------------------------------------

// No test upstream; src/Actions/StartServerAction.php raises
// ServerLimitHitEvent and deletes the new row. dynserv: the event is raised,
// nothing is created over the limit and nothing is deleted.
BOOST_AUTO_TEST_CASE(
  hitting_the_server_limit_raises_an_event_and_deletes_nothing) {
  ncfg.max_servers = 3;
  start_two_pools(0, 1);
  BOOST_TEST_REQUIRE(until_running("other", 1));
  auto reply = increase("default", 3);
  BOOST_REQUIRE_MESSAGE(reply, outcome(reply));
  BOOST_TEST(reply->desired == 3); // the limit is not a scale-down
  auto hits = events("ServerLimitHit");
  BOOST_TEST_REQUIRE(hits.size() == 1u);
  BOOST_TEST(hits[0].pool == "default");
  BOOST_TEST(hits[0].message.find("max_servers") != std::string::npos,
             hits[0].message);
  BOOST_TEST_REQUIRE(until_running("default", 2));
  elapse(30s);
  // Two created, none over the limit, none deleted or left behind.
  BOOST_TEST(stored_servers("default").size() == 2u);
  BOOST_TEST(count("", ss::deleted) == 0u);
  BOOST_TEST(count("", ss::running) == 3u);
  BOOST_TEST(cloud_calls("create") == 3u);
  BOOST_TEST(cloud_calls("delete") == 0u);
  BOOST_TEST(cloud_calls("stop") == 0u);
  BOOST_TEST(cloud->live_count() == 3u);
  BOOST_TEST(stored_pool("default").desired == 3);
  BOOST_TEST(events("ServerLimitHit").size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
