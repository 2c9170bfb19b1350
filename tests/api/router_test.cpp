// The router and request checks of the HTTP API, without a server.
#include <boost/test/unit_test.hpp>

#include <set>
#include <string>

#include "api/http_router.hpp"

using namespace dynserv;

namespace {

std::string allow_of(const api_error& err) {
  for (const auto& [name, value] : err.headers)
    if (name == "Allow")
      return value;
  return "";
}

} // namespace

BOOST_AUTO_TEST_SUITE(routing)

BOOST_AUTO_TEST_CASE(every_route_matches_itself) {
  for (const auto& r : api_routes()) {
    std::string path = r.pattern;
    for (auto param : {"{pool}", "{id}"})
      if (auto i = path.find(param); i != std::string::npos)
        path.replace(i, std::string{param}.size(), "x");
    auto res = route_request(r.method, path);
    BOOST_TEST_CONTEXT(r.method << " " << r.pattern) {
      BOOST_REQUIRE(res.match);
      BOOST_TEST(res.match->route == &r);
    }
  }
}

BOOST_AUTO_TEST_CASE(parameters_are_percent_decoded) {
  auto res = route_request("GET", "/v1/pools/a%20b");
  BOOST_REQUIRE(res.match);
  BOOST_TEST((std::string{res.match->route->name} == "get_pool"));
  BOOST_TEST(res.match->param == "a b");
  res = route_request("POST", "/v1/servers/abc-1/stop");
  BOOST_REQUIRE(res.match);
  BOOST_TEST((std::string{res.match->route->name} == "stop_server"));
  BOOST_TEST(res.match->param == "abc-1");
}

BOOST_AUTO_TEST_CASE(event_stream_is_not_a_parameter) {
  auto res = route_request("GET", "/v1/events/stream");
  BOOST_REQUIRE(res.match);
  BOOST_TEST((std::string{res.match->route->name} == "event_stream"));
}

BOOST_AUTO_TEST_CASE(unknown_paths_are_404) {
  for (auto path :
       {"/", "", "/v1", "/v1/pools/", "/v1/pools/a/b/c", "/v2/pools",
        "/v1/pool", "//v1/pools", "/healthz/x", "/v1/servers/x/start"}) {
    BOOST_TEST_CONTEXT(path) {
      auto res = route_request("GET", path);
      BOOST_TEST(!res.match);
      BOOST_TEST(res.error.status == 404);
      BOOST_TEST(res.error.code == "not_found");
    }
  }
}

BOOST_AUTO_TEST_CASE(wrong_methods_are_405_with_allow) {
  auto res = route_request("DELETE", "/v1/pools");
  BOOST_TEST(!res.match);
  BOOST_TEST(res.error.status == 405);
  BOOST_TEST(res.error.code == "method_not_allowed");
  BOOST_TEST(allow_of(res.error) == "GET");
  res = route_request("GET", "/v1/pools/x/desired");
  BOOST_TEST(res.error.status == 405);
  BOOST_TEST(allow_of(res.error) == "PUT");
  res = route_request("POST", "/v1/pools/x/desired");
  BOOST_TEST(allow_of(res.error) == "PUT");
  res = route_request("GET", "/v1/servers/x/stop");
  BOOST_TEST(allow_of(res.error) == "POST");
  res = route_request("PUT", "/v1/pools/x/reboot");
  BOOST_TEST(res.error.status == 405);
  BOOST_TEST(allow_of(res.error) == "POST, DELETE");
  res = route_request("DELETE", "/v1/pools/x/reboot");
  BOOST_REQUIRE(res.match);
  BOOST_TEST((std::string{res.match->route->name} == "abort_reboot"));
  BOOST_TEST(res.match->route->mutating());
  res = route_request("get", "/v1/pools");
  BOOST_TEST(res.error.status == 405);
}

BOOST_AUTO_TEST_CASE(bad_escapes_are_400) {
  auto res = route_request("GET", "/v1/pools/%zz");
  BOOST_TEST(!res.match);
  BOOST_TEST(res.error.status == 400);
  BOOST_TEST(res.error.code == "invalid_path");
}

BOOST_AUTO_TEST_CASE(mutating_routes_are_the_non_gets) {
  for (const auto& r : api_routes())
    BOOST_TEST(r.mutating() == (std::string{r.method} != "GET"), r.pattern);
  for (const auto& r : api_routes())
    BOOST_TEST(r.always_public()
                 == (std::string{r.pattern} == "/healthz"
                     || std::string{r.pattern} == "/readyz"),
               r.pattern);
}

BOOST_AUTO_TEST_CASE(every_route_has_a_unique_name_readers_and_a_runner) {
  std::set<std::string> names;
  for (const auto& r : api_routes()) {
    BOOST_TEST_CONTEXT(r.method << " " << r.pattern) {
      BOOST_TEST(names.insert(r.name).second);
      BOOST_TEST(r.read_query != nullptr);
      BOOST_TEST(r.read_body != nullptr);
      BOOST_TEST(r.run != nullptr);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(authorization)

BOOST_AUTO_TEST_CASE(bearer_tokens) {
  const std::string token = "0123456789abcdef0123";
  BOOST_TEST((check_bearer({}, token) == auth_outcome::missing));
  BOOST_TEST((check_bearer({{"Authorization", "Bearer " + token}}, token)
              == auth_outcome::ok));
  BOOST_TEST((check_bearer({{"authorization", "bearer  " + token + " "}}, token)
              == auth_outcome::ok));
  BOOST_TEST((check_bearer({{"Authorization", "Bearer x" + token}}, token)
              == auth_outcome::wrong));
  BOOST_TEST((check_bearer({{"Authorization", "Bearer " + token + "x"}}, token)
              == auth_outcome::wrong));
  BOOST_TEST((check_bearer({{"Authorization", "Bearer"}}, token)
              == auth_outcome::missing));
  BOOST_TEST((check_bearer({{"Authorization", "Bearer   "}}, token)
              == auth_outcome::missing));
  BOOST_TEST((check_bearer({{"Authorization", "Basic " + token}}, token)
              == auth_outcome::missing));
  BOOST_TEST((check_bearer({{"Authorization", "Bearer" + token}}, token)
              == auth_outcome::missing));
}

BOOST_AUTO_TEST_CASE(refusals_never_echo_the_token) {
  auto missing = missing_token_error();
  BOOST_TEST(missing.status == 401);
  BOOST_REQUIRE(missing.headers.size() == 1u);
  BOOST_TEST(missing.headers[0].first == "WWW-Authenticate");
  BOOST_TEST(missing.headers[0].second.rfind("Bearer", 0) == 0u);
  BOOST_TEST(wrong_token_error().status == 403);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(bodies)

BOOST_AUTO_TEST_CASE(content_types) {
  BOOST_TEST(!check_content_type({}, "{}"));
  BOOST_TEST(!check_content_type({{"Content-Type", "application/json"}}, "{}"));
  BOOST_TEST(!check_content_type(
    {{"content-type", "Application/JSON; charset=utf-8"}}, "{}"));
  BOOST_TEST(!check_content_type(
    {{"Content-Type", "application/merge-patch+json"}}, "{}"));
  // No body: the type does not matter.
  BOOST_TEST(!check_content_type({{"Content-Type", "text/plain"}}, ""));
  auto err = check_content_type({{"Content-Type", "text/plain"}}, "{}");
  BOOST_REQUIRE(err);
  BOOST_TEST(err->status == 415);
  err = check_content_type(
    {{"Content-Type", "application/x-www-form-urlencoded"}}, "count=3");
  BOOST_REQUIRE(err);
  BOOST_TEST(err->status == 415);
}

BOOST_AUTO_TEST_CASE(counts) {
  auto res = parse_count_body(R"({"count": 3})", "count", std::nullopt);
  BOOST_TEST(!res.error);
  BOOST_TEST(res.value == 3);
  res = parse_count_body(R"({"count": 0})", "count", std::nullopt);
  BOOST_TEST(!res.error);
  BOOST_TEST(res.value == 0);
  res = parse_count_body("", "by", int64_t{1});
  BOOST_TEST(!res.error);
  BOOST_TEST(res.value == 1);
  res = parse_count_body("{}", "by", int64_t{1});
  BOOST_TEST(res.value == 1);
  res = parse_count_body(R"({"by": 9223372036854775807})", "by", int64_t{1});
  BOOST_TEST(!res.error);
  BOOST_TEST(res.value == INT64_MAX);
}

BOOST_AUTO_TEST_CASE(malformed_json_is_400_with_offset_and_reason) {
  auto res = parse_count_body(R"({"count": 3,})", "count", std::nullopt);
  BOOST_REQUIRE(res.error);
  BOOST_TEST(res.error->status == 400);
  BOOST_TEST(res.error->code == "malformed_json");
  BOOST_TEST(res.error->message.find("at byte 12") != std::string::npos,
             res.error->message);
  BOOST_TEST(res.error->message.find("Missing a name for object member")
               != std::string::npos,
             res.error->message);
  res = parse_count_body("{\"count\": 3} x", "count", std::nullopt);
  BOOST_REQUIRE(res.error);
  BOOST_TEST(res.error->status == 400);
  res = parse_count_body(std::string{"{\"count\"\0: 1}", 13}, "count",
                         std::nullopt);
  BOOST_REQUIRE(res.error);
  BOOST_TEST(res.error->status == 400);
}

BOOST_AUTO_TEST_CASE(semantic_errors_are_422) {
  struct {
    const char* body;
    const char* expected;
  } cases[] = {
    {R"({"count": -1})", "must be zero or more, got -1"},
    {R"({})", "missing key 'count'"},
    {R"({"count": "3"})", "must be an integer, got a string"},
    {R"({"count": 3.5})", "must be an integer, got a number with a fraction"},
    {R"({"count": null})", "must be an integer, got null"},
    {R"({"count": 18446744073709551615})", "must be at most"},
    {R"({"count": 2, "extra": 1})", "unknown key 'extra'"},
    {R"([3])", "expected a JSON object"},
    {R"(3)", "expected a JSON object"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.body) {
      auto res = parse_count_body(c.body, "count", std::nullopt);
      BOOST_REQUIRE(res.error);
      BOOST_TEST(res.error->status == 422);
      BOOST_TEST(res.error->message.find(c.expected) != std::string::npos,
                 res.error->message);
    }
  }
}

BOOST_AUTO_TEST_CASE(empty_bodies) {
  BOOST_TEST(!parse_empty_body(""));
  BOOST_TEST(!parse_empty_body(" {} "));
  auto err = parse_empty_body(R"({"force": true})");
  BOOST_REQUIRE(err);
  BOOST_TEST(err->status == 422);
  err = parse_empty_body("{");
  BOOST_REQUIRE(err);
  BOOST_TEST(err->status == 400);
}

BOOST_AUTO_TEST_CASE(reboot_bodies_take_max_unavailable) {
  struct {
    const char* body;
    const char* value;
  } good[] = {
    {"", ""},
    {"{}", ""},
    {R"({"max_unavailable": "25%"})", "25%"},
    {R"({"max_unavailable": "100%"})", "100%"},
    {R"({"max_unavailable": "3"})", "3"},
    {R"({"max_unavailable": 2})", "2"},
  };
  for (const auto& g : good) {
    BOOST_TEST_CONTEXT(g.body) {
      auto res = parse_reboot_body(g.body);
      BOOST_TEST(!res.error, (res.error ? res.error->message : ""));
      BOOST_TEST(res.max_unavailable == g.value);
    }
  }
  struct {
    const char* body;
    int status;
    const char* code;
    const char* expected;
  } bad[] = {
    {R"({"max_unavailable": "0"})", 422, "invalid_argument",
     "'max_unavailable': expected a count of at least 1 (\"2\") or a "
     "percentage from 1% to 100% (\"25%\"), got \"0\""},
    {R"({"max_unavailable": 0})", 422, "invalid_argument", "got \"0\""},
    {R"({"max_unavailable": -1})", 422, "invalid_argument", "got \"-1\""},
    {R"({"max_unavailable": "101%"})", 422, "invalid_argument", "got \"101%\""},
    {R"({"max_unavailable": "x"})", 422, "invalid_argument", "got \"x\""},
    {R"({"max_unavailable": 18446744073709551615})", 422, "invalid_argument",
     "got \"18446744073709551615\""},
    {R"({"max_unavailable": 2.5})", 422, "invalid_body",
     "'max_unavailable' must be a count or a percentage (2 or \"25%\"), got "
     "a number with a fraction"},
    {R"({"max_unavailable": null})", 422, "invalid_body", "got null"},
    {R"({"max_unavailable": true})", 422, "invalid_body", "got a boolean"},
    {R"({"max_unavailable": ["1"]})", 422, "invalid_body", "got an array"},
    {R"({"max_unavailble": "1"})", 422, "invalid_body",
     "unknown key 'max_unavailble'; expected only 'max_unavailable'"},
    {R"({"max_unavailable": "1", "now": true})", 422, "invalid_body",
     "unknown key 'now'"},
    {R"(["1"])", 422, "invalid_body", "expected a JSON object"},
    {R"({"max_unavailable": )", 400, "malformed_json", "malformed JSON"},
  };
  for (const auto& b : bad) {
    BOOST_TEST_CONTEXT(b.body) {
      auto res = parse_reboot_body(b.body);
      BOOST_REQUIRE(res.error);
      BOOST_TEST(res.error->status == b.status);
      BOOST_TEST(res.error->code == b.code);
      BOOST_TEST(res.error->message.find(b.expected) != std::string::npos,
                 res.error->message);
    }
  }
  // A huge value is not echoed in full.
  auto huge = parse_reboot_body(R"({"max_unavailable": ")"
                                + std::string(5000, '7') + "\"}");
  BOOST_REQUIRE(huge.error);
  BOOST_TEST(huge.error->message.size() < 200u, huge.error->message);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(queries)

BOOST_AUTO_TEST_CASE(unknown_and_repeated_parameters_are_400) {
  BOOST_TEST(
    !check_query({{"pool", "a"}, {"status", "running"}}, {"pool", "status"}));
  auto err = check_query({{"poll", "a"}}, {"pool", "status"});
  BOOST_REQUIRE(err);
  BOOST_TEST(err->status == 400);
  BOOST_TEST(err->message.find("'poll'") != std::string::npos);
  err = check_query({{"pool", "a"}, {"pool", "b"}}, {"pool"});
  BOOST_REQUIRE(err);
  BOOST_TEST(err->status == 400);
  err = check_query({{"x", ""}}, {});
  BOOST_REQUIRE(err);
  BOOST_TEST(err->message.find("none are known") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(integers) {
  auto res = parse_uint("limit", "10", 1, 1000);
  BOOST_TEST(!res.error);
  BOOST_TEST(res.value == 10u);
  res = parse_uint("since", "18446744073709551615", 0, UINT64_MAX);
  BOOST_TEST(!res.error);
  BOOST_TEST(res.value == UINT64_MAX);
  for (auto bad : {"", "abc", "-1", "+1", "1.0", " 1", "0x10", "0", "1001",
                   "18446744073709551616", "99999999999999999999999"}) {
    BOOST_TEST_CONTEXT(bad) {
      auto r = parse_uint("limit", bad, 1, 1000);
      BOOST_REQUIRE(r.error);
      BOOST_TEST(r.error->status == 400);
      BOOST_TEST(r.error->message.find("limit must be an integer from 1 to "
                                       "1000")
                 != std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(status_filters) {
  auto res = parse_status_filter("running");
  BOOST_TEST(!res.error);
  BOOST_TEST((res.value == server_status::running));
  res = parse_status_filter("runing");
  BOOST_REQUIRE(res.error);
  BOOST_TEST(res.error->status == 422);
  BOOST_TEST(res.error->message.find("pending, starting, running")
             != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(server_sent_events)

BOOST_AUTO_TEST_CASE(one_event_per_block) {
  BOOST_TEST(sse_event(7, "ServerRunning", R"({"seq":7})")
             == "id: 7\nevent: ServerRunning\ndata: {\"seq\":7}\n\n");
  // Line breaks cannot end a field early.
  BOOST_TEST(sse_event(1, "a\nb", "x\r\ny")
             == "id: 1\nevent: a b\ndata: x  y\n\n");
}

BOOST_AUTO_TEST_SUITE_END()
