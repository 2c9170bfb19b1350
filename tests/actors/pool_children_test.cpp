// pool_children: the counts follow every change of the children.
#include "actors/pool_children.hpp"

#include <boost/test/unit_test.hpp>

#include "tests/actors/pool_test_records.hpp"

using namespace dynserv;
using namespace dynserv::test;

namespace {

using ss = server_status;

/// The counts recomputed from scratch, to compare with the cached ones.
struct recount {
  int64_t active = 0;
  int64_t active_running = 0;
  int64_t rebooting = 0;
  int64_t retiring = 0;
  size_t troubled = 0;

  explicit recount(const pool_children& xs) {
    for (const auto& [id, child] : xs) {
      active += is_active(child) ? 1 : 0;
      active_running += is_active(child) && child.rec.status == ss::running;
      rebooting += child.rec.status == ss::rebooting ? 1 : 0;
      retiring += child.retiring ? 1 : 0;
      troubled += child.rec.status == ss::hanging
                  || child.rec.status == ss::errored;
    }
  }
};

void check_counts(const pool_children& xs) {
  recount want{xs};
  BOOST_TEST(xs.active() == want.active);
  BOOST_TEST(xs.active_running() == want.active_running);
  BOOST_TEST(xs.rebooting() == want.rebooting);
  BOOST_TEST(xs.retiring() == want.retiring);
  BOOST_TEST(xs.troubled().size() == want.troubled);
}

} // namespace

BOOST_AUTO_TEST_SUITE(pool_children_unit)

BOOST_AUTO_TEST_CASE(active_means_on_its_way_or_up_and_not_leaving) {
  for (auto s : {ss::pending, ss::starting, ss::running, ss::rebooting})
    BOOST_TEST(is_active(pool_child{{}, make_record("a", s)}), to_string(s));
  for (auto s : {ss::stopping, ss::stopped, ss::deleting, ss::deleted,
                 ss::errored, ss::hanging})
    BOOST_TEST(!is_active(pool_child{{}, make_record("a", s)}), to_string(s));
  auto asked = make_record("a", ss::running);
  asked.stop_requested = true;
  BOOST_TEST(!is_active(pool_child{{}, asked}));
  BOOST_TEST(!is_active(pool_child{{}, make_record("a", ss::running), true}));
  BOOST_TEST(
    !is_active(pool_child{{}, make_record("a", ss::running), false, true}));
}

BOOST_AUTO_TEST_CASE(counts_follow_every_change) {
  auto xs = make_children(
    {make_record("p", ss::pending), make_record("r1", ss::running),
     make_record("r2", ss::running), make_record("b", ss::rebooting),
     make_record("h", ss::hanging)});
  BOOST_TEST(xs.size() == 5u);
  BOOST_TEST(xs.active() == 4);
  BOOST_TEST(xs.active_running() == 2);
  BOOST_TEST(xs.rebooting() == 1);
  BOOST_TEST(xs.troubled().count("h") == 1u);
  check_counts(xs);
  xs.set_stop_sent("r1", true);
  BOOST_TEST(xs.active() == 3);
  BOOST_TEST(xs.active_running() == 1);
  check_counts(xs);
  xs.set_retiring("r2", true);
  BOOST_TEST(xs.retiring() == 1);
  BOOST_TEST(xs.active() == 2);
  check_counts(xs);
  xs.update_record("b", make_record("b", ss::running));
  xs.update_record("p", make_record("p", ss::errored));
  xs.update_record("h", make_record("h", ss::deleted));
  BOOST_TEST(xs.rebooting() == 0);
  BOOST_TEST(xs.troubled().count("p") == 1u);
  BOOST_TEST(xs.troubled().count("h") == 0u);
  check_counts(xs);
  xs.erase("r2");
  xs.erase("p");
  BOOST_TEST(xs.retiring() == 0);
  BOOST_TEST(xs.troubled().empty());
  check_counts(xs);
  BOOST_TEST(xs.size() == 3u);
}

BOOST_AUTO_TEST_CASE(unknown_ids_change_nothing) {
  auto xs = make_children({make_record("a", ss::running)});
  xs.update_record("x", make_record("x", ss::rebooting));
  xs.set_stop_sent("x", true);
  xs.set_retiring("x", true);
  xs.erase("x");
  BOOST_TEST(xs.size() == 1u);
  BOOST_TEST(xs.find("x") == nullptr);
  BOOST_TEST(!xs.contains("x"));
  BOOST_TEST(xs.active() == 1);
  BOOST_TEST(xs.rebooting() == 0);
  BOOST_TEST(xs.retiring() == 0);
  BOOST_TEST(!xs.take_address(caf::actor_addr{}).has_value());
}

BOOST_AUTO_TEST_CASE(adding_an_id_again_replaces_the_child) {
  auto xs = make_children({make_record("a", ss::rebooting)});
  xs.set_retiring("a", true);
  xs.add(server_actor{}, make_record("a", ss::running));
  BOOST_TEST(xs.size() == 1u);
  BOOST_TEST(xs.rebooting() == 0);
  BOOST_TEST(xs.retiring() == 0);
  BOOST_TEST(xs.active_running() == 1);
  check_counts(xs);
}

BOOST_AUTO_TEST_SUITE_END()
