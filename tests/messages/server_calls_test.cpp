// Tests of plan_next_step(): what a server does next, row by row, from its
// record and what it has in flight.
#include "actors/server_calls.hpp"

#include <boost/test/unit_test.hpp>

#include <set>
#include <string>
#include <vector>

#include "actors/server_fsm.hpp"

using namespace dynserv;

namespace {

using st = server_status;
using cs = create_step;
using ns = next_step;

constexpr bool pid = true;
constexpr bool no_pid = false;
constexpr bool accepted = true;
constexpr bool open = false;

/// One row: the record's status and flags (and this incarnation's create
/// step) -> the step to take, and why.
struct row {
  st status;
  bool provider_id;
  bool call_accepted;
  uint32_t create_attempts;
  bool stop_requested;
  bool reboot_requested;
  cs create;
  ns want;
  const char* why;
};

// clang-format off
const std::vector<row> rows = {
  // status       pid     accepted  creates stop   reboot create       -> step
  {st::pending,   no_pid, open,     0, false, false, cs::none,    ns::none,
   "not started"},
  // Starting: count and persist a create before sending it; send it once
  // durable; resolve an attempt of unknown outcome by label.
  {st::starting,  no_pid, open,     0, false, false, cs::none,    ns::count_create,
   "first create, counted and persisted before it is sent"},
  {st::starting,  no_pid, open,     1, false, false, cs::counted, ns::create,
   "the durable record counts the create this actor has not sent"},
  {st::starting,  no_pid, open,     1, false, false, cs::none,    ns::lookup,
   "a create may have happened (lost answer or restart): look it up"},
  {st::starting,  no_pid, open,     3, false, false, cs::none,    ns::lookup,
   "several attempts, none resolved: look up, never create twice"},
  {st::starting,  no_pid, open,     0, false, false, cs::dropped, ns::count_create,
   "the only create never left the provider actor: count a new one"},
  {st::starting,  no_pid, open,     1, false, false, cs::dropped, ns::count_create,
   "an earlier attempt was resolved, the last one never left: no lookup"},
  {st::starting,  pid,    accepted, 1, false, false, cs::none,    ns::observe,
   "create accepted: poll until running"},
  {st::starting,  pid,    accepted, 1, true,  true,  cs::none,    ns::observe,
   "a remembered stop or reboot waits until the server runs"},
  // Running: only remembered commands lead anywhere.
  {st::running,   pid,    open,     1, false, false, cs::none,    ns::none,
   "running, nothing to poll"},
  {st::running,   pid,    open,     1, true,  false, cs::none,    ns::ask_stop,
   "a stop asked for while starting"},
  {st::running,   pid,    open,     1, false, true,  cs::none,    ns::ask_reboot,
   "a reboot asked for while not running"},
  {st::running,   pid,    open,     1, true,  true,  cs::none,    ns::ask_stop,
   "a stop wins over a reboot"},
  // Rebooting.
  {st::rebooting, pid,    open,     1, false, false, cs::none,    ns::reboot,
   "reboot not accepted yet"},
  {st::rebooting, pid,    accepted, 1, false, false, cs::none,    ns::observe,
   "reboot accepted: poll until running"},
  {st::rebooting, pid,    accepted, 1, true,  true,  cs::none,    ns::observe,
   "remembered commands wait until running"},
  // Stopping: find a server created without a provider id first.
  {st::stopping,  pid,    open,     1, false, false, cs::none,    ns::stop,
   "stop not accepted yet"},
  {st::stopping,  pid,    accepted, 1, false, false, cs::none,    ns::observe,
   "stop accepted: poll until stopped"},
  {st::stopping,  no_pid, open,     1, false, false, cs::none,    ns::lookup,
   "a create of unknown outcome: find the server by label"},
  {st::stopping,  no_pid, open,     0, false, false, cs::none,    ns::assume_gone,
   "never created: nothing to stop"},
  {st::stopping,  no_pid, open,     1, false, false, cs::counted, ns::lookup,
   "a counted create may have gone out before the status changed"},
  // Stopped and deleting.
  {st::stopped,   pid,    open,     1, false, false, cs::none,    ns::ask_delete,
   "stopped servers are deleted"},
  {st::deleting,  pid,    open,     1, false, false, cs::none,    ns::destroy,
   "delete not accepted yet"},
  {st::deleting,  pid,    accepted, 1, false, false, cs::none,    ns::observe,
   "delete accepted: poll until gone"},
  // Statuses without a provider call.
  {st::deleted,   pid,    open,     1, false, false, cs::none,    ns::none,
   "final"},
  {st::errored,   pid,    open,     1, false, false, cs::none,    ns::none,
   "left for remediation or an operator"},
  {st::errored,   no_pid, open,     1, false, false, cs::none,    ns::none,
   "no lookup until someone asks for a stop"},
  {st::hanging,   pid,    open,     1, false, false, cs::none,    ns::none,
   "left for remediation or an operator"},
  {st::hanging,   no_pid, open,     1, false, false, cs::counted, ns::none,
   "a counted create is not sent once the start hung"},
};
// clang-format on

server_record record_of(const row& r) {
  server_record rec;
  rec.id = "00000000-0000-4000-8000-000000000001";
  rec.status = r.status;
  rec.provider_id = r.provider_id ? "p-1" : "";
  rec.call_accepted = r.call_accepted;
  rec.create_attempts = r.create_attempts;
  rec.stop_requested = r.stop_requested;
  rec.reboot_requested = r.reboot_requested;
  return rec;
}

server_activity idle(cs create) {
  server_activity act;
  act.create = create;
  return act;
}

std::string describe(const row& r) {
  return std::string{to_string(r.status)} + ": " + r.why;
}

} // namespace

BOOST_AUTO_TEST_SUITE(server_calls_tests)

BOOST_AUTO_TEST_CASE(every_row_gives_its_step) {
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(describe(r)) {
      auto plan = plan_next_step(record_of(r), idle(r.create));
      BOOST_TEST((plan.step == r.want), "got " << to_string(plan.step)
                                               << ", want "
                                               << to_string(r.want));
      BOOST_TEST(std::string{plan.why}.size() > 0u);
    }
  }
}

BOOST_AUTO_TEST_CASE(every_status_has_rows) {
  std::set<st> seen;
  for (const auto& r : rows)
    seen.insert(r.status);
  BOOST_TEST(seen.size() == server_status_count);
}

BOOST_AUTO_TEST_CASE(nothing_happens_while_anything_is_in_flight) {
  // Crash safety: no call before the record is durable; one call at a time;
  // a retry waits for its timer.
  for (const auto& r : rows) {
    for (int busy = 0; busy < 4; ++busy) {
      auto act = idle(r.create);
      act.persisting = busy == 0;
      act.persist_failed = busy == 1;
      act.calling = busy == 2;
      act.retry_armed = busy == 3;
      BOOST_TEST_CONTEXT(describe(r) << " (busy " << busy << ")") {
        BOOST_TEST((plan_next_step(record_of(r), act).step == ns::none));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(a_restarted_actor_never_sends_a_create_its_record_counts) {
  // A restarted actor has create step `none`: with attempts on record and no
  // provider id, it looks the server up.
  for (uint32_t attempts = 1; attempts < 5; ++attempts) {
    server_record rec;
    rec.status = st::starting;
    rec.create_attempts = attempts;
    BOOST_TEST((plan_next_step(rec, idle(cs::none)).step == ns::lookup));
  }
}

BOOST_AUTO_TEST_CASE(every_step_is_a_call_an_event_or_nothing) {
  for (int i = 0; i <= static_cast<int>(ns::assume_gone); ++i) {
    auto step = static_cast<ns>(i);
    BOOST_TEST_CONTEXT(to_string(step)) {
      auto is_call = call_of(step).has_value();
      auto is_event = event_of(step).has_value();
      BOOST_TEST(!(is_call && is_event));
      if (step == ns::none || step == ns::count_create)
        BOOST_TEST(!(is_call || is_event));
      else
        BOOST_TEST((is_call || is_event));
    }
  }
  BOOST_TEST((call_of(ns::create) == server_call::create));
  BOOST_TEST((call_of(ns::lookup) == server_call::lookup));
  BOOST_TEST((call_of(ns::destroy) == server_call::destroy));
  BOOST_TEST((event_of(ns::ask_delete) == server_event::delete_requested));
  BOOST_TEST((event_of(ns::assume_gone) == server_event::observed_gone));
}

BOOST_AUTO_TEST_CASE(every_event_a_step_feeds_is_a_row_of_the_table) {
  for (const auto& r : rows) {
    auto plan = plan_next_step(record_of(r), idle(r.create));
    if (auto ev = event_of(plan.step)) {
      BOOST_TEST_CONTEXT(describe(r)) {
        BOOST_TEST(fsm::step(r.status, *ev).has_value(), to_string(*ev));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(step_and_call_names_are_distinct_snake_case) {
  std::set<std::string> steps;
  for (int i = 0; i <= static_cast<int>(ns::assume_gone); ++i)
    BOOST_TEST(steps.insert(to_string(static_cast<ns>(i))).second);
  std::set<std::string> calls;
  for (int i = 0; i <= static_cast<int>(server_call::reboot); ++i)
    BOOST_TEST(calls.insert(to_string(static_cast<server_call>(i))).second);
  for (const auto* names : {&steps, &calls})
    for (const auto& name : *names)
      for (auto c : name)
        BOOST_TEST(((c >= 'a' && c <= 'z') || c == '_'), name);
  BOOST_TEST(std::string{to_string(ns::count_create)} == "count_create");
  BOOST_TEST(std::string{to_string(ns::assume_gone)} == "assume_gone");
  BOOST_TEST(std::string{to_string(server_call::destroy)} == "destroy");
  BOOST_TEST(std::string{to_string(server_call::reboot)} == "reboot");
}

BOOST_AUTO_TEST_SUITE_END()
