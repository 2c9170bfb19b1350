// Fault injection: every fault kind on the providers it applies to.
#include <boost/test/unit_test.hpp>

#include "tests/cloudsim/sim_fixture.hpp"

using namespace dynserv;
using namespace dynserv::cloudsim;
using namespace dynserv::cloudsim::test;

namespace {

const std::string upcloud_create = R"({"server":{"zone":"de-fra1","title":"u1",
  "hostname":"u1","plan":"1xCPU-1GB",
  "labels":{"label":[{"key":"dynserv-id","value":"r1"}]},
  "storage_devices":{"storage_device":[{"action":"clone",
    "storage":"01000000-0000-4000-8000-000020060100","size":25}]}}})";

const std::string hetzner_create
  = R"({"name":"h1","server_type":"cx22","image":"ubuntu-24.04","labels":{"dynserv-id":"r1"}})";

const std::string do_create
  = R"({"name":"d1","region":"fra1","size":"s-1vcpu-1gb","image":"ubuntu-24-04-x64","tags":["ctl"]})";

struct fault_fixture : sim_fixture {
  size_t servers(const std::string& provider) {
    auto inv = parse(control("GET", "/inventory?provider=" + provider));
    return inv["servers"].Size();
  }

  std::string inventory_state(const std::string& provider, size_t i = 0) {
    auto inv = parse(control("GET", "/inventory?provider=" + provider));
    if (inv["servers"].Size() <= i)
      return "<none>";
    return str_at(inv["servers"][i], "state");
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(fault_tests, fault_fixture)

BOOST_AUTO_TEST_CASE(http_errors_with_json_and_html_bodies_fire_count_times) {
  fault(
    R"({"provider":"hetzner","op":"list","kind":"http_error","status":503,"count":1})");
  auto res = hetzner("GET", "/servers");
  BOOST_TEST(res.status == 503);
  BOOST_TEST(str_at(at(parse(res).doc, "error"), "code") == "unavailable");
  BOOST_TEST(hetzner("GET", "/servers").status == 200);
  fault(
    R"({"provider":"upcloud","kind":"http_error","status":502,"format":"html"})");
  auto html = upcloud("GET", "/server");
  BOOST_TEST(html.status == 502);
  BOOST_TEST(header(html, "Content-Type") == "text/html");
  BOOST_TEST(html.body.find("502 Bad Gateway") != std::string::npos);
  fault(
    R"({"provider":"digitalocean","kind":"http_error","status":500,"count":2})");
  auto d = digitalocean("GET", "/droplets");
  BOOST_TEST(d.status == 500);
  BOOST_TEST(str_at(parse(d).doc, "id") == "server_error");
  BOOST_TEST(digitalocean("GET", "/droplets").status == 500);
  BOOST_TEST(digitalocean("GET", "/droplets").status == 200);
  fault(
    R"({"provider":"hetzner","kind":"http_error","status":504,"method":"POST"})");
  BOOST_TEST(hetzner("GET", "/servers").status == 200);
  auto timeout = hetzner("POST", "/servers", hetzner_create);
  BOOST_TEST(timeout.status == 504);
  BOOST_TEST(str_at(at(parse(timeout).doc, "error"), "code") == "timeout");
  BOOST_TEST(servers("hetzner") == 0u);
}

BOOST_AUTO_TEST_CASE(drop_and_hang_do_not_process_the_request) {
  fault(R"({"provider":"hetzner","op":"create","kind":"drop","count":1})");
  auto dropped = send("POST", "/hetzner/v1/servers", hetzner_create,
                      "Bearer test-token");
  BOOST_TEST(dropped.drop_connection);
  BOOST_TEST(servers("hetzner") == 0u);
  fault(R"({"provider":"hetzner","op":"create","kind":"hang","count":1})");
  auto hung = send("POST", "/hetzner/v1/servers", hetzner_create,
                   "Bearer test-token");
  BOOST_TEST(hung.drop_connection);
  BOOST_TEST(hung.delay.count() == 600000);
  BOOST_TEST(servers("hetzner") == 0u);
  auto log = parse(control("GET", "/requests"));
  BOOST_REQUIRE_EQUAL(log["requests"].Size(), 2u);
  BOOST_TEST(at(log["requests"][0], "status").GetInt() == 0);
  BOOST_TEST(!at(log["requests"][0], "dropped").GetBool());
  BOOST_TEST(at(log["requests"][0], "faults").Size() == 1u);
}

BOOST_AUTO_TEST_CASE(delay_adds_latency_to_a_processed_request) {
  fault(R"({"provider":"digitalocean","kind":"delay","delay_ms":2500})");
  auto r = send("GET", "/digitalocean/v2/droplets", "", "Bearer test-token");
  BOOST_TEST(r.response.status == 200);
  BOOST_TEST(!r.drop_connection);
  BOOST_TEST(r.delay.count() == 2500);
}

BOOST_AUTO_TEST_CASE(lost_response_commits_the_create) {
  fault(R"({"kind":"lost_response","op":"create","count":3})");
  auto u = send("POST", "/upcloud/1.3/server", upcloud_create,
                "Basic " + base64("dynserv:secret"));
  auto h = send("POST", "/hetzner/v1/servers", hetzner_create,
                "Bearer test-token");
  auto d = send("POST", "/digitalocean/v2/droplets", do_create,
                "Bearer test-token");
  BOOST_TEST(u.drop_connection);
  BOOST_TEST(h.drop_connection);
  BOOST_TEST(d.drop_connection);
  BOOST_TEST(servers("upcloud") == 1u);
  BOOST_TEST(servers("hetzner") == 1u);
  BOOST_TEST(servers("digitalocean") == 1u);
  // The client recovers by label / name / tag.
  auto found = parse(upcloud("GET", "/server?label=dynserv-id%3Dr1"));
  BOOST_TEST(at(found["servers"], "server").Size() == 1u);
  BOOST_TEST(hetzner("POST", "/servers", hetzner_create).status == 409);
  auto log = parse(control("GET", "/requests?provider=upcloud"));
  BOOST_TEST(at(log["requests"][0], "dropped").GetBool());
}

BOOST_AUTO_TEST_CASE(stuck_servers_never_leave_their_transitional_state) {
  fault(R"({"kind":"stuck","op":"create"})");
  BOOST_TEST(upcloud("POST", "/server", upcloud_create).status == 202);
  BOOST_TEST(hetzner("POST", "/servers", hetzner_create).status == 201);
  BOOST_TEST(digitalocean("POST", "/droplets", do_create).status == 202);
  advance(7200);
  BOOST_TEST(inventory_state("upcloud") == "maintenance");
  BOOST_TEST(inventory_state("hetzner") == "initializing");
  BOOST_TEST(inventory_state("digitalocean") == "new");
  auto inv = parse(control("GET", "/inventory?provider=hetzner"));
  BOOST_TEST(at(inv["servers"][0], "locked").GetBool());
}

BOOST_AUTO_TEST_CASE(upcloud_error_state_recovers) {
  fault(
    R"({"provider":"upcloud","op":"create","kind":"error_state","recover_after":120})");
  BOOST_TEST(upcloud("POST", "/server", upcloud_create).status == 202);
  BOOST_TEST(inventory_state("upcloud") == "error");
  advance(119);
  BOOST_TEST(inventory_state("upcloud") == "error");
  advance(1);
  BOOST_TEST(inventory_state("upcloud") == "started");
}

BOOST_AUTO_TEST_CASE(hetzner_action_error_after_201) {
  fault(R"({"provider":"hetzner","op":"create","kind":"action_error"})");
  auto res = hetzner("POST", "/servers", hetzner_create);
  BOOST_TEST(res.status == 201);
  auto action = at(parse(res)["action"], "id").GetUint64();
  advance(60);
  auto a = parse(hetzner("GET", "/actions/" + std::to_string(action)));
  BOOST_TEST(str_at(a["action"], "status") == "error");
  BOOST_TEST(str_at(at(a["action"], "error"), "code") == "action_failed");
  BOOST_TEST(inventory_state("hetzner") == "off");
}

BOOST_AUTO_TEST_CASE(digitalocean_action_error) {
  digitalocean("POST", "/droplets", do_create);
  advance(91);
  auto id = parse(control("GET", "/inventory?provider=digitalocean"));
  auto sid = str_at(id["servers"][0], "id");
  fault(R"({"provider":"digitalocean","op":"stop","kind":"action_error"})");
  auto res = digitalocean("POST", "/droplets/" + sid + "/actions",
                          R"({"type":"power_off"})");
  BOOST_TEST(res.status == 201);
  advance(31);
  auto a = parse(digitalocean(
    "GET",
    "/actions/" + std::to_string(at(parse(res)["action"], "id").GetUint64())));
  BOOST_TEST(str_at(a["action"], "status") == "errored");
  BOOST_TEST(inventory_state("digitalocean") == "active");
}

BOOST_AUTO_TEST_CASE(soft_stop_ignored_by_the_guest) {
  upcloud("POST", "/server", upcloud_create);
  hetzner("POST", "/servers", hetzner_create);
  digitalocean("POST", "/droplets", do_create);
  advance(601);
  auto id = [&](const char* p) {
    return str_at(parse(control("GET", std::string{"/inventory?provider="}
                                         + p))["servers"][0],
                  "id");
  };
  fault(R"({"kind":"soft_stop_ignored"})");
  auto u = upcloud("POST", "/server/" + id("upcloud") + "/stop",
                   R"({"stop_server":{"stop_type":"soft","timeout":"120"}})");
  BOOST_TEST(u.status == 200);
  BOOST_TEST(
    hetzner("POST", "/servers/" + id("hetzner") + "/actions/shutdown", "{}")
      .status
    == 201);
  BOOST_TEST(digitalocean("POST",
                          "/droplets/" + id("digitalocean") + "/actions",
                          R"({"type":"shutdown"})")
               .status
             == 201);
  advance(119);
  BOOST_TEST(inventory_state("upcloud") == "started");
  advance(10);
  // UpCloud hard-stops at the timeout; the others stay up.
  BOOST_TEST(inventory_state("upcloud") == "stopped");
  BOOST_TEST(inventory_state("hetzner") == "running");
  BOOST_TEST(inventory_state("digitalocean") == "active");
}

BOOST_AUTO_TEST_CASE(quota_errors_per_provider) {
  auto code_of = [&](const http_response& res) {
    return str_at(at(parse(res).doc, "error"), "error_code");
  };
  fault(R"({"provider":"upcloud","kind":"quota","count":1})");
  auto r1 = upcloud("POST", "/server", upcloud_create);
  BOOST_TEST(r1.status == 409);
  BOOST_TEST(code_of(r1) == "SERVER_RESOURCES_UNAVAILABLE");
  fault(
    R"({"provider":"upcloud","kind":"quota","code":"SERVER_CREATING_LIMIT_REACHED","count":1})");
  auto r2 = upcloud("POST", "/server", upcloud_create);
  BOOST_TEST(r2.status == 409);
  BOOST_TEST(code_of(r2) == "SERVER_CREATING_LIMIT_REACHED");
  fault(
    R"({"provider":"upcloud","kind":"quota","code":"INSUFFICIENT_CREDITS","count":1})");
  BOOST_TEST(upcloud("POST", "/server", upcloud_create).status == 402);
  fault(
    R"({"provider":"upcloud","kind":"quota","code":"SERVER_MEMORY_LIMIT_REACHED","count":1})");
  auto r4 = upcloud("POST", "/server", upcloud_create);
  BOOST_TEST(r4.status == 403);
  BOOST_TEST(code_of(r4) == "SERVER_MEMORY_LIMIT_REACHED");
  fault(R"({"provider":"hetzner","kind":"quota","count":1})");
  auto h1 = hetzner("POST", "/servers", hetzner_create);
  BOOST_TEST(h1.status == 403);
  BOOST_TEST(str_at(at(parse(h1).doc, "error"), "code")
             == "resource_limit_exceeded");
  fault(
    R"({"provider":"hetzner","kind":"quota","code":"unavailable","count":1})");
  BOOST_TEST(hetzner("POST", "/servers", hetzner_create).status == 503);
  fault(R"({"provider":"digitalocean","kind":"quota","count":1})");
  auto d1 = digitalocean("POST", "/droplets", do_create);
  BOOST_TEST(d1.status == 422);
  BOOST_TEST(str_at(parse(d1).doc, "id") == "unprocessable_entity");
  BOOST_TEST(servers("upcloud") + servers("hetzner") + servers("digitalocean")
             == 0u);
}

BOOST_AUTO_TEST_CASE(max_servers_quota) {
  control("PUT", "/max_servers", R"({"max":1})");
  BOOST_TEST(upcloud("POST", "/server", upcloud_create).status == 202);
  auto u = upcloud("POST", "/server", upcloud_create);
  BOOST_TEST(u.status == 403);
  BOOST_TEST(str_at(at(parse(u).doc, "error"), "error_code")
             == "SERVER_CORE_LIMIT_REACHED");
  BOOST_TEST(hetzner("POST", "/servers", hetzner_create).status == 201);
  auto h = hetzner("POST", "/servers",
                   R"({"name":"h2","server_type":"cx22","image":"x"})");
  BOOST_TEST(h.status == 403);
  BOOST_TEST(str_at(at(parse(h).doc, "error"), "code")
             == "resource_limit_exceeded");
  BOOST_TEST(digitalocean("POST", "/droplets", do_create).status == 202);
  BOOST_TEST(digitalocean("POST", "/droplets", do_create).status == 422);
  control("PUT", "/max_servers", R"({"provider":"digitalocean","max":null})");
  BOOST_TEST(digitalocean("POST", "/droplets", do_create).status == 202);
}

BOOST_AUTO_TEST_CASE(token_revoked_gives_401_despite_valid_credentials) {
  fault(R"({"provider":"hetzner","kind":"unauthorized"})");
  auto res = hetzner("GET", "/servers");
  BOOST_TEST(res.status == 401);
  BOOST_TEST(str_at(at(parse(res).doc, "error"), "code") == "unauthorized");
  BOOST_TEST(upcloud("GET", "/server").status == 200);
}

BOOST_AUTO_TEST_CASE(upcloud_problem_json_variant) {
  fault(R"({"provider":"upcloud","kind":"problem_json"})");
  auto res = upcloud("GET", "/server/00000000-0000-4000-8000-000000000000");
  BOOST_TEST(res.status == 404);
  BOOST_TEST(header(res, "Content-Type") == "application/problem+json");
  auto body = parse(res);
  BOOST_TEST(
    str_at(body.doc, "type")
    == "https://developers.upcloud.com/1.3/errors#ERROR_SERVER_NOT_FOUND");
  BOOST_TEST(at(body.doc, "status").GetInt() == 404);
  BOOST_TEST(at(body.doc, "title").IsString());
  fault(
    R"({"provider":"upcloud","kind":"http_error","status":500,"format":"problem","count":1})");
  auto err = upcloud("GET", "/server");
  BOOST_TEST(err.status == 500);
  BOOST_TEST(str_at(parse(err).doc, "type").find("#ERROR_SERVICE_ERROR")
             != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rules_match_on_path_server_and_probability) {
  auto res = hetzner("POST", "/servers", hetzner_create);
  auto id = std::to_string(at(parse(res)["server"], "id").GetInt64());
  fault(R"({"provider":"hetzner","server":")" + id
        + R"(","kind":"http_error","status":500})");
  BOOST_TEST(hetzner("GET", "/servers/" + id).status == 500);
  BOOST_TEST(hetzner("GET", "/servers").status == 200);
  control("DELETE", "/faults");
  fault(
    R"({"provider":"hetzner","path":"/actions/","kind":"http_error","status":502})");
  BOOST_TEST(hetzner("GET", "/actions/1").status == 502);
  BOOST_TEST(hetzner("GET", "/servers/" + id).status == 200);
  control("DELETE", "/faults");
  fault(R"({"kind":"http_error","status":500,"probability":0})");
  for (int i = 0; i < 20; ++i)
    BOOST_TEST(hetzner("GET", "/servers").status == 200);
  control("DELETE", "/faults");
  // Probability 0.5 fires sometimes but not always (seeded, so stable).
  fault(
    R"({"provider":"digitalocean","kind":"http_error","status":500,"probability":0.5})");
  int failures = 0;
  for (int i = 0; i < 100; ++i)
    failures += digitalocean("GET", "/droplets").status == 500 ? 1 : 0;
  BOOST_TEST(failures > 20);
  BOOST_TEST(failures < 80);
}

BOOST_AUTO_TEST_CASE(fault_rules_are_listed_and_removed) {
  auto added = parse(control("POST", "/faults",
                             R"([{"kind":"drop","provider":"upcloud"},
                                 {"kind":"http_error","status":503,"count":2}])"));
  BOOST_REQUIRE_EQUAL(added["ids"].Size(), 2u);
  auto first = added["ids"][0].GetUint64();
  auto list = parse(control("GET", "/faults"));
  BOOST_TEST(list["faults"].Size() == 2u);
  BOOST_TEST(str_at(list["faults"][1], "kind") == "http_error");
  BOOST_TEST(at(list["faults"][1], "remaining").GetInt() == 2);
  BOOST_TEST(control("DELETE", "/faults/" + std::to_string(first)).status
             == 200);
  BOOST_TEST(control("DELETE", "/faults/999").status == 404);
  BOOST_TEST(parse(control("GET", "/faults"))["faults"].Size() == 1u);
  BOOST_TEST(control("DELETE", "/faults").status == 200);
  BOOST_TEST(parse(control("GET", "/faults"))["faults"].Size() == 0u);
  BOOST_TEST(control("POST", "/faults", R"({"kind":"explode"})").status == 400);
  BOOST_TEST(
    control("POST", "/faults", R"({"kind":"drop","provider":"aws"})").status
    == 400);
  BOOST_TEST(control("POST", "/faults", R"({"kind":"drop","colour":1})").status
             == 400);
  BOOST_TEST(
    control("POST", "/faults", R"({"kind":"http_error","status":200})").status
    == 400);
  BOOST_TEST(control("POST", "/faults", "garbage").status == 400);
}

BOOST_AUTO_TEST_SUITE_END()
