// Tests of the UpCloud provider against a scripted transport: request
// shapes, state mapping, error classification, restarts, spec validation.
#include "providers/upcloud_provider.hpp"

#include <boost/test/unit_test.hpp>

#include "providers/cloud_providers.hpp"
#include "tests/providers/provider_test_util.hpp"

using namespace dynserv;
using namespace dynserv::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* uuid = "00af0f73-7082-4283-b925-811d1585774b";

constexpr const char* spec = R"({
  "zone": "de-fra1", "plan": "1xCPU-1GB",
  "template": "01000000-0000-4000-8000-000020060100",
  "disk_size": 25, "disk_tier": "maxiops", "metadata": true,
  "ssh_keys": ["ssh-ed25519 AAAA"], "user_data": "#cloud-config",
  "labels": {"team": "a", "dynserv-pool": "not-this"}
})";

std::string server_json(const std::string& state,
                        const std::string& extra = {}) {
  return R"({"uuid":")" + std::string{uuid}
         + R"(","title":"node1-web-0b8f7c1e","state":")" + state
         + R"(","created":1700000000,"core_number":"1","labels":{"label":[)"
           R"({"key":"dynserv-owner","value":"node1"},)"
           R"({"key":"dynserv-id","value":"0b8f7c1e-1111-4222-8333-444455556666"},)"
           R"({"key":"dynserv-pool","value":"web"}]})"
         + extra + "}";
}

std::string wrapped(const std::string& state) {
  return R"({"server":)" + server_json(state) + "}";
}

struct fixture {
  std::shared_ptr<http_script> script = std::make_shared<http_script>();
  manual_clock clock;
  upcloud_options opts;
  std::unique_ptr<upcloud_provider> cloud;

  fixture() {
    opts.api.username = "api-user";
    opts.api.password = "s3cret";
    opts.stop_timeout = 90s;
    make();
  }

  void make() {
    cloud = std::make_unique<upcloud_provider>(
      opts, make_scripted_transport(script), clock.fn());
  }
};

provider_factory factory = [](std::shared_ptr<http_script> script,
                              manual_clock& clock) -> provider_ptr {
  upcloud_options opts;
  opts.api.username = "u";
  opts.api.password = "p";
  return std::make_unique<upcloud_provider>(
    opts, make_scripted_transport(std::move(script)), clock.fn());
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(upcloud, fixture)

BOOST_AUTO_TEST_CASE(create_sends_the_merged_spec) {
  script->expect("POST", "/server", 202, wrapped("maintenance"));
  auto reply = cloud->create(make_create(spec));
  BOOST_REQUIRE_MESSAGE(reply.ok(), reply.error.message);
  BOOST_CHECK_EQUAL(reply.requests, 1u);
  BOOST_REQUIRE_EQUAL(reply.servers.size(), 1u);
  auto& srv = reply.servers[0];
  BOOST_CHECK_EQUAL(srv.provider_id, uuid);
  BOOST_CHECK(srv.state == cloud_state::provisioning);
  BOOST_CHECK_EQUAL(srv.raw_state, "maintenance");
  BOOST_CHECK_EQUAL(srv.created_at_ms, t0);
  BOOST_CHECK(srv.labels == standard_labels());
  const auto& req = script->last();
  BOOST_CHECK_EQUAL(header_of(req, "Authorization"),
                    "Basic YXBpLXVzZXI6czNjcmV0");
  BOOST_CHECK_EQUAL(header_of(req, "Accept"), "application/json");
  BOOST_CHECK_EQUAL(header_of(req, "Content-Type"), "application/json");
  auto doc = parse_json_or_fail(req.body);
  BOOST_REQUIRE(doc.HasMember("server"));
  const auto& s = doc["server"];
  BOOST_CHECK_EQUAL(s["zone"].GetString(), std::string{"de-fra1"});
  BOOST_CHECK_EQUAL(s["title"].GetString(), std::string{"node1-web-0b8f7c1e"});
  BOOST_CHECK_EQUAL(s["hostname"].GetString(),
                    std::string{"node1-web-0b8f7c1e"});
  BOOST_CHECK_EQUAL(s["plan"].GetString(), std::string{"1xCPU-1GB"});
  BOOST_CHECK_EQUAL(s["metadata"].GetString(), std::string{"yes"});
  BOOST_CHECK_EQUAL(s["user_data"].GetString(), std::string{"#cloud-config"});
  BOOST_CHECK_EQUAL(s["login_user"]["username"].GetString(),
                    std::string{"root"});
  BOOST_CHECK_EQUAL(s["login_user"]["ssh_keys"]["ssh_key"][0].GetString(),
                    std::string{"ssh-ed25519 AAAA"});
  const auto& disks = s["storage_devices"]["storage_device"];
  BOOST_REQUIRE(disks.IsArray());
  BOOST_REQUIRE_EQUAL(disks.Size(), 1u);
  BOOST_CHECK_EQUAL(disks[0]["action"].GetString(), std::string{"clone"});
  BOOST_CHECK_EQUAL(disks[0]["storage"].GetString(),
                    std::string{"01000000-0000-4000-8000-000020060100"});
  BOOST_CHECK_EQUAL(disks[0]["title"].GetString(),
                    std::string{"node1-web-0b8f7c1e-disk"});
  BOOST_CHECK_EQUAL(disks[0]["size"].GetInt(), 25);
  BOOST_CHECK_EQUAL(disks[0]["tier"].GetString(), std::string{"maxiops"});
  label_map sent;
  for (const auto& l : s["labels"]["label"].GetArray())
    sent[l["key"].GetString()] = l["value"].GetString();
  auto expected = standard_labels();
  expected["team"] = "a"; // dynserv's own labels win over the spec's
  BOOST_CHECK(sent == expected);
  BOOST_CHECK(!s.HasMember("template"));
  BOOST_CHECK(!s.HasMember("ssh_keys"));
}

BOOST_AUTO_TEST_CASE(create_sends_numbers_as_strings_and_raw_devices) {
  script->expect("POST", "/server", 202, wrapped("maintenance"));
  auto reply = cloud->create(make_create(R"({
    "zone": "fi-hel1", "core_number": 2, "memory_amount": 4096,
    "hostname": "custom.example.com", "metadata": "no",
    "storage_devices": [{"action": "create", "size": 10, "title": "blank"}]
  })"));
  BOOST_REQUIRE_MESSAGE(reply.ok(), reply.error.message);
  auto doc = parse_json_or_fail(script->last().body);
  const auto& s = doc["server"];
  BOOST_CHECK_EQUAL(s["core_number"].GetString(), std::string{"2"});
  BOOST_CHECK_EQUAL(s["memory_amount"].GetString(), std::string{"4096"});
  BOOST_CHECK_EQUAL(s["hostname"].GetString(),
                    std::string{"custom.example.com"});
  BOOST_CHECK_EQUAL(s["metadata"].GetString(), std::string{"no"});
  BOOST_CHECK(!s.HasMember("plan"));
  BOOST_CHECK_EQUAL(
    s["storage_devices"]["storage_device"][0]["action"].GetString(),
    std::string{"create"});
}

BOOST_AUTO_TEST_CASE(create_with_an_invalid_spec_sends_nothing) {
  auto reply = cloud->create(make_create(R"({"zone": 1})"));
  BOOST_CHECK(reply.error.kind == error_kind::permanent);
  BOOST_CHECK_EQUAL(reply.error.code, "invalid_spec");
  BOOST_CHECK_NE(reply.error.message.find("zone: expected a string"),
                 std::string::npos);
  BOOST_CHECK_EQUAL(reply.requests, 0u);
  BOOST_CHECK(script->requests().empty());
}

BOOST_AUTO_TEST_CASE(bearer_token_replaces_basic_auth) {
  opts.api.token = "ucat_abc";
  make();
  script->expect("GET", std::string{"/server/"} + uuid, 200,
                 wrapped("started"));
  BOOST_CHECK(cloud->get(uuid).ok());
  BOOST_CHECK_EQUAL(header_of(script->last(), "Authorization"),
                    "Bearer ucat_abc");
  BOOST_CHECK_EQUAL(header_of(script->last(), "Content-Type"), "");
}

BOOST_AUTO_TEST_CASE(state_mapping) {
  struct row {
    const char* raw;
    cloud_state state;
  };
  row rows[] = {{"started", cloud_state::running},
                {"stopped", cloud_state::stopped},
                {"maintenance", cloud_state::provisioning},
                {"error", cloud_state::error},
                {"exploded", cloud_state::unknown},
                {"", cloud_state::unknown}};
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.raw) {
      BOOST_CHECK(map_upcloud_state(r.raw) == r.state);
      script->answer(200, wrapped(r.raw));
      auto reply = cloud->get(uuid);
      BOOST_REQUIRE(reply.ok());
      BOOST_CHECK(reply.servers[0].state == r.state);
      BOOST_CHECK_EQUAL(reply.servers[0].raw_state, r.raw);
      // Nothing UpCloud answers is terminal: `error` recovers by itself, so
      // no state reads as `failed` and no failure is attached.
      BOOST_CHECK(reply.servers[0].failure.kind == error_kind::none);
    }
  }
  // A state of the wrong type is unknown, not a crash.
  script->answer(200, R"({"server":{"uuid":"x","state":5,"created":"17"}})");
  auto reply = cloud->get("x");
  BOOST_REQUIRE(reply.ok());
  BOOST_CHECK(reply.servers[0].state == cloud_state::unknown);
  BOOST_CHECK_EQUAL(reply.servers[0].created_at_ms, 17000);
}

BOOST_AUTO_TEST_CASE(list_filters_by_label_on_both_sides) {
  auto foreign = R"({"uuid":"f","title":"other","state":"started",)"
                 R"("labels":{"label":[{"key":"dynserv-owner","value":"x"}]}})";
  script->expect("GET",
                 "/server?label=dynserv-id%3D0b8f7c1e-1111-4222-8333-"
                 "444455556666&label=dynserv-owner%3Dnode1",
                 200,
                 R"({"servers":{"server":[)" + server_json("started") + ","
                   + foreign + R"(,{"title":"no uuid"},7]}})");
  auto reply
    = cloud->list({{labels::owner, "node1"},
                   {labels::id, "0b8f7c1e-1111-4222-8333-444455556666"}});
  BOOST_REQUIRE_MESSAGE(reply.ok(), reply.error.message);
  BOOST_REQUIRE_EQUAL(reply.servers.size(), 1u);
  BOOST_CHECK_EQUAL(reply.servers[0].provider_id, uuid);
  BOOST_CHECK_EQUAL(reply.requests, 1u);
  // An empty account.
  script->expect("GET", "/server", 200, R"({"servers":{"server":[]}})");
  reply = cloud->list({});
  BOOST_CHECK(reply.ok());
  BOOST_CHECK(reply.servers.empty());
  script->expect("GET", "/server", 200, R"({"servers":{}})");
  BOOST_CHECK(cloud->list({}).ok());
}

BOOST_AUTO_TEST_CASE(operations_send_wrapped_bodies) {
  script->expect("POST", std::string{"/server/"} + uuid + "/stop", 200,
                 wrapped("started"));
  BOOST_CHECK(cloud->stop(uuid).ok());
  auto doc = parse_json_or_fail(script->last().body);
  BOOST_CHECK_EQUAL(doc["stop_server"]["stop_type"].GetString(),
                    std::string{"soft"});
  // UpCloud wants the timeout as a string.
  BOOST_CHECK_EQUAL(doc["stop_server"]["timeout"].GetString(),
                    std::string{"90"});
  script->expect("POST", std::string{"/server/"} + uuid + "/start", 200,
                 wrapped("started"));
  BOOST_CHECK(cloud->start(uuid).ok());
  BOOST_CHECK_EQUAL(script->last().body, R"({"server":{}})");
  script->expect("POST", std::string{"/server/"} + uuid + "/restart", 200,
                 wrapped("started"));
  BOOST_CHECK(cloud->reboot(uuid).ok());
  doc = parse_json_or_fail(script->last().body);
  BOOST_REQUIRE(doc.HasMember("restart_server"));
  BOOST_CHECK_EQUAL(doc["restart_server"]["stop_type"].GetString(),
                    std::string{"soft"});
  BOOST_CHECK_EQUAL(doc["restart_server"]["timeout"].GetString(),
                    std::string{"60"});
  BOOST_CHECK_EQUAL(doc["restart_server"]["timeout_action"].GetString(),
                    std::string{"destroy"});
  BOOST_CHECK(!doc.HasMember("stop_type"));
  script->expect("DELETE",
                 std::string{"/server/"} + uuid + "?storages=1&backups=delete",
                 204);
  auto reply = cloud->destroy(uuid);
  BOOST_CHECK(reply.ok());
  BOOST_CHECK_EQUAL(reply.requests, 1u);
  BOOST_CHECK_EQUAL(script->pending(), 0u);
  // Sub-second stop timeouts round up to a whole second.
  opts.stop_timeout = 1500ms;
  make();
  script->answer(200, wrapped("started"));
  cloud->stop(uuid);
  doc = parse_json_or_fail(script->last().body);
  BOOST_CHECK_EQUAL(doc["stop_server"]["timeout"].GetString(),
                    std::string{"2"});
}

BOOST_AUTO_TEST_CASE(a_restart_is_not_done_before_it_began) {
  script->answer(200, wrapped("started"));
  BOOST_REQUIRE(cloud->reboot(uuid).ok());
  // UpCloud still says "started" right after the restart was accepted.
  clock.now += 5000;
  script->answer(200, wrapped("started"));
  BOOST_CHECK(cloud->get(uuid).servers.at(0).state == cloud_state::rebooting);
  script->answer(200, wrapped("maintenance"));
  BOOST_CHECK(cloud->get(uuid).servers.at(0).state == cloud_state::rebooting);
  script->answer(200, wrapped("started"));
  BOOST_CHECK(cloud->get(uuid).servers.at(0).state == cloud_state::running);
  // Without ever seeing maintenance, "started" counts after the settle time.
  script->answer(200, wrapped("started"));
  BOOST_REQUIRE(cloud->reboot(uuid).ok());
  clock.now += 21'000;
  script->answer(200,
                 R"({"servers":{"server":[)" + server_json("started") + "]}}");
  BOOST_CHECK(cloud->list({}).servers.at(0).state == cloud_state::running);
}

BOOST_AUTO_TEST_CASE(error_table) {
  const std::string legacy_not_found
    = R"({"error":{"error_code":"SERVER_NOT_FOUND","error_message":"The server )"
      + std::string{uuid} + R"( does not exist."}})";
  const std::string problem_not_found
    = R"({"type":"https://developers.upcloud.com/1.3/errors#ERROR_SERVER_NOT_FOUND",)"
      R"("title":"The server does not exist.","status":404,"correlation_id":"01KC"})";
  const std::string problem_resource
    = R"({"type":"https://developers.upcloud.com/1.3/errors#ERROR_RESOURCE_NOT_FOUND",)"
      R"("title":"The resource you requested does not exist.","status":404})";
  auto legacy = [](const char* code) {
    return std::string{R"({"error":{"error_code":")"} + code
           + R"(","error_message":"msg"}})";
  };
  const std::string html_page = "<html><body>502 Bad Gateway</body></html>";
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
    {"delete", 0, http_failure::lost, "", {}, error_kind::transient, "lost"},
    {"list",
     0,
     http_failure::protocol,
     "",
     {},
     error_kind::transient,
     "bad_response"},
    {"get", 200, http_failure::none, "<html>hi</html>", html(),
     error_kind::transient, "bad_response"},
    {"get",
     200,
     http_failure::none,
     R"({"server":{"uuid":5}})",
     {},
     error_kind::transient,
     "bad_response"},
    {"get",
     200,
     http_failure::none,
     R"({"server":[]})",
     {},
     error_kind::transient,
     "bad_response"},
    {"get",
     200,
     http_failure::none,
     "[]",
     {},
     error_kind::transient,
     "bad_response"},
    {"get",
     200,
     http_failure::none,
     "",
     {},
     error_kind::transient,
     "bad_response"},
    {"list",
     200,
     http_failure::none,
     R"({"servers":{"server":{}}})",
     {},
     error_kind::transient,
     "bad_response"},
    {"list",
     200,
     http_failure::none,
     R"({"servers":"none"})",
     {},
     error_kind::transient,
     "bad_response"},
    {"create",
     202,
     http_failure::none,
     "garbage",
     {},
     error_kind::outcome_unknown,
     "bad_response"},
    {"get",
     404,
     http_failure::none,
     legacy_not_found,
     {},
     error_kind::not_found,
     "SERVER_NOT_FOUND"},
    {"get", 404, http_failure::none, problem_not_found, problem_json(),
     error_kind::not_found, "SERVER_NOT_FOUND"},
    {"delete",
     404,
     http_failure::none,
     legacy_not_found,
     {},
     error_kind::not_found,
     "SERVER_NOT_FOUND"},
    {"stop", 404, http_failure::none, problem_not_found, problem_json(),
     error_kind::not_found, "SERVER_NOT_FOUND"},
    {"get", 404, http_failure::none, "<html>Not Found</html>", html(),
     error_kind::transient, "bad_response"},
    {"get",
     404,
     http_failure::none,
     "",
     {},
     error_kind::transient,
     "bad_response"},
    {"get",
     404,
     http_failure::none,
     legacy("STORAGE_NOT_FOUND"),
     {},
     error_kind::transient,
     "STORAGE_NOT_FOUND"},
    {"get", 404, http_failure::none, problem_resource, problem_json(),
     error_kind::transient, "RESOURCE_NOT_FOUND"},
    {"get",
     404,
     http_failure::none,
     R"({"error":{"error_code":7}})",
     {},
     error_kind::transient,
     "bad_response"},
    {"create",
     404,
     http_failure::none,
     legacy("STORAGE_NOT_FOUND"),
     {},
     error_kind::permanent,
     "STORAGE_NOT_FOUND"},
    {"get", 502, http_failure::none, html_page, html(), error_kind::transient,
     "502"},
    {"get",
     500,
     http_failure::none,
     legacy("SERVICE_ERROR"),
     {},
     error_kind::transient,
     "SERVICE_ERROR"},
    {"get", 503, http_failure::none, "", {}, error_kind::transient, "503"},
    {"get",
     429,
     http_failure::none,
     "",
     {{"Retry-After", "7"}},
     error_kind::rate_limited,
     "429",
     7000},
    {"list",
     429,
     http_failure::none,
     "",
     {{"Retry-After", "Tue, 14 Nov 2023 22:13:50 GMT"}},
     error_kind::rate_limited,
     "429",
     30'000},
    {"create",
     429,
     http_failure::none,
     "",
     {},
     error_kind::rate_limited,
     "429",
     1000},
    {"create",
     401,
     http_failure::none,
     legacy("AUTHENTICATION_FAILED"),
     {},
     error_kind::permanent,
     "AUTHENTICATION_FAILED"},
    {"stop", 401, http_failure::none, "<html>401</html>", html(),
     error_kind::permanent, "401"},
    {"create",
     402,
     http_failure::none,
     legacy("INSUFFICIENT_CREDITS"),
     {},
     error_kind::permanent,
     "INSUFFICIENT_CREDITS"},
    {"create",
     403,
     http_failure::none,
     legacy("SERVER_CORE_LIMIT_REACHED"),
     {},
     error_kind::permanent,
     "SERVER_CORE_LIMIT_REACHED"},
    {"create",
     409,
     http_failure::none,
     legacy("SERVER_CREATING_LIMIT_REACHED"),
     {},
     error_kind::transient,
     "SERVER_CREATING_LIMIT_REACHED"},
    {"create",
     409,
     http_failure::none,
     legacy("SERVER_RESOURCES_UNAVAILABLE"),
     {},
     error_kind::transient,
     "SERVER_RESOURCES_UNAVAILABLE"},
    {"stop",
     409,
     http_failure::none,
     legacy("SERVER_STATE_ILLEGAL"),
     {},
     error_kind::conflict,
     "SERVER_STATE_ILLEGAL"},
    {"delete",
     409,
     http_failure::none,
     legacy("SERVER_STATE_ILLEGAL"),
     {},
     error_kind::conflict,
     "SERVER_STATE_ILLEGAL"},
    {"start", 409, http_failure::none, "<html>busy</html>", html(),
     error_kind::transient, "bad_response"},
    {"reboot", 400, http_failure::none,
     R"({"type":"https://developers.upcloud.com/1.3/errors#ERROR_TIMEOUT_ACTION_INVALID",)"
     R"("title":"bad","status":400,"invalid_params":[{"name":"timeout_action"}]})",
     problem_json(), error_kind::permanent, "TIMEOUT_ACTION_INVALID"},
    {"create", 400, http_failure::none, "<html>Bad Request</html>", html(),
     error_kind::transient, "bad_response"},
  };
  run_error_table(rows, factory, make_create(spec), uuid);
}

BOOST_AUTO_TEST_CASE(spec_validation) {
  struct row {
    const char* spec;
    std::vector<std::pair<std::string, std::string>> problems;
  };
  std::vector<row> rows = {
    {R"({"zone":"de-fra1","plan":"1xCPU-1GB","template":"t"})", {}},
    {R"({"plan":"1xCPU-1GB","template":"t"})", {{"zone", "missing"}}},
    {R"({"zone":"z","plan":7,"template":"t"})",
     {{"plan", "expected a string"}}},
    {R"({"zone":"z","template":"t"})",
     {{"plan", "missing (or give core_number and memory_amount)"}}},
    {R"({"zone":"z","core_number":1,"memory_amount":"1024","template":"t"})",
     {{"memory_amount", "expected an integer"}}},
    {R"({"zone":"z","plan":"p"})",
     {{"template", "missing (or give storage_devices)"}}},
    {R"({"zone":"z","plan":"p","template":"t","storage_devices":[{}]})",
     {{"template", "give either template or storage_devices"}}},
    {R"({"zone":"z","plan":"p","storage_devices":[1],"disk_size":3})",
     {{"disk_size", "only allowed with template"},
      {"storage_devices[0]", "expected an object"}}},
    {R"({"zone":"z","plan":"p","template":"t","title":"x","colour":"red"})",
     {{"title", "set by dynserv; remove it"}, {"colour", "unknown key"}}},
    {R"({"zone":"z","plan":"p","template":"t","metadata":"maybe"})",
     {{"metadata", "expected true, false, \"yes\" or \"no\""}}},
    {R"({"zone":"z","plan":"p","template":"t","labels":{"a":1}})",
     {{"labels", "expected an object of strings"}}},
    {R"([])", {{"", "expected an object"}}},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.spec) {
      auto got = validate_server_spec("upcloud", r.spec);
      BOOST_CHECK_EQUAL(got.size(), r.problems.size());
      for (size_t i = 0; i < std::min(got.size(), r.problems.size()); ++i) {
        BOOST_CHECK_EQUAL(got[i].first, r.problems[i].first);
        BOOST_CHECK_EQUAL(got[i].second, r.problems[i].second);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(capabilities_and_factory) {
  auto caps = cloud->capabilities();
  BOOST_CHECK(caps.list_by_labels);
  BOOST_CHECK(!caps.delete_running);
  BOOST_CHECK(caps.start_stopped);
  BOOST_CHECK(caps.reboot);
  auto p = make_upcloud_provider(opts, make_scripted_transport(script));
  BOOST_REQUIRE(p != nullptr);
  BOOST_CHECK_EQUAL(p->type_name(), "upcloud");
  BOOST_CHECK(is_cloud_provider_type("upcloud"));
  BOOST_CHECK(!is_cloud_provider_type("simulated"));
  BOOST_CHECK_EQUAL(default_base_url("upcloud"), "https://api.upcloud.com/1.3");
}

BOOST_AUTO_TEST_CASE(secrets_stay_out_of_errors) {
  script->answer(401, R"({"error":{"error_code":"AUTHENTICATION_FAILED",)"
                      R"("error_message":"Authentication failed"}})");
  auto reply = cloud->get(uuid);
  BOOST_CHECK_EQUAL(reply.error.message.find("s3cret"), std::string::npos);
  BOOST_CHECK_EQUAL(reply.error.message.find("YXBpLXVzZXI6czNjcmV0"),
                    std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
