// The API facts of issue 19 as the simulator follows them: Hetzner without
// `datacenter`, `server_type` by name or id, the batch read of actions,
// `resource_locked`, and failed create actions shaped like the real clouds'
// (hcloud-go and godo test JSON).
#include <boost/test/unit_test.hpp>

#include <set>

#include "tests/cloudsim/sim_fixture.hpp"

using namespace dynserv;
using namespace dynserv::cloudsim;
using namespace dynserv::cloudsim::test;

namespace {

struct facts_fixture : sim_fixture {
  /// Creates a Hetzner server; returns the create answer.
  json_doc create(const std::string& name,
                  const std::string& type = R"("cx22")") {
    auto res = hetzner("POST", "/servers",
                       R"({"name":")" + name + R"(","server_type":)" + type
                         + R"(,"image":"ubuntu-24.04","location":"fsn1"})");
    BOOST_REQUIRE_MESSAGE(res.status == 201, res.body);
    return parse(res);
  }

  /// Ids of the actions of `answer` (action and next_actions).
  static std::vector<uint64_t> action_ids(const json_doc& answer) {
    std::vector<uint64_t> ids{at(answer["action"], "id").GetUint64()};
    for (auto& a : answer["next_actions"].GetArray())
      ids.push_back(at(a, "id").GetUint64());
    return ids;
  }

  static std::string id_query(const std::vector<uint64_t>& ids) {
    std::string q;
    for (auto id : ids)
      q += (q.empty() ? "?id=" : "&id=") + std::to_string(id);
    return q;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(api_facts_tests, facts_fixture)

BOOST_AUTO_TEST_CASE(hetzner_refuses_datacenter_on_create) {
  auto res = hetzner("POST", "/servers",
                     R"({"name":"a","server_type":"cx22","image":"i",
                         "datacenter":"fsn1-dc14"})");
  BOOST_TEST(res.status == 422);
  auto body = parse(res);
  auto& err = at(body.doc, "error");
  BOOST_TEST(str_at(err, "code") == "invalid_input");
  BOOST_TEST(str_at(at(at(err, "details"), "fields")[0], "name")
             == "datacenter");
  // Nothing was created.
  auto inv = parse(control("GET", "/inventory?provider=hetzner"));
  BOOST_TEST(inv["servers"].Size() == 0u);
}

BOOST_AUTO_TEST_CASE(hetzner_servers_have_a_location_and_no_datacenter) {
  auto answer = create("a");
  auto& s = answer["server"];
  BOOST_TEST(!s.HasMember("datacenter"));
  BOOST_TEST(str_at(at(s, "location"), "name") == "fsn1");
  BOOST_TEST(at(at(s, "server_type"), "id").GetInt64() == 104);
  auto id = std::to_string(at(s, "id").GetInt64());
  auto got = parse(hetzner("GET", "/servers/" + id));
  BOOST_TEST(!got["server"].HasMember("datacenter"));
}

BOOST_AUTO_TEST_CASE(hetzner_server_type_is_a_name_or_an_id) {
  auto by_number = create("a", "105");
  auto& t = at(by_number["server"], "server_type");
  BOOST_TEST(str_at(t, "name") == "cx32");
  BOOST_TEST(at(t, "id").GetInt64() == 105);
  BOOST_TEST(at(t, "cores").GetInt64() == 4);
  // A decimal string is an id too (hcloud-go's IDOrName).
  auto by_string = create("b", R"("22")");
  BOOST_TEST(str_at(at(by_string["server"], "server_type"), "name") == "cpx11");
  auto by_name = create("c", R"("cax11")");
  BOOST_TEST(at(at(by_name["server"], "server_type"), "id").GetInt64() == 45);
  auto unknown = hetzner("POST", "/servers",
                         R"({"name":"d","server_type":987654,"image":"i"})");
  BOOST_TEST(unknown.status == 422);
  BOOST_TEST(str_at(at(parse(unknown).doc, "error"), "code")
             == "invalid_input");
  BOOST_TEST(hetzner("POST", "/servers",
                     R"({"name":"e","server_type":true,"image":"i"})")
               .status
             == 422);
}

BOOST_AUTO_TEST_CASE(hetzner_reads_many_actions_at_once_with_pagination) {
  std::vector<uint64_t> ids;
  for (auto name : {"a", "b", "c"})
    for (auto id : action_ids(create(name)))
      ids.push_back(id);
  BOOST_REQUIRE_EQUAL(ids.size(), 6u);
  // hcloud-go's waiter: ids, page=1, sort=status&sort=id; an unknown id is
  // simply left out.
  auto q = id_query(ids) + "&id=999999999&page=1&sort=status&sort=id";
  auto res = hetzner("GET", "/actions" + q);
  BOOST_REQUIRE_MESSAGE(res.status == 200, res.body);
  auto all = parse(res);
  BOOST_REQUIRE_EQUAL(all["actions"].Size(), 6u);
  std::set<uint64_t> seen;
  for (auto& a : all["actions"].GetArray()) {
    seen.insert(at(a, "id").GetUint64());
    BOOST_TEST(str_at(a, "status") == "running");
    BOOST_TEST(at(a, "error").IsNull());
  }
  BOOST_TEST(seen.size() == 6u);
  auto& p = at(all["meta"], "pagination");
  BOOST_TEST(at(p, "total_entries").GetInt() == 6);
  BOOST_TEST(at(p, "last_page").GetInt() == 1);
  BOOST_TEST(at(p, "next_page").IsNull());
  // Pages of two: three pages, ids ascending.
  auto page2 = parse(
    hetzner("GET", "/actions" + id_query(ids) + "&per_page=2&page=2&sort=id"));
  BOOST_REQUIRE_EQUAL(page2["actions"].Size(), 2u);
  BOOST_TEST(at(page2["actions"][0], "id").GetUint64() == ids[2]);
  auto& p2 = at(page2["meta"], "pagination");
  BOOST_TEST(at(p2, "next_page").GetInt() == 3);
  BOOST_TEST(at(p2, "previous_page").GetInt() == 1);
  BOOST_TEST(
    header(hetzner("GET", "/actions" + id_query(ids) + "&per_page=2&page=2"),
           "Link")
      .find("rel=\"next\"")
    != std::string::npos);
  // Descending ids, then a status filter once creates are done.
  auto desc
    = parse(hetzner("GET", "/actions" + id_query(ids) + "&sort=id:desc"));
  BOOST_TEST(at(desc["actions"][0], "id").GetUint64() == ids.back());
  advance(121);
  auto done
    = parse(hetzner("GET", "/actions" + id_query(ids) + "&status=success"));
  BOOST_TEST(done["actions"].Size() == 6u);
  BOOST_TEST(at(done["actions"][0], "progress").GetInt() == 100);
  // The id list is required since 2025-01-30; bad values are refused.
  BOOST_TEST(hetzner("GET", "/actions").status == 422);
  BOOST_TEST(hetzner("GET", "/actions?id=x").status == 422);
  BOOST_TEST(hetzner("GET", "/actions?id=1&sort=colour").status == 422);
}

BOOST_AUTO_TEST_CASE(hetzner_resource_locked_fault_answers_423) {
  auto answer = create("a");
  auto id = std::to_string(at(answer["server"], "id").GetInt64());
  fault(R"({"provider":"hetzner","op":"delete","kind":"resource_locked",
            "count":1})");
  auto res = hetzner("DELETE", "/servers/" + id);
  BOOST_TEST(res.status == 423);
  auto& err = at(parse(res).doc, "error");
  BOOST_TEST(str_at(err, "code") == "resource_locked");
  BOOST_TEST(str_at(err, "message").find("support") != std::string::npos);
  // The rule fired once and is gone; the listing names the kind.
  auto rules = parse(control("GET", "/faults"));
  BOOST_TEST(rules["faults"].Size() == 0u);
  fault(R"({"provider":"hetzner","kind":"resource_locked","status":403,
            "message":"project locked"})");
  auto listed = parse(control("GET", "/faults"));
  BOOST_TEST(str_at(listed["faults"][0], "kind") == "resource_locked");
  auto custom = hetzner("GET", "/servers/" + id);
  BOOST_TEST(custom.status == 403);
  BOOST_TEST(str_at(at(parse(custom).doc, "error"), "message")
             == "project locked");
}

BOOST_AUTO_TEST_CASE(hetzner_failed_create_looks_like_the_real_cloud) {
  fault(R"({"provider":"hetzner","op":"create","kind":"action_error",
            "code":"unknown_error","message":"server is locked","count":1})");
  auto answer = create("a");
  auto id = std::to_string(at(answer["server"], "id").GetInt64());
  auto ids = action_ids(answer);
  BOOST_REQUIRE_EQUAL(ids.size(), 2u);
  // A 201 is no success: the action is still running.
  BOOST_TEST(str_at(answer["action"], "status") == "running");
  advance(61);
  auto res = parse(hetzner("GET", "/actions" + id_query(ids) + "&sort=id"));
  BOOST_REQUIRE_EQUAL(res["actions"].Size(), 2u);
  for (auto& a : res["actions"].GetArray()) {
    // hcloud-go's schema: status "error", finished set, error{code,message}.
    BOOST_TEST(str_at(a, "status") == "error");
    BOOST_TEST(at(a, "finished").IsString());
    BOOST_TEST(at(a, "progress").GetInt() < 100);
    BOOST_TEST(str_at(at(a, "error"), "code") == "unknown_error");
    BOOST_TEST(str_at(at(a, "error"), "message") == "server is locked");
  }
  BOOST_TEST(str_at(res["actions"][0], "command") == "create_server");
  auto s = parse(hetzner("GET", "/servers/" + id));
  BOOST_TEST(str_at(s["server"], "status") == "off");
  BOOST_TEST(!at(s["server"], "locked").GetBool());
  // Without code and message the error is the documented default.
  fault(R"({"provider":"hetzner","op":"create","kind":"action_error"})");
  auto other = create("b");
  advance(61);
  auto single = parse(
    hetzner("GET", "/actions/"
                     + std::to_string(at(other["action"], "id").GetUint64())));
  BOOST_TEST(str_at(at(single["action"], "error"), "code") == "action_failed");
  BOOST_TEST(str_at(at(single["action"], "error"), "message")
             == "Action failed");
  // The failed server can be deleted (what remediation does).
  BOOST_TEST(hetzner("DELETE", "/servers/" + id).status == 200);
}

BOOST_AUTO_TEST_CASE(digitalocean_failed_create_looks_like_the_real_cloud) {
  fault(R"({"provider":"digitalocean","op":"create","kind":"action_error",
            "count":1})");
  auto res = digitalocean("POST", "/droplets",
                          R"({"name":"d1","region":"fra1",
                              "size":"s-1vcpu-1gb","image":"debian-12-x64",
                              "tags":["ctl"]})");
  BOOST_REQUIRE_EQUAL(res.status, 202);
  auto answer = parse(res);
  auto id = std::to_string(at(answer["droplet"], "id").GetInt64());
  auto& link = at(answer["links"], "actions")[0];
  BOOST_TEST(str_at(link, "rel") == "create");
  auto action = std::to_string(at(link, "id").GetUint64());
  advance(3601); // past even the slowest (snapshot) create
  auto a = parse(digitalocean("GET", "/actions/" + action));
  // godo's Action: status "errored", completed_at set; DigitalOcean's action
  // has no error code or message.
  BOOST_TEST(str_at(a["action"], "status") == "errored");
  BOOST_TEST(str_at(a["action"], "type") == "create");
  BOOST_TEST(at(a["action"], "completed_at").IsString());
  BOOST_TEST(!a["action"].HasMember("error"));
  auto same
    = parse(digitalocean("GET", "/droplets/" + id + "/actions/" + action));
  BOOST_TEST(str_at(same["action"], "status") == "errored");
  auto d = parse(digitalocean("GET", "/droplets/" + id));
  BOOST_TEST(str_at(d["droplet"], "status") == "off");
  BOOST_TEST(!at(d["droplet"], "locked").GetBool());
  BOOST_TEST(digitalocean("DELETE", "/droplets/" + id).status == 204);
}

BOOST_AUTO_TEST_SUITE_END()
