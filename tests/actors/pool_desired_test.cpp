// The desired-count planner: clamp, change detection and event text.
#include "actors/pool_desired.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace dynserv;

namespace {

pool_config web() {
  pool_config cfg;
  cfg.name = "web";
  cfg.min = 1;
  cfg.max = 5;
  return cfg;
}

pool_record at(int64_t desired, int64_t file_desired) {
  pool_record rec;
  rec.name = "web";
  rec.desired = desired;
  rec.file_desired = file_desired;
  return rec;
}

} // namespace

BOOST_AUTO_TEST_SUITE(pool_desired_unit)

BOOST_AUTO_TEST_CASE(counts_must_not_be_negative) {
  BOOST_TEST(!count_problem(0).has_value());
  BOOST_TEST(!count_problem(7).has_value());
  BOOST_TEST(count_problem(-1).value() == "count must be zero or more, got -1");
}

BOOST_AUTO_TEST_CASE(a_new_count_changes_and_says_why) {
  auto plan = plan_desired(web(), at(2, 2), 4, "ensure", std::nullopt);
  BOOST_TEST(plan.changed);
  BOOST_TEST(plan.reply.pool == "web");
  BOOST_TEST(plan.reply.previous_desired == 2);
  BOOST_TEST(plan.reply.desired == 4);
  BOOST_TEST(plan.reply.note.empty());
  BOOST_TEST(plan.event.value() == "2 -> 4 (ensure)");
}

BOOST_AUTO_TEST_CASE(a_count_out_of_range_is_clamped_with_a_note) {
  auto plan = plan_desired(web(), at(2, 2), 9, "increase by 7", std::nullopt);
  BOOST_TEST(plan.reply.desired == 5);
  BOOST_TEST(plan.reply.note
             == "asked for 9, clamped to 5 by the pool's min 1 / max 5");
  BOOST_TEST(plan.event.value()
             == "2 -> 5 (increase by 7); asked for 9, clamped to 5 by the "
                "pool's min 1 / max 5");
  plan = plan_desired(web(), at(1, 1), 0, "decrease by 1", std::nullopt);
  BOOST_TEST(!plan.changed); // clamped to where it is
  BOOST_TEST(!plan.event.has_value());
  BOOST_TEST(!plan.reply.note.empty());
}

BOOST_AUTO_TEST_CASE(the_same_count_changes_nothing_unless_the_file_moved) {
  auto plan = plan_desired(web(), at(3, 2), 3, "ensure", std::nullopt);
  BOOST_TEST(!plan.changed);
  // The file now says 3 as well: recorded, but no event.
  plan = plan_desired(web(), at(3, 2), 3, "config file", 3);
  BOOST_TEST(plan.changed);
  BOOST_TEST(!plan.event.has_value());
  plan = plan_desired(web(), at(3, 3), 3, "config file", 3);
  BOOST_TEST(!plan.changed);
}

BOOST_AUTO_TEST_CASE(pause_texts_say_whether_a_policy_runs) {
  BOOST_TEST(pause_message(true, true)
             == "policy paused: decisions are recorded, not applied");
  BOOST_TEST(pause_message(false, true) == "policy resumed");
  BOOST_TEST(pause_message(true, false) == "paused (the pool has no policy)");
  BOOST_TEST(pause_message(false, false) == "resumed (the pool has no policy)");
}

BOOST_AUTO_TEST_SUITE_END()
