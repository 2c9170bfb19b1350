// GET /v1/webhooks over loopback: an empty list without webhooks, the lag of
// a live receiver going to 0, failures while it is down, and a webhook
// blocked on its receiver listed with an error instead of holding the reply.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

#include "caf/scoped_actor.hpp"

#include "actors/webhook_actor.hpp"
#include "messages/type_ids.hpp"
#include "tests/api/api_client.hpp"
#include "tests/fixtures/webhook_receiver.hpp"

using namespace dynserv;
using namespace dynserv::test;

namespace {

constexpr const char* hook_secret = "api-webhook-secret-0123456789";

/// An API node with one webhook "rx" to `url` (a query that must never be
/// shown) delivering from the start of the log with short retries.
struct hook_node : api_node {
  void add_webhook(const std::string& url, millis timeout = millis{2000}) {
    webhook_config hook;
    hook.name = "rx";
    hook.url = url + "?key=query-secret";
    hook.secret = hook_secret;
    hook.from_start = true;
    hook.timeout = timeout;
    hook.backoff_initial = millis{20};
    hook.backoff_max = millis{100};
    cfg.webhooks[hook.name] = hook;
  }

  /// Starts the node, its webhooks and the API.
  void start_with_webhooks(bool public_reads = false) {
    start_node();
    auto hooks = start_webhooks(*sys, cfg, rt->snapshots);
    BOOST_REQUIRE_MESSAGE(hooks,
                          "start_webhooks failed: "
                            << (hooks ? "" : sys->render(hooks.error())));
    attach_webhooks(*rt, std::move(*hooks));
    start(public_reads);
  }
};

/// The one entry of GET /v1/webhooks, or a message saying what is wrong.
std::string only_entry(const api_reply& r, const rapidjson::Value** entry) {
  if (r.status != 200)
    return "status " + std::to_string(r.status) + ": " + r.body;
  if (!r.json.IsObject() || !r.json.HasMember("webhooks")
      || !r.json["webhooks"].IsArray() || r.json["webhooks"].Size() != 1)
    return "unexpected body " + r.body;
  *entry = &r.json["webhooks"][0];
  return "";
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(webhooks_api, hook_node)

BOOST_AUTO_TEST_CASE(a_node_without_webhooks_lists_none) {
  start();
  auto c = client();
  auto r = c.get("/v1/webhooks");
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.body == R"({"webhooks":[]})");
  // A read like the others: the token is needed...
  BOOST_TEST(c.get("/v1/webhooks", std::nullopt).status == 401);
  BOOST_TEST(
    c.get("/v1/webhooks", std::string{"wrong-token-wrong-token"}).status
    == 403);
  // ... and no other method exists.
  r = c.send("POST", "/v1/webhooks");
  BOOST_TEST(r.status == 405);
  BOOST_TEST(r.header("Allow") == "GET");
  BOOST_TEST(c.get("/v1/webhooks?name=rx").status == 400);
}

BOOST_AUTO_TEST_CASE(public_reads_open_the_list) {
  start(true);
  BOOST_TEST(client().get("/v1/webhooks", std::nullopt).status == 200);
}

BOOST_AUTO_TEST_CASE(the_lag_of_a_live_receiver_goes_to_zero) {
  webhook_receiver rx{hook_secret};
  add_webhook(rx.url("/hook/path-secret"));
  start_with_webhooks();
  auto c = client();
  BOOST_TEST(c.get("/v1/pools").status == 200);
  // Scaling makes events; the webhook delivers them all.
  BOOST_REQUIRE(
    c.send_json("PUT", "/v1/pools/default/desired", R"({"count":2})").status
    == 200);
  std::string problem = "never asked";
  auto ok = eventually([&] {
    auto r = c.get("/v1/webhooks");
    const rapidjson::Value* h = nullptr;
    problem = only_entry(r, &h);
    if (!problem.empty())
      return false;
    if ((*h)["last_seq"].GetUint64() < 4 || (*h)["lag"].GetUint64() != 0
        || (*h)["delivered"].GetUint64() != (*h)["last_seq"].GetUint64()) {
      problem = "not delivered yet: " + r.body;
      return false;
    }
    return true;
  });
  BOOST_REQUIRE_MESSAGE(ok, problem);
  auto r = c.get("/v1/webhooks");
  const auto& h = r.json["webhooks"][0];
  BOOST_TEST(std::string{h["name"].GetString()} == "rx");
  // Reduced by the webhook actor: no path, no query.
  BOOST_TEST(r.body.find("secret") == std::string::npos, r.body);
  BOOST_TEST(std::string{h["url"].GetString()}.rfind("http://127.0.0.1:", 0)
             == 0u);
  BOOST_TEST(h["cursor"].GetUint64() == h["last_seq"].GetUint64());
  BOOST_TEST(h["failures"].GetUint64() == 0u);
  BOOST_TEST(h["attempts"].GetUint64() == 0u);
  BOOST_TEST(h["pending_seq"].GetUint64() == 0u);
  BOOST_TEST(std::string{h["last_error"].GetString()}.empty());
  BOOST_TEST(std::string{h["next_retry_at"].GetString()} == "-");
  BOOST_TEST(h["next_retry_at_ms"].GetInt64() == 0);
  BOOST_TEST(h["last_success_at_ms"].GetInt64() > 0);
  BOOST_TEST(std::string{h["last_success_at"].GetString()}.back() == 'Z');
  BOOST_TEST(rx.acknowledged().size() == h["delivered"].GetUint64());
}

BOOST_AUTO_TEST_CASE(a_receiver_that_is_down_shows_failures) {
  webhook_receiver rx{hook_secret};
  auto port = rx.port();
  add_webhook(rx.url());
  rx.stop();
  start_with_webhooks(true);
  auto c = client();
  BOOST_REQUIRE(
    c.send_json("PUT", "/v1/pools/default/desired", R"({"count":1})").status
    == 200);
  std::string problem = "never asked";
  auto ok = eventually([&] {
    auto r = c.get("/v1/webhooks", std::nullopt);
    const rapidjson::Value* h = nullptr;
    problem = only_entry(r, &h);
    if (!problem.empty())
      return false;
    if ((*h)["failures"].GetUint64() < 2 || (*h)["lag"].GetUint64() == 0) {
      problem = "no failures yet: " + r.body;
      return false;
    }
    BOOST_TEST((*h)["pending_seq"].GetUint64() == 1u);
    BOOST_TEST((*h)["attempts"].GetUint64() >= 1u);
    BOOST_TEST((*h)["delivered"].GetUint64() == 0u);
    std::string error = (*h)["last_error"].GetString();
    BOOST_TEST(error.find("attempt") != std::string::npos, error);
    BOOST_TEST(error.find("query-secret") == std::string::npos, error);
    return true;
  });
  BOOST_REQUIRE_MESSAGE(ok, problem);
  // While it retries the first event, the lag counts the whole log,
  // including events that came after the webhook last read it.
  BOOST_REQUIRE(
    c.send_json("PUT", "/v1/pools/default/desired", R"({"count":2})").status
    == 200);
  ok = eventually([&] {
    auto events = c.get("/v1/events?since=0&limit=1000");
    rapidjson::Document doc;
    doc.Parse(events.body.c_str());
    const auto& list = doc.IsObject() && doc.HasMember("events") ? doc["events"]
                                                                 : doc;
    if (!list.IsArray() || list.Empty())
      return false;
    auto end = list[list.Size() - 1]["seq"].GetUint64();
    auto r = c.get("/v1/webhooks", std::nullopt);
    const rapidjson::Value* h = nullptr;
    problem = only_entry(r, &h);
    if (!problem.empty())
      return false;
    problem = "log ends at " + std::to_string(end) + ": " + r.body;
    // Wait for the second server's events to be in the log.
    bool second = false;
    for (const auto& ev : list.GetArray())
      second = second
               || std::string{ev["message"].GetString()}.find("1 -> 2")
                    != std::string::npos;
    return second && (*h)["last_seq"].GetUint64() == end
           && (*h)["lag"].GetUint64() == end;
  });
  BOOST_REQUIRE_MESSAGE(ok, problem);
  // Back up: every event arrives and the lag goes to 0.
  std::string error;
  BOOST_REQUIRE_MESSAGE(rx.start(port, &error), error);
  ok = eventually([&] {
    auto r = c.get("/v1/webhooks", std::nullopt);
    const rapidjson::Value* h = nullptr;
    problem = only_entry(r, &h);
    if (problem.empty() && (*h)["lag"].GetUint64() != 0)
      problem = "lag not 0 yet: " + r.body;
    return problem.empty();
  });
  BOOST_TEST(ok, problem);
}

BOOST_AUTO_TEST_CASE(
  a_webhook_blocked_on_its_receiver_does_not_hold_the_reply) {
  webhook_receiver rx{hook_secret};
  // The receiver holds every request: the webhook blocks in its POST for
  // up to its timeout, far longer than the node waits for its status.
  rx.set_policy([](const received_hook&, size_t) { return 0; });
  add_webhook(rx.url(), millis{30000});
  start_with_webhooks();
  auto c = client();
  // The first status (before any event) is answered and remembered.
  std::string problem;
  BOOST_REQUIRE(eventually([&] {
    auto r = c.get("/v1/webhooks");
    const rapidjson::Value* h = nullptr;
    problem = only_entry(r, &h);
    return problem.empty()
           && std::string{(*h)["last_error"].GetString()}.empty();
  }));
  BOOST_REQUIRE(
    c.send_json("PUT", "/v1/pools/default/desired", R"({"count":1})").status
    == 200);
  BOOST_REQUIRE_MESSAGE(eventually([&] { return !rx.hooks().empty(); }),
                        "the webhook never posted");
  auto t0 = std::chrono::steady_clock::now();
  auto r = c.get("/v1/webhooks");
  auto elapsed = std::chrono::steady_clock::now() - t0;
  const rapidjson::Value* h = nullptr;
  problem = only_entry(r, &h);
  BOOST_REQUIRE_MESSAGE(problem.empty(), problem);
  // Answered after the node's per-webhook timeout, well before the API's.
  BOOST_TEST((elapsed < std::chrono::milliseconds{4000}));
  BOOST_TEST(std::string{(*h)["name"].GetString()} == "rx");
  BOOST_TEST(std::string{(*h)["url"].GetString()}.rfind("http://", 0) == 0u);
  std::string error = (*h)["last_error"].GetString();
  BOOST_TEST(error.rfind("status unavailable: no answer within 1000 ms", 0)
               == 0u,
             error);
  // Dropping the held request unblocks the webhook before the node stops.
  rx.stop();
}

BOOST_AUTO_TEST_CASE(a_webhook_actor_that_is_gone_is_listed_with_an_error) {
  webhook_receiver rx{hook_secret};
  add_webhook(rx.url());
  start_with_webhooks();
  auto c = client();
  BOOST_REQUIRE(eventually([&] {
    const rapidjson::Value* h = nullptr;
    return only_entry(c.get("/v1/webhooks"), &h).empty();
  }));
  auto hdl = rt->webhooks.at("rx");
  caf::scoped_actor self{*sys};
  self->send_exit(hdl, caf::exit_reason::user_shutdown);
  self->wait_for(hdl);
  auto r = c.get("/v1/webhooks");
  const rapidjson::Value* h = nullptr;
  auto problem = only_entry(r, &h);
  BOOST_REQUIRE_MESSAGE(problem.empty(), problem);
  std::string error = (*h)["last_error"].GetString();
  BOOST_TEST(error.find("not running") != std::string::npos, error);
}

BOOST_AUTO_TEST_SUITE_END()
