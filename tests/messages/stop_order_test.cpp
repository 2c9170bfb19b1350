// Tests of stop_order: which servers a pool stops first when scaling down,
// expired ones (max_lifetime) first.
#include "actors/stop_order.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

using namespace dynserv;

namespace {

using st = server_status;
using ids = std::vector<std::string>;

server_record rec(std::string id, server_status status, int64_t created,
                  bool stop_requested = false) {
  server_record result;
  result.id = std::move(id);
  result.status = status;
  result.created_at_ms = created;
  result.stop_requested = stop_requested;
  return result;
}

/// One server in every status, plus a few of the candidate statuses with
/// different ages.
std::vector<server_record> mixed() {
  return {
    rec("run-old", st::running, 100),    rec("reb-old", st::rebooting, 50),
    rec("pend-old", st::pending, 10),    rec("start-new", st::starting, 300),
    rec("run-new", st::running, 400),    rec("stopping", st::stopping, 500),
    rec("stopped", st::stopped, 500),    rec("deleting", st::deleting, 500),
    rec("deleted", st::deleted, 500),    rec("errored", st::errored, 500),
    rec("hanging", st::hanging, 500),    rec("pend-new", st::pending, 20),
    rec("start-old", st::starting, 200), rec("run-mid", st::running, 250),
    rec("reb-new", st::rebooting, 600),
  };
}

} // namespace

BOOST_AUTO_TEST_SUITE(stop_order_tests)

BOOST_AUTO_TEST_CASE(
  pending_then_starting_then_running_newest_first_then_rebooting) {
  auto got = stop_order(mixed(), 100);
  ids want{"pend-new", "pend-old", "start-new", "start-old", "run-new",
           "run-mid",  "run-old",  "reb-new",   "reb-old"};
  BOOST_TEST(got == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(takes_only_the_first_n) {
  BOOST_TEST(stop_order(mixed(), 1) == ids{"pend-new"},
             boost::test_tools::per_element());
  BOOST_TEST(stop_order(mixed(), 3)
               == (ids{"pend-new", "pend-old", "start-new"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(running_servers_are_picked_newest_first) {
  std::vector<server_record> xs{rec("a", st::running, 1),
                                rec("b", st::running, 3),
                                rec("c", st::running, 2)};
  BOOST_TEST(stop_order(xs, 2) == (ids{"b", "c"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(newest_means_newest_at_the_provider_when_known) {
  auto a = rec("a", st::running, 100);
  a.provider_created_at_ms = 500;
  auto b = rec("b", st::running, 200);
  b.provider_created_at_ms = 400;
  BOOST_TEST(stop_order({a, b}, 1) == ids{"a"},
             boost::test_tools::per_element());
  // Same provider time: the local creation time decides.
  b.provider_created_at_ms = 500;
  BOOST_TEST(stop_order({a, b}, 1) == ids{"b"},
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(equal_times_fall_back_to_the_provider_id) {
  auto a = rec("a", st::running, 100);
  a.provider_id = "sim-00000009";
  auto b = rec("b", st::running, 100);
  b.provider_id = "sim-00000010";
  auto c = rec("c", st::running, 100);
  c.provider_id = "sim-100000000"; // longer: numbered later
  BOOST_TEST(stop_order({a, b, c}, 3) == (ids{"c", "b", "a"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(skips_servers_already_asked_to_stop) {
  std::vector<server_record> xs{rec("p", st::pending, 1, true),
                                rec("s", st::starting, 2, true),
                                rec("r1", st::running, 3, true),
                                rec("r2", st::running, 1),
                                rec("b", st::rebooting, 9, true)};
  BOOST_TEST(stop_order(xs, 5) == ids{"r2"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(never_picks_servers_outside_the_candidate_statuses) {
  std::vector<server_record> xs;
  for (auto s : {st::stopping, st::stopped, st::deleting, st::deleted,
                 st::errored, st::hanging})
    xs.push_back(rec(to_string(s), s, 1));
  BOOST_TEST(stop_order(xs, 10).empty());
}

BOOST_AUTO_TEST_CASE(n_larger_than_candidates_returns_every_candidate) {
  auto got = stop_order(mixed(), 1000);
  BOOST_TEST(got.size() == 9u);
  std::vector<server_record> one{rec("x", st::running, 1)};
  BOOST_TEST(stop_order(one, 5) == ids{"x"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(n_zero_returns_nothing) {
  BOOST_TEST(stop_order(mixed(), 0).empty());
}

BOOST_AUTO_TEST_CASE(no_candidates_returns_nothing) {
  BOOST_TEST(stop_order({}, 3).empty());
}

BOOST_AUTO_TEST_CASE(order_does_not_depend_on_input_order) {
  auto xs = mixed();
  // Same age twice: the tie is broken by id, not by position.
  xs.push_back(rec("run-twin-a", st::running, 400));
  auto want = stop_order(xs, 100);
  std::mt19937 rng{7};
  for (int i = 0; i < 20; ++i) {
    std::shuffle(xs.begin(), xs.end(), rng);
    BOOST_TEST(stop_order(xs, 100) == want, boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(expired_servers_go_first_oldest_first) {
  auto xs = mixed();
  // max_lifetime 200 at 500: run-old (400 old) and run-mid (250) expired;
  // run-new (100) is not.
  server_expiry e{500, 200};
  auto got = stop_order(xs, 4, e);
  BOOST_TEST(got == (ids{"run-old", "run-mid", "pend-new", "pend-old"}),
             boost::test_tools::per_element());
  // Without max_lifetime the usual order holds.
  BOOST_TEST(stop_order(xs, 1, server_expiry{500, 0}) == ids{"pend-new"},
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(only_running_servers_expire) {
  std::vector<server_record> xs{rec("start", st::starting, 0),
                                rec("reb", st::rebooting, 0),
                                rec("run", st::running, 50)};
  server_expiry e{1000, 10};
  BOOST_TEST(is_expired(xs[2], e));
  BOOST_TEST(!is_expired(xs[0], e));
  BOOST_TEST(!is_expired(xs[1], e));
  BOOST_TEST(stop_order(xs, 3, e) == (ids{"run", "start", "reb"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(age_counts_from_the_providers_creation_when_known) {
  auto a = rec("a", st::running, 100);
  BOOST_TEST(server_age_ms(a, 1000) == 900);
  a.provider_created_at_ms = 400;
  BOOST_TEST(server_age_ms(a, 1000) == 600);
  // Expired by the provider's time, not the local one.
  auto b = rec("b", st::running, 50);
  b.provider_created_at_ms = 700;
  server_expiry e{1000, 500};
  BOOST_TEST(is_expired(a, e));
  BOOST_TEST(!is_expired(b, e));
  BOOST_TEST(stop_order({b, a}, 1, e) == ids{"a"},
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(expired_servers_asked_to_stop_are_not_picked) {
  std::vector<server_record> xs{rec("old", st::running, 0, true),
                                rec("new", st::running, 900)};
  BOOST_TEST(stop_order(xs, 2, server_expiry{1000, 500}) == ids{"new"},
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(expired_order_does_not_depend_on_input_order) {
  std::vector<server_record> xs{rec("a", st::running, 10),
                                rec("b", st::running, 10),
                                rec("c", st::running, 5),
                                rec("d", st::running, 900)};
  server_expiry e{1000, 100};
  auto want = stop_order(xs, 4, e);
  BOOST_TEST(want.at(0) == "c"); // the oldest
  BOOST_TEST(want.at(3) == "d"); // not expired
  std::mt19937 rng{3};
  for (int i = 0; i < 10; ++i) {
    std::shuffle(xs.begin(), xs.end(), rng);
    BOOST_TEST(stop_order(xs, 4, e) == want, boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_SUITE_END()
