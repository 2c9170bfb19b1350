// GET /v1/events/stream: live events, resuming without gaps or repeats,
// heartbeats, and a clean end on shutdown.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "tests/api/api_client.hpp"

using namespace dynserv;
using namespace dynserv::test;

namespace {

http_headers auth() {
  return {{"Authorization", std::string{"Bearer "} + api_token}};
}

bool has_event(const std::vector<sse_message>& events,
               const std::string& reason) {
  for (const auto& ev : events)
    if (ev.event == reason)
      return true;
  return false;
}

/// Every seq in the node's event log, oldest first.
std::vector<std::string> log_seqs(api_client& c) {
  auto r = c.get("/v1/events?limit=1000");
  std::vector<std::string> res;
  BOOST_REQUIRE(r.status == 200);
  for (const auto& ev : r.json["events"].GetArray())
    res.push_back(std::to_string(ev["seq"].GetUint64()));
  return res;
}

std::vector<std::string> ids_of(const std::vector<sse_message>& events) {
  std::vector<std::string> res;
  for (const auto& ev : events)
    res.push_back(ev.id);
  return res;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(event_stream, api_node)

BOOST_AUTO_TEST_CASE(live_events_resume_without_gaps_or_repeats) {
  start();
  auto c = client();
  std::vector<sse_message> seen;
  {
    sse_reader sse{port(), "/v1/events/stream", auth()};
    BOOST_REQUIRE(sse.status() == 200);
    BOOST_TEST(sse.head().find("text/event-stream") != std::string::npos);
    // Connected before anything happened: the events arrive live.
    c.send_json("PUT", "/v1/pools/default/desired", R"({"count": 1})");
    BOOST_REQUIRE(sse.read_until(
      [](const auto& evs) { return has_event(evs, "ServerRunning"); }, 20s));
    seen = sse.events();
    // Each data line is the event's JSON with the same seq and reason.
    for (const auto& ev : seen) {
      rapidjson::Document doc;
      doc.Parse(ev.data.c_str());
      BOOST_REQUIRE(!doc.HasParseError());
      BOOST_TEST(std::to_string(doc["seq"].GetUint64()) == ev.id);
      BOOST_TEST(doc["reason"].GetString() == ev.event);
    }
  }
  // While nobody listens, more happens.
  c.send_json("PUT", "/v1/pools/default/desired", R"({"count": 0})");
  BOOST_REQUIRE(eventually([&] {
    auto r = c.get("/v1/events?limit=1000");
    for (const auto& ev : r.json["events"].GetArray())
      if (ev["reason"] == "ServerDeleted")
        return true;
    return false;
  }));
  // A reconnecting client sends the last id it saw (and may still carry an
  // older since= in its URL: the header wins).
  sse_reader again{port(),
                   "/v1/events/stream?since=1",
                   {{"Authorization", std::string{"Bearer "} + api_token},
                    {"Last-Event-ID", seen.back().id}}};
  BOOST_REQUIRE(again.status() == 200);
  BOOST_REQUIRE(again.read_until(
    [](const auto& evs) { return has_event(evs, "ServerDeleted"); }, 20s));
  auto ids = ids_of(seen);
  for (const auto& id : ids_of(again.events()))
    ids.push_back(id);
  auto log = log_seqs(c);
  BOOST_REQUIRE(ids.size() <= log.size());
  log.resize(ids.size());
  BOOST_TEST(ids == log, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(since_starts_after_a_seq) {
  start();
  auto c = client();
  c.send_json("PUT", "/v1/pools/batch/desired", R"({"count": 1})");
  BOOST_REQUIRE(eventually([&] { return log_seqs(c).size() >= 4; }));
  auto log = log_seqs(c);
  sse_reader sse{port(), "/v1/events/stream?since=" + log[1], auth()};
  BOOST_REQUIRE(sse.read_until(
    [&](const auto& evs) { return evs.size() >= log.size() - 2; }, 20s));
  BOOST_TEST(sse.events().front().id == log[2]);
  // No since at all: the whole stored log first.
  sse_reader from_start{port(), "/v1/events/stream", auth()};
  BOOST_REQUIRE(from_start.read_until(
    [&](const auto& evs) { return evs.size() >= log.size(); }, 20s));
  BOOST_TEST(from_start.events().front().id == log[0]);
}

BOOST_AUTO_TEST_CASE(bad_resume_points_are_400) {
  start();
  sse_reader sse{port(),
                 "/v1/events/stream",
                 {{"Authorization", std::string{"Bearer "} + api_token},
                  {"Last-Event-ID", "abc"}}};
  BOOST_TEST(sse.status() == 400);
  sse_reader since{port(), "/v1/events/stream?since=-3", auth()};
  BOOST_TEST(since.status() == 400);
  sse_reader extra{port(), "/v1/events/stream?limit=3", auth()};
  BOOST_TEST(extra.status() == 400);
}

BOOST_AUTO_TEST_CASE(quiet_streams_get_heartbeats) {
  http_api_options opts;
  opts.stream_heartbeat = 100ms;
  opts.stream_poll_interval = 20ms;
  start_api_with(std::move(opts));
  sse_reader sse{port(), "/v1/events/stream?since=18446744073709551614",
                 auth()};
  BOOST_REQUIRE(sse.status() == 200);
  sse.read_until([&](const auto&) { return sse.comments().size() >= 2; }, 10s);
  BOOST_TEST(sse.comments().size() >= 2u);
  BOOST_TEST(sse.events().empty());
  for (const auto& c : sse.comments())
    BOOST_TEST(c == " heartbeat");
}

BOOST_AUTO_TEST_CASE(streams_end_cleanly_on_shutdown) {
  start();
  sse_reader sse{port(), "/v1/events/stream", auth()};
  BOOST_REQUIRE(sse.status() == 200);
  auto t0 = std::chrono::steady_clock::now();
  endpoint->stop(2s);
  BOOST_TEST(sse.wait_closed(10s));
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < 10s));
}

BOOST_AUTO_TEST_CASE(streams_end_when_the_node_goes_away) {
  start();
  sse_reader sse{port(), "/v1/events/stream", auth()};
  BOOST_REQUIRE(sse.status() == 200);
  stop_node();
  BOOST_TEST(sse.wait_closed(10s));
}

BOOST_AUTO_TEST_SUITE_END()
