// The control API (/_sim/...), the request log and the core's routing.
#include <boost/test/unit_test.hpp>

#include "tests/cloudsim/sim_fixture.hpp"

using namespace dynserv;
using namespace dynserv::cloudsim;
using namespace dynserv::cloudsim::test;

BOOST_FIXTURE_TEST_SUITE(control_tests, sim_fixture)

BOOST_AUTO_TEST_CASE(orphans_can_be_precreated_and_are_found_by_label) {
  auto res = control("POST", "/servers",
                     R"({"provider":"upcloud","name":"orphan-1",
                         "labels":{"managed-by":"ctl","dynserv-id":"x"},"state":"stopped"})");
  BOOST_TEST(res.status == 201);
  auto s = parse(res);
  BOOST_TEST(str_at(s.doc, "state") == "stopped");
  auto uuid = str_at(s.doc, "id");
  auto list = parse(upcloud("GET", "/server?label=dynserv-id%3Dx"));
  BOOST_REQUIRE_EQUAL(at(list["servers"], "server").Size(), 1u);
  BOOST_TEST(str_at(at(list["servers"], "server")[0], "uuid") == uuid);
  BOOST_TEST(upcloud("DELETE", "/server/" + uuid + "?storages=1").status
             == 204);
  BOOST_TEST(control("POST", "/servers",
                     R"({"provider":"hetzner","name":"h","labels":{"a":"b"}})")
               .status
             == 201);
  BOOST_TEST(
    control("POST", "/servers", R"({"provider":"hetzner","name":"h"})").status
    == 409);
  auto d = control(
    "POST", "/servers",
    R"({"provider":"digitalocean","name":"d","tags":["ctl"],"state":"off"})");
  BOOST_TEST(d.status == 201);
  BOOST_TEST(
    str_at(parse(digitalocean("GET", "/droplets?tag_name=ctl"))["droplets"][0],
           "status")
    == "off");
  BOOST_TEST(control("POST", "/servers",
                     R"({"provider":"hetzner","name":"z","state":"started"})")
               .status
             == 400);
  BOOST_TEST(
    control("POST", "/servers", R"({"provider":"aws","name":"z"})").status
    == 400);
  BOOST_TEST(control("POST", "/servers", "{{").status == 400);
}

BOOST_AUTO_TEST_CASE(inventory_lists_every_provider) {
  control("POST", "/servers", R"({"provider":"upcloud","name":"u"})");
  control("POST", "/servers",
          R"({"provider":"hetzner","name":"h","labels":{"k":"v"}})");
  control("POST", "/servers", R"({"provider":"digitalocean","name":"d"})");
  auto inv = parse(control("GET", "/inventory"));
  auto& servers = inv["servers"];
  BOOST_REQUIRE_EQUAL(servers.Size(), 3u);
  BOOST_TEST(str_at(servers[0], "provider") == "upcloud");
  BOOST_TEST(str_at(servers[0], "state") == "started");
  BOOST_TEST(str_at(servers[1], "provider") == "hetzner");
  BOOST_TEST(str_at(at(servers[1], "labels"), "k") == "v");
  BOOST_TEST(str_at(servers[2], "provider") == "digitalocean");
  BOOST_TEST(str_at(servers[2], "state") == "active");
  BOOST_TEST(at(servers[2], "created").IsInt64());
  BOOST_TEST(at(servers[2], "id").IsString());
  BOOST_TEST(control("GET", "/inventory?provider=aws").status == 400);
}

BOOST_AUTO_TEST_CASE(force_state_overrides_pending_steps) {
  auto res = hetzner("POST", "/servers",
                     R"({"name":"h","server_type":"cx22","image":"x"})");
  auto id = at(parse(res)["server"], "id").GetInt64();
  auto forced = control("POST", "/force_state",
                        R"({"provider":"hetzner","id":)" + std::to_string(id)
                          + R"(,"state":"unknown"})");
  BOOST_TEST(forced.status == 200);
  BOOST_TEST(!at(parse(forced).doc, "locked").GetBool());
  advance(600);
  auto s = parse(hetzner("GET", "/servers/" + std::to_string(id)));
  BOOST_TEST(str_at(s["server"], "status") == "unknown");
  BOOST_TEST(control("POST", "/force_state",
                     R"({"provider":"hetzner","id":"1","state":"off"})")
               .status
             == 404);
  BOOST_TEST(control("POST", "/force_state",
                     R"({"provider":"hetzner","id":"1","state":"dancing"})")
               .status
             == 400);
}

BOOST_AUTO_TEST_CASE(clock_advances_and_scales) {
  auto before = parse(control("GET", "/clock"));
  BOOST_TEST(before["time_scale"].GetDouble() == 0.0);
  auto t0 = before["now_ms"].GetInt64();
  *real += 5000;
  BOOST_TEST(parse(control("GET", "/clock"))["now_ms"].GetInt64() == t0);
  auto after = parse(control("POST", "/advance", R"({"seconds":90})"));
  BOOST_TEST(after["now_ms"].GetInt64() == t0 + 90000);
  BOOST_TEST(control("POST", "/time_scale", R"({"factor":10})").status == 200);
  *real += 1000;
  BOOST_TEST(parse(control("GET", "/clock"))["now_ms"].GetInt64()
             == t0 + 100000);
  BOOST_TEST(control("POST", "/advance", R"({"seconds":-1})").status == 400);
  BOOST_TEST(control("POST", "/time_scale", R"({"factor":"x"})").status == 400);
}

BOOST_AUTO_TEST_CASE(time_scale_drives_state_machines_lazily) {
  control("POST", "/time_scale", R"({"factor":100})");
  auto res = digitalocean(
    "POST", "/droplets",
    R"({"name":"d","region":"fra1","size":"s-1vcpu-1gb","image":"x"})");
  auto id = std::to_string(at(parse(res)["droplet"], "id").GetInt64());
  *real += 1000; // 100 virtual seconds
  auto d = parse(digitalocean("GET", "/droplets/" + id));
  BOOST_TEST(str_at(d["droplet"], "status") == "active");
}

BOOST_AUTO_TEST_CASE(request_log_records_and_pages) {
  upcloud("GET", "/server");
  hetzner("GET", "/servers");
  send("GET", "/digitalocean/v2/droplets");
  *real += 7;
  hetzner("GET", "/servers/1");
  auto log = parse(control("GET", "/requests?since=0"));
  BOOST_REQUIRE_EQUAL(log["requests"].Size(), 4u);
  auto& first = log["requests"][0];
  BOOST_TEST(at(first, "seq").GetUint64() == 1u);
  BOOST_TEST(str_at(first, "provider") == "upcloud");
  BOOST_TEST(str_at(first, "method") == "GET");
  BOOST_TEST(str_at(first, "path") == "/upcloud/1.3/server");
  BOOST_TEST(at(first, "status").GetInt() == 200);
  BOOST_TEST(at(log["requests"][2], "status").GetInt() == 401);
  BOOST_TEST(at(log["requests"][3], "real_ms").GetInt64()
             == at(first, "real_ms").GetInt64() + 7);
  auto tail = parse(control("GET", "/requests?since=3"));
  BOOST_REQUIRE_EQUAL(tail["requests"].Size(), 1u);
  BOOST_TEST(at(tail["requests"][0], "status").GetInt() == 404);
  BOOST_TEST(tail["last_seq"].GetUint64() == 4u);
  BOOST_TEST(
    parse(control("GET", "/requests?provider=hetzner"))["requests"].Size()
    == 2u);
  // Control requests are not logged.
  BOOST_TEST(parse(control("GET", "/requests"))["last_seq"].GetUint64() == 4u);
}

BOOST_AUTO_TEST_CASE(request_log_is_bounded) {
  reset([](sim_options& o) { o.request_log_capacity = 3; });
  for (int i = 0; i < 5; ++i)
    hetzner("GET", "/servers");
  auto log = parse(control("GET", "/requests?since=0"));
  BOOST_REQUIRE_EQUAL(log["requests"].Size(), 3u);
  BOOST_TEST(at(log["requests"][0], "seq").GetUint64() == 3u);
  BOOST_TEST(log["last_seq"].GetUint64() == 5u);
}

BOOST_AUTO_TEST_CASE(unknown_paths_and_garbage_never_crash) {
  auto plain = send("GET", "/aws/v1/instances").response;
  BOOST_TEST(plain.status == 404);
  BOOST_TEST(control("GET", "/nothing").status == 404);
  BOOST_TEST(control("POST", "/advance", "garbage").status == 400);
  BOOST_TEST(
    control("PUT", "/rate_limits", R"({"hetzner":{"capacity":-1}})").status
    == 400);
  BOOST_TEST(control("PUT", "/consistency_delay", R"({"seconds":"x"})").status
             == 400);
  BOOST_TEST(control("PUT", "/max_servers", R"({"max":-3})").status == 400);
  BOOST_TEST(control("PUT", "/latency", R"({"enabled":1})").status == 400);
  for (auto target :
       {"/upcloud/1.3", "/upcloud/1.3/", "/hetzner/v1/servers/abc/def/ghi",
        "/digitalocean/v2/droplets/%zz", "/upcloud/1.3/server/%00",
        "/hetzner/v1/servers?page=99999999999999999999",
        "/digitalocean/v2/droplets?per_page=-1",
        "/hetzner/v1/servers/-1/actions/poweron"}) {
    for (auto method : {"GET", "POST", "PUT", "DELETE", "PATCH"}) {
      auto r = send(method, target, "\x01\x02{", "Bearer test-token");
      BOOST_TEST(r.response.status >= 400);
      BOOST_TEST(r.response.status < 500);
    }
  }
}

BOOST_AUTO_TEST_CASE(budget_reports_every_provider) {
  hetzner("GET", "/servers");
  digitalocean("GET", "/droplets");
  auto b = parse(control("GET", "/budget"));
  BOOST_TEST(b["enabled"].GetBool());
  BOOST_TEST(at(b["hetzner"], "remaining").GetInt64() == 3599);
  BOOST_TEST(at(b["digitalocean"], "remaining").GetInt64() == 4999);
  BOOST_TEST(at(b["digitalocean"], "remaining_minute").GetInt64() == 249);
  BOOST_TEST(!at(b["upcloud"], "limited").GetBool());
  BOOST_TEST(at(b["upcloud"], "requests").GetUint64() == 0u);
}

BOOST_AUTO_TEST_CASE(response_latency_is_scaled) {
  reset([](sim_options& o) {
    o.response_latency = true;
    o.time_scale = 1;
  });
  int64_t total = 0;
  for (int i = 0; i < 20; ++i) {
    auto r = send("GET", "/hetzner/v1/servers", "", "Bearer test-token");
    BOOST_TEST(r.delay.count() >= 50);
    BOOST_TEST(r.delay.count() <= 10000);
    total += r.delay.count();
  }
  BOOST_TEST(total > 0);
  control("PUT", "/latency", R"({"enabled":false})");
  BOOST_TEST(
    send("GET", "/hetzner/v1/servers", "", "Bearer test-token").delay.count()
    == 0);
}

BOOST_AUTO_TEST_SUITE_END()
