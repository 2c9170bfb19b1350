// Tests of the server transition table: every row, and every rejected pair.
#include "actors/server_fsm.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

using namespace dynserv;

namespace {

using st = server_status;
using ev = server_event;
using ac = fsm::action;

/// Every status, in declaration order.
std::vector<server_status> all_statuses() {
  std::vector<server_status> result;
  for (size_t i = 0; i < server_status_count; ++i)
    result.push_back(static_cast<server_status>(i));
  return result;
}

/// Every event, in declaration order.
std::vector<server_event> all_events() {
  std::vector<server_event> result;
  for (size_t i = 0; i < server_event_count; ++i)
    result.push_back(static_cast<server_event>(i));
  return result;
}

/// The table as the specification describes it, written down independently
/// of actors/server_fsm.cpp (the reference package's statuses with dynserv's
/// decisions: label lookup after an unknown create, deferred stop/reboot,
/// per-status deadlines, errored/hanging remediated by a stop).
// clang-format off
const std::vector<fsm::transition> expected_rows = {
  // from           on                     to             action
  // A pending server is provisioned, or cancelled without any API call.
  {st::pending,   ev::start_requested,    st::starting,  ac::call_create},
  {st::pending,   ev::stop_requested,     st::deleted,   ac::cancel},
  // Starting: create accepted or adopted by label, else created (again).
  {st::starting,  ev::create_accepted,    st::starting,  ac::await_running},
  {st::starting,  ev::found_by_label,     st::starting,  ac::await_running},
  {st::starting,  ev::missing_by_label,   st::starting,  ac::call_create},
  {st::starting,  ev::observed_running,   st::running,   ac::became_running},
  {st::starting,  ev::observed_gone,      st::deleted,   ac::report_vanished},
  {st::starting,  ev::stop_requested,     st::starting,  ac::remember_stop},
  {st::starting,  ev::reboot_requested,   st::starting,  ac::remember_reboot},
  {st::starting,  ev::failed_permanently, st::errored,   ac::mark_errored},
  // A create that failed at the cloud for good errors at once.
  {st::starting,  ev::observed_failed,    st::errored,   ac::mark_errored},
  {st::starting,  ev::deadline_passed,    st::hanging,   ac::mark_hanging},
  // Running.
  {st::running,   ev::stop_requested,     st::stopping,  ac::call_stop},
  {st::running,   ev::reboot_requested,   st::rebooting, ac::call_reboot},
  {st::running,   ev::observed_gone,      st::deleted,   ac::report_vanished},
  // Rebooting: a second reboot or a stop is remembered for later.
  {st::rebooting, ev::reboot_accepted,    st::rebooting, ac::await_rebooted},
  {st::rebooting, ev::observed_running,   st::running,   ac::became_running},
  {st::rebooting, ev::reboot_requested,   st::rebooting, ac::remember_reboot},
  {st::rebooting, ev::stop_requested,     st::rebooting, ac::remember_stop},
  {st::rebooting, ev::observed_gone,      st::deleted,   ac::report_vanished},
  {st::rebooting, ev::failed_permanently, st::errored,   ac::mark_errored},
  {st::rebooting, ev::deadline_passed,    st::hanging,   ac::mark_hanging},
  // Stopping, stopped, deleting: "gone" only from the provider's not-found.
  {st::stopping,  ev::stop_accepted,      st::stopping,  ac::await_stopped},
  {st::stopping,  ev::observed_stopped,   st::stopped,   ac::request_delete},
  {st::stopping,  ev::observed_gone,      st::deleted,   ac::finish},
  {st::stopping,  ev::failed_permanently, st::errored,   ac::mark_errored},
  {st::stopping,  ev::deadline_passed,    st::hanging,   ac::mark_hanging},
  {st::stopping,  ev::delete_requested,   st::deleting,  ac::call_delete},
  // A server whose create failed cannot be stopped either: delete it.
  {st::stopping,  ev::observed_failed,    st::deleting,  ac::call_delete},
  {st::stopped,   ev::delete_requested,   st::deleting,  ac::call_delete},
  {st::stopped,   ev::observed_gone,      st::deleted,   ac::finish},
  {st::deleting,  ev::delete_accepted,    st::deleting,  ac::await_gone},
  {st::deleting,  ev::observed_gone,      st::deleted,   ac::finish},
  {st::deleting,  ev::stop_requested,     st::stopping,  ac::call_stop},
  {st::deleting,  ev::failed_permanently, st::errored,   ac::mark_errored},
  {st::deleting,  ev::deadline_passed,    st::hanging,   ac::mark_hanging},
  // Errored and hanging servers may still bill: they can be stopped.
  {st::errored,   ev::stop_requested,     st::stopping,  ac::call_stop},
  {st::errored,   ev::observed_gone,      st::deleted,   ac::finish},
  {st::hanging,   ev::stop_requested,     st::stopping,  ac::call_stop},
  {st::hanging,   ev::observed_gone,      st::deleted,   ac::finish},
};
// clang-format on

std::string describe(server_status from, server_event on) {
  return std::string{to_string(from)} + " + " + to_string(on);
}

const fsm::transition* find_expected(server_status from, server_event on) {
  for (const auto& row : expected_rows)
    if (row.from == from && row.on == on)
      return &row;
  return nullptr;
}

} // namespace

BOOST_AUTO_TEST_SUITE(server_fsm_tests)

BOOST_AUTO_TEST_CASE(every_listed_row_is_what_step_returns) {
  for (const auto& want : expected_rows) {
    BOOST_TEST_CONTEXT(describe(want.from, want.on)) {
      auto got = fsm::step(want.from, want.on);
      BOOST_TEST_REQUIRE(got.has_value());
      BOOST_TEST((got->from == want.from));
      BOOST_TEST((got->on == want.on));
      BOOST_TEST((got->to == want.to), "to: got " << to_string(got->to)
                                                  << ", want "
                                                  << to_string(want.to));
      BOOST_TEST((got->act == want.act),
                 "action: got " << fsm::to_string(got->act) << ", want "
                                << fsm::to_string(want.act));
    }
  }
}

BOOST_AUTO_TEST_CASE(every_unlisted_pair_is_rejected) {
  size_t rejected = 0;
  for (auto from : all_statuses()) {
    for (auto on : all_events()) {
      if (find_expected(from, on) != nullptr)
        continue;
      ++rejected;
      BOOST_TEST_CONTEXT(describe(from, on)) {
        auto got = fsm::step(from, on);
        BOOST_TEST(!got.has_value(),
                   "unexpected row to " << (got ? to_string(got->to) : "-"));
      }
    }
  }
  BOOST_TEST(rejected + expected_rows.size()
             == server_status_count * server_event_count);
}

BOOST_AUTO_TEST_CASE(some_pairs_that_must_be_rejected_are_rejected) {
  BOOST_TEST(!fsm::step(st::running, ev::start_requested));
  BOOST_TEST(!fsm::step(st::starting, ev::start_requested));
  BOOST_TEST(!fsm::step(st::pending, ev::reboot_requested));
  BOOST_TEST(!fsm::step(st::stopping, ev::reboot_requested));
  BOOST_TEST(!fsm::step(st::running, ev::observed_stopped));
  BOOST_TEST(!fsm::step(st::running, ev::deadline_passed));
  BOOST_TEST(!fsm::step(st::errored, ev::start_requested));
  BOOST_TEST(!fsm::step(st::hanging, ev::reboot_requested));
  for (auto on : all_events())
    BOOST_TEST(!fsm::step(st::deleted, on), "deleted + " << to_string(on));
  // A failed create means nothing once the server runs or reboots.
  BOOST_TEST(!fsm::step(st::running, ev::observed_failed));
  BOOST_TEST(!fsm::step(st::rebooting, ev::observed_failed));
  BOOST_TEST(!fsm::step(st::pending, ev::observed_failed));
}

BOOST_AUTO_TEST_CASE(table_has_exactly_the_listed_rows) {
  const auto& table = fsm::table();
  BOOST_TEST(table.size() == expected_rows.size());
  for (const auto& row : table) {
    BOOST_TEST_CONTEXT(describe(row.from, row.on)) {
      auto want = find_expected(row.from, row.on);
      BOOST_TEST_REQUIRE(want != nullptr);
      BOOST_TEST((row.to == want->to));
      BOOST_TEST((row.act == want->act));
    }
  }
}

BOOST_AUTO_TEST_CASE(table_has_no_duplicate_from_on_pairs) {
  std::set<std::pair<server_status, server_event>> seen;
  for (const auto& row : fsm::table())
    BOOST_TEST(seen.emplace(row.from, row.on).second,
               "duplicate row " << describe(row.from, row.on));
  std::set<std::pair<server_status, server_event>> listed;
  for (const auto& row : expected_rows)
    BOOST_TEST(listed.emplace(row.from, row.on).second,
               "duplicate expected row " << describe(row.from, row.on));
}

BOOST_AUTO_TEST_CASE(every_status_but_deleted_has_a_way_out) {
  for (auto s : all_statuses()) {
    bool way_out = false;
    for (const auto& row : fsm::table())
      if (row.from == s && row.to != s)
        way_out = true;
    if (s == st::deleted)
      BOOST_TEST(!way_out, "deleted must be final");
    else
      BOOST_TEST(way_out, to_string(s) << " has no way out");
  }
}

BOOST_AUTO_TEST_CASE(every_status_but_pending_has_a_way_in) {
  for (auto s : all_statuses()) {
    bool way_in = false;
    for (const auto& row : fsm::table())
      if (row.to == s && row.from != s)
        way_in = true;
    if (s == st::pending)
      BOOST_TEST(!way_in, "nothing leads back to pending");
    else
      BOOST_TEST(way_in, to_string(s) << " is unreachable");
  }
}

BOOST_AUTO_TEST_CASE(every_moving_status_has_a_deadline_and_nothing_else) {
  for (auto s : all_statuses()) {
    auto row = fsm::step(s, ev::deadline_passed);
    BOOST_TEST(row.has_value() == is_moving(s), to_string(s));
    if (row) {
      BOOST_TEST((row->to == st::hanging));
      BOOST_TEST((row->act == ac::mark_hanging));
    }
  }
}

BOOST_AUTO_TEST_CASE(only_pending_is_cancelled_without_an_api_call) {
  for (const auto& row : fsm::table()) {
    if (row.act == ac::cancel) {
      BOOST_TEST((row.from == st::pending));
      BOOST_TEST((row.to == st::deleted));
    }
  }
}

BOOST_AUTO_TEST_CASE(deleted_is_reached_only_from_not_found_or_cancel) {
  for (const auto& row : fsm::table()) {
    if (row.to != st::deleted)
      continue;
    BOOST_TEST_CONTEXT(describe(row.from, row.on)) {
      BOOST_TEST(
        ((row.on == ev::observed_gone)
         || (row.from == st::pending && row.on == ev::stop_requested)));
    }
  }
}

BOOST_AUTO_TEST_CASE(action_names_are_distinct_snake_case) {
  std::set<std::string> names;
  for (auto x = 0; x <= static_cast<int>(ac::mark_hanging); ++x) {
    std::string name = fsm::to_string(static_cast<ac>(x));
    BOOST_TEST(!name.empty());
    BOOST_TEST(names.insert(name).second, "duplicate action name " << name);
    for (auto c : name)
      BOOST_TEST(((c >= 'a' && c <= 'z') || c == '_'), name);
  }
  BOOST_TEST(std::string{fsm::to_string(ac::call_create)} == "call_create");
  BOOST_TEST(std::string{fsm::to_string(ac::mark_hanging)} == "mark_hanging");
}

BOOST_AUTO_TEST_SUITE_END()
