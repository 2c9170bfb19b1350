// The orphan sweeper: servers with this node's owner label that no record
// accounts for are reported once, and after the grace period deleted or
// adopted through the normal server-actor path.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "actors/orphan_sweeper.hpp"
#include "tests/fixtures/node_fixture.hpp"

using namespace dynserv;
using namespace dynserv::test;

namespace {

using ss = server_status;

struct orphan_fixture : node_fixture {
  orphan_fixture() {
    sweep_orphans = true;
    ncfg.orphans.sweep_interval = 60s;
    ncfg.orphans.grace = 0s;
  }

  /// Creates a server at the cloud behind the node's back, with its owner
  /// label; returns its provider id.
  std::string make_orphan(const std::string& pool_label,
                          const std::string& id_label = "") {
    if (!cloud)
      open_cloud();
    label_map lbl{{labels::owner, ncfg.name}};
    if (!pool_label.empty())
      lbl[labels::pool] = pool_label;
    if (!id_label.empty())
      lbl[labels::id] = id_label;
    // The simulated cloud wants a server id even when the labels carry none.
    auto name = "stray-" + std::to_string(++strays);
    create_request req{id_label.empty() ? name : id_label, name, "", lbl, "{}"};
    auto reply = cloud->create(req);
    BOOST_REQUIRE(reply.ok());
    return reply.servers.at(0).provider_id;
  }

  /// Sweeps now; returns the number of known orphans.
  uint64_t sweep() {
    auto res = ask<uint64_t>(rt->sweeper, atom::sweep_v);
    BOOST_REQUIRE_MESSAGE(res, outcome(res));
    run();
    return *res;
  }

  /// The stored record with provider id `pid`, if any.
  std::optional<server_record> record_of(const std::string& pid) {
    for (auto& rec : stored_servers())
      if (rec.provider_id == pid)
        return rec;
    return std::nullopt;
  }

  limits_info limits() {
    auto res = ask<limits_info>(node(), atom::limits_v);
    BOOST_REQUIRE_MESSAGE(res, outcome(res));
    return *res;
  }

  int strays = 0;
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(orphan_tests, orphan_fixture)

BOOST_AUTO_TEST_CASE(orphans_are_found_at_start_and_reported_once) {
  ncfg.orphans.action = orphan_action::report;
  add_pool("web", 0);
  auto pid = make_orphan("web", "0badc0de-0000-4000-8000-000000000001");
  start();
  auto found = events("OrphanFound");
  BOOST_TEST_REQUIRE(found.size() == 1u);
  BOOST_TEST(found[0].pool == "web");
  BOOST_TEST(found[0].server_id == "0badc0de-0000-4000-8000-000000000001");
  BOOST_TEST(found[0].message.find(pid) != std::string::npos, found[0].message);
  BOOST_TEST(found[0].message.find("dynserv-pool=web") != std::string::npos,
             found[0].message);
  elapse(5min, 10s);
  BOOST_TEST(events("OrphanFound").size() == 1u);
  BOOST_TEST(stored_servers().empty());
  BOOST_TEST(cloud->live_count() == 1u);
  BOOST_TEST(cloud_calls("delete") == 0u);
}

BOOST_AUTO_TEST_CASE(delete_waits_for_the_grace_then_goes_through_a_server) {
  ncfg.orphans.grace = 5min;
  add_pool("web", 0);
  auto pid = make_orphan("web");
  start();
  BOOST_TEST(events("OrphanFound").size() == 1u);
  // Sweeps at 1, 2, 3 and 4 minutes: still within the grace.
  elapse(4min + 30s);
  BOOST_TEST(!record_of(pid).has_value());
  BOOST_TEST(cloud_calls("stop") == 0u);
  elapse(30s);
  auto rec = record_of(pid);
  BOOST_TEST_REQUIRE(rec.has_value());
  BOOST_TEST(rec->pool == "web");
  BOOST_TEST(settle([&] { return cloud->live_count() == 0; }));
  BOOST_TEST(settle([&] { return count("web", ss::deleted) == 1; }));
  auto id = record_of(pid)->id;
  // Adopted as it was at the cloud (running), persisted, then stopped and
  // deleted by its server actor like any other server.
  auto adopted = events("OrphanAdopted", id);
  BOOST_TEST_REQUIRE(adopted.size() == 1u);
  auto stopping = events("ServerStopping", id);
  BOOST_TEST_REQUIRE(stopping.size() == 1u);
  BOOST_TEST(adopted[0].seq < stopping[0].seq);
  std::vector<std::string> want{"running->stopping", "stopping->stopped",
                                "stopped->deleting", "deleting->deleted"};
  BOOST_TEST(transitions(id) == want, boost::test_tools::per_element());
  BOOST_TEST(cloud_calls("stop") == 1u);
  BOOST_TEST(cloud_calls("delete") == 1u);
  BOOST_TEST(limits().allocated == 0);
  BOOST_TEST(events("OrphanFound").size() == 1u);
}

BOOST_AUTO_TEST_CASE(an_orphan_first_seen_later_waits_its_own_grace) {
  ncfg.orphans.grace = 2min;
  add_pool("web", 0);
  start();
  // Created after the sweep at start: first seen a minute later.
  auto pid = make_orphan("web");
  elapse(1min);
  BOOST_TEST(events("OrphanFound").size() == 1u);
  elapse(1min); // seen 1 min ago
  BOOST_TEST(!record_of(pid).has_value());
  elapse(1min); // seen 2 min ago
  BOOST_TEST(record_of(pid).has_value());
}

BOOST_AUTO_TEST_CASE(adopt_puts_an_orphan_in_its_pool_which_scales_down) {
  ncfg.orphans.action = orphan_action::adopt;
  add_pool("web", 1);
  start();
  BOOST_TEST_REQUIRE(until_running("web", 1));
  auto original = ids("web", ss::running).at(0);
  auto pid = make_orphan("web");
  BOOST_TEST(sweep() == 1u);
  auto rec = record_of(pid);
  BOOST_TEST_REQUIRE(rec.has_value());
  BOOST_TEST(rec->pool == "web");
  BOOST_TEST(servers_of(pool("web")).count(rec->id) == 1u);
  // Two servers for a desired count of one: the newer one goes.
  BOOST_TEST(settle([&] {
    return count("web", ss::deleted) == 1 && count("web", ss::running) == 1;
  }));
  BOOST_TEST(ids("web", ss::running).at(0) == original);
  BOOST_TEST((stored(rec->id).status == ss::deleted));
  BOOST_TEST(cloud->live_count() == 1u);
  BOOST_TEST(cloud_calls("create") == 2u); // the pool's and the orphan's
}

BOOST_AUTO_TEST_CASE(adopt_into_a_running_pool_keeps_its_state) {
  ncfg.orphans.action = orphan_action::adopt;
  add_pool("web", 0);
  start();
  auto pid = make_orphan("web");
  elapse(40s); // running at the cloud now
  BOOST_TEST(static_cast<bool>(ensure("web", 1)));
  sweep();
  auto rec = record_of(pid);
  BOOST_TEST_REQUIRE(rec.has_value());
  // Either the pool adopted it before creating one (then it is kept), or
  // it created one first and scales down: never more than two exist.
  elapse(2min);
  BOOST_TEST(count("web", ss::running) == 1u);
  BOOST_TEST(cloud->live_count() == 1u);
}

BOOST_AUTO_TEST_CASE(adopt_leaves_orphans_of_unknown_pools_alone) {
  ncfg.orphans.action = orphan_action::adopt;
  add_pool("web", 0);
  make_orphan("gone");
  make_orphan("");
  start();
  elapse(3min, 10s);
  BOOST_TEST(stored_servers().empty());
  BOOST_TEST(events("OrphanFound").size() == 2u);
  BOOST_TEST(cloud->live_count() == 2u);
  BOOST_TEST(cloud_calls("stop") == 0u);
}

BOOST_AUTO_TEST_CASE(report_never_touches_an_orphan) {
  ncfg.orphans.action = orphan_action::report;
  add_pool("web", 0);
  auto pid = make_orphan("web");
  start();
  elapse(3min, 10s);
  BOOST_TEST(!record_of(pid).has_value());
  BOOST_TEST(cloud->live_count() == 1u);
}

BOOST_AUTO_TEST_CASE(a_server_whose_create_is_in_flight_is_never_an_orphan) {
  add_pool("web", 1);
  auto& script = use_script();
  // The create reaches the cloud but its answer is lost, and lookups fail:
  // the record says starting, with a create attempt and no provider id.
  script.lose_next_creates(1);
  script.fail_lookups({error_kind::transient, "503", "down", 0});
  start();
  BOOST_TEST(cloud->live_count() == 1u);
  for (int i = 0; i < 3; ++i) {
    sweep();
    elapse(10s);
  }
  BOOST_TEST(events("OrphanFound").empty());
  auto recs = stored_servers("web");
  BOOST_TEST_REQUIRE(recs.size() == 1u);
  BOOST_TEST(recs[0].provider_id.empty());
  BOOST_TEST((recs[0].status == ss::starting));
  // The lookup finds it once the provider answers again.
  script.fail_lookups({});
  BOOST_TEST(until_running("web", 1));
  sweep();
  BOOST_TEST(events("OrphanFound").empty());
  BOOST_TEST(cloud_calls("create") == 1u);
  BOOST_TEST(cloud->live_count() == 1u);
}

BOOST_AUTO_TEST_CASE(a_deleted_record_whose_server_exists_is_an_orphan) {
  ncfg.orphans.action = orphan_action::report;
  add_pool("web", 0);
  std::string id = "0badc0de-0000-4000-8000-000000000002";
  auto pid = make_orphan("web", id);
  server_record rec;
  rec.id = id;
  rec.name = "stray";
  rec.pool = "web";
  rec.provider = sim_account;
  rec.provider_id = pid;
  rec.status = ss::deleted;
  rec.status_since_ms = now_ms() - 1000;
  BOOST_REQUIRE(!records.commit({rec}, {}, {}));
  start();
  auto found = events("OrphanFound");
  BOOST_TEST_REQUIRE(found.size() == 1u);
  BOOST_TEST(found[0].server_id == id);
}

BOOST_AUTO_TEST_CASE(adopted_servers_count_towards_max_servers) {
  ncfg.orphans.action = orphan_action::adopt;
  ncfg.max_servers = 2;
  add_pool("web", 1);
  add_pool("batch", 0);
  start();
  BOOST_TEST_REQUIRE(until_running("web", 1));
  BOOST_TEST(limits().allocated == 1);
  auto pid = make_orphan("web");
  sweep();
  BOOST_TEST(limits().allocated == 2);
  // The orphan takes the last slot: batch waits until web has scaled the
  // orphan away, so that never more than two servers exist.
  auto reply = ensure("batch", 1);
  BOOST_REQUIRE_MESSAGE(reply, outcome(reply));
  BOOST_TEST(events("ServerLimitHit").size() == 1u);
  size_t max_live = 0;
  BOOST_TEST(settle([&] {
    max_live = std::max(max_live, cloud->live_count());
    return count("batch", ss::running) == 1;
  }));
  BOOST_TEST(max_live == 2u);
  BOOST_TEST((stored(record_of(pid)->id).status == ss::deleted));
  BOOST_TEST(count("web", ss::running) == 1u);
  BOOST_TEST(limits().allocated == 2);
}

BOOST_AUTO_TEST_CASE(find_orphans_trusts_no_deletion_newer_than_the_list) {
  cloud_server srv;
  srv.provider_id = "p1";
  srv.labels = {{labels::id, "a"}};
  server_record rec;
  rec.id = "a";
  rec.provider = "sim";
  rec.provider_id = "p1";
  rec.status = ss::deleted;
  rec.status_since_ms = 2000;
  // Deleted after the list started: the list may predate the deletion.
  BOOST_TEST(find_orphans("sim", {srv}, {rec}, 1000).empty());
  // Deleted before: the server outlived its record.
  BOOST_TEST(find_orphans("sim", {srv}, {rec}, 3000).size() == 1u);
  // Another account's record accounts for nothing here.
  rec.status = ss::running;
  BOOST_TEST(find_orphans("other", {srv}, {rec}, 3000).size() == 1u);
  // A second server with the same dynserv-id (a duplicate create) is one.
  auto dup = srv;
  dup.provider_id = "p2";
  auto found = find_orphans("sim", {srv, dup}, {rec}, 3000);
  BOOST_TEST_REQUIRE(found.size() == 1u);
  BOOST_TEST(found[0].provider_id == "p2");
}

BOOST_AUTO_TEST_SUITE_END()
