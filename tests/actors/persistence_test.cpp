// Persistence: nothing reaches the provider before the transition that
// announces it is durable, and the snapshot actor group-commits.
#include <boost/test/unit_test.hpp>

#include <memory>
#include <vector>

#include "actors/snapshot_actor.hpp"
#include "tests/fixtures/flaky_store.hpp"
#include "tests/fixtures/node_fixture.hpp"

using namespace dynserv;
using namespace dynserv::test;

namespace {

using ss = server_status;

} // namespace

BOOST_FIXTURE_TEST_SUITE(persistence_tests, node_fixture)

BOOST_AUTO_TEST_CASE(no_create_is_sent_before_the_starting_record_is_durable) {
  quiet_logs quiet; // storage errors are provoked on purpose
  auto flaky = std::make_shared<flaky_store>(backend);
  backend = flaky; // `records` still reads the inner store
  add_pool("web", 0);
  start();
  flaky->fail_prefix = "s/"; // server records cannot be written
  auto reply = ensure("web", 1);
  BOOST_REQUIRE_MESSAGE(reply, outcome(reply)); // the pool record is fine
  elapse(10s);
  BOOST_TEST(flaky->failed_writes >= 5u); // retried with backoff
  BOOST_TEST(stored_servers("web").empty());
  BOOST_TEST(cloud_calls("create") == 0u);
  BOOST_TEST(cloud->history().empty());
  flaky->fail_prefix.reset();
  BOOST_TEST_REQUIRE(until_running("web", 1));
  BOOST_TEST(cloud_calls("create") == 1u);
  BOOST_TEST(cloud->history().size() == 1u);
}

BOOST_AUTO_TEST_CASE(no_stop_is_sent_before_the_stopping_record_is_durable) {
  quiet_logs quiet; // storage errors are provoked on purpose
  auto flaky = std::make_shared<flaky_store>(backend);
  backend = flaky;
  add_pool("web", 1);
  start();
  BOOST_TEST_REQUIRE(until_running("web", 1));
  flaky->fail_prefix = "s/";
  BOOST_REQUIRE(decrease("web", 1));
  elapse(10s);
  BOOST_TEST(cloud_calls("stop") == 0u);
  BOOST_TEST(count("web", ss::running) == 1u);
  flaky->fail_prefix.reset();
  BOOST_TEST_REQUIRE(settle([&] { return count("web", ss::deleted) == 1; }));
  BOOST_TEST(cloud_calls("stop") == 1u);
  BOOST_TEST(cloud->live_count() == 0u);
}

BOOST_AUTO_TEST_CASE(puts_arriving_together_are_committed_in_one_batch) {
  auto snap = sys.spawn(snapshot, backend);
  tracked.push_back(caf::actor_cast<caf::actor>(snap));
  run();
  auto seqs = std::make_shared<std::vector<uint64_t>>();
  sys.spawn([snap, seqs](caf::event_based_actor* self) {
    for (int i = 0; i < 5; ++i) {
      event_record ev;
      ev.reason = "DesiredCountChanged";
      ev.pool = "web";
      self
        ->request(snap, caf::infinite, atom::put_v,
                  std::vector<event_record>{ev, ev})
        .then([seqs](uint64_t seq) { seqs->push_back(seq); });
    }
  });
  run();
  BOOST_TEST((*seqs == std::vector<uint64_t>{2, 4, 6, 8, 10}));
  auto& st = state_of<snapshot_actor, snapshot_state>(snap);
  BOOST_TEST(st.commits == 1u);
  auto all = events();
  BOOST_TEST_REQUIRE(all.size() == 10u);
  for (size_t i = 0; i < all.size(); ++i)
    BOOST_TEST(all[i].seq == i + 1);
}

BOOST_AUTO_TEST_CASE(a_failed_commit_fails_every_put_of_its_batch) {
  quiet_logs quiet; // storage errors are provoked on purpose
  auto flaky = std::make_shared<flaky_store>(backend);
  flaky->fail_prefix = "e/";
  auto snap = sys.spawn(snapshot, std::static_pointer_cast<store>(flaky));
  tracked.push_back(caf::actor_cast<caf::actor>(snap));
  run();
  event_record ev;
  ev.reason = "DesiredCountChanged";
  auto res = ask<uint64_t>(snap, atom::put_v, std::vector<event_record>{ev});
  BOOST_TEST_REQUIRE(!res);
  BOOST_TEST(is_error(res.error(), ec::storage_failure), render(res.error()));
  flaky->fail_prefix.reset();
  // The failed batch did not use up sequence numbers.
  res = ask<uint64_t>(snap, atom::put_v, std::vector<event_record>{ev});
  BOOST_REQUIRE_MESSAGE(res, outcome(res));
  BOOST_TEST(*res == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
