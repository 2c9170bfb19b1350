// Tests of status and event names and of the status predicates.
#include "messages/status.hpp"

#include <boost/test/unit_test.hpp>

#include <set>
#include <string>

#include "messages/types.hpp"

using namespace dynserv;

namespace {

using st = server_status;

} // namespace

BOOST_AUTO_TEST_SUITE(status_tests)

BOOST_AUTO_TEST_CASE(status_names_round_trip) {
  std::set<std::string> names;
  for (size_t i = 0; i < server_status_count; ++i) {
    auto s = static_cast<server_status>(i);
    std::string name = to_string(s);
    BOOST_TEST(names.insert(name).second, "duplicate name " << name);
    auto parsed = parse_server_status(name);
    BOOST_TEST_REQUIRE(parsed.has_value(), name);
    BOOST_TEST((*parsed == s), name);
  }
  BOOST_TEST(names.size() == server_status_count);
}

BOOST_AUTO_TEST_CASE(status_names_are_the_documented_ones) {
  BOOST_TEST(std::string{to_string(st::pending)} == "pending");
  BOOST_TEST(std::string{to_string(st::starting)} == "starting");
  BOOST_TEST(std::string{to_string(st::running)} == "running");
  BOOST_TEST(std::string{to_string(st::rebooting)} == "rebooting");
  BOOST_TEST(std::string{to_string(st::stopping)} == "stopping");
  BOOST_TEST(std::string{to_string(st::stopped)} == "stopped");
  BOOST_TEST(std::string{to_string(st::deleting)} == "deleting");
  BOOST_TEST(std::string{to_string(st::deleted)} == "deleted");
  BOOST_TEST(std::string{to_string(st::errored)} == "errored");
  BOOST_TEST(std::string{to_string(st::hanging)} == "hanging");
}

BOOST_AUTO_TEST_CASE(unknown_status_names_do_not_parse) {
  BOOST_TEST(!parse_server_status(""));
  BOOST_TEST(!parse_server_status("new"));
  BOOST_TEST(!parse_server_status("paused"));
  BOOST_TEST(!parse_server_status("Running"));
  BOOST_TEST(!parse_server_status("running "));
  BOOST_TEST(!parse_server_status("runningx"));
}

BOOST_AUTO_TEST_CASE(event_names_are_distinct_snake_case) {
  std::set<std::string> names;
  for (size_t i = 0; i < server_event_count; ++i) {
    std::string name = to_string(static_cast<server_event>(i));
    BOOST_TEST(names.insert(name).second, "duplicate name " << name);
    for (auto c : name)
      BOOST_TEST(((c >= 'a' && c <= 'z') || c == '_'), name);
  }
  BOOST_TEST(std::string{to_string(server_event::start_requested)}
             == "start_requested");
  BOOST_TEST(std::string{to_string(server_event::deadline_passed)}
             == "deadline_passed");
}

BOOST_AUTO_TEST_CASE(provisioned_means_starting_running_or_rebooting) {
  for (size_t i = 0; i < server_status_count; ++i) {
    auto s = static_cast<server_status>(i);
    auto want = s == st::starting || s == st::running || s == st::rebooting;
    BOOST_TEST(is_provisioned(s) == want, to_string(s));
  }
}

BOOST_AUTO_TEST_CASE(only_deleted_is_terminal) {
  for (size_t i = 0; i < server_status_count; ++i) {
    auto s = static_cast<server_status>(i);
    BOOST_TEST(is_terminal(s) == (s == st::deleted), to_string(s));
  }
}

BOOST_AUTO_TEST_CASE(moving_statuses_are_the_ones_waiting_for_the_provider) {
  for (size_t i = 0; i < server_status_count; ++i) {
    auto s = static_cast<server_status>(i);
    auto want = s == st::starting || s == st::stopping || s == st::deleting
                || s == st::rebooting;
    BOOST_TEST(is_moving(s) == want, to_string(s));
  }
}

BOOST_AUTO_TEST_CASE(retryable_error_kinds) {
  BOOST_TEST(is_retryable(error_kind::transient));
  BOOST_TEST(is_retryable(error_kind::rate_limited));
  BOOST_TEST(is_retryable(error_kind::conflict));
  BOOST_TEST(!is_retryable(error_kind::none));
  BOOST_TEST(!is_retryable(error_kind::not_found));
  BOOST_TEST(!is_retryable(error_kind::outcome_unknown));
  BOOST_TEST(!is_retryable(error_kind::permanent));
}

BOOST_AUTO_TEST_SUITE_END()
