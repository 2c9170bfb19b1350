// Tests of the Hetzner Cloud provider against a scripted transport: request
// shapes, pagination, replayed creates, actions, stop fallback, errors.
#include "providers/hetzner_provider.hpp"

#include <boost/test/unit_test.hpp>

#include "config/node_config.hpp"
#include "providers/cloud_providers.hpp"
#include "providers/http_provider_support.hpp"
#include "tests/providers/provider_test_util.hpp"

using namespace dynserv;
using namespace dynserv::test;
using namespace std::chrono_literals;
using dynserv::http_support::action_read_interval_ms;
using dynserv::http_support::to_json;

namespace {

constexpr const char* spec = R"({
  "server_type": "cx22", "image": "debian-12", "location": "nbg1",
  "ssh_keys": ["deploy", 4711], "user_data": "#cloud-config",
  "labels": {"team": "a", "dynserv-id": "not-this"}
})";

std::string server_json(int64_t id, const std::string& status,
                        const std::string& labels = {}) {
  auto lbl = labels.empty()
               ? std::string{R"({"dynserv-owner":"node1","dynserv-id":)"
                             R"("0b8f7c1e-1111-4222-8333-444455556666",)"
                             R"("dynserv-pool":"web"})"}
               : labels;
  return R"({"id":)" + std::to_string(id)
         + R"(,"name":"node1-web-0b8f7c1e","status":")" + status
         + R"(","created":"2023-11-14T22:13:20+00:00","labels":)" + lbl
         + R"(,"locked":false,"public_net":{"ipv4":{"ip":"1.2.3.4"}}})";
}

std::string wrapped(int64_t id, const std::string& status) {
  return R"({"server":)" + server_json(id, status) + "}";
}

/// One action as Hetzner shows it; a failed one with `error` as message.
std::string action_item(int64_t id, const std::string& status,
                        const std::string& error = {},
                        const std::string& code = "action_failed") {
  auto err = error.empty()
               ? std::string{"null"}
               : R"({"code":")" + code + R"(","message":")" + error + "\"}";
  return R"({"id":)" + std::to_string(id) + R"(,"command":"x","status":")"
         + status + R"(","progress":0,"error":)" + err + "}";
}

/// The answer to an action-starting call.
std::string action_json(int64_t id, const std::string& status,
                        const std::string& error = {}) {
  return R"({"action":)" + action_item(id, status, error) + "}";
}

/// The answer to a batched read `GET /actions?id=..&id=..` of one action.
std::string batch_of(int64_t id, const std::string& status,
                     const std::string& error = {}) {
  return R"({"actions":[)" + action_item(id, status, error)
         + R"(],"meta":{"pagination":{"page":1,"next_page":null}}})";
}

struct fixture {
  std::shared_ptr<http_script> script = std::make_shared<http_script>();
  manual_clock clock;
  hetzner_options opts;
  std::unique_ptr<hetzner_provider> cloud;

  fixture() {
    opts.api.token = "hz-token";
    opts.stop_timeout = 60s;
    cloud = std::make_unique<hetzner_provider>(
      opts, make_scripted_transport(script), clock.fn());
  }

  /// Creates server 42 with create action 1 and next action 2, both done.
  void create_42() {
    script->expect("POST", "/servers", 201,
                   R"({"server":)" + server_json(42, "initializing")
                     + R"(,"action":{"id":1,"command":"create_server",)"
                       R"("status":"running"},"next_actions":[{"id":2,)"
                       R"("command":"start_server","status":"running"}],)"
                       R"("root_password":null})");
    BOOST_REQUIRE(cloud->create(make_create(spec)).ok());
    script->expect("GET", "/servers/42", 200, wrapped(42, "running"));
    // Both pending actions are read in one request.
    script->expect("GET", "/actions?id=1&id=2", 200,
                   R"({"actions":[)" + action_item(1, "success") + ","
                     + action_item(2, "success") + "]}");
    BOOST_REQUIRE_EQUAL(cloud->get("42").requests, 2u);
  }
};

/// What a spec naming the removed `datacenter` key is told.
constexpr const char* removed_datacenter = "removed from the Hetzner API on "
                                           "2026-07-01; use location (e.g. "
                                           "\"nbg1\") instead";

provider_factory factory = [](std::shared_ptr<http_script> script,
                              manual_clock& clock) -> provider_ptr {
  hetzner_options opts;
  opts.api.token = "t";
  return std::make_unique<hetzner_provider>(
    opts, make_scripted_transport(std::move(script)), clock.fn());
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(hetzner, fixture)

BOOST_AUTO_TEST_CASE(pending_actions_are_read_in_batches) {
  // N servers, each with a create action still running.
  constexpr int n = 30;
  auto labels_of = [](int i) {
    return R"({"dynserv-owner":"node1","dynserv-id":"id-)" + std::to_string(i)
           + "\"}";
  };
  std::string items;
  for (int i = 0; i < n; ++i) {
    script->expect("POST", "/servers", 201,
                   R"({"server":)"
                     + server_json(100 + i, "initializing", labels_of(i))
                     + R"(,"action":{"id":)" + std::to_string(1000 + i)
                     + R"(,"status":"running"}})");
    BOOST_REQUIRE(cloud->create(make_create(spec)).ok());
    items += (i == 0 ? "" : ",")
             + server_json(100 + i, "initializing", labels_of(i));
  }
  // Once due, a list reads them 25 at a time (hcloud-go's batch size):
  // 30 pending actions cost two requests, not thirty.
  clock.now += action_read_interval_ms;
  auto ids = [](int first, int last) {
    std::string result;
    for (int i = first; i < last; ++i)
      result += (i == first ? "?id=" : "&id=") + std::to_string(1000 + i);
    return result;
  };
  auto actions_of = [&](int first, int last, const std::string& status) {
    std::string result;
    for (int i = first; i < last; ++i)
      result += (i == first ? "" : ",") + action_item(1000 + i, status);
    return result;
  };
  script->expect("GET",
                 "/servers?label_selector=dynserv-owner%3D%3Dnode1"
                 "&per_page=50&page=1",
                 200, R"({"servers":[)" + items + "]}");
  script->expect("GET", "/actions" + ids(0, 25), 200,
                 R"({"actions":[)" + actions_of(0, 25, "running") + "]}");
  // The second batch: one failed, the rest done.
  script->expect("GET", "/actions" + ids(25, n), 200,
                 R"({"actions":[)"
                   + action_item(1025, "error", "no capacity",
                                 "resource_unavailable")
                   + "," + actions_of(26, n, "success") + "]}");
  auto reply = cloud->list({{labels::owner, "node1"}});
  BOOST_REQUIRE_MESSAGE(reply.ok(), reply.error.message);
  BOOST_CHECK_EQUAL(reply.requests, 3u);
  BOOST_REQUIRE_EQUAL(reply.servers.size(), static_cast<size_t>(n));
  BOOST_CHECK(reply.servers[0].state == cloud_state::provisioning);
  BOOST_CHECK(reply.servers[25].state == cloud_state::failed);
  BOOST_CHECK_EQUAL(reply.servers[25].failure.code, "resource_unavailable");
  BOOST_CHECK_EQUAL(reply.servers[25].failure.message, "no capacity");
  BOOST_CHECK(reply.servers[26].state == cloud_state::provisioning);
  BOOST_CHECK_EQUAL(script->pending(), 0u);
  // A get of a server with several pending actions reads them in one go.
  script->expect("POST", "/servers/100/actions/reboot", 201,
                 action_json(7, "running"));
  BOOST_REQUIRE(cloud->reboot("100").ok());
  script->expect("GET", "/servers/100", 200, wrapped(100, "running"));
  script->expect("GET", "/actions?id=7&id=1000", 200,
                 R"({"actions":[)" + action_item(7, "running") + ","
                   + action_item(1000, "success") + "]}");
  reply = cloud->get("100");
  BOOST_CHECK_EQUAL(reply.requests, 2u);
  BOOST_CHECK(reply.servers.at(0).state == cloud_state::rebooting);
  BOOST_CHECK_EQUAL(script->pending(), 0u);
}

BOOST_AUTO_TEST_CASE(resource_locked_is_permanent_with_its_message) {
  script->expect("POST", "/servers", 423,
                 R"({"error":{"code":"resource_locked","message":"The )"
                 R"(resource is locked. Please contact support."}})");
  auto reply = cloud->create(make_create(spec));
  BOOST_CHECK(reply.error.kind == error_kind::permanent);
  BOOST_CHECK(!is_retryable(reply.error.kind));
  BOOST_CHECK_EQUAL(reply.error.code, "resource_locked");
  BOOST_CHECK_EQUAL(reply.error.message,
                    "The resource is locked. Please contact support.");
  // `locked` (another action runs) stays a conflict that a retry clears.
  script->expect("POST", "/servers/42/actions/poweron", 423,
                 R"({"error":{"code":"locked","message":"busy"}})");
  BOOST_CHECK(cloud->start("42").error.kind == error_kind::conflict);
}

BOOST_AUTO_TEST_CASE(server_type_goes_out_as_given) {
  for (auto type : {std::string{R"("cx22")"}, std::string{"22"}}) {
    BOOST_TEST_CONTEXT(type) {
      script->expect("POST", "/servers", 201,
                     R"({"server":)" + server_json(42, "initializing") + "}");
      auto reply = cloud->create(
        make_create(R"({"server_type":)" + type + R"(,"image":"debian-12"})"));
      BOOST_REQUIRE_MESSAGE(reply.ok(), reply.error.message);
      auto doc = parse_json_or_fail(script->last().body);
      BOOST_CHECK_EQUAL(to_json(doc["server_type"]), type);
    }
  }
}

BOOST_AUTO_TEST_CASE(config_load_refuses_removed_and_misshaped_keys) {
  auto errors_of = [](const std::string& server) {
    auto res = parse_config(
      R"({"node": {"data_dir": "d"}, "limits": {"max_servers": 5},)"
      R"( "providers": {"hz": {"type": "hetzner", "token": "t"}},)"
      R"( "pools": {"p": {"provider": "hz", "desired": 1, "server": )"
        + server + "}}}",
      "/base");
    std::string result;
    for (const auto& err : res.errors)
      result += err.to_string() + "\n";
    return result;
  };
  BOOST_CHECK_EQUAL(errors_of(R"({"server_type": 22, "image": "debian-12",
                                  "location": "nbg1"})"),
                    "");
  BOOST_CHECK_EQUAL(errors_of(R"({"server_type": "cx22", "image": "debian-12",
                                  "datacenter": "nbg1-dc3"})"),
                    std::string{"pools.p.server.datacenter: "}
                      + removed_datacenter + "\n");
  BOOST_CHECK_EQUAL(errors_of(R"({"server_type": 2.5, "image": "debian-12"})"),
                    "pools.p.server.server_type: expected a string or an "
                    "integer\n");
  BOOST_CHECK_EQUAL(errors_of(R"({"server_type": {"id": 22}, "image": "d"})"),
                    "pools.p.server.server_type: expected a string or an "
                    "integer\n");
}

BOOST_AUTO_TEST_CASE(create_sends_the_merged_spec_and_follows_its_actions) {
  script->expect("POST", "/servers", 201,
                 R"({"server":)" + server_json(42, "initializing")
                   + R"(,"action":{"id":1,"command":"create_server",)"
                     R"("status":"running"},"next_actions":[]})");
  auto reply = cloud->create(make_create(spec));
  BOOST_REQUIRE_MESSAGE(reply.ok(), reply.error.message);
  BOOST_CHECK_EQUAL(reply.requests, 1u);
  BOOST_REQUIRE_EQUAL(reply.servers.size(), 1u);
  BOOST_CHECK_EQUAL(reply.servers[0].provider_id, "42");
  BOOST_CHECK(reply.servers[0].state == cloud_state::provisioning);
  BOOST_CHECK_EQUAL(reply.servers[0].created_at_ms, t0);
  BOOST_CHECK(reply.servers[0].labels == standard_labels());
  const auto& req = script->last();
  BOOST_CHECK_EQUAL(header_of(req, "Authorization"), "Bearer hz-token");
  BOOST_CHECK_EQUAL(header_of(req, "Content-Type"), "application/json");
  auto doc = parse_json_or_fail(req.body);
  BOOST_CHECK_EQUAL(doc["name"].GetString(), std::string{"node1-web-0b8f7c1e"});
  BOOST_CHECK_EQUAL(doc["server_type"].GetString(), std::string{"cx22"});
  BOOST_CHECK_EQUAL(doc["image"].GetString(), std::string{"debian-12"});
  BOOST_CHECK_EQUAL(doc["location"].GetString(), std::string{"nbg1"});
  BOOST_CHECK_EQUAL(doc["user_data"].GetString(), std::string{"#cloud-config"});
  BOOST_CHECK(doc["start_after_create"].GetBool());
  BOOST_CHECK_EQUAL(doc["ssh_keys"][1].GetInt(), 4711);
  label_map sent;
  for (auto i = doc["labels"].MemberBegin(); i != doc["labels"].MemberEnd();
       ++i)
    sent[i->name.GetString()] = i->value.GetString();
  auto expected = standard_labels();
  expected["team"] = "a";
  BOOST_CHECK(sent == expected);
  // While the create action runs, each read also reads the action.
  script->expect("GET", "/servers/42", 200, wrapped(42, "initializing"));
  script->expect("GET", "/actions?id=1", 200, batch_of(1, "running"));
  reply = cloud->get("42");
  BOOST_CHECK_EQUAL(reply.requests, 2u);
  BOOST_CHECK(reply.servers.at(0).state == cloud_state::provisioning);
  script->expect("GET", "/servers/42", 200, wrapped(42, "running"));
  script->expect("GET", "/actions?id=1", 200, batch_of(1, "success"));
  reply = cloud->get("42");
  BOOST_CHECK_EQUAL(reply.requests, 2u);
  BOOST_CHECK(reply.servers.at(0).state == cloud_state::running);
  // Finished actions are forgotten: reads are single requests again.
  script->expect("GET", "/servers/42", 200, wrapped(42, "running"));
  BOOST_CHECK_EQUAL(cloud->get("42").requests, 1u);
  BOOST_CHECK_EQUAL(script->pending(), 0u);
}

BOOST_AUTO_TEST_CASE(a_failed_create_action_reads_as_failed_with_its_error) {
  script->expect("POST", "/servers", 201,
                 R"({"server":)" + server_json(42, "initializing")
                   + R"(,"action":{"id":1,"status":"running"}})");
  BOOST_REQUIRE(cloud->create(make_create(spec)).ok());
  script->expect("GET", "/servers/42", 200, wrapped(42, "off"));
  script->expect(
    "GET", "/actions?id=1", 200,
    R"({"actions":[)"
      + action_item(1, "error", "server is locked", "unknown_error") + "]}");
  auto reply = cloud->get("42");
  BOOST_REQUIRE(reply.ok());
  const auto& srv = reply.servers.at(0);
  BOOST_CHECK(srv.state == cloud_state::failed);
  BOOST_CHECK(srv.failure.kind == error_kind::permanent);
  BOOST_CHECK_EQUAL(srv.failure.code, "unknown_error");
  BOOST_CHECK_EQUAL(srv.failure.message, "server is locked");
  BOOST_CHECK_EQUAL(srv.raw_state,
                    "action_failed: unknown_error: server is locked");
  // It stays failed without further action reads, in lists too.
  script->expect("GET",
                 "/servers?label_selector=dynserv-owner%3D%3Dnode1"
                 "&per_page=50&page=1",
                 200, R"({"servers":[)" + server_json(42, "off") + "]}");
  reply = cloud->list({{labels::owner, "node1"}});
  BOOST_CHECK_EQUAL(reply.requests, 1u);
  BOOST_CHECK(reply.servers.at(0).state == cloud_state::failed);
  BOOST_CHECK_EQUAL(reply.servers.at(0).failure.code, "unknown_error");
  // A failed action without an error object still fails the server.
  script->answer(201, R"({"server":)" + server_json(43, "initializing")
                        + R"(,"action":{"id":2,"status":"running"}})");
  BOOST_REQUIRE(cloud->create(make_create(spec)).ok());
  script->expect("GET", "/servers/43", 200, wrapped(43, "off"));
  script->expect("GET", "/actions?id=2", 200,
                 R"({"actions":[{"id":2,"status":"error"}]})");
  reply = cloud->get("43");
  BOOST_CHECK(reply.servers.at(0).state == cloud_state::failed);
  BOOST_CHECK_EQUAL(reply.servers.at(0).failure.code, "action_failed");
  BOOST_CHECK_EQUAL(script->pending(), 0u);
}

BOOST_AUTO_TEST_CASE(a_replayed_create_adopts_its_own_server) {
  script->expect("POST", "/servers", 409,
                 R"({"error":{"code":"uniqueness_error",)"
                 R"("message":"server name is already used"}})");
  script->expect("GET", "/servers?name=node1-web-0b8f7c1e", 200,
                 R"({"servers":[)" + server_json(42, "running")
                   + R"(],"meta":{"pagination":{"page":1,"next_page":null}}})");
  auto reply = cloud->create(make_create(spec));
  BOOST_REQUIRE_MESSAGE(reply.ok(), reply.error.message);
  BOOST_CHECK_EQUAL(reply.requests, 2u);
  BOOST_CHECK_EQUAL(reply.servers.at(0).provider_id, "42");
}

BOOST_AUTO_TEST_CASE(a_name_taken_by_another_server_is_permanent) {
  auto foreign = server_json(7, "running", R"({"dynserv-id":"someone-else"})");
  script->answer(409, R"({"error":{"code":"uniqueness_error","message":"x"}})");
  script->expect("GET", "/servers?name=node1-web-0b8f7c1e", 200,
                 R"({"servers":[)" + foreign + "]}");
  auto reply = cloud->create(make_create(spec));
  BOOST_CHECK(reply.error.kind == error_kind::permanent);
  BOOST_CHECK_EQUAL(reply.error.code, "uniqueness_error");
  BOOST_CHECK_EQUAL(reply.requests, 2u);
  BOOST_CHECK(reply.servers.empty());
  // No server by that name at all: still not ours to take.
  script->answer(409, R"({"error":{"code":"uniqueness_error","message":"x"}})");
  script->answer(200, R"({"servers":[]})");
  reply = cloud->create(make_create(spec));
  BOOST_CHECK(reply.error.kind == error_kind::permanent);
  // The lookup failing leaves a retry.
  script->answer(409, R"({"error":{"code":"uniqueness_error","message":"x"}})");
  script->fail(http_failure::lost);
  reply = cloud->create(make_create(spec));
  BOOST_CHECK(reply.error.kind == error_kind::transient);
  script->answer(409, R"({"error":{"code":"uniqueness_error","message":"x"}})");
  script->answer(200, "<html>");
  reply = cloud->create(make_create(spec));
  BOOST_CHECK(reply.error.kind == error_kind::transient);
  BOOST_CHECK_EQUAL(reply.error.code, "bad_response");
}

BOOST_AUTO_TEST_CASE(list_follows_every_page) {
  auto page = [](int n, const std::string& items, const char* next) {
    return R"({"servers":[)" + items + R"(],"meta":{"pagination":{"page":)"
           + std::to_string(n) + R"(,"per_page":50,"next_page":)" + next
           + R"(,"last_page":3,"total_entries":5}}})";
  };
  auto ours = [](int64_t id) {
    return server_json(id, "running",
                       R"({"dynserv-owner":"node1","dynserv-pool":"web",)"
                       R"("dynserv-id":"id-)"
                         + std::to_string(id) + "\"}");
  };
  const std::string base = "/servers?label_selector=dynserv-owner%3D%3Dnode1"
                           "%2Cdynserv-pool%3D%3Dweb&per_page=50&page=";
  script->expect("GET", base + "1", 200, page(1, ours(1) + "," + ours(2), "2"),
                 {{"RateLimit-Limit", "3600"},
                  {"RateLimit-Remaining", "3500"},
                  {"RateLimit-Reset", "1700000100"}});
  // A server without our labels (a sloppy filter) is dropped.
  script->expect("GET", base + "2", 200,
                 page(2, ours(3) + "," + server_json(9, "running", "{}"), "3"),
                 {{"RateLimit-Limit", "3600"},
                  {"RateLimit-Remaining", "3499"},
                  {"RateLimit-Reset", "1700000101"}});
  script->expect("GET", base + "3", 200, page(3, ours(4), "null"),
                 {{"RateLimit-Limit", "3600"},
                  {"RateLimit-Remaining", "3498"},
                  {"RateLimit-Reset", "1700000102"}});
  auto reply = cloud->list({{labels::owner, "node1"}, {labels::pool, "web"}});
  BOOST_REQUIRE_MESSAGE(reply.ok(), reply.error.message);
  BOOST_CHECK_EQUAL(reply.requests, 3u);
  BOOST_REQUIRE_EQUAL(reply.servers.size(), 4u);
  for (int i = 0; i < 4; ++i)
    BOOST_CHECK_EQUAL(reply.servers[i].provider_id, std::to_string(i + 1));
  // The budget is the last response's.
  BOOST_CHECK_EQUAL(reply.budget.limit, 3600);
  BOOST_CHECK_EQUAL(reply.budget.remaining, 3498);
  BOOST_CHECK_EQUAL(reply.budget.reset_at_ms, 1'700'000'102'000);
  // A failing page fails the list, with every request counted.
  script->answer(200, page(1, ours(1), "2"));
  script->answer(503, R"({"error":{"code":"unavailable","message":"x"}})");
  reply = cloud->list({});
  BOOST_CHECK(reply.error.kind == error_kind::transient);
  BOOST_CHECK_EQUAL(reply.requests, 2u);
  BOOST_CHECK(reply.servers.empty());
  // A next_page that does not advance ends the walk.
  script->answer(200, page(1, ours(1), "1"));
  reply = cloud->list({});
  BOOST_CHECK_EQUAL(reply.requests, 1u);
  BOOST_CHECK_EQUAL(reply.servers.size(), 1u);
}

BOOST_AUTO_TEST_CASE(operations_hit_the_action_endpoints) {
  struct row {
    const char* verb;
    std::function<provider_reply()> call;
  };
  std::vector<row> rows = {
    {"shutdown", [&] { return cloud->stop("42"); }},
    {"poweron", [&] { return cloud->start("42"); }},
    {"reboot", [&] { return cloud->reboot("42"); }},
  };
  for (auto& r : rows) {
    BOOST_TEST_CONTEXT(r.verb) {
      script->expect("POST", std::string{"/servers/42/actions/"} + r.verb, 201,
                     action_json(100, "running"));
      auto reply = r.call();
      BOOST_CHECK(reply.ok());
      BOOST_CHECK_EQUAL(reply.requests, 1u);
      BOOST_CHECK_EQUAL(header_of(script->last(), "Authorization"),
                        "Bearer hz-token");
    }
  }
  script->expect("DELETE", "/servers/42", 200, action_json(101, "running"));
  BOOST_CHECK(cloud->destroy("42").ok());
  // Only the delete is followed after a delete.
  script->expect("GET", "/servers/42", 200, wrapped(42, "deleting"));
  script->expect("GET", "/actions?id=101", 200, batch_of(101, "success"));
  auto reply = cloud->get("42");
  BOOST_CHECK(reply.servers.at(0).state == cloud_state::deleting);
  BOOST_CHECK_EQUAL(reply.requests, 2u);
  script->expect("GET", "/servers/42", 404,
                 R"({"error":{"code":"not_found","message":"gone"}})");
  BOOST_CHECK(cloud->get("42").error.kind == error_kind::not_found);
}

BOOST_AUTO_TEST_CASE(a_pending_reboot_reads_as_rebooting) {
  script->expect("POST", "/servers/42/actions/reboot", 201,
                 action_json(5, "running"));
  BOOST_REQUIRE(cloud->reboot("42").ok());
  script->expect("GET", "/servers/42", 200, wrapped(42, "running"));
  script->expect("GET", "/actions?id=5", 200, batch_of(5, "running"));
  BOOST_CHECK(cloud->get("42").servers.at(0).state == cloud_state::rebooting);
  script->expect("GET", "/servers/42", 200, wrapped(42, "running"));
  script->expect("GET", "/actions?id=5", 200, batch_of(5, "success"));
  BOOST_CHECK(cloud->get("42").servers.at(0).state == cloud_state::running);
}

BOOST_AUTO_TEST_CASE(soft_stop_then_poweroff_after_the_timeout) {
  create_42();
  script->expect("POST", "/servers/42/actions/shutdown", 201,
                 action_json(10, "running"));
  BOOST_REQUIRE(cloud->stop("42").ok());
  // Before the timeout: the guest may still be shutting down.
  clock.now += 30'000;
  script->expect("GET", "/servers/42", 200, wrapped(42, "running"));
  script->expect("GET", "/actions?id=10", 200, batch_of(10, "success"));
  auto reply = cloud->get("42");
  BOOST_CHECK_EQUAL(reply.requests, 2u);
  BOOST_CHECK(reply.servers.at(0).state == cloud_state::running);
  // Past it: still running, so the provider powers it off itself.
  clock.now += 31'000;
  script->expect("GET", "/servers/42", 200, wrapped(42, "running"));
  script->expect("POST", "/servers/42/actions/poweroff", 201,
                 action_json(11, "running"));
  reply = cloud->get("42");
  BOOST_CHECK(reply.ok());
  BOOST_CHECK_EQUAL(reply.requests, 2u);
  // Only once.
  script->expect("GET", "/servers/42", 200, wrapped(42, "running"));
  script->expect("GET", "/actions?id=11", 200, batch_of(11, "running"));
  BOOST_CHECK_EQUAL(cloud->get("42").requests, 2u);
  script->expect("GET", "/servers/42", 200, wrapped(42, "off"));
  script->expect("GET", "/actions?id=11", 200, batch_of(11, "success"));
  reply = cloud->get("42");
  BOOST_CHECK(reply.servers.at(0).state == cloud_state::stopped);
  // Everything forgotten.
  script->expect("GET", "/servers/42", 200, wrapped(42, "off"));
  BOOST_CHECK_EQUAL(cloud->get("42").requests, 1u);
  BOOST_CHECK_EQUAL(script->pending(), 0u);
}

BOOST_AUTO_TEST_CASE(a_stop_that_worked_needs_no_poweroff) {
  script->answer(201, action_json(10, "running"));
  BOOST_REQUIRE(cloud->stop("42").ok());
  clock.now += 10'000;
  script->expect("GET", "/servers/42", 200, wrapped(42, "off"));
  script->expect("GET", "/actions?id=10", 200, batch_of(10, "success"));
  BOOST_CHECK(cloud->get("42").servers.at(0).state == cloud_state::stopped);
  clock.now += 120'000;
  script->expect("GET", "/servers/42", 200, wrapped(42, "running"));
  BOOST_CHECK_EQUAL(cloud->get("42").requests, 1u);
}

BOOST_AUTO_TEST_CASE(a_failed_shutdown_is_reported_and_followed_up) {
  script->answer(201, action_json(10, "running"));
  BOOST_REQUIRE(cloud->stop("42").ok());
  script->expect("GET", "/servers/42", 200, wrapped(42, "running"));
  script->expect("GET", "/actions?id=10", 200,
                 batch_of(10, "error", "guest did not react"));
  auto reply = cloud->get("42");
  BOOST_CHECK(reply.error.kind == error_kind::transient);
  BOOST_CHECK_EQUAL(reply.error.code, "action_failed");
  BOOST_CHECK_NE(reply.error.message.find("guest did not react"),
                 std::string::npos);
  BOOST_CHECK(reply.servers.empty());
  // The next read powers it off without waiting for the timeout.
  script->expect("GET", "/servers/42", 200, wrapped(42, "running"));
  script->expect("POST", "/servers/42/actions/poweroff", 201,
                 action_json(11, "running"));
  reply = cloud->get("42");
  BOOST_CHECK(reply.ok());
  BOOST_CHECK_EQUAL(reply.requests, 2u);
}

BOOST_AUTO_TEST_CASE(a_failed_delete_is_sent_again) {
  script->answer(200, action_json(20, "running"));
  BOOST_REQUIRE(cloud->destroy("42").ok());
  script->expect("GET", "/servers/42", 200, wrapped(42, "running"));
  script->expect("GET", "/actions?id=20", 200, batch_of(20, "error", "nope"));
  BOOST_CHECK(cloud->get("42").error.kind == error_kind::transient);
  script->expect("GET", "/servers/42", 200, wrapped(42, "running"));
  script->expect("DELETE", "/servers/42", 200, action_json(21, "running"));
  auto reply = cloud->get("42");
  BOOST_CHECK(reply.ok());
  BOOST_CHECK_EQUAL(reply.requests, 2u);
}

BOOST_AUTO_TEST_CASE(action_reads_in_lists_cost_only_for_tracked_servers) {
  create_42();
  script->expect("POST", "/servers/42/actions/reboot", 201,
                 action_json(30, "running"));
  BOOST_REQUIRE(cloud->reboot("42").ok());
  auto other = server_json(43, "running",
                           R"({"dynserv-owner":"node1","dynserv-id":"b"})");
  auto both = R"({"servers":[)" + server_json(42, "running") + "," + other
              + "]}";
  // A list right after the reboot does not read its action yet.
  script->answer(200, both);
  auto reply = cloud->list({{labels::owner, "node1"}});
  BOOST_CHECK_EQUAL(reply.requests, 1u);
  BOOST_REQUIRE_EQUAL(reply.servers.size(), 2u);
  BOOST_CHECK(reply.servers[0].state == cloud_state::rebooting);
  clock.now += action_read_interval_ms;
  script->answer(200, both);
  script->expect("GET", "/actions?id=30", 200, batch_of(30, "running"));
  reply = cloud->list({{labels::owner, "node1"}});
  BOOST_CHECK_EQUAL(reply.requests, 2u);
  BOOST_REQUIRE_EQUAL(reply.servers.size(), 2u);
  BOOST_CHECK(reply.servers[0].state == cloud_state::rebooting);
  BOOST_CHECK(reply.servers[1].state == cloud_state::running);
  // An action read that fails is retried a later read, not fatal.
  clock.now += action_read_interval_ms;
  script->answer(200, R"({"servers":[)" + server_json(42, "running") + "]}");
  script->answer(503, "<html>");
  reply = cloud->list({{labels::owner, "node1"}});
  BOOST_CHECK(reply.ok());
  BOOST_CHECK_EQUAL(reply.requests, 2u);
  clock.now += action_read_interval_ms;
  script->answer(200, R"({"servers":[)" + server_json(42, "running") + "]}");
  // An action the batched answer leaves out is gone: forgotten.
  script->expect("GET", "/actions?id=30", 200, R"({"actions":[]})");
  BOOST_CHECK_EQUAL(cloud->list({}).requests, 2u);
  clock.now += action_read_interval_ms;
  script->answer(200, R"({"servers":[)" + server_json(42, "running") + "]}");
  BOOST_CHECK_EQUAL(cloud->list({}).requests, 1u);
  BOOST_CHECK_EQUAL(script->pending(), 0u);
}

BOOST_AUTO_TEST_CASE(a_list_skips_actions_whose_outcome_it_shows) {
  // N servers, each created with a pending create action and start action.
  constexpr int n = 120;
  auto labels_of = [](int i) {
    return R"({"dynserv-owner":"node1","dynserv-id":"id-)" + std::to_string(i)
           + "\"}";
  };
  for (int i = 0; i < n; ++i) {
    script->expect("POST", "/servers", 201,
                   R"({"server":)"
                     + server_json(100 + i, "initializing", labels_of(i))
                     + R"(,"action":{"id":)" + std::to_string(1000 + i)
                     + R"(,"status":"running"},"next_actions":[{"id":)"
                     + std::to_string(5000 + i) + R"(,"status":"running"}]})");
    BOOST_REQUIRE(cloud->create(make_create(spec)).ok());
  }
  auto page = [&](int first, int last, const std::string& status,
                  const char* next) {
    std::string items;
    for (int i = first; i < last; ++i)
      items += (items.empty() ? "" : ",")
               + server_json(100 + i, status, labels_of(i));
    return R"({"servers":[)" + items + R"(],"meta":{"pagination":{"next_page":)"
           + next + "}}}";
  };
  const std::string base = "/servers?label_selector=dynserv-owner%3D%3Dnode1"
                           "&per_page=50&page=";
  // Long after the creates, all run: the list pages are the whole cost.
  clock.now += 10 * action_read_interval_ms;
  script->expect("GET", base + "1", 200, page(0, 50, "running", "2"));
  script->expect("GET", base + "2", 200, page(50, 100, "running", "3"));
  script->expect("GET", base + "3", 200, page(100, n, "running", "null"));
  auto reply = cloud->list({{labels::owner, "node1"}});
  BOOST_REQUIRE_MESSAGE(reply.ok(), reply.error.message);
  BOOST_CHECK_EQUAL(reply.requests, 3u);
  BOOST_CHECK_EQUAL(reply.servers.size(), static_cast<size_t>(n));
  BOOST_CHECK_EQUAL(script->pending(), 0u);
  // The actions are forgotten: a get is one request.
  script->expect("GET", "/servers/100", 200, wrapped(100, "running"));
  BOOST_CHECK_EQUAL(cloud->get("100").requests, 1u);
  // A stop whose server lists as off needs no action read either.
  script->expect("POST", "/servers/100/actions/shutdown", 201,
                 action_json(7, "running"));
  BOOST_REQUIRE(cloud->stop("100").ok());
  clock.now += 10 * action_read_interval_ms;
  script->expect("GET", base + "1", 200,
                 R"({"servers":[)" + server_json(100, "off", labels_of(0))
                   + "]}");
  reply = cloud->list({{labels::owner, "node1"}});
  BOOST_CHECK_EQUAL(reply.requests, 1u);
  BOOST_CHECK(reply.servers.at(0).state == cloud_state::stopped);
  script->expect("GET", "/servers/100", 200, wrapped(100, "off"));
  BOOST_CHECK_EQUAL(cloud->get("100").requests, 1u);
  BOOST_CHECK_EQUAL(script->pending(), 0u);
}

BOOST_AUTO_TEST_CASE(a_list_reads_a_pending_action_once_per_interval) {
  script->expect("POST", "/servers", 201,
                 R"({"server":)" + server_json(42, "initializing")
                   + R"(,"action":{"id":1,"status":"running"}})");
  BOOST_REQUIRE(cloud->create(make_create(spec)).ok());
  const std::string target = "/servers?label_selector=dynserv-owner%3D%3Dnode1"
                             "&per_page=50&page=1";
  auto listed = R"({"servers":[)" + server_json(42, "initializing") + "]}";
  auto action_reads = 0;
  // Poll rounds every 5 s for 2 minutes while the server initializes.
  for (int64_t t = 0; t <= 120'000; t += 5'000) {
    clock.now = t0 + t;
    script->expect("GET", target, 200, listed);
    auto due = t > 0 && t % action_read_interval_ms == 0;
    if (due)
      script->expect("GET", "/actions?id=1", 200, batch_of(1, "running"));
    auto reply = cloud->list({{labels::owner, "node1"}});
    BOOST_TEST_CONTEXT("t=" << t) {
      BOOST_CHECK(reply.ok());
      BOOST_CHECK_EQUAL(reply.requests, due ? 2u : 1u);
      BOOST_CHECK_EQUAL(script->pending(), 0u);
    }
    action_reads += due ? 1 : 0;
  }
  BOOST_CHECK_EQUAL(action_reads, 4);
  // A failed create found by a list still shows as error, sticky.
  clock.now += action_read_interval_ms;
  script->expect("GET", target, 200,
                 R"({"servers":[)" + server_json(42, "off") + "]}");
  script->expect("GET", "/actions?id=1", 200, batch_of(1, "error", "broken"));
  auto reply = cloud->list({{labels::owner, "node1"}});
  BOOST_CHECK_EQUAL(reply.requests, 2u);
  BOOST_CHECK(reply.servers.at(0).state == cloud_state::failed);
  BOOST_CHECK_EQUAL(reply.servers.at(0).failure.message, "broken");
  script->expect("GET", target, 200,
                 R"({"servers":[)" + server_json(42, "off") + "]}");
  reply = cloud->list({{labels::owner, "node1"}});
  BOOST_CHECK_EQUAL(reply.requests, 1u);
  BOOST_CHECK(reply.servers.at(0).state == cloud_state::failed);
  // A get still reads pending actions every time.
  script->expect("POST", "/servers/42/actions/reboot", 201,
                 action_json(9, "running"));
  BOOST_REQUIRE(cloud->reboot("42").ok());
  for (int k = 0; k < 2; ++k) {
    script->expect("GET", "/servers/42", 200, wrapped(42, "running"));
    script->expect("GET", "/actions?id=9", 200, batch_of(9, "running"));
    BOOST_CHECK_EQUAL(cloud->get("42").requests, 2u);
  }
  BOOST_CHECK_EQUAL(script->pending(), 0u);
}

BOOST_AUTO_TEST_CASE(state_mapping) {
  struct row {
    const char* raw;
    cloud_state state;
  };
  row rows[] = {{"initializing", cloud_state::provisioning},
                {"starting", cloud_state::provisioning},
                {"running", cloud_state::running},
                {"stopping", cloud_state::stopping},
                {"off", cloud_state::stopped},
                {"deleting", cloud_state::deleting},
                {"migrating", cloud_state::provisioning},
                {"rebuilding", cloud_state::provisioning},
                {"unknown", cloud_state::unknown},
                {"new-thing", cloud_state::unknown}};
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.raw) {
      BOOST_CHECK(map_hetzner_state(r.raw) == r.state);
      script->answer(200, wrapped(42, r.raw));
      auto reply = cloud->get("42");
      BOOST_REQUIRE(reply.ok());
      BOOST_CHECK(reply.servers[0].state == r.state);
      BOOST_CHECK_EQUAL(reply.servers[0].raw_state, r.raw);
    }
  }
}

BOOST_AUTO_TEST_CASE(error_table) {
  auto body = [](const char* code) {
    return std::string{R"({"error":{"code":")"} + code
           + R"(","message":"msg","details":{}}})";
  };
  http_headers empty_bucket = {{"RateLimit-Limit", "3600"},
                               {"RateLimit-Remaining", "0"},
                               {"RateLimit-Reset", "1700003600"}};
  std::vector<error_row> rows = {
    {"get", 0, http_failure::connect, "", {}, error_kind::transient, "connect"},
    {"create",
     0,
     http_failure::lost,
     "",
     {},
     error_kind::outcome_unknown,
     "lost"},
    {"stop", 0, http_failure::lost, "", {}, error_kind::transient, "lost"},
    {"list",
     0,
     http_failure::protocol,
     "",
     {},
     error_kind::transient,
     "bad_response"},
    {"get",
     200,
     http_failure::none,
     "not json",
     {},
     error_kind::transient,
     "bad_response"},
    {"get",
     200,
     http_failure::none,
     R"({"server":{"id":true}})",
     {},
     error_kind::transient,
     "bad_response"},
    {"get",
     200,
     http_failure::none,
     R"({"server":null})",
     {},
     error_kind::transient,
     "bad_response"},
    {"list",
     200,
     http_failure::none,
     R"({"servers":{}})",
     {},
     error_kind::transient,
     "bad_response"},
    {"create",
     201,
     http_failure::none,
     R"({"action":{"id":1}})",
     {},
     error_kind::outcome_unknown,
     "bad_response"},
    {"get",
     404,
     http_failure::none,
     body("not_found"),
     {},
     error_kind::not_found,
     "not_found"},
    {"delete",
     404,
     http_failure::none,
     body("not_found"),
     {},
     error_kind::not_found,
     "not_found"},
    {"reboot",
     404,
     http_failure::none,
     body("not_found"),
     {},
     error_kind::not_found,
     "not_found"},
    {"get", 404, http_failure::none, "<html>404</html>", html(),
     error_kind::transient, "bad_response"},
    {"get",
     404,
     http_failure::none,
     body("weird"),
     {},
     error_kind::transient,
     "weird"},
    {"get", 429, http_failure::none, body("rate_limit_exceeded"), empty_bucket,
     error_kind::rate_limited, "rate_limit_exceeded", 1000},
    {"list",
     429,
     http_failure::none,
     "",
     {{"Retry-After", "4"}},
     error_kind::rate_limited,
     "429",
     4000},
    {"get", 502, http_failure::none, "<html>Bad Gateway</html>", html(),
     error_kind::transient, "502"},
    {"get",
     503,
     http_failure::none,
     body("unavailable"),
     {},
     error_kind::transient,
     "unavailable"},
    {"create",
     401,
     http_failure::none,
     body("unauthorized"),
     {},
     error_kind::permanent,
     "unauthorized"},
    {"stop",
     403,
     http_failure::none,
     body("token_readonly"),
     {},
     error_kind::permanent,
     "token_readonly"},
    {"create",
     403,
     http_failure::none,
     body("resource_limit_exceeded"),
     {},
     error_kind::permanent,
     "resource_limit_exceeded"},
    {"create",
     412,
     http_failure::none,
     body("resource_unavailable"),
     {},
     error_kind::transient,
     "resource_unavailable"},
    {"create",
     400,
     http_failure::none,
     body("invalid_input"),
     {},
     error_kind::permanent,
     "invalid_input"},
    {"create", 400, http_failure::none, "<html>", html(), error_kind::transient,
     "bad_response"},
    {"stop",
     423,
     http_failure::none,
     body("locked"),
     {},
     error_kind::conflict,
     "locked"},
    {"create",
     423,
     http_failure::none,
     body("resource_locked"),
     {},
     error_kind::permanent,
     "resource_locked"},
    {"stop",
     403,
     http_failure::none,
     body("resource_locked"),
     {},
     error_kind::permanent,
     "resource_locked"},
    {"delete",
     410,
     http_failure::none,
     body("deprecated_api_endpoint"),
     {},
     error_kind::permanent,
     "deprecated_api_endpoint"},
    {"delete",
     423,
     http_failure::none,
     body("protected"),
     {},
     error_kind::permanent,
     "protected"},
    {"start",
     409,
     http_failure::none,
     body("conflict"),
     {},
     error_kind::conflict,
     "conflict"},
    {"reboot",
     422,
     http_failure::none,
     body("server_not_stopped"),
     {},
     error_kind::conflict,
     "server_not_stopped"},
    {"start",
     409,
     http_failure::none,
     body("brand_new_code"),
     {},
     error_kind::conflict,
     "brand_new_code"},
    {"start",
     422,
     http_failure::none,
     body("brand_new_code"),
     {},
     error_kind::permanent,
     "brand_new_code"},
    {"get",
     200,
     http_failure::none,
     R"({"error":{"code":5}})",
     {},
     error_kind::transient,
     "bad_response"},
  };
  run_error_table(rows, factory, make_create(spec), "42");
}

BOOST_AUTO_TEST_CASE(spec_validation) {
  struct row {
    const char* spec;
    std::vector<std::pair<std::string, std::string>> problems;
  };
  std::vector<row> rows = {
    {R"({"server_type":"cx22","image":"debian-12"})", {}},
    {R"({"server_type":"cx22","image":114690387,"networks":[1,2]})", {}},
    {R"({"image":"debian-12"})", {{"server_type", "missing"}}},
    {R"({"server_type":"cx22","image":true})",
     {{"image", "expected a string or an integer"}}},
    {R"({"server_type":"cx22","image":"i","ssh_keys":[{}]})",
     {{"ssh_keys", "expected an array of strings or integers"}}},
    {R"({"server_type":"cx22","image":"i","name":"x","zone":"y"})",
     {{"name", "set by dynserv; remove it"}, {"zone", "unknown key"}}},
    {R"({"server_type":22,"image":"i","location":"a"})", {}},
    {R"({"server_type":"cx22","image":"i","datacenter":"nbg1-dc3"})",
     {{"datacenter", removed_datacenter}}},
    {R"({"server_type":"cx22","image":"i","location":"a","datacenter":"b"})",
     {{"datacenter", removed_datacenter}}},
    {R"({"server_type":22.5,"image":"i"})",
     {{"server_type", "expected a string or an integer"}}},
    {R"({"server_type":{"name":"cx22"},"image":"i"})",
     {{"server_type", "expected a string or an integer"}}},
    {R"({"server_type":"cx22","image":"i","start_after_create":"yes"})",
     {{"start_after_create", "expected true or false"}}},
    {"not json", {{"", ""}}},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.spec) {
      auto got = validate_server_spec("hetzner", r.spec);
      BOOST_CHECK_EQUAL(got.size(), r.problems.size());
      for (size_t i = 0; i < std::min(got.size(), r.problems.size()); ++i) {
        BOOST_CHECK_EQUAL(got[i].first, r.problems[i].first);
        if (!r.problems[i].second.empty())
          BOOST_CHECK_EQUAL(got[i].second, r.problems[i].second);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(capabilities_and_factory) {
  auto caps = cloud->capabilities();
  BOOST_CHECK(caps.list_by_labels);
  BOOST_CHECK(caps.delete_running);
  auto p = make_hetzner_provider(opts, make_scripted_transport(script));
  BOOST_REQUIRE(p != nullptr);
  BOOST_CHECK_EQUAL(p->type_name(), "hetzner");
}

BOOST_AUTO_TEST_SUITE_END()
