// The remediation planner: stops troubled servers after the delay, at most
// max_attempts times, then gives up once.
#include "actors/pool_remediation.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "tests/actors/pool_test_records.hpp"

using namespace dynserv;
using namespace dynserv::test;

namespace {

using ss = server_status;
using kind = remediation_step::kind;

remediation_config config(uint32_t max_attempts = 2,
                          millis delay = millis{1000}) {
  remediation_config cfg;
  cfg.delay = delay;
  cfg.max_attempts = max_attempts;
  return cfg;
}

std::vector<std::string> ids_of(const std::vector<remediation_step>& xs,
                                kind what) {
  std::vector<std::string> result;
  for (const auto& x : xs)
    if (x.what == what)
      result.push_back(x.id);
  return result;
}

using ids = std::vector<std::string>;

} // namespace

BOOST_AUTO_TEST_SUITE(pool_remediation_unit)

BOOST_AUTO_TEST_CASE(stops_troubled_servers_once_the_delay_passed) {
  pool_remediation planner{config()};
  auto h = make_record("h", ss::hanging, 0, 500);
  h.previous_status = ss::starting;
  auto e = make_record("e", ss::errored, 0, 1000);
  e.previous_status = ss::starting;
  e.last_error_code = "quota";
  auto xs = make_children({h, e, make_record("r", ss::running)});
  BOOST_TEST(planner.plan(xs, 1400).empty()); // h due at 1500, e at 2000
  auto steps = planner.plan(xs, 1500);
  BOOST_TEST(ids_of(steps, kind::stop) == ids{"h"},
             boost::test_tools::per_element());
  BOOST_TEST((steps.at(0).status == ss::hanging));
  BOOST_TEST(steps.at(0).message
             == "hanging while starting; stopping and deleting it, the pool "
                "replaces it (attempt 1 of 2)");
  steps = planner.plan(xs, 2000);
  // h again (no stop was marked as sent in `xs`), and e.
  BOOST_TEST(ids_of(steps, kind::stop) == (ids{"e", "h"}),
             boost::test_tools::per_element());
  BOOST_TEST(steps.at(0).message.find("errored while starting (quota)") == 0u);
  BOOST_TEST(planner.attempts("h") == 2u);
  BOOST_TEST(planner.attempts("e") == 1u);
}

BOOST_AUTO_TEST_CASE(a_stop_on_its_way_is_not_sent_again) {
  pool_remediation planner{config(3, millis{0})};
  auto xs = make_children({make_record("h", ss::hanging)});
  xs.set_stop_sent("h", true);
  BOOST_TEST(planner.plan(xs, 10).empty());
  BOOST_TEST(planner.attempts("h") == 0u);
}

BOOST_AUTO_TEST_CASE(keep_leaves_the_server_alone) {
  auto cfg = config(3, millis{0});
  cfg.errored = remediation_action::keep;
  pool_remediation planner{cfg};
  auto xs = make_children(
    {make_record("e", ss::errored), make_record("h", ss::hanging)});
  BOOST_TEST(ids_of(planner.plan(xs, 10), kind::stop) == ids{"h"},
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(gives_up_once_after_max_attempts) {
  pool_remediation planner{config(2, millis{0})};
  auto xs = make_children({make_record("h", ss::hanging)});
  BOOST_TEST(ids_of(planner.plan(xs, 1), kind::stop) == ids{"h"});
  BOOST_TEST(ids_of(planner.plan(xs, 2), kind::stop) == ids{"h"});
  auto steps = planner.plan(xs, 3);
  BOOST_TEST_REQUIRE(steps.size() == 1u);
  BOOST_TEST((steps[0].what == kind::give_up));
  BOOST_TEST(steps[0].message
             == "still hanging after 2 stops; left for an operator (it may "
                "still bill)");
  BOOST_TEST(planner.plan(xs, 4).empty()); // one give-up only
  // Forgotten (deleted): a new server with that id starts from scratch.
  planner.forget("h");
  BOOST_TEST(planner.attempts("h") == 0u);
  BOOST_TEST(ids_of(planner.plan(xs, 5), kind::stop) == ids{"h"});
}

BOOST_AUTO_TEST_SUITE_END()
