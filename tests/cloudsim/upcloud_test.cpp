// The simulated UpCloud API: wire format, states, guards, storages, errors.
#include <boost/test/unit_test.hpp>

#include "tests/cloudsim/sim_fixture.hpp"

using namespace dynserv;
using namespace dynserv::cloudsim;
using namespace dynserv::cloudsim::test;

namespace {

std::string create_body(const std::string& title,
                        const std::string& labels
                        = R"([{"key":"managed-by","value":"ctl"}])") {
  return R"({"server":{"zone":"de-fra1","title":")" + title
         + R"(","hostname":")" + title
         + R"(.example.com","plan":"2xCPU-4GB","metadata":"yes",
    "labels":{"label":)"
         + labels + R"(},
    "login_user":{"username":"root","create_password":"no",
                  "ssh_keys":{"ssh_key":["ssh-ed25519 AAAA"]}},
    "storage_devices":{"storage_device":[{"action":"clone",
      "storage":"01000000-0000-4000-8000-000020060100","title":")"
         + title + R"(-disk","size":25,"tier":"maxiops"}]}}})";
}

struct upcloud_fixture : sim_fixture {
  std::string create(const std::string& title,
                     const std::string& labels
                     = R"([{"key":"managed-by","value":"ctl"}])") {
    auto res = upcloud("POST", "/server", create_body(title, labels));
    BOOST_REQUIRE_MESSAGE(res.status == 202, res.body);
    return str_at(parse(res)["server"], "uuid");
  }

  std::string state_of(const std::string& uuid) {
    auto res = upcloud("GET", "/server/" + uuid);
    if (res.status != 200)
      return "status " + std::to_string(res.status);
    return str_at(parse(res)["server"], "state");
  }

  /// A started server (create + enough virtual time).
  std::string started(const std::string& title) {
    auto uuid = create(title);
    advance(601);
    BOOST_REQUIRE_EQUAL(state_of(uuid), "started");
    return uuid;
  }

  std::string stopped(const std::string& title) {
    auto uuid = started(title);
    auto res
      = upcloud("POST", "/server/" + uuid + "/stop",
                R"({"stop_server":{"stop_type":"hard","timeout":"60"}})");
    BOOST_REQUIRE_EQUAL(res.status, 200);
    advance(30);
    BOOST_REQUIRE_EQUAL(state_of(uuid), "stopped");
    return uuid;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(upcloud_tests, upcloud_fixture)

BOOST_AUTO_TEST_CASE(create_answers_202_with_wrapped_details_in_maintenance) {
  auto res = upcloud("POST", "/server", create_body("ds-1"));
  BOOST_TEST(res.status == 202);
  BOOST_TEST(header(res, "Content-Type") == "application/json; charset=UTF-8");
  BOOST_TEST(header(res, "Server") == "Apache");
  auto body = parse(res);
  auto& s = body["server"];
  BOOST_TEST(str_at(s, "state") == "maintenance");
  BOOST_TEST(str_at(s, "title") == "ds-1");
  BOOST_TEST(str_at(s, "hostname") == "ds-1.example.com");
  BOOST_TEST(str_at(s, "zone") == "de-fra1");
  // Numbers are strings, booleans yes/no, created an integer.
  BOOST_TEST(str_at(s, "core_number") == "2");
  BOOST_TEST(str_at(s, "memory_amount") == "4096");
  BOOST_TEST(str_at(s, "metadata") == "yes");
  BOOST_TEST(at(s, "created").IsInt64());
  BOOST_TEST(at(s, "host").IsInt64());
  // Singular-key list wrappers.
  auto& labels = at(at(s, "labels"), "label");
  BOOST_REQUIRE(labels.IsArray());
  BOOST_REQUIRE_EQUAL(labels.Size(), 1u);
  BOOST_TEST(str_at(labels[0], "key") == "managed-by");
  BOOST_TEST(str_at(labels[0], "value") == "ctl");
  auto& disks = at(at(s, "storage_devices"), "storage_device");
  BOOST_REQUIRE(disks.IsArray());
  BOOST_REQUIRE_EQUAL(disks.Size(), 1u);
  BOOST_TEST(str_at(disks[0], "storage_title") == "ds-1-disk");
  BOOST_TEST(at(disks[0], "storage_size").GetInt() == 25);
  auto& ips = at(at(s, "ip_addresses"), "ip_address");
  BOOST_REQUIRE(ips.IsArray());
  BOOST_TEST(str_at(ips[0], "access") == "public");
  BOOST_TEST(str_at(ips[0], "family") == "IPv4");
  BOOST_TEST(at(at(at(s, "networking"), "interfaces"), "interface").IsArray());
  BOOST_TEST(at(at(s, "tags"), "tag").IsArray());
  BOOST_TEST(!at(s, "password").IsString());
}

BOOST_AUTO_TEST_CASE(create_reaches_started_on_the_virtual_clock) {
  auto uuid = create("ds-1");
  advance(10);
  BOOST_TEST(state_of(uuid) == "maintenance");
  advance(591);
  BOOST_TEST(state_of(uuid) == "started");
  auto body = parse(upcloud("GET", "/server/" + uuid));
  BOOST_TEST(str_at(body["server"], "progress") == "0");
}

BOOST_AUTO_TEST_CASE(list_uses_the_singular_wrapper_and_omits_addresses) {
  create("ds-1");
  create("ds-2");
  for (auto path : {"/server", "/server/"}) {
    auto res = upcloud("GET", path);
    BOOST_TEST(res.status == 200);
    auto body = parse(res);
    auto& list = at(body["servers"], "server");
    BOOST_REQUIRE(list.IsArray());
    BOOST_REQUIRE_EQUAL(list.Size(), 2u);
    BOOST_TEST(str_at(list[0], "title") == "ds-1");
    BOOST_TEST(at(list[0], "ip_addresses").IsNull());
    BOOST_TEST(str_at(list[1], "core_number") == "2");
    BOOST_TEST(at(at(list[1], "labels"), "label").IsArray());
  }
}

BOOST_AUTO_TEST_CASE(label_filters_are_anded_and_accept_encoded_values) {
  create(
    "a",
    R"([{"key":"managed-by","value":"ctl"},{"key":"ctl-request","value":"r1"}])");
  create(
    "b",
    R"([{"key":"managed-by","value":"ctl"},{"key":"ctl-request","value":"r2"}])");
  create("c", R"([{"key":"managed-by","value":"other"}])");
  auto titles = [&](const std::string& query) {
    auto body = parse(upcloud("GET", "/server" + query));
    std::string out;
    for (auto& s : at(body["servers"], "server").GetArray())
      out += str_at(s, "title");
    return out;
  };
  BOOST_TEST(titles("?label=managed-by") == "abc");
  BOOST_TEST(titles("?label=managed-by%3Dctl") == "ab");
  BOOST_TEST(titles("?label=managed-by%3Dctl&label=ctl-request%3Dr2") == "b");
  BOOST_TEST(titles("?label=ctl-request%3Dr3") == "");
  BOOST_TEST(titles("?label=managed-by&limit=1&offset=1") == "b");
}

BOOST_AUTO_TEST_CASE(guards_answer_409_server_state_illegal) {
  auto uuid = create("ds-1");
  auto check = [&](const std::string& method, const std::string& path,
                   const std::string& body) {
    auto res = upcloud(method, path, body);
    BOOST_TEST(res.status == 409);
    if (res.status == 409)
      BOOST_TEST(str_at(at(parse(res).doc, "error"), "error_code")
                 == "SERVER_STATE_ILLEGAL");
  };
  auto stop = R"({"stop_server":{"stop_type":"hard","timeout":"60"}})";
  auto restart
    = R"({"restart_server":{"stop_type":"hard","timeout":"60","timeout_action":"destroy"}})";
  // maintenance: everything is illegal
  check("POST", "/server/" + uuid + "/start", "");
  check("POST", "/server/" + uuid + "/stop", stop);
  check("POST", "/server/" + uuid + "/restart", restart);
  check("DELETE", "/server/" + uuid, "");
  advance(601);
  // started: start and delete are illegal
  check("POST", "/server/" + uuid + "/start", "");
  check("DELETE", "/server/" + uuid + "?storages=1", "");
  check("PUT", "/server/" + uuid, R"({"server":{"plan":"1xCPU-1GB"}})");
  BOOST_TEST(upcloud("POST", "/server/" + uuid + "/stop", stop).status == 200);
  advance(30);
  BOOST_REQUIRE_EQUAL(state_of(uuid), "stopped");
  // stopped: stop and restart are illegal
  check("POST", "/server/" + uuid + "/stop", stop);
  check("POST", "/server/" + uuid + "/restart", restart);
}

BOOST_AUTO_TEST_CASE(stop_answers_200_still_started_then_stops) {
  auto uuid = started("ds-1");
  auto res = upcloud("POST", "/server/" + uuid + "/stop",
                     R"({"stop_server":{"stop_type":"hard","timeout":"60"}})");
  BOOST_TEST(res.status == 200);
  BOOST_TEST(str_at(parse(res)["server"], "state") == "started");
  advance(4);
  BOOST_TEST(state_of(uuid) == "started");
  advance(21);
  BOOST_TEST(state_of(uuid) == "stopped");
}

BOOST_AUTO_TEST_CASE(soft_stop_with_integer_timeout_is_accepted) {
  auto uuid = started("ds-1");
  // spatie sends the timeout as a JSON number.
  auto res = upcloud("POST", "/server/" + uuid + "/stop",
                     R"({"stop_server":{"stop_type":"soft","timeout":60}})");
  BOOST_TEST(res.status == 200);
  advance(31);
  BOOST_TEST(state_of(uuid) == "stopped");
}

BOOST_AUTO_TEST_CASE(start_answers_started_at_once) {
  auto uuid = stopped("ds-1");
  auto res = upcloud("POST", "/server/" + uuid + "/start", R"({"server":{}})");
  BOOST_TEST(res.status == 200);
  BOOST_TEST(str_at(parse(res)["server"], "state") == "started");
  BOOST_TEST(state_of(uuid) == "started");
}

BOOST_AUTO_TEST_CASE(unwrapped_restart_body_is_rejected_with_400) {
  auto uuid = started("ds-1");
  auto res = upcloud(
    "POST", "/server/" + uuid + "/restart",
    R"({"stop_type":"soft","timeout":60,"timeout_action":"destroy"})");
  BOOST_TEST(res.status == 400);
  BOOST_TEST(str_at(at(parse(res).doc, "error"), "error_code")
             == "INVALID_REQUEST");
  BOOST_TEST(state_of(uuid) == "started");
}

BOOST_AUTO_TEST_CASE(wrapped_restart_passes_through_maintenance) {
  auto uuid = started("ds-1");
  auto res = upcloud(
    "POST", "/server/" + uuid + "/restart",
    R"({"restart_server":{"stop_type":"soft","timeout":"60","timeout_action":"destroy"}})");
  BOOST_TEST(res.status == 200);
  advance(6);
  BOOST_TEST(state_of(uuid) == "maintenance");
  advance(30);
  BOOST_TEST(state_of(uuid) == "started");
}

BOOST_AUTO_TEST_CASE(delete_with_storages_removes_server_and_disks) {
  auto uuid = stopped("ds-1");
  auto res = upcloud("DELETE",
                     "/server/" + uuid + "?storages=1&backups=delete");
  BOOST_TEST(res.status == 204);
  BOOST_TEST(res.body.empty());
  auto gone = upcloud("GET", "/server/" + uuid);
  BOOST_TEST(gone.status == 404);
  BOOST_TEST(str_at(at(parse(gone).doc, "error"), "error_code")
             == "SERVER_NOT_FOUND");
  auto storages = parse(control("GET", "/storages"));
  BOOST_REQUIRE_EQUAL(storages["storages"].Size(), 1u);
  BOOST_TEST(str_at(storages["storages"][0], "state") == "maintenance");
  BOOST_TEST(storages["leaked"].GetUint64() == 0u);
  advance(11);
  BOOST_TEST(parse(control("GET", "/storages"))["storages"].Size() == 0u);
}

BOOST_AUTO_TEST_CASE(delete_with_trailing_slash_is_accepted) {
  auto uuid = stopped("ds-1");
  BOOST_TEST(upcloud("DELETE", "/server/" + uuid + "/?storages=1").status
             == 204);
  BOOST_TEST(upcloud("GET", "/server/" + uuid).status == 404);
}

BOOST_AUTO_TEST_CASE(delete_without_storages_leaks_the_disks) {
  auto uuid = stopped("ds-1");
  BOOST_TEST(upcloud("DELETE", "/server/" + uuid).status == 204);
  advance(60);
  auto storages = parse(control("GET", "/storages?leaked=1"));
  BOOST_REQUIRE_EQUAL(storages["storages"].Size(), 1u);
  BOOST_TEST(at(storages["storages"][0], "leaked").GetBool());
  BOOST_TEST(at(storages["storages"][0], "server").IsNull());
  BOOST_TEST(storages["leaked"].GetUint64() == 1u);
}

BOOST_AUTO_TEST_CASE(auth_accepts_basic_and_bearer_and_rejects_the_rest) {
  auto no_auth = send("GET", "/upcloud/1.3/server").response;
  BOOST_TEST(no_auth.status == 401);
  BOOST_TEST(str_at(at(parse(no_auth).doc, "error"), "error_code")
             == "AUTHENTICATION_FAILED");
  auto wrong = send("GET", "/upcloud/1.3/server", "",
                    "Basic " + base64("dynserv:wrong"));
  BOOST_TEST(wrong.response.status == 401);
  auto bearer = send("GET", "/upcloud/1.3/server", "", "Bearer test-token");
  BOOST_TEST(bearer.response.status == 200);
  auto bad_bearer = send("GET", "/upcloud/1.3/server", "", "Bearer nope");
  BOOST_TEST(bad_bearer.response.status == 401);
  // The secret never appears in an answer.
  BOOST_TEST(wrong.response.body.find("secret") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_input_gets_legacy_400_bodies) {
  auto garbage = upcloud("POST", "/server", "{not json");
  BOOST_TEST(garbage.status == 400);
  BOOST_TEST(str_at(at(parse(garbage).doc, "error"), "error_code")
             == "INVALID_REQUEST");
  auto unwrapped = upcloud("POST", "/server",
                           R"({"zone":"de-fra1","title":"x"})");
  BOOST_TEST(unwrapped.status == 400);
  auto unknown = upcloud("POST", "/server",
                         R"({"server":{"zone":"de-fra1","colour":"red"}})");
  BOOST_TEST(unknown.status == 400);
  auto no_title = upcloud("POST", "/server",
                          R"({"server":{"zone":"de-fra1"}})");
  BOOST_TEST(str_at(at(parse(no_title).doc, "error"), "error_code")
             == "SERVER_TITLE_MISSING");
  auto no_disks
    = upcloud("POST", "/server",
              R"({"server":{"zone":"de-fra1","title":"a","hostname":"a"}})");
  BOOST_TEST(str_at(at(parse(no_disks).doc, "error"), "error_code")
             == "STORAGE_DEVICES_MISSING");
  auto bad_uuid = upcloud("GET", "/server/not-a-uuid");
  BOOST_TEST(bad_uuid.status == 400);
  BOOST_TEST(str_at(at(parse(bad_uuid).doc, "error"), "error_code")
             == "SERVER_INVALID");
  auto unknown_path = upcloud("GET", "/nothing/here");
  BOOST_TEST(unknown_path.status == 404);
  BOOST_TEST(at(parse(unknown_path).doc, "error").IsObject());
  auto missing = upcloud("GET", "/server/00000000-0000-4000-8000-000000000000");
  BOOST_TEST(missing.status == 404);
  auto uuid = create("ds-1");
  auto bad_stop_type = upcloud("POST", "/server/" + uuid + "/stop",
                               R"({"stop_server":{"stop_type":"gentle"}})");
  BOOST_TEST(str_at(at(parse(bad_stop_type).doc, "error"), "error_code")
             == "STOP_TYPE_INVALID");
  BOOST_TEST(upcloud("POST", "/server", "").status == 400);
  BOOST_TEST(upcloud("POST", "/server", "[1,2]").status == 400);
  BOOST_TEST(upcloud("POST", "/server", R"({"server":[]})").status == 400);
}

BOOST_AUTO_TEST_CASE(modify_changes_labels_and_title) {
  auto uuid = started("ds-1");
  auto res = upcloud(
    "PUT", "/server/" + uuid,
    R"({"server":{"title":"renamed","labels":{"label":[{"key":"k","value":"v"}]}}})");
  BOOST_TEST(res.status == 202);
  auto s = parse(upcloud("GET", "/server/" + uuid));
  BOOST_TEST(str_at(s["server"], "title") == "renamed");
  BOOST_TEST(str_at(at(at(s["server"], "labels"), "label")[0], "key") == "k");
}

BOOST_AUTO_TEST_CASE(account_reports_limits) {
  auto res = upcloud("GET", "/account");
  BOOST_TEST(res.status == 200);
  auto body = parse(res);
  BOOST_TEST(str_at(body["account"], "username") == "dynserv");
  BOOST_TEST(at(body["account"], "resource_limits").IsObject());
}

BOOST_AUTO_TEST_CASE(storage_lookup_follows_the_disk) {
  auto res = upcloud("POST", "/server", create_body("ds-1"));
  auto body = parse(res);
  auto disk = str_at(
    at(at(body["server"], "storage_devices"), "storage_device")[0], "storage");
  auto st = upcloud("GET", "/storage/" + disk);
  BOOST_TEST(st.status == 200);
  BOOST_TEST(str_at(parse(st)["storage"], "state") == "online");
  BOOST_TEST(
    upcloud("GET", "/storage/01000000-0000-4000-8000-000000000009").status
    == 404);
}

BOOST_AUTO_TEST_CASE(create_password_is_returned_only_when_asked) {
  auto body = create_body("ds-1");
  std::string no = "\"create_password\":\"no\"";
  body.replace(body.find(no), no.size(), "\"create_password\":\"yes\"");
  auto res = upcloud("POST", "/server", body);
  BOOST_TEST(res.status == 202);
  BOOST_TEST(at(parse(res)["server"], "password").IsString());
}

BOOST_AUTO_TEST_SUITE_END()
