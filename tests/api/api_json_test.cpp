// JSON documents of the API and the embedded OpenAPI document.
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "rapidjson/document.h"

#include "api/api_json.hpp"
#include "api/http_api.hpp"
#include "api/http_router.hpp"

using namespace dynserv;

namespace {

rapidjson::Document parse(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  BOOST_REQUIRE_MESSAGE(!doc.HasParseError(), "not JSON: " << text);
  return doc;
}

std::string file_text(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

} // namespace

BOOST_AUTO_TEST_SUITE(api_json)

BOOST_AUTO_TEST_CASE(errors_have_one_shape) {
  auto doc = parse(error_json("unknown_pool", "unknown pool \"x\"\n\xff"));
  BOOST_REQUIRE(doc.IsObject());
  BOOST_TEST(doc.MemberCount() == 1u);
  BOOST_REQUIRE(doc["error"].IsObject());
  BOOST_TEST(doc["error"]["code"].GetString() == std::string{"unknown_pool"});
  // Invalid UTF-8 is replaced, control characters are escaped.
  BOOST_TEST(doc["error"]["message"].GetString()
             == std::string{"unknown pool \"x\"\n\xef\xbf\xbd"});
}

BOOST_AUTO_TEST_CASE(pools_with_servers) {
  pool_status p;
  p.name = "batch";
  p.provider = "sim";
  p.desired = 2;
  p.max = 4;
  p.counts.assign(server_status_count, 0);
  p.counts[static_cast<size_t>(server_status::running)] = 1;
  p.counts[static_cast<size_t>(server_status::starting)] = 1;
  server_record a;
  a.id = "b";
  a.pool = "batch";
  a.created_at_ms = 2;
  server_record b = a;
  b.id = "a";
  b.created_at_ms = 1;
  p.servers = {a, b};
  auto doc = parse(pool_json(p));
  BOOST_TEST(doc["provisioned"].GetInt64() == 2);
  BOOST_TEST(doc["counts"].MemberCount() == server_status_count);
  BOOST_TEST(!doc.HasMember("servers"));
  doc = parse(pool_json(p, true));
  BOOST_REQUIRE(doc["servers"].IsArray());
  BOOST_REQUIRE(doc["servers"].Size() == 2u);
  // Ordered by creation time.
  BOOST_TEST(doc["servers"][0]["id"].GetString() == std::string{"a"});
}

BOOST_AUTO_TEST_CASE(pools_carry_rollout_and_circuit_breaker_last) {
  pool_status p;
  p.name = "batch";
  p.active = 3;
  p.expired = 1;
  p.rollout.state = "running";
  p.rollout.max_unavailable_spec = "2";
  p.rollout.max_unavailable = 2;
  p.rollout.total = 3;
  p.rollout.done = 1;
  p.rollout.rebooting = {"s2", "s3"};
  p.breaker.state = "open";
  p.breaker.open_until_ms = 1'700'000'000'000;
  p.breaker.trips = 2;
  p.breaker.reason = "4 of the last 5 creates failed or hung";
  auto doc = parse(pool_json(p, true));
  // New keys only at the end (before the optional servers).
  std::vector<std::string> keys;
  for (auto i = doc.MemberBegin(); i != doc.MemberEnd(); ++i)
    keys.emplace_back(i->name.GetString());
  BOOST_REQUIRE(keys.size() == 15u);
  BOOST_TEST((std::vector<std::string>(keys.begin() + 10, keys.end())
              == std::vector<std::string>{"active", "expired", "rollout",
                                          "circuit_breaker", "servers"}));
  BOOST_TEST(doc["active"].GetInt64() == 3);
  BOOST_TEST(doc["expired"].GetInt64() == 1);
  const auto& r = doc["rollout"];
  BOOST_TEST(r["state"].GetString() == std::string{"running"});
  BOOST_TEST(r["max_unavailable"].GetInt64() == 2);
  BOOST_TEST(r["rebooting"].Size() == 2u);
  BOOST_TEST(r["waiting"].Size() == 0u);
  const auto& b = doc["circuit_breaker"];
  BOOST_TEST(b["state"].GetString() == std::string{"open"});
  BOOST_TEST(b["open_until_ms"].GetInt64() == 1'700'000'000'000);
  BOOST_TEST(b["trips"].GetInt64() == 2);
  // A reboot reply is the rollout with its pool in front.
  doc = parse(reboot_json("batch", p.rollout));
  BOOST_TEST(doc.MemberBegin()->name.GetString() == std::string{"pool"});
  BOOST_TEST(doc["pool"].GetString() == std::string{"batch"});
  BOOST_TEST(doc["done"].GetInt64() == 1);
  BOOST_TEST(doc.MemberCount()
             == parse(rollout_json(p.rollout)).MemberCount() + 1);
}

BOOST_AUTO_TEST_CASE(events_and_servers_carry_every_field) {
  event_record ev;
  ev.seq = 12;
  ev.at_ms = 1'700'000'000'123;
  ev.reason = "ServerRunning";
  auto doc = parse(event_json(ev));
  for (auto key : {"seq", "at", "at_ms", "reason", "pool", "server_id", "from",
                   "to", "message"})
    BOOST_TEST(doc.HasMember(key), key);
  BOOST_TEST(doc["at"].GetString() == std::string{"2023-11-14T22:13:20.123Z"});
  server_record s;
  doc = parse(server_json(s));
  BOOST_TEST(doc.MemberCount() == 20u);
  BOOST_TEST(doc["status"].GetString() == std::string{"pending"});
}

BOOST_AUTO_TEST_CASE(webhooks_carry_every_field_in_order) {
  webhook_status ws;
  ws.name = "rx";
  ws.url = "https://hooks.example.org/...";
  ws.cursor = 7;
  ws.persisted_cursor = 6;
  ws.last_seq = 10;
  ws.delivered = 7;
  ws.failures = 2;
  ws.attempts = 2;
  ws.pending_seq = 8;
  ws.last_error = "event n-8 attempt 2 failed: HTTP 503";
  ws.next_retry_at_ms = 1'700'000'000'123;
  auto doc = parse(webhooks_json({ws}));
  BOOST_REQUIRE(doc["webhooks"].IsArray());
  BOOST_REQUIRE(doc["webhooks"].Size() == 1u);
  const auto& h = doc["webhooks"][0];
  std::vector<std::string> keys;
  for (auto i = h.MemberBegin(); i != h.MemberEnd(); ++i)
    keys.emplace_back(i->name.GetString());
  std::vector<std::string> expected{"name",
                                    "url",
                                    "cursor",
                                    "persisted_cursor",
                                    "last_seq",
                                    "lag",
                                    "delivered",
                                    "failures",
                                    "attempts",
                                    "pending_seq",
                                    "last_error",
                                    "next_retry_at",
                                    "next_retry_at_ms",
                                    "last_success_at",
                                    "last_success_at_ms"};
  BOOST_TEST(keys == expected, boost::test_tools::per_element());
  BOOST_TEST(h["lag"].GetUint64() == 3u);
  BOOST_TEST(h["next_retry_at"].GetString()
             == std::string{"2023-11-14T22:13:20.123Z"});
  // Unset times: "-" and 0, as for servers and rollouts.
  BOOST_TEST(h["last_success_at"].GetString() == std::string{"-"});
  BOOST_TEST(h["last_success_at_ms"].GetInt64() == 0);
  // A cursor ahead of the last seen end (a fresh restart) is no lag.
  ws.cursor = 12;
  BOOST_TEST(parse(webhook_json(ws))["lag"].GetUint64() == 0u);
  BOOST_TEST(webhooks_json({}) == R"({"webhooks":[]})");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(openapi)

BOOST_AUTO_TEST_CASE(the_binary_serves_docs_openapi_json_byte_for_byte) {
  auto committed = file_text(DYNSERV_OPENAPI_JSON);
  BOOST_REQUIRE(!committed.empty());
  BOOST_TEST(openapi_document() == committed);
}

BOOST_AUTO_TEST_CASE(the_document_lists_every_route) {
  auto doc = parse(openapi_document());
  BOOST_REQUIRE(doc.IsObject());
  BOOST_REQUIRE(doc.HasMember("openapi"));
  BOOST_TEST(std::string{doc["openapi"].GetString()}.rfind("3.", 0) == 0u);
  BOOST_REQUIRE(doc.HasMember("paths"));
  const auto& paths = doc["paths"];
  size_t operations = 0;
  for (const auto& r : api_routes()) {
    BOOST_TEST_CONTEXT(r.method << " " << r.pattern) {
      BOOST_REQUIRE(paths.HasMember(r.pattern));
      std::string method = r.method;
      for (auto& c : method)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      BOOST_TEST(paths[r.pattern].HasMember(method.c_str()));
      ++operations;
    }
  }
  // ... and nothing the router does not know.
  size_t documented = 0;
  for (auto i = paths.MemberBegin(); i != paths.MemberEnd(); ++i)
    for (auto j = i->value.MemberBegin(); j != i->value.MemberEnd(); ++j) {
      std::string key = j->name.GetString();
      if (key == "get" || key == "put" || key == "post" || key == "delete"
          || key == "patch")
        ++documented;
    }
  BOOST_TEST(documented == operations);
}

BOOST_AUTO_TEST_SUITE_END()
