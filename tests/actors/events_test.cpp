// The event log: sequence numbers, CamelCase reasons, and status changes
// that chain from pending to the current status.
#include <boost/test/unit_test.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/fixtures/node_fixture.hpp"

using namespace dynserv;
using namespace dynserv::test;

namespace {

using ss = server_status;

bool is_camel_case(const std::string& str) {
  if (str.empty() || str[0] < 'A' || str[0] > 'Z')
    return false;
  for (auto c : str)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
      return false;
  return true;
}

const std::set<std::string> known_reasons = {
  "ServerStatusChanged",  "ServerCreating",       "ServerRunning",
  "ServerStopping",       "ServerStopped",        "ServerDeleting",
  "ServerDeleted",        "ServerRebooting",      "ServerErrored",
  "ServerHanging",        "ServerVanished",       "ServerLimitHit",
  "RebootRequested",      "DesiredCountChanged",  "OrphanFound",
  "RollingRebootStarted", "RollingRebootSkipped", "RollingRebootFinished",
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(event_tests, node_fixture)

BOOST_AUTO_TEST_CASE(events_have_increasing_seq_and_camel_case_reasons) {
  add_pool("web", 0);
  start();
  BOOST_REQUIRE(ensure("web", 3));
  BOOST_TEST_REQUIRE(until_running("web", 3));
  BOOST_REQUIRE(reboot("web"));
  BOOST_REQUIRE(decrease("web", 1));
  BOOST_TEST_REQUIRE(settle([&] {
    return count("web", ss::deleted) == 1 && count("web", ss::running) == 2;
  }));
  auto all = events();
  BOOST_TEST_REQUIRE(all.size() > 10u);
  int64_t last_at = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    const auto& ev = all[i];
    BOOST_TEST_CONTEXT("event " << ev.seq << " " << ev.reason) {
      BOOST_TEST(ev.seq == i + 1);
      BOOST_TEST(is_camel_case(ev.reason));
      BOOST_TEST(known_reasons.count(ev.reason) == 1u);
      BOOST_TEST(ev.pool == "web");
      BOOST_TEST(ev.at_ms >= last_at);
      last_at = ev.at_ms;
    }
  }
  for (const auto& reason :
       {"ServerCreating", "ServerRunning", "ServerRebooting", "ServerStopping",
        "ServerStopped", "ServerDeleting", "ServerDeleted",
        "DesiredCountChanged", "RollingRebootStarted"})
    BOOST_TEST(!events(reason).empty(), "no " << reason << " event");
}

BOOST_AUTO_TEST_CASE(status_changes_carry_from_and_to_and_chain_up) {
  add_pool("web", 0);
  start();
  BOOST_REQUIRE(ensure("web", 2));
  BOOST_TEST_REQUIRE(until_running("web", 2));
  BOOST_REQUIRE(decrease("web", 1));
  BOOST_TEST_REQUIRE(settle([&] { return count("web", ss::deleted) == 1; }));
  std::map<std::string, std::string> last_to;
  for (const auto& ev : events()) {
    BOOST_TEST_CONTEXT("event " << ev.seq << " " << ev.reason) {
      if (ev.reason != "ServerStatusChanged") {
        BOOST_TEST(ev.from.empty());
        BOOST_TEST(ev.to.empty());
        continue;
      }
      BOOST_TEST(!ev.server_id.empty());
      auto from = parse_server_status(ev.from);
      auto to = parse_server_status(ev.to);
      BOOST_TEST_REQUIRE(from.has_value());
      BOOST_TEST_REQUIRE(to.has_value());
      BOOST_TEST((*from != *to));
      auto i = last_to.find(ev.server_id);
      if (i == last_to.end())
        BOOST_TEST(ev.from == "pending");
      else
        BOOST_TEST(ev.from == i->second);
      last_to[ev.server_id] = ev.to;
    }
  }
  // The chain of each server ends in its stored status.
  BOOST_TEST_REQUIRE(last_to.size() == 2u);
  for (const auto& [id, to] : last_to)
    BOOST_TEST(to == to_string(stored(id).status));
}

BOOST_AUTO_TEST_CASE(the_node_serves_the_event_log_in_pages) {
  add_pool("web", 1);
  start();
  BOOST_TEST_REQUIRE(until_running("web", 1));
  auto all = events();
  BOOST_TEST_REQUIRE(all.size() >= 4u);
  using page = std::vector<event_record>;
  auto res = ask<page>(node(), atom::events_v, uint64_t{1}, uint32_t{2});
  BOOST_REQUIRE_MESSAGE(res, outcome(res));
  BOOST_TEST_REQUIRE(res->size() == 2u);
  BOOST_TEST(res->at(0).seq == 2u);
  BOOST_TEST(res->at(1).seq == 3u);
  BOOST_TEST(res->at(0).reason == all[1].reason);
  auto tail = ask<page>(node(), atom::events_v, uint64_t{all.size()},
                        uint32_t{10});
  BOOST_REQUIRE_MESSAGE(tail, outcome(tail));
  BOOST_TEST(tail->empty());
}

BOOST_AUTO_TEST_SUITE_END()
