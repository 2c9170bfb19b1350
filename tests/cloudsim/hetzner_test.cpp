// The simulated Hetzner Cloud API: wire format, actions, locks, uniqueness,
// label selectors, filters and pagination.
#include <boost/test/unit_test.hpp>

#include "tests/cloudsim/sim_fixture.hpp"

using namespace dynserv;
using namespace dynserv::cloudsim;
using namespace dynserv::cloudsim::test;

namespace {

struct hetzner_fixture : sim_fixture {
  int64_t create(const std::string& name,
                 const std::string& labels = R"({"managed-by":"ctl"})") {
    auto res = hetzner("POST", "/servers",
                       R"({"name":")" + name
                         + R"(","server_type":"cx22","image":"ubuntu-24.04",
                             "location":"fsn1","ssh_keys":["k"],"labels":)"
                         + labels + "}");
    BOOST_REQUIRE_MESSAGE(res.status == 201, res.body);
    return at(parse(res)["server"], "id").GetInt64();
  }

  std::string status_of(int64_t id) {
    auto res = hetzner("GET", "/servers/" + std::to_string(id));
    if (res.status != 200)
      return "status " + std::to_string(res.status);
    return str_at(parse(res)["server"], "status");
  }

  int64_t running(const std::string& name) {
    auto id = create(name);
    advance(121);
    BOOST_REQUIRE_EQUAL(status_of(id), "running");
    return id;
  }

  std::string names(const std::string& query) {
    auto res = hetzner("GET", "/servers" + query);
    BOOST_REQUIRE_MESSAGE(res.status == 200, res.body);
    std::string out;
    for (auto& s : parse(res)["servers"].GetArray())
      out += (out.empty() ? "" : ",") + str_at(s, "name");
    return out;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(hetzner_tests, hetzner_fixture)

BOOST_AUTO_TEST_CASE(create_answers_201_with_action_and_next_actions) {
  auto res
    = hetzner("POST", "/servers",
              R"({"name":"ds-1","server_type":"cx22","image":"ubuntu-24.04",
                         "labels":{"managed-by":"ctl","dynserv-id":"abc"},
                         "ssh_keys":["k"],"start_after_create":true})");
  BOOST_TEST(res.status == 201);
  BOOST_TEST(header(res, "Content-Type") == "application/json");
  BOOST_TEST(header(res, "X-Correlation-Id") != "<missing>");
  auto body = parse(res);
  auto& s = body["server"];
  BOOST_TEST(at(s, "id").IsInt64());
  BOOST_TEST(str_at(s, "name") == "ds-1");
  BOOST_TEST(str_at(s, "status") == "initializing");
  BOOST_TEST(at(s, "locked").GetBool());
  BOOST_TEST(str_at(at(s, "labels"), "dynserv-id") == "abc");
  BOOST_TEST(at(at(at(s, "public_net"), "ipv4"), "ip").IsString());
  BOOST_TEST(str_at(at(s, "server_type"), "name") == "cx22");
  BOOST_TEST(str_at(body["action"], "command") == "create_server");
  BOOST_TEST(str_at(body["action"], "status") == "running");
  BOOST_TEST(at(body["action"], "finished").IsNull());
  BOOST_TEST(at(at(body["action"], "resources")[0], "id").GetInt64()
             == at(s, "id").GetInt64());
  BOOST_REQUIRE_EQUAL(body["next_actions"].Size(), 1u);
  BOOST_TEST(str_at(body["next_actions"][0], "command") == "start_server");
  BOOST_TEST(body["root_password"].IsNull());
}

BOOST_AUTO_TEST_CASE(create_goes_through_starting_to_running) {
  auto res
    = hetzner("POST", "/servers",
              R"({"name":"ds-1","server_type":"cx22","image":"ubuntu-24.04"})");
  auto body = parse(res);
  BOOST_TEST(body["root_password"].IsString());
  auto id = at(body["server"], "id").GetInt64();
  auto create_action = at(body["action"], "id").GetUint64();
  auto start_action = at(body["next_actions"][0], "id").GetUint64();
  advance(15); // create_server ends halfway through (15-30 s in total)
  BOOST_TEST(status_of(id) == "starting");
  auto act = parse(hetzner("GET", "/actions/" + std::to_string(create_action)));
  BOOST_TEST(str_at(act["action"], "status") == "success");
  BOOST_TEST(at(act["action"], "progress").GetInt() == 100);
  advance(16);
  BOOST_TEST(status_of(id) == "running");
  auto start
    = parse(hetzner("GET", "/servers/actions/" + std::to_string(start_action)));
  BOOST_TEST(str_at(start["action"], "status") == "success");
  auto s = parse(hetzner("GET", "/servers/" + std::to_string(id)));
  BOOST_TEST(!at(s["server"], "locked").GetBool());
  BOOST_TEST(hetzner("GET", "/actions/999999999").status == 404);
}

BOOST_AUTO_TEST_CASE(actions_are_refused_with_423_while_locked) {
  auto id = create("ds-1");
  auto sid = std::to_string(id);
  auto locked = hetzner("POST", "/servers/" + sid + "/actions/poweroff", "{}");
  BOOST_TEST(locked.status == 423);
  BOOST_TEST(str_at(at(parse(locked).doc, "error"), "code") == "locked");
  BOOST_TEST(hetzner("DELETE", "/servers/" + sid).status == 423);
  advance(121);
  auto off = hetzner("POST", "/servers/" + sid + "/actions/poweroff", "{}");
  BOOST_TEST(off.status == 201);
  BOOST_TEST(str_at(parse(off)["action"], "command") == "stop_server");
  BOOST_TEST(
    hetzner("POST", "/servers/" + sid + "/actions/poweron", "{}").status
    == 423);
  advance(6);
  BOOST_TEST(status_of(id) == "off");
  auto on = hetzner("POST", "/servers/" + sid + "/actions/poweron", "");
  BOOST_TEST(on.status == 201);
  BOOST_TEST(status_of(id) == "starting");
  advance(16);
  BOOST_TEST(status_of(id) == "running");
  auto reboot = hetzner("POST", "/servers/" + sid + "/actions/reboot", "{}");
  BOOST_TEST(reboot.status == 201);
  BOOST_TEST(str_at(parse(reboot)["action"], "command") == "reboot_server");
}

BOOST_AUTO_TEST_CASE(shutdown_succeeds_before_the_guest_halts) {
  auto id = running("ds-1");
  auto res = hetzner(
    "POST", "/servers/" + std::to_string(id) + "/actions/shutdown", "{}");
  BOOST_TEST(res.status == 201);
  auto action = at(parse(res)["action"], "id").GetUint64();
  advance(3);
  BOOST_TEST(str_at(parse(hetzner("GET", "/actions/"
                                           + std::to_string(action)))["action"],
                    "status")
             == "success");
  advance(31);
  BOOST_TEST(status_of(id) == "off");
}

BOOST_AUTO_TEST_CASE(delete_answers_200_with_action_then_404) {
  auto id = running("ds-1");
  auto res = hetzner("DELETE", "/servers/" + std::to_string(id));
  BOOST_TEST(res.status == 200);
  BOOST_TEST(str_at(parse(res)["action"], "command") == "delete_server");
  BOOST_TEST(status_of(id) == "deleting");
  BOOST_TEST(names("") == "ds-1");
  advance(6);
  auto gone = hetzner("GET", "/servers/" + std::to_string(id));
  BOOST_TEST(gone.status == 404);
  BOOST_TEST(str_at(at(parse(gone).doc, "error"), "code") == "not_found");
  BOOST_TEST(names("") == "");
}

BOOST_AUTO_TEST_CASE(duplicate_names_get_409_uniqueness_error) {
  create("ds-1");
  auto res
    = hetzner("POST", "/servers",
              R"({"name":"ds-1","server_type":"cx22","image":"ubuntu-24.04"})");
  BOOST_TEST(res.status == 409);
  BOOST_TEST(str_at(at(parse(res).doc, "error"), "code") == "uniqueness_error");
  BOOST_TEST(names("?name=ds-1") == "ds-1");
}

BOOST_AUTO_TEST_CASE(label_selector_grammar) {
  create("a", R"({"env":"prod","role":"web"})");
  create("b", R"({"env":"dev","role":"web"})");
  create("c", R"({"env":"test"})");
  create("d", R"({"team.example.com/owner":"x"})");
  BOOST_TEST(names("?label_selector=env%3Dprod") == "a");
  BOOST_TEST(names("?label_selector=env%3D%3Ddev") == "b");
  BOOST_TEST(names("?label_selector=env!%3Dprod") == "b,c,d");
  BOOST_TEST(names("?label_selector=role") == "a,b");
  BOOST_TEST(names("?label_selector=!role") == "c,d");
  BOOST_TEST(names("?label_selector=env%20in%20(prod,test)") == "a,c");
  BOOST_TEST(names("?label_selector=env%20notin%20(prod,test)") == "b,d");
  BOOST_TEST(names("?label_selector=role%3Dweb,env!%3Ddev") == "a");
  BOOST_TEST(names("?label_selector=team.example.com/owner%3Dx") == "d");
  auto bad = hetzner("GET", "/servers?label_selector=env%20in%20(prod");
  BOOST_TEST(bad.status == 422);
  BOOST_TEST(str_at(at(parse(bad).doc, "error"), "code") == "invalid_input");
  BOOST_TEST(hetzner("GET", "/servers?label_selector=%3Dx").status == 422);
}

BOOST_AUTO_TEST_CASE(name_and_status_filters) {
  auto a = running("a");
  create("b");
  BOOST_TEST(names("?name=a") == "a");
  BOOST_TEST(names("?name=A") == "");
  BOOST_TEST(names("?status=running") == "a");
  BOOST_TEST(names("?status=initializing&status=running") == "a,b");
  BOOST_TEST(hetzner("GET", "/servers?status=sleeping").status == 422);
  (void) a;
}

BOOST_AUTO_TEST_CASE(pagination_with_meta_and_link_header) {
  for (auto n : {"s1", "s2", "s3", "s4", "s5"})
    create(n);
  auto res = hetzner("GET",
                     "/servers?per_page=2&page=2&label_selector=managed-by");
  BOOST_TEST(res.status == 200);
  auto body = parse(res);
  BOOST_REQUIRE_EQUAL(body["servers"].Size(), 2u);
  BOOST_TEST(str_at(body["servers"][0], "name") == "s3");
  auto& p = at(body["meta"], "pagination");
  BOOST_TEST(at(p, "page").GetInt() == 2);
  BOOST_TEST(at(p, "per_page").GetInt() == 2);
  BOOST_TEST(at(p, "previous_page").GetInt() == 1);
  BOOST_TEST(at(p, "next_page").GetInt() == 3);
  BOOST_TEST(at(p, "last_page").GetInt() == 3);
  BOOST_TEST(at(p, "total_entries").GetInt() == 5);
  auto link = header(res, "Link");
  BOOST_TEST(
    link.find(
      "<http://127.0.0.1:9999/hetzner/v1/"
      "servers?label_selector=managed-by&page=3&per_page=2>; rel=\"next\"")
    != std::string::npos);
  BOOST_TEST(link.find("rel=\"prev\"") != std::string::npos);
  BOOST_TEST(link.find("rel=\"last\"") != std::string::npos);
  auto last = parse(hetzner("GET", "/servers?per_page=2&page=3"));
  BOOST_TEST(last["servers"].Size() == 1u);
  BOOST_TEST(at(at(last["meta"], "pagination"), "next_page").IsNull());
  auto first = parse(hetzner("GET", "/servers"));
  BOOST_TEST(at(at(first["meta"], "pagination"), "per_page").GetInt() == 25);
  BOOST_TEST(at(at(first["meta"], "pagination"), "previous_page").IsNull());
  auto clamped = parse(hetzner("GET", "/servers?per_page=500"));
  BOOST_TEST(at(at(clamped["meta"], "pagination"), "per_page").GetInt() == 50);
  BOOST_TEST(hetzner("GET", "/servers?page=0").status == 422);
  BOOST_TEST(names("?sort=name:desc") == "s5,s4,s3,s2,s1");
}

BOOST_AUTO_TEST_CASE(auth_and_bad_input) {
  auto no_auth = send("GET", "/hetzner/v1/servers").response;
  BOOST_TEST(no_auth.status == 401);
  BOOST_TEST(str_at(at(parse(no_auth).doc, "error"), "code") == "unauthorized");
  BOOST_TEST(
    send("GET", "/hetzner/v1/servers", "", "Bearer other").response.status
    == 401);
  auto garbage = hetzner("POST", "/servers", "}{");
  BOOST_TEST(garbage.status == 400);
  BOOST_TEST(str_at(at(parse(garbage).doc, "error"), "code") == "json_error");
  // The docs' error table: invalid_input is 422, json_error 400.
  auto missing = hetzner("POST", "/servers", R"({"name":"x"})");
  BOOST_TEST(missing.status == 422);
  auto missing_doc = parse(missing);
  auto& err = at(missing_doc.doc, "error");
  BOOST_TEST(str_at(err, "code") == "invalid_input");
  BOOST_TEST(str_at(at(at(err, "details"), "fields")[0], "name")
             == "server_type");
  auto bad_label = hetzner(
    "POST", "/servers",
    R"({"name":"x","server_type":"cx22","image":"i","labels":{"hetzner.cloud/x":"y"}})");
  BOOST_TEST(bad_label.status == 422);
  BOOST_TEST(hetzner("GET", "/volumes").status == 404);
  BOOST_TEST(hetzner("GET", "/servers/123").status == 404);
  BOOST_TEST(hetzner("POST", "/servers/123/actions/explode", "{}").status
             == 404);
}

BOOST_AUTO_TEST_CASE(update_renames_and_relabels) {
  auto id = running("a");
  create("b");
  auto sid = std::to_string(id);
  BOOST_TEST(hetzner("PUT", "/servers/" + sid, R"({"name":"b"})").status
             == 409);
  auto res = hetzner("PUT", "/servers/" + sid,
                     R"({"name":"c","labels":{"x":"y"}})");
  BOOST_TEST(res.status == 200);
  BOOST_TEST(names("?label_selector=x%3Dy") == "c");
}

BOOST_AUTO_TEST_SUITE_END()
