// The simulated DigitalOcean API: wire format, actions, pending events,
// filters, pagination and eventual consistency.
#include <boost/test/unit_test.hpp>

#include "tests/cloudsim/sim_fixture.hpp"

using namespace dynserv;
using namespace dynserv::cloudsim;
using namespace dynserv::cloudsim::test;

namespace {

struct do_fixture : sim_fixture {
  int64_t create(const std::string& name,
                 const std::string& tags = R"(["ctl"])") {
    auto res = digitalocean("POST", "/droplets",
                            R"({"name":")" + name
                              + R"(","region":"fra1","size":"s-1vcpu-1gb",
                                  "image":"ubuntu-24-04-x64","tags":)"
                              + tags + "}");
    BOOST_REQUIRE_MESSAGE(res.status == 202, res.body);
    return at(parse(res)["droplet"], "id").GetInt64();
  }

  std::string status_of(int64_t id) {
    auto res = digitalocean("GET", "/droplets/" + std::to_string(id));
    if (res.status != 200)
      return "status " + std::to_string(res.status);
    return str_at(parse(res)["droplet"], "status");
  }

  int64_t active(const std::string& name) {
    auto id = create(name);
    advance(91);
    BOOST_REQUIRE_EQUAL(status_of(id), "active");
    return id;
  }

  http_response action(int64_t id, const std::string& type) {
    return digitalocean("POST", "/droplets/" + std::to_string(id) + "/actions",
                        R"({"type":")" + type + "\"}");
  }

  std::string names(const std::string& query) {
    auto res = digitalocean("GET", "/droplets" + query);
    BOOST_REQUIRE_MESSAGE(res.status == 200, res.body);
    std::string out;
    for (auto& s : parse(res)["droplets"].GetArray())
      out += (out.empty() ? "" : ",") + str_at(s, "name");
    return out;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(digitalocean_tests, do_fixture)

BOOST_AUTO_TEST_CASE(create_answers_202_with_links_actions) {
  auto res
    = digitalocean("POST", "/droplets",
                   R"({"name":"ds-1","region":"fra1","size":"s-2vcpu-4gb",
                              "image":"ubuntu-24-04-x64","tags":["ctl","dynserv-id:abc"],
                              "user_data":"#cloud-config"})");
  BOOST_TEST(res.status == 202);
  BOOST_TEST(header(res, "Content-Type") == "application/json; charset=utf-8");
  auto body = parse(res);
  auto& d = body["droplet"];
  BOOST_TEST(at(d, "id").IsInt64());
  BOOST_TEST(str_at(d, "status") == "new");
  BOOST_TEST(at(d, "locked").GetBool());
  BOOST_TEST(at(d, "vcpus").GetInt() == 2);
  BOOST_TEST(at(d, "memory").GetInt() == 4096);
  BOOST_TEST(str_at(d, "size_slug") == "s-2vcpu-4gb");
  BOOST_TEST(str_at(at(d, "region"), "slug") == "fra1");
  BOOST_TEST(at(d, "tags").Size() == 2u);
  BOOST_TEST(at(at(d, "networks"), "v4").Size() == 0u);
  auto& links = at(body["links"], "actions");
  BOOST_REQUIRE_EQUAL(links.Size(), 1u);
  BOOST_TEST(str_at(links[0], "rel") == "create");
  auto aid = at(links[0], "id").GetUint64();
  BOOST_TEST(str_at(links[0], "href")
             == "http://127.0.0.1:9999/digitalocean/v2/actions/"
                  + std::to_string(aid));
  auto act = parse(digitalocean("GET", "/actions/" + std::to_string(aid)));
  BOOST_TEST(str_at(act["action"], "status") == "in-progress");
  BOOST_TEST(str_at(act["action"], "type") == "create");
  BOOST_TEST(at(act["action"], "completed_at").IsNull());
}

BOOST_AUTO_TEST_CASE(create_becomes_active_with_a_public_address) {
  auto id = create("ds-1");
  advance(29);
  BOOST_TEST(status_of(id) == "new");
  advance(62);
  BOOST_TEST(status_of(id) == "active");
  auto d = parse(digitalocean("GET", "/droplets/" + std::to_string(id)));
  auto& v4 = at(at(d["droplet"], "networks"), "v4");
  BOOST_REQUIRE(v4.Size() >= 1u);
  BOOST_TEST(str_at(v4[0], "type") == "public");
  BOOST_TEST(!at(d["droplet"], "locked").GetBool());
}

BOOST_AUTO_TEST_CASE(actions_answer_201_and_refuse_a_second_with_422) {
  auto id = active("ds-1");
  auto res = action(id, "power_off");
  BOOST_TEST(res.status == 201);
  auto a = parse(res);
  BOOST_TEST(str_at(a["action"], "status") == "in-progress");
  BOOST_TEST(str_at(a["action"], "type") == "power_off");
  BOOST_TEST(str_at(a["action"], "resource_type") == "droplet");
  BOOST_TEST(at(a["action"], "resource_id").GetInt64() == id);
  auto busy = action(id, "power_on");
  BOOST_TEST(busy.status == 422);
  auto err = parse(busy);
  BOOST_TEST(str_at(err.doc, "id") == "unprocessable_entity");
  BOOST_TEST(str_at(err.doc, "message")
             == "Droplet already has a pending event.");
  advance(31);
  BOOST_TEST(status_of(id) == "off");
  auto aid = at(a["action"], "id").GetUint64();
  auto done = parse(digitalocean("GET", "/droplets/" + std::to_string(id)
                                          + "/actions/" + std::to_string(aid)));
  BOOST_TEST(str_at(done["action"], "status") == "completed");
  BOOST_TEST(action(id, "power_on").status == 201);
  advance(31);
  BOOST_TEST(status_of(id) == "active");
  BOOST_TEST(action(id, "reboot").status == 201);
  BOOST_TEST(action(id, "hibernate").status == 422);
}

BOOST_AUTO_TEST_CASE(delete_answers_204_then_404) {
  auto id = active("ds-1");
  BOOST_TEST(action(id, "shutdown").status == 201);
  auto res = digitalocean("DELETE", "/droplets/" + std::to_string(id));
  BOOST_TEST(res.status == 204);
  BOOST_TEST(res.body.empty());
  auto gone = digitalocean("GET", "/droplets/" + std::to_string(id));
  BOOST_TEST(gone.status == 404);
  BOOST_TEST(str_at(parse(gone).doc, "id") == "not_found");
}

BOOST_AUTO_TEST_CASE(tag_name_and_name_filters) {
  create("web-01", R"(["ctl","web"])");
  create("Web-02", R"(["ctl"])");
  create("db-01", R"(["other"])");
  BOOST_TEST(names("?tag_name=ctl") == "web-01,Web-02");
  BOOST_TEST(names("?tag_name=web") == "web-01");
  BOOST_TEST(names("?name=web-02") == "Web-02");
  BOOST_TEST(names("?name=web") == "");
  auto both = digitalocean("GET", "/droplets?tag_name=ctl&name=web-01");
  BOOST_TEST(both.status == 400);
  BOOST_TEST(str_at(parse(both).doc, "id") == "bad_request");
}

BOOST_AUTO_TEST_CASE(pagination_with_links_pages_and_meta_total) {
  for (int i = 0; i < 5; ++i)
    create("d" + std::to_string(i));
  auto res = digitalocean("GET", "/droplets?tag_name=ctl&per_page=2&page=2");
  auto body = parse(res);
  BOOST_TEST(body["droplets"].Size() == 2u);
  BOOST_TEST(str_at(body["droplets"][0], "name") == "d2");
  BOOST_TEST(at(body["meta"], "total").GetInt() == 5);
  auto& pages = at(body["links"], "pages");
  BOOST_TEST(str_at(pages, "next")
             == "http://127.0.0.1:9999/digitalocean/v2/"
                "droplets?tag_name=ctl&page=3&per_page=2");
  BOOST_TEST(str_at(pages, "last").find("page=3") != std::string::npos);
  BOOST_TEST(str_at(pages, "prev").find("page=1") != std::string::npos);
  BOOST_TEST(str_at(pages, "first").find("page=1") != std::string::npos);
  auto last = parse(digitalocean("GET", "/droplets?per_page=2&page=3"));
  BOOST_TEST(at(at(last["links"], "pages"), "next").IsNull());
  auto all = parse(digitalocean("GET", "/droplets"));
  BOOST_TEST(all["droplets"].Size() == 5u);
  BOOST_TEST(at(all["links"], "pages").IsNull());
  for (int i = 5; i < 25; ++i)
    create("d" + std::to_string(i));
  BOOST_TEST(parse(digitalocean("GET", "/droplets"))["droplets"].Size() == 20u);
  BOOST_TEST(
    parse(digitalocean("GET", "/droplets?per_page=500"))["droplets"].Size()
    == 25u);
}

BOOST_AUTO_TEST_CASE(new_droplets_are_invisible_during_the_consistency_window) {
  BOOST_REQUIRE_EQUAL(
    control("PUT", "/consistency_delay", R"({"seconds":5})").status, 200);
  auto id = create("ds-1");
  BOOST_TEST(status_of(id) == "status 404");
  BOOST_TEST(names("?tag_name=ctl") == "");
  BOOST_TEST(action(id, "power_off").status == 404);
  advance(5);
  BOOST_TEST(status_of(id) == "new");
  BOOST_TEST(names("?tag_name=ctl") == "ds-1");
}

BOOST_AUTO_TEST_CASE(auth_errors_and_request_ids) {
  auto res = send("GET", "/digitalocean/v2/droplets").response;
  BOOST_TEST(res.status == 401);
  auto body = parse(res);
  BOOST_TEST(str_at(body.doc, "id") == "unauthorized");
  BOOST_TEST(str_at(body.doc, "request_id") == header(res, "x-request-id"));
  auto garbage = digitalocean("POST", "/droplets", "nope");
  BOOST_TEST(garbage.status == 400);
  BOOST_TEST(str_at(parse(garbage).doc, "id") == "bad_request");
  auto missing = digitalocean("POST", "/droplets", R"({"name":"x"})");
  BOOST_TEST(missing.status == 422);
  BOOST_TEST(str_at(parse(missing).doc, "id") == "unprocessable_entity");
  BOOST_TEST(digitalocean("GET", "/volumes").status == 404);
  BOOST_TEST(digitalocean("GET", "/droplets/1").status == 404);
}

BOOST_AUTO_TEST_CASE(names_create_several_and_tags_delete_in_bulk) {
  auto res
    = digitalocean("POST", "/droplets",
                   R"({"names":["a","b"],"region":"fra1","size":"s-1vcpu-1gb",
                              "image":123456,"tags":["batch"]})");
  BOOST_TEST(res.status == 202);
  auto body = parse(res);
  BOOST_TEST(body["droplets"].Size() == 2u);
  BOOST_TEST(at(body["links"], "actions").Size() == 2u);
  BOOST_TEST(names("?tag_name=batch") == "a,b");
  auto off = digitalocean("POST", "/droplets/actions?tag_name=batch",
                          R"({"type":"power_off"})");
  BOOST_TEST(off.status == 201);
  // Both droplets are still being created: the bulk action skips them.
  BOOST_TEST(parse(off)["actions"].Size() == 0u);
  BOOST_TEST(digitalocean("DELETE", "/droplets?tag_name=batch").status == 204);
  BOOST_TEST(names("") == "");
  BOOST_TEST(digitalocean("DELETE", "/droplets").status == 400);
}

BOOST_AUTO_TEST_CASE(account_reports_the_droplet_limit) {
  BOOST_REQUIRE_EQUAL(control("PUT", "/max_servers",
                              R"({"provider":"digitalocean","max":7})")
                        .status,
                      200);
  auto body = parse(digitalocean("GET", "/account"));
  BOOST_TEST(at(body["account"], "droplet_limit").GetInt() == 7);
}

BOOST_AUTO_TEST_SUITE_END()
