// The webhook message: HMAC vectors, the signature receivers recompute, the
// JSON body, headers, filters and URL redaction.
#include <boost/test/unit_test.hpp>

#include <string>

#include "rapidjson/document.h"

#include "tests/fixtures/webhook_receiver.hpp"
#include "webhooks/webhook_message.hpp"

using namespace dynserv;
using namespace dynserv::test;

namespace {

event_record sample_event() {
  event_record ev;
  ev.seq = 42;
  ev.at_ms = 1'700'000'000'123;
  ev.reason = "ServerStatusChanged";
  ev.pool = "web";
  ev.server_id = "0b5c-11";
  ev.from = "starting";
  ev.to = "running";
  ev.message = "up after \"2\" polls";
  return ev;
}

} // namespace

BOOST_AUTO_TEST_SUITE(webhook_message)

BOOST_AUTO_TEST_CASE(hmac_matches_rfc_4231_vectors) {
  // RFC 4231 test case 2.
  BOOST_TEST(hmac_sha256_hex("Jefe", "what do ya want for nothing?")
             == "5bdcc146bf60754e6a042426089575c7"
                "5a003f089d2739839dec58b964ec3843");
  // RFC 4231 test case 1: key 0x0b * 20, data "Hi There".
  BOOST_TEST(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There")
             == "b0344c61d8db38535ca8afceaf0bf12b"
                "881dc200c9833da726e9376c2e32cff7");
}

BOOST_AUTO_TEST_CASE(signature_is_hmac_of_timestamp_dot_body) {
  std::string secret = "0123456789abcdef-secret";
  std::string body = R"({"id":"n-1"})";
  auto sig = webhook_signature(secret, 1700000000, body);
  BOOST_TEST(sig.rfind("sha256=", 0) == 0u);
  BOOST_TEST(sig.size() == 7u + 64u);
  // Computed independently, through OpenSSL's EVP_MAC interface.
  BOOST_TEST(sig
             == "sha256=" + evp_hmac_sha256_hex(secret, "1700000000." + body));
  // The same value as Python's hmac module and `openssl dgst -hmac` give
  // (the commands in docs/webhooks.md).
  BOOST_TEST(
    webhook_signature("0123456789abcdef-secret", 1700000000, R"({"id":"n-1"})")
    == "sha256=b2a1eeded43ecf6861d5f7273f7370e5"
       "d87a75c0464c5f5227c0a2457e73c841");
  // Any change of timestamp, body or secret changes it.
  BOOST_TEST(sig != webhook_signature(secret, 1700000001, body));
  BOOST_TEST(sig != webhook_signature(secret, 1700000000, body + " "));
  BOOST_TEST(sig != webhook_signature(secret + "x", 1700000000, body));
}

BOOST_AUTO_TEST_CASE(payload_has_the_documented_keys) {
  auto body = webhook_payload("node-a", sample_event());
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  BOOST_REQUIRE(!doc.HasParseError());
  BOOST_REQUIRE(doc.IsObject());
  BOOST_TEST(std::string{doc["id"].GetString()} == "node-a-42");
  BOOST_TEST(std::string{doc["node"].GetString()} == "node-a");
  BOOST_TEST(doc["seq"].GetUint64() == 42u);
  BOOST_TEST(std::string{doc["time"].GetString()}
             == "2023-11-14T22:13:20.123Z");
  BOOST_TEST(doc["at_ms"].GetInt64() == 1'700'000'000'123);
  BOOST_TEST(std::string{doc["reason"].GetString()} == "ServerStatusChanged");
  BOOST_TEST(std::string{doc["pool"].GetString()} == "web");
  BOOST_TEST(std::string{doc["server"].GetString()} == "0b5c-11");
  BOOST_TEST(std::string{doc["from"].GetString()} == "starting");
  BOOST_TEST(std::string{doc["to"].GetString()} == "running");
  BOOST_TEST(std::string{doc["message"].GetString()} == "up after \"2\" polls");
  BOOST_TEST(doc.MemberCount() == 11u);
}

BOOST_AUTO_TEST_CASE(payload_stays_valid_json_with_invalid_utf8) {
  auto ev = sample_event();
  ev.message = "bad \xff byte";
  auto body = webhook_payload("n", ev);
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(body.c_str());
  BOOST_TEST(!doc.HasParseError());
}

BOOST_AUTO_TEST_CASE(request_carries_signed_headers) {
  std::string secret = "a-secret-of-16-chars";
  auto req = webhook_request("?token=x", "n1", sample_event(), secret,
                             1700000000, 3);
  BOOST_TEST(req.method == "POST");
  BOOST_TEST(req.target == "?token=x");
  BOOST_TEST(find_header(req.headers, "content-type").value_or("")
             == "application/json");
  BOOST_TEST(find_header(req.headers, "X-Dynserv-Event-Id").value_or("")
             == "n1-42");
  BOOST_TEST(find_header(req.headers, "X-Dynserv-Timestamp").value_or("")
             == "1700000000");
  BOOST_TEST(find_header(req.headers, "X-Dynserv-Delivery-Attempt").value_or("")
             == "3");
  BOOST_TEST(find_header(req.headers, "X-Dynserv-Signature").value_or("")
             == "sha256="
                  + evp_hmac_sha256_hex(secret, "1700000000." + req.body));
  // The secret itself appears nowhere in the request.
  for (auto& [name, value] : req.headers)
    BOOST_TEST(value.find(secret) == std::string::npos);
  BOOST_TEST(req.body.find(secret) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(filters_by_reason_and_pool) {
  auto ev = sample_event();
  webhook_filter all;
  BOOST_TEST(all.matches(ev));
  webhook_filter reasons{{"ServerRunning", "ServerStatusChanged"}, {}};
  BOOST_TEST(reasons.matches(ev));
  ev.reason = "ServerCreating";
  BOOST_TEST(!reasons.matches(ev));
  webhook_filter pools{{}, {"web", "batch"}};
  BOOST_TEST(pools.matches(ev));
  ev.pool = "db";
  BOOST_TEST(!pools.matches(ev));
  ev.pool.clear();
  BOOST_TEST(!pools.matches(ev));
  webhook_filter both{{"ServerRunning"}, {"web"}};
  ev.pool = "web";
  ev.reason = "ServerRunning";
  BOOST_TEST(both.matches(ev));
  ev.pool = "batch";
  BOOST_TEST(!both.matches(ev));
}

BOOST_AUTO_TEST_CASE(urls_split_and_redact) {
  auto [base, target] = split_webhook_url("https://h.example:8443/a/b?x=1&y");
  BOOST_TEST(base == "https://h.example:8443/a/b");
  BOOST_TEST(target == "?x=1&y");
  auto plain = split_webhook_url("http://h/p");
  BOOST_TEST(plain.first == "http://h/p");
  BOOST_TEST(plain.second.empty());
  BOOST_TEST(redact_url("https://hooks.example/services/T0/B0/XYZ")
             == "https://hooks.example/...");
  BOOST_TEST(redact_url("http://127.0.0.1:9000") == "http://127.0.0.1:9000");
  BOOST_TEST(redact_url("http://127.0.0.1:9000/") == "http://127.0.0.1:9000");
  BOOST_TEST(redact_url("http://h?k=secret") == "http://h/...");
}

BOOST_AUTO_TEST_CASE(scrub_removes_path_and_query_from_details) {
  std::string url = "https://hooks.example/services/T0/XYZ/?k=secret";
  auto detail = "cannot connect to https://hooks.example/services/T0/XYZ: "
                "refused (?k=secret)";
  auto scrubbed = scrub_url(detail, url);
  BOOST_TEST(scrubbed.find("XYZ") == std::string::npos, scrubbed);
  BOOST_TEST(scrubbed.find("secret") == std::string::npos, scrubbed);
  BOOST_TEST(scrubbed.find("hooks.example") != std::string::npos, scrubbed);
}

BOOST_AUTO_TEST_SUITE_END()
