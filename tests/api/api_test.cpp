// Every endpoint and every error code of the HTTP API, over real HTTP on
// loopback against an in-process node.
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <sys/stat.h>

#include "caf/typed_event_based_actor.hpp"

#include "api/access_control.hpp"
#include "tests/api/api_client.hpp"

using namespace dynserv;
using namespace dynserv::test;

namespace {

std::string file_text(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// The ids of servers of `pool` in `status`, through the API.
std::vector<std::string> server_ids(api_client& c, const std::string& pool,
                                    const std::string& status) {
  auto r = c.get("/v1/servers?pool=" + pool + "&status=" + status);
  std::vector<std::string> ids;
  if (r.status != 200 || !r.json.IsObject())
    return ids;
  for (const auto& s : r.json["servers"].GetArray())
    ids.emplace_back(s["id"].GetString());
  return ids;
}

/// A node actor that accepts every message and never answers.
struct silent_state {
  std::vector<caf::response_promise> held;
};

node_actor::behavior_type
silent_node(node_actor::stateful_pointer<silent_state> self) {
  auto hold = [self] {
    self->state.held.push_back(self->make_response_promise());
  };
  return {
    [=](atom::reserve, const std::string&, int64_t) -> caf::result<int64_t> {
      hold();
      return caf::delegated<int64_t>{};
    },
    [=](atom::release, const std::string&, int64_t) {},
    [=](atom::ensure, const std::string&, int64_t) -> caf::result<scale_reply> {
      hold();
      return caf::delegated<scale_reply>{};
    },
    [=](atom::increase, const std::string&,
        int64_t) -> caf::result<scale_reply> {
      hold();
      return caf::delegated<scale_reply>{};
    },
    [=](atom::decrease, const std::string&,
        int64_t) -> caf::result<scale_reply> {
      hold();
      return caf::delegated<scale_reply>{};
    },
    [=](atom::reboot, const std::string&,
        const std::string&) -> caf::result<rollout_record> {
      hold();
      return caf::delegated<rollout_record>{};
    },
    [=](atom::abort, const std::string&) -> caf::result<rollout_record> {
      hold();
      return caf::delegated<rollout_record>{};
    },
    [=](atom::stop, const std::string&) -> caf::result<server_record> {
      hold();
      return caf::delegated<server_record>{};
    },
    [=](atom::status) -> caf::result<std::vector<pool_status>> {
      hold();
      return caf::delegated<std::vector<pool_status>>{};
    },
    [=](atom::events, uint64_t,
        uint32_t) -> caf::result<std::vector<event_record>> {
      hold();
      return caf::delegated<std::vector<event_record>>{};
    },
    [=](atom::limits) -> caf::result<limits_info> {
      hold();
      return caf::delegated<limits_info>{};
    },
    [=](atom::server, const std::string&) -> caf::result<server_record> {
      hold();
      return caf::delegated<server_record>{};
    },
    [=](atom::pause, const std::string&) -> caf::result<pool_status> {
      hold();
      return caf::delegated<pool_status>{};
    },
    [=](atom::resume, const std::string&) -> caf::result<pool_status> {
      hold();
      return caf::delegated<pool_status>{};
    },
    [=](atom::decisions, const std::string&,
        uint32_t) -> caf::result<std::vector<decision_record>> {
      hold();
      return caf::delegated<std::vector<decision_record>>{};
    },
    [=](atom::evaluate, const std::string&) -> caf::result<decision_record> {
      hold();
      return caf::delegated<decision_record>{};
    },
    [=](atom::reload, const std::vector<pool_record>&)
      -> caf::result<std::vector<scale_reply>> {
      hold();
      return caf::delegated<std::vector<scale_reply>>{};
    },
    [=](atom::adopt, const std::string&,
        const server_record&) -> caf::result<server_record> {
      hold();
      return caf::delegated<server_record>{};
    },
    [=](atom::status,
        atom::webhooks) -> caf::result<std::vector<webhook_status>> {
      hold();
      return caf::delegated<std::vector<webhook_status>>{};
    },
    [=](atom::put, atom::webhooks, const std::string&, const webhook_actor&) {},
    [=](atom::tick) {},
  };
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(http_api_endpoints, api_node)

BOOST_AUTO_TEST_CASE(health_and_readiness_need_no_token) {
  start();
  auto c = client();
  auto r = c.get("/healthz", std::nullopt);
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.json["status"].GetString() == std::string{"ok"});
  r = c.get("/readyz", std::nullopt);
  BOOST_TEST(r.status == 200, r.body);
  BOOST_TEST(r.json["status"].GetString() == std::string{"ready"});
  // A wrong token does not matter either.
  r = c.get("/healthz", std::string{"wrong-token-wrong-token"});
  BOOST_TEST(r.status == 200);
}

BOOST_AUTO_TEST_CASE(the_bound_address_is_written_to_http_addr) {
  start();
  auto text = file_text(tmp.path + "/http.addr");
  BOOST_TEST(text == "127.0.0.1:" + std::to_string(port()) + "\n");
}

BOOST_AUTO_TEST_CASE(reads_need_the_token_unless_public) {
  start();
  auto c = client();
  auto r = c.get("/v1/pools", std::nullopt);
  BOOST_TEST(r.status == 401);
  BOOST_TEST(r.error_code() == "unauthorized");
  BOOST_TEST(r.header("WWW-Authenticate").rfind("Bearer", 0) == 0u);
  r = c.send("GET", "/v1/pools", {}, std::nullopt,
             {{"Authorization", "Basic dXNlcjpwYXNz"}});
  BOOST_TEST(r.status == 401);
  r = c.get("/v1/pools", std::string{"not-the-token-of-this-node"});
  BOOST_TEST(r.status == 403);
  BOOST_TEST(r.error_code() == "forbidden");
  // Never echoed.
  BOOST_TEST(r.body.find("not-the-token") == std::string::npos);
  BOOST_TEST(r.header("WWW-Authenticate").empty());
  r = c.get("/v1/pools");
  BOOST_TEST(r.status == 200);
  for (auto target :
       {"/v1/servers", "/v1/events", "/v1/events/stream", "/v1/openapi.json",
        "/v1/pools/default", "/v1/servers/x", "/metrics"}) {
    BOOST_TEST_CONTEXT(target) {
      if (std::string{target} == "/v1/events/stream") {
        sse_reader sse{port(), target, {}};
        BOOST_TEST(sse.status() == 401);
        continue;
      }
      BOOST_TEST(c.get(target, std::nullopt).status == 401);
    }
  }
}

BOOST_AUTO_TEST_CASE(wrong_tokens_are_refused_more_slowly_each_time) {
  start();
  auto c = client();
  auto t0 = std::chrono::steady_clock::now();
  BOOST_TEST(c.get("/v1/pools", std::string{"wrong-token-one-two"}).status
             == 403);
  BOOST_TEST(c.get("/v1/pools", std::string{"wrong-token-one-two"}).status
             == 403);
  auto elapsed = std::chrono::steady_clock::now() - t0;
  // 250 ms and then 500 ms.
  BOOST_TEST((elapsed >= login_refusal_delay(1) + login_refusal_delay(2)));
  // The right token resets the count and is answered at once.
  BOOST_TEST(c.get("/v1/pools").status == 200);
}

BOOST_AUTO_TEST_CASE(public_reads_still_guard_changes) {
  start(true);
  auto c = client();
  BOOST_TEST(c.get("/v1/pools", std::nullopt).status == 200);
  BOOST_TEST(c.get("/v1/servers", std::nullopt).status == 200);
  BOOST_TEST(c.get("/v1/events", std::nullopt).status == 200);
  BOOST_TEST(c.get("/v1/openapi.json", std::nullopt).status == 200);
  auto r = c.send_json("PUT", "/v1/pools/default/desired", R"({"count":1})",
                       std::nullopt);
  BOOST_TEST(r.status == 401);
  r = c.send_json("PUT", "/v1/pools/default/desired", R"({"count":1})",
                  std::string{"wrong-token-wrong-token"});
  BOOST_TEST(r.status == 403);
  for (auto target :
       {"/v1/pools/default/increase", "/v1/pools/default/decrease",
        "/v1/pools/default/reboot", "/v1/servers/x/stop"})
    BOOST_TEST(c.send("POST", target, {}, std::nullopt).status == 401, target);
  BOOST_TEST(
    c.send("DELETE", "/v1/pools/default/reboot", {}, std::nullopt).status
    == 401);
  BOOST_TEST(c.send("DELETE", "/v1/pools/default/reboot", {},
                    std::string{"wrong-token-wrong-token"})
               .status
             == 403);
  // Nothing changed.
  r = c.get("/v1/pools/default", std::nullopt);
  BOOST_TEST(r.json["desired"].GetInt64() == 0);
}

BOOST_AUTO_TEST_CASE(pools) {
  start();
  auto c = client();
  auto r = c.get("/v1/pools");
  BOOST_REQUIRE(r.status == 200);
  BOOST_TEST(r.header("Content-Type") == "application/json");
  const auto& pools = r.json["pools"];
  BOOST_REQUIRE(pools.IsArray());
  BOOST_REQUIRE(pools.Size() == 2u);
  BOOST_TEST(pools[0]["name"].GetString() == std::string{"batch"});
  BOOST_TEST(pools[1]["name"].GetString() == std::string{"default"});
  BOOST_TEST(pools[1]["max"].GetInt64() == 6);
  BOOST_TEST(!pools[1].HasMember("servers"));
  r = c.get("/v1/pools/default");
  BOOST_REQUIRE(r.status == 200);
  BOOST_TEST(r.json["name"].GetString() == std::string{"default"});
  BOOST_TEST(r.json["servers"].IsArray());
  r = c.get("/v1/pools/nope");
  BOOST_TEST(r.status == 404);
  BOOST_TEST(r.error_code() == "unknown_pool");
  BOOST_TEST(r.error_message().find("known: batch, default")
             != std::string::npos);
}

BOOST_AUTO_TEST_CASE(scaling) {
  start();
  auto c = client();
  auto r = c.send_json("PUT", "/v1/pools/default/desired", R"({"count": 2})");
  BOOST_REQUIRE(r.status == 200);
  BOOST_TEST(r.json["pool"].GetString() == std::string{"default"});
  BOOST_TEST(r.json["previous_desired"].GetInt64() == 0);
  BOOST_TEST(r.json["desired"].GetInt64() == 2);
  BOOST_TEST(r.json["note"].GetString() == std::string{});
  r = c.send_json("POST", "/v1/pools/default/increase", R"({"by": 3})");
  BOOST_REQUIRE(r.status == 200);
  BOOST_TEST(r.json["desired"].GetInt64() == 5);
  // No body: by 1.
  r = c.send("POST", "/v1/pools/default/increase");
  BOOST_TEST(r.json["desired"].GetInt64() == 6);
  // Clamped to max 6, with the console's note.
  r = c.send_json("POST", "/v1/pools/default/increase", R"({"by": 10})");
  BOOST_REQUIRE(r.status == 200);
  BOOST_TEST(r.json["desired"].GetInt64() == 6);
  BOOST_TEST(std::string{r.json["note"].GetString()}.find("clamped")
               != std::string::npos,
             r.body);
  r = c.send_json("POST", "/v1/pools/default/decrease", R"({"by": 4})");
  BOOST_TEST(r.json["desired"].GetInt64() == 2);
  r = c.send_json("PUT", "/v1/pools/batch/desired", R"({"count": 100})");
  BOOST_TEST(r.json["desired"].GetInt64() == 4);
  BOOST_TEST(r.json["note"].GetStringLength() > 0u);
  r = c.get("/v1/pools/default");
  BOOST_TEST(r.json["desired"].GetInt64() == 2);
  r = c.send_json("PUT", "/v1/pools/nope/desired", R"({"count": 1})");
  BOOST_TEST(r.status == 404);
  BOOST_TEST(r.error_code() == "unknown_pool");
}

BOOST_AUTO_TEST_CASE(bad_bodies) {
  start();
  auto c = client();
  auto r = c.send_json("PUT", "/v1/pools/default/desired", R"({"count": 2,)");
  BOOST_TEST(r.status == 400);
  BOOST_TEST(r.error_code() == "malformed_json");
  BOOST_TEST(r.error_message().find("at byte 12") != std::string::npos,
             r.error_message());
  struct {
    const char* body;
    const char* code;
  } semantic[] = {
    {R"({"count": -1})", "invalid_count"},
    {R"({})", "invalid_body"},
    {R"({"count": "2"})", "invalid_body"},
    {R"({"count": 2.5})", "invalid_body"},
    {R"({"cout": 2})", "invalid_body"},
    {R"([2])", "invalid_body"},
  };
  for (const auto& s : semantic) {
    BOOST_TEST_CONTEXT(s.body) {
      r = c.send_json("PUT", "/v1/pools/default/desired", s.body);
      BOOST_TEST(r.status == 422);
      BOOST_TEST(r.error_code() == s.code);
    }
  }
  r = c.send("PUT", "/v1/pools/default/desired", "count=2", api_token,
             {{"Content-Type", "application/x-www-form-urlencoded"}});
  BOOST_TEST(r.status == 415);
  BOOST_TEST(r.error_code() == "unsupported_media_type");
  r = c.send_json("POST", "/v1/pools/default/reboot", R"({"now": true})");
  BOOST_TEST(r.status == 422);
  // Larger than http.body_limit (64 KiB): the server refuses it.
  std::string big = R"({"count": 1, "pad": ")" + std::string(70000, 'x')
                    + "\"}";
  r = c.send_json("PUT", "/v1/pools/default/desired", big);
  BOOST_TEST(r.status == 413);
  // None of it changed anything.
  r = c.get("/v1/pools/default");
  BOOST_TEST(r.json["desired"].GetInt64() == 0);
}

BOOST_AUTO_TEST_CASE(routes_and_methods) {
  start();
  auto c = client();
  auto r = c.get("/v1/nothing");
  BOOST_TEST(r.status == 404);
  BOOST_TEST(r.error_code() == "not_found");
  r = c.send("DELETE", "/v1/pools/default");
  BOOST_TEST(r.status == 405);
  BOOST_TEST(r.error_code() == "method_not_allowed");
  BOOST_TEST(r.header("Allow") == "GET");
  r = c.get("/v1/pools/default/desired");
  BOOST_TEST(r.status == 405);
  BOOST_TEST(r.header("Allow") == "PUT");
  r = c.get("/v1/pools/%zz");
  BOOST_TEST(r.status == 400);
  // Unauthenticated callers learn nothing more than a 404 or 405 either.
  BOOST_TEST(c.get("/v1/nothing", std::nullopt).status == 404);
}

BOOST_AUTO_TEST_CASE(servers) {
  start();
  auto c = client();
  BOOST_REQUIRE(
    c.send_json("PUT", "/v1/pools/batch/desired", R"({"count": 2})").status
    == 200);
  BOOST_REQUIRE(
    eventually([&] { return server_ids(c, "batch", "running").size() == 2; }));
  auto r = c.get("/v1/servers");
  BOOST_REQUIRE(r.status == 200);
  BOOST_TEST(r.json["servers"].Size() == 2u);
  r = c.get("/v1/servers?pool=default");
  BOOST_TEST(r.json["servers"].Size() == 0u);
  r = c.get("/v1/servers?status=running");
  BOOST_TEST(r.json["servers"].Size() == 2u);
  auto id = server_ids(c, "batch", "running").front();
  r = c.get("/v1/servers/" + id);
  BOOST_REQUIRE(r.status == 200);
  BOOST_TEST(r.json["id"].GetString() == id);
  BOOST_TEST(r.json["status"].GetString() == std::string{"running"});
  BOOST_TEST(r.json["pool"].GetString() == std::string{"batch"});
  r = c.get("/v1/servers/no-such-server");
  BOOST_TEST(r.status == 404);
  BOOST_TEST(r.error_code() == "unknown_server");
  r = c.get("/v1/servers?status=runing");
  BOOST_TEST(r.status == 422);
  BOOST_TEST(r.error_code() == "invalid_status");
  r = c.get("/v1/servers?pool=nope");
  BOOST_TEST(r.status == 404);
  BOOST_TEST(r.error_code() == "unknown_pool");
  r = c.get("/v1/servers?colour=red");
  BOOST_TEST(r.status == 400);
  BOOST_TEST(r.error_code() == "invalid_query");
  // Stop one; it goes away.
  r = c.send("POST", "/v1/servers/" + id + "/stop");
  BOOST_REQUIRE(r.status == 200);
  BOOST_TEST(r.json["id"].GetString() == id);
  BOOST_TEST(r.json["status"].GetString() != std::string{"running"});
  // Deleted servers leave the pool: then the id is unknown.
  BOOST_TEST(eventually([&] {
    auto s = c.get("/v1/servers/" + id);
    return s.status == 404 && s.error_code() == "unknown_server";
  }));
  r = c.send("POST", "/v1/servers/no-such-server/stop");
  BOOST_TEST(r.status == 404);
  BOOST_TEST(r.error_code() == "unknown_server");
}

BOOST_AUTO_TEST_CASE(reboot) {
  start();
  auto c = client();
  c.send_json("PUT", "/v1/pools/default/desired", R"({"count": 2})");
  BOOST_REQUIRE(eventually(
    [&] { return server_ids(c, "default", "running").size() == 2; }));
  // No body: the pool's max_unavailable (25% of 2, at least 1).
  auto r = c.send("POST", "/v1/pools/default/reboot");
  BOOST_REQUIRE(r.status == 200);
  BOOST_TEST(r.json["pool"].GetString() == std::string{"default"});
  BOOST_TEST(r.json["state"].GetString() == std::string{"running"});
  BOOST_TEST(r.json["max_unavailable_spec"].GetString() == std::string{"25%"});
  BOOST_TEST(r.json["max_unavailable"].GetInt64() == 1);
  BOOST_TEST(r.json["total"].GetInt64() == 2);
  BOOST_TEST(r.json["waiting"].Size() + r.json["rebooting"].Size() >= 2u);
  // {} is the same; a count starts over with its own max_unavailable.
  r = c.send_json("POST", "/v1/pools/default/reboot", "{}");
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.json["max_unavailable_spec"].GetString() == std::string{"25%"});
  r = c.send_json("POST", "/v1/pools/default/reboot",
                  R"({"max_unavailable": 2})");
  BOOST_REQUIRE(r.status == 200);
  BOOST_TEST(r.json["max_unavailable_spec"].GetString() == std::string{"2"});
  BOOST_TEST(r.json["max_unavailable"].GetInt64() == 2);
  // The pool object shows it until it finishes.
  BOOST_TEST(eventually([&] {
    auto p = c.get("/v1/pools/default");
    return p.status == 200
           && p.json["rollout"]["state"].GetString() == std::string{"finished"};
  }));
  r = c.get("/v1/pools/default");
  BOOST_TEST(r.json["rollout"]["done"].GetInt64()
               + r.json["rollout"]["skipped"].GetInt64()
             == 2);
  BOOST_TEST(r.json["rollout"]["finished_at_ms"].GetInt64() > 0);
  // Nothing to abort: 409, in the node's words.
  r = c.send("DELETE", "/v1/pools/default/reboot");
  BOOST_TEST(r.status == 409);
  BOOST_TEST(r.error_code() == "no_rollout");
  BOOST_TEST(r.error_message().find("no rolling reboot") != std::string::npos,
             r.error_message());
  // Bad values are refused before the node sees them.
  r = c.send_json("POST", "/v1/pools/default/reboot",
                  R"({"max_unavailable": "101%"})");
  BOOST_TEST(r.status == 422);
  BOOST_TEST(r.error_code() == "invalid_argument");
  BOOST_TEST(r.error_message().find("got \"101%\"") != std::string::npos,
             r.error_message());
  r = c.send_json("POST", "/v1/pools/default/reboot",
                  R"({"max_unavailable": false})");
  BOOST_TEST(r.status == 422);
  BOOST_TEST(r.error_code() == "invalid_body");
  r = c.send_json("DELETE", "/v1/pools/default/reboot", R"({"now": 1})");
  BOOST_TEST(r.status == 422);
  BOOST_TEST(r.error_code() == "invalid_body");
  r = c.get("/v1/pools/default");
  BOOST_TEST(r.json["rollout"]["state"].GetString() == std::string{"finished"});
  // Unknown pools.
  r = c.send("POST", "/v1/pools/nope/reboot");
  BOOST_TEST(r.status == 404);
  BOOST_TEST(r.error_code() == "unknown_pool");
  r = c.send("DELETE", "/v1/pools/nope/reboot");
  BOOST_TEST(r.status == 404);
  BOOST_TEST(r.error_code() == "unknown_pool");
}

BOOST_AUTO_TEST_CASE(reboot_abort) {
  // Reboots take long enough (36 s at time_scale 100) to abort one.
  cfg.providers["sim"].simulated.reboot_time = 1h;
  start();
  auto c = client();
  c.send_json("PUT", "/v1/pools/batch/desired", R"({"count": 3})");
  BOOST_REQUIRE(
    eventually([&] { return server_ids(c, "batch", "running").size() == 3; }));
  auto r = c.send_json("POST", "/v1/pools/batch/reboot",
                       R"({"max_unavailable": "1"})");
  BOOST_REQUIRE(r.status == 200);
  BOOST_TEST(r.json["state"].GetString() == std::string{"running"});
  BOOST_REQUIRE(eventually([&] {
    auto p = c.get("/v1/pools/batch");
    return p.status == 200 && p.json["rollout"]["rebooting"].Size() == 1u;
  }));
  r = c.get("/v1/pools");
  BOOST_TEST(r.json["pools"][0]["rollout"]["waiting"].Size() == 2u);
  BOOST_TEST(r.json["pools"][0]["circuit_breaker"]["state"].GetString()
             == std::string{"closed"});
  r = c.send("DELETE", "/v1/pools/batch/reboot");
  BOOST_REQUIRE(r.status == 200);
  BOOST_TEST(r.json["pool"].GetString() == std::string{"batch"});
  BOOST_TEST(r.json["state"].GetString() == std::string{"aborted"});
  BOOST_TEST(r.json["waiting"].Size() == 0u);
  BOOST_TEST(r.json["rebooting"].Size() == 1u);
  BOOST_TEST(r.json["skipped"].GetInt64() == 2);
  BOOST_TEST(r.json["finished_at_ms"].GetInt64() > 0);
  r = c.get("/v1/pools/batch");
  BOOST_TEST(r.json["rollout"]["state"].GetString() == std::string{"aborted"});
  r = c.send_json("DELETE", "/v1/pools/batch/reboot", "{}");
  BOOST_TEST(r.status == 409);
  BOOST_TEST(r.error_code() == "no_rollout");
  r = c.get("/v1/events?limit=1000");
  std::set<std::string> reasons;
  for (const auto& ev : r.json["events"].GetArray())
    reasons.insert(ev["reason"].GetString());
  BOOST_TEST(reasons.count("RollingRebootStarted") == 1u);
  BOOST_TEST(reasons.count("RollingRebootAborted") == 1u);
}

BOOST_AUTO_TEST_CASE(policy_decisions_pause_and_resume) {
  auto& policy = cfg.pools["batch"].policy;
  policy.kind = policy_kind::fixed;
  policy.fixed_count = 2;
  cfg.policy_interval = 100ms;
  start();
  auto c = client();
  BOOST_REQUIRE(eventually([&] {
    auto r = c.get("/v1/pools/batch/decisions?limit=1");
    return r.status == 200 && r.json["decisions"].Size() == 1u;
  }));
  auto r = c.get("/v1/pools/batch/decisions");
  BOOST_REQUIRE(r.status == 200);
  const auto& first = r.json["decisions"][r.json["decisions"].Size() - 1];
  BOOST_TEST(first["pool"].GetString() == std::string{"batch"});
  BOOST_TEST(first["policy"].GetString() == std::string{"fixed"});
  BOOST_TEST(first["wanted"].GetInt64() == 2);
  BOOST_TEST(first["result"].GetInt64() == 2);
  BOOST_TEST(first["steps"].IsArray());
  BOOST_TEST(first["summary"].GetString()
             == std::string{"wanted 2; creating 2"});
  BOOST_TEST(first["applied"].GetBool());
  BOOST_TEST(first["mode"].GetString() == std::string{"applied"});
  r = c.send("POST", "/v1/pools/batch/pause");
  BOOST_REQUIRE(r.status == 200);
  BOOST_TEST(r.json["paused"].GetBool());
  BOOST_TEST(r.json["policy"].GetString() == std::string{"fixed"});
  BOOST_REQUIRE(eventually([&] {
    auto d = c.get("/v1/pools/batch/decisions?limit=1");
    return d.status == 200 && d.json["decisions"].Size() == 1u
           && d.json["decisions"][0]["mode"].GetString()
                == std::string{"paused"};
  }));
  r = c.get("/v1/pools/batch", std::nullopt);
  BOOST_TEST(r.status == 401);
  r = c.get("/v1/pools/batch");
  BOOST_TEST(r.json["paused"].GetBool());
  r = c.send_json("POST", "/v1/pools/batch/resume", "{}");
  BOOST_REQUIRE(r.status == 200);
  BOOST_TEST(!r.json["paused"].GetBool());
  // A pool without a policy has no decisions.
  r = c.get("/v1/pools/default/decisions");
  BOOST_REQUIRE(r.status == 200);
  BOOST_TEST(r.json["decisions"].Size() == 0u);
  BOOST_TEST(c.get("/v1/pools/nope/decisions").status == 404);
  BOOST_TEST(c.send("POST", "/v1/pools/nope/pause").status == 404);
  r = c.get("/v1/pools/batch/decisions?limit=0");
  BOOST_TEST(r.status == 400);
  BOOST_TEST(r.error_code() == "invalid_query");
  BOOST_TEST(c.get("/v1/pools/batch/decisions?since=1").status == 400);
  r = c.send_json("POST", "/v1/pools/batch/pause", R"({"now": true})");
  BOOST_TEST(r.status == 422);
  BOOST_TEST(c.send("GET", "/v1/pools/batch/pause").status == 405);
}

BOOST_AUTO_TEST_CASE(events) {
  start();
  auto c = client();
  c.send_json("PUT", "/v1/pools/default/desired", R"({"count": 1})");
  BOOST_REQUIRE(eventually(
    [&] { return server_ids(c, "default", "running").size() == 1; }));
  auto r = c.get("/v1/events");
  BOOST_REQUIRE(r.status == 200);
  const auto& all = r.json["events"];
  BOOST_REQUIRE(all.Size() >= 3u);
  auto last = r.json["last_seq"].GetUint64();
  BOOST_TEST(last == all[all.Size() - 1]["seq"].GetUint64());
  std::set<std::string> reasons;
  for (const auto& ev : all.GetArray())
    reasons.insert(ev["reason"].GetString());
  BOOST_TEST(reasons.count("DesiredCountChanged") == 1u);
  BOOST_TEST(reasons.count("ServerRunning") == 1u);
  // Paging.
  auto first = all[0]["seq"].GetUint64();
  r = c.get("/v1/events?since=" + std::to_string(first) + "&limit=2");
  BOOST_REQUIRE(r.status == 200);
  BOOST_REQUIRE(r.json["events"].Size() == 2u);
  BOOST_TEST(r.json["events"][0]["seq"].GetUint64()
             == all[1]["seq"].GetUint64());
  BOOST_TEST(r.json["last_seq"].GetUint64() == all[2]["seq"].GetUint64());
  r = c.get("/v1/events?since=" + std::to_string(last));
  BOOST_TEST(r.json["events"].Size() == 0u);
  BOOST_TEST(r.json["last_seq"].GetUint64() == last);
  for (auto bad : {"limit=abc", "limit=0", "limit=1001", "since=-1", "since=x",
                   "since=1&since=2", "pool=default"}) {
    BOOST_TEST_CONTEXT(bad) {
      r = c.get(std::string{"/v1/events?"} + bad);
      BOOST_TEST(r.status == 400);
      BOOST_TEST(r.error_code() == "invalid_query");
    }
  }
}

BOOST_AUTO_TEST_CASE(openapi_json) {
  start();
  auto c = client();
  auto r = c.get("/v1/openapi.json");
  BOOST_REQUIRE(r.status == 200);
  BOOST_TEST(r.body == file_text(DYNSERV_OPENAPI_JSON));
  BOOST_TEST(r.json.IsObject());
}

BOOST_AUTO_TEST_CASE(metrics_is_404_without_a_provider) {
  start();
  auto c = client();
  auto r = c.get("/metrics");
  BOOST_TEST(r.status == 404);
  BOOST_TEST(r.error_code() == "not_found");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(http_api_hooks, api_node)

BOOST_AUTO_TEST_CASE(metrics_come_from_the_provider) {
  start(false, [] { return std::string{"dynserv_up 1\n"}; });
  auto c = client();
  auto r = c.get("/metrics");
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.body == "dynserv_up 1\n");
  BOOST_TEST(r.header("Content-Type").rfind("text/plain", 0) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(http_api_unavailable_node, api_node)

BOOST_AUTO_TEST_CASE(a_silent_node_gives_503_in_time) {
  auto silent = sys->spawn(silent_node);
  http_api_options opts;
  opts.node = silent;
  opts.node_timeout = 200ms;
  start_api_with(std::move(opts));
  auto c = client();
  auto t0 = std::chrono::steady_clock::now();
  auto r = c.get("/v1/pools");
  BOOST_TEST(r.status == 503);
  BOOST_TEST(r.error_code() == "node_timeout");
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < 10s));
  r = c.send_json("PUT", "/v1/pools/default/desired", R"({"count": 1})");
  BOOST_TEST(r.status == 503);
  r = c.get("/v1/webhooks");
  BOOST_TEST(r.status == 503);
  BOOST_TEST(r.error_code() == "node_timeout");
  r = c.get("/readyz", std::nullopt);
  BOOST_TEST(r.status == 503);
  BOOST_TEST(r.error_code() == "not_ready");
  // Liveness does not depend on the node.
  BOOST_TEST(c.get("/healthz", std::nullopt).status == 200);
  caf::anon_send_exit(silent, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(a_stopped_node_is_not_ready) {
  start();
  auto c = client();
  BOOST_TEST(c.get("/readyz", std::nullopt).status == 200);
  stop_node();
  BOOST_TEST(
    eventually([&] { return c.get("/readyz", std::nullopt).status == 503; }));
  auto r = c.get("/v1/pools");
  BOOST_TEST(r.status == 503);
  BOOST_TEST(r.error_code() == "node_unavailable");
  BOOST_TEST(c.get("/healthz", std::nullopt).status == 200);
}

BOOST_AUTO_TEST_CASE(garbage_does_not_hurt_the_node) {
  start();
  auto c = client();
  std::pair<const char*, const char*> requests[] = {
    {"GET", "/v1/pools/%00"},           {"POST", "/v1/servers/%ff%fe/stop"},
    {"PUT", "/v1/pools/a%2Fb/desired"}, {"GET", "/v1/events?limit=%zz"},
    {"GET", "/v1/servers?status=%00"},  {"GET", "/v1/pools?x"},
    {"PATCH", "/v1/pools/default"},
  };
  for (const auto& [method, target] : requests) {
    BOOST_TEST_CONTEXT(method << " " << target) {
      auto r = c.send_json(method, target, R"({"count": 1})");
      BOOST_TEST(r.status >= 400);
      BOOST_TEST(r.status < 500);
      BOOST_TEST(!r.error_code().empty());
    }
  }
  std::string long_name(5000, 'p');
  auto r = c.send_json("PUT", "/v1/pools/" + long_name + "/desired",
                       R"({"count": 1})");
  BOOST_TEST(r.status == 404);
  BOOST_TEST(c.get("/readyz", std::nullopt).status == 200);
}

BOOST_AUTO_TEST_CASE(a_generated_token_is_kept_private) {
  // The fixture sets http.token: clear it to generate one.
  cfg.http.token.clear();
  auto tok = http_token(cfg);
  BOOST_REQUIRE(tok);
  BOOST_TEST(tok->size() >= 16u);
  struct stat st {};
  BOOST_REQUIRE(::stat(http_token_file(cfg).c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600);
  // Stable across restarts.
  auto again = http_token(cfg);
  BOOST_REQUIRE(again);
  BOOST_TEST(*again == *tok);
  // Separate from the admin token.
  BOOST_TEST(http_token_file(cfg) == tmp.path + "/http.token");
}

BOOST_AUTO_TEST_SUITE_END()
