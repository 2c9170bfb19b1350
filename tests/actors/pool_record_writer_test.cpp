// Coalesced pool-record writes: one in flight, the rest batched, callbacks
// run once per outcome.
#include "actors/pool_record_writer.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "messages/errors.hpp"

using namespace dynserv;

namespace {

std::vector<event_record> one_event(std::string reason) {
  event_record ev;
  ev.reason = std::move(reason);
  return {ev};
}

} // namespace

BOOST_AUTO_TEST_SUITE(pool_record_writer_unit)

BOOST_AUTO_TEST_CASE(nothing_added_means_nothing_to_write) {
  pool_record_writer w;
  BOOST_TEST(w.start() == nullptr);
  BOOST_TEST(!w.in_flight());
  w.finish(nullptr); // no write in flight: nothing happens
  BOOST_TEST(w.start() == nullptr);
}

BOOST_AUTO_TEST_CASE(changes_made_during_a_write_go_out_together_next) {
  pool_record_writer w;
  std::vector<std::string> log;
  w.add(one_event("A"), [&] { log.push_back("a done"); });
  const auto* first = w.start();
  BOOST_TEST_REQUIRE(first != nullptr);
  BOOST_TEST(first->events.size() == 1u);
  BOOST_TEST(w.in_flight());
  w.add(one_event("B"), [&] { log.push_back("b done"); });
  w.add({}, [&] { log.push_back("c done"); });
  w.add(one_event("D"));
  BOOST_TEST(w.start() == nullptr); // one write at a time
  w.finish(nullptr);
  BOOST_TEST(log == std::vector<std::string>{"a done"},
             boost::test_tools::per_element());
  const auto* second = w.start();
  BOOST_TEST_REQUIRE(second != nullptr);
  BOOST_TEST_REQUIRE(second->events.size() == 2u);
  BOOST_TEST(second->events[0].reason == "B");
  BOOST_TEST(second->events[1].reason == "D");
  w.finish(nullptr);
  BOOST_TEST(log == (std::vector<std::string>{"a done", "b done", "c done"}),
             boost::test_tools::per_element());
  BOOST_TEST(w.start() == nullptr);
}

BOOST_AUTO_TEST_CASE(a_failed_write_runs_the_failure_callbacks_only) {
  pool_record_writer w;
  int done = 0;
  std::string failed;
  w.add(
    one_event("A"), [&] { ++done; },
    [&](const caf::error& err) { failed = describe(err); });
  w.start();
  auto err = make_error(ec::storage_failure, "disk full");
  w.finish(&err);
  BOOST_TEST(done == 0);
  BOOST_TEST(failed.find("disk full") != std::string::npos, failed);
  BOOST_TEST(!w.in_flight());
}

BOOST_AUTO_TEST_CASE(a_callback_may_add_to_the_next_write) {
  pool_record_writer w;
  w.add(one_event("A"), [&] { w.add(one_event("B")); });
  w.start();
  w.finish(nullptr);
  const auto* next = w.start();
  BOOST_TEST_REQUIRE(next != nullptr);
  BOOST_TEST(next->events.at(0).reason == "B");
}

BOOST_AUTO_TEST_SUITE_END()
