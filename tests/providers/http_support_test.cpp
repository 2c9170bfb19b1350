// Tests of the shared HTTP provider plumbing: auth headers, dates,
// Retry-After, rate-limit headers, transport failures, spec checks.
#include "providers/http_provider_support.hpp"

#include <boost/test/unit_test.hpp>

#include <rapidjson/document.h>

#include "tests/providers/provider_test_util.hpp"

using namespace dynserv;
using namespace dynserv::http_support;
using dynserv::test::t0;

BOOST_AUTO_TEST_SUITE(http_support)

BOOST_AUTO_TEST_CASE(base64_and_auth_headers) {
  BOOST_CHECK_EQUAL(base64_encode(""), "");
  BOOST_CHECK_EQUAL(base64_encode("f"), "Zg==");
  BOOST_CHECK_EQUAL(base64_encode("fo"), "Zm8=");
  BOOST_CHECK_EQUAL(base64_encode("foo"), "Zm9v");
  BOOST_CHECK_EQUAL(base64_encode("foob"), "Zm9vYg==");
  BOOST_CHECK_EQUAL(base64_encode("\xff\xfe"), "//4=");
  BOOST_CHECK_EQUAL(basic_auth("Aladdin", "open sesame"),
                    "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  BOOST_CHECK_EQUAL(bearer_auth("tok"), "Bearer tok");
}

BOOST_AUTO_TEST_CASE(http_dates) {
  // 1994-11-06T08:49:37Z in all three formats of RFC 7231.
  const int64_t expected = 784111777000;
  BOOST_CHECK_EQUAL(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").value(),
                    expected);
  BOOST_CHECK_EQUAL(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT").value(),
                    expected);
  BOOST_CHECK_EQUAL(parse_http_date("Sun Nov  6 08:49:37 1994").value(),
                    expected);
  BOOST_CHECK_EQUAL(parse_http_date("Tue, 14 Nov 2023 22:13:20 GMT").value(),
                    t0);
  for (auto bad :
       {"", "yesterday", "Sun, 06 Nov 1994 08:49:37 CET",
        "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT",
        "Sun, 06 Nov 94 08:49:37 GMT"})
    BOOST_CHECK_MESSAGE(!parse_http_date(bad), bad);
}

BOOST_AUTO_TEST_CASE(rfc3339_timestamps) {
  BOOST_CHECK_EQUAL(parse_rfc3339("2023-11-14T22:13:20Z").value(), t0);
  BOOST_CHECK_EQUAL(parse_rfc3339("2023-11-14T22:13:20.250Z").value(),
                    t0 + 250);
  BOOST_CHECK_EQUAL(parse_rfc3339("2023-11-14T23:13:20+01:00").value(), t0);
  BOOST_CHECK_EQUAL(parse_rfc3339("2023-11-14T21:13:20-01:00").value(), t0);
  BOOST_CHECK_EQUAL(parse_rfc3339("1970-01-01T00:00:00Z").value(), 0);
  for (auto bad :
       {"", "2023-11-14", "2023-11-14T22:13:20", "2023-13-14T22:13:20Z",
        "2023-11-14T22:13:20Zjunk", "2023-11-14T22:13:20.Z", "null"})
    BOOST_CHECK_MESSAGE(!parse_rfc3339(bad), bad);
}

BOOST_AUTO_TEST_CASE(retry_after_values) {
  BOOST_CHECK_EQUAL(parse_retry_after("7", t0).value(), 7000);
  BOOST_CHECK_EQUAL(parse_retry_after(" 0 ", t0).value(), 0);
  BOOST_CHECK_EQUAL(
    parse_retry_after("Tue, 14 Nov 2023 22:13:50 GMT", t0).value(), 30'000);
  // A date in the past means "now".
  BOOST_CHECK_EQUAL(
    parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", t0).value(), 0);
  // Absurd values are capped at a day.
  BOOST_CHECK_EQUAL(parse_retry_after("99999999", t0).value(), 86'400'000);
  for (auto bad : {"", "-1", "1.5", "soon", "12abc"})
    BOOST_CHECK_MESSAGE(!parse_retry_after(bad, t0), bad);
}

BOOST_AUTO_TEST_CASE(rate_limit_headers) {
  // Hetzner spelling.
  auto b = parse_rate_budget({{"RateLimit-Limit", "3600"},
                              {"RateLimit-Remaining", "3599"},
                              {"RateLimit-Reset", "1700000100"}});
  BOOST_CHECK_EQUAL(b.limit, 3600);
  BOOST_CHECK_EQUAL(b.remaining, 3599);
  BOOST_CHECK_EQUAL(b.reset_at_ms, 1'700'000'100'000);
  BOOST_CHECK(b.known());
  // DigitalOcean spelling.
  b = parse_rate_budget({{"ratelimit-limit", "5000"},
                         {"ratelimit-remaining", "0"},
                         {"ratelimit-reset", "1700000060"}});
  BOOST_CHECK_EQUAL(b.limit, 5000);
  BOOST_CHECK_EQUAL(b.remaining, 0);
  BOOST_CHECK_EQUAL(b.reset_at_ms, 1'700'000'060'000);
  // Garbage and absence stay unknown.
  b = parse_rate_budget({{"RateLimit-Limit", "lots"},
                         {"RateLimit-Remaining", "-3"},
                         {"RateLimit-Reset", "99999999999999999999"}});
  BOOST_CHECK_EQUAL(b.limit, -1);
  BOOST_CHECK_EQUAL(b.remaining, -1);
  BOOST_CHECK_EQUAL(b.reset_at_ms, 0);
  BOOST_CHECK(!b.known());
  BOOST_CHECK(!has_rate_budget({{"Content-Type", "application/json"}}));
}

BOOST_AUTO_TEST_CASE(rate_limit_waits) {
  http_response rsp;
  rsp.status = 429;
  BOOST_CHECK_EQUAL(rate_limit_wait(rsp, t0, true, 1000), 1000);
  rsp.headers = {{"RateLimit-Remaining", "0"},
                 {"RateLimit-Reset", "1700000042"}};
  BOOST_CHECK_EQUAL(rate_limit_wait(rsp, t0, true, 1000), 42'000);
  BOOST_CHECK_EQUAL(rate_limit_wait(rsp, t0, false, 1000), 1000);
  rsp.headers.emplace_back("Retry-After", "3");
  BOOST_CHECK_EQUAL(rate_limit_wait(rsp, t0, true, 1000), 3000);
}

BOOST_AUTO_TEST_CASE(transport_failures) {
  http_result r;
  r.detail = "boom";
  r.failure = http_failure::connect;
  BOOST_CHECK(transport_error(r, true).kind == error_kind::transient);
  BOOST_CHECK_EQUAL(transport_error(r, true).code, "connect");
  r.failure = http_failure::lost;
  BOOST_CHECK(transport_error(r, true).kind == error_kind::outcome_unknown);
  BOOST_CHECK(transport_error(r, false).kind == error_kind::transient);
  r.failure = http_failure::protocol;
  BOOST_CHECK(transport_error(r, true).kind == error_kind::transient);
  BOOST_CHECK_EQUAL(transport_error(r, true).code, "bad_response");
  r.failure = http_failure::invalid;
  BOOST_CHECK(transport_error(r, false).kind == error_kind::permanent);
}

BOOST_AUTO_TEST_CASE(excerpts_are_bounded_and_printable) {
  std::string body(1000, 'x');
  body[3] = '\n';
  auto x = excerpt(body);
  BOOST_CHECK_EQUAL(x.size(), 203u);
  BOOST_CHECK_EQUAL(x[3], ' ');
  BOOST_CHECK_EQUAL(x.substr(200), "...");
  auto err = bad_response(502, "not JSON", body);
  BOOST_CHECK(err.kind == error_kind::transient);
  BOOST_CHECK_EQUAL(err.code, "bad_response");
  BOOST_CHECK_LT(err.message.size(), 300u);
}

BOOST_AUTO_TEST_CASE(json_accessors_tolerate_wrong_types) {
  rapidjson::Document doc;
  BOOST_REQUIRE(
    parse_json(R"({"a":{"b":"7","c":7,"d":[1],"e":"x7"},"n":-3})", doc));
  BOOST_CHECK_EQUAL(as_int(path(&doc, {"a", "b"})).value(), 7);
  BOOST_CHECK_EQUAL(as_int(path(&doc, {"a", "c"})).value(), 7);
  BOOST_CHECK_EQUAL(as_int(member(&doc, "n")).value(), -3);
  BOOST_CHECK(!as_int(path(&doc, {"a", "d"})));
  BOOST_CHECK(!as_int(path(&doc, {"a", "e"})));
  BOOST_CHECK(!as_string(path(&doc, {"a", "c"})));
  BOOST_CHECK_EQUAL(as_id(path(&doc, {"a", "c"})).value(), "7");
  BOOST_CHECK(path(&doc, {"a", "b", "deeper"}) == nullptr);
  BOOST_CHECK(path(&doc, {"missing", "x"}) == nullptr);
  BOOST_CHECK(!parse_json("<html>", doc));
}

BOOST_AUTO_TEST_CASE(spec_checks) {
  spec_problems problems;
  rapidjson::Document doc;
  BOOST_CHECK(!parse_spec("[1]", doc, problems));
  BOOST_REQUIRE_EQUAL(problems.size(), 1u);
  BOOST_CHECK_EQUAL(problems[0].first, "");
  BOOST_CHECK_EQUAL(problems[0].second, "expected an object");
  problems.clear();
  BOOST_CHECK(!parse_spec("{", doc, problems));
  BOOST_CHECK_EQUAL(problems.size(), 1u);
  problems.clear();
  BOOST_CHECK(parse_spec("", doc, problems));
  BOOST_CHECK(problems.empty());
  BOOST_REQUIRE(parse_spec(R"({"a":1,"b":"x","c":{"k":1},"name":"x","z":1})",
                           doc, problems));
  check_spec(doc,
             {{"a", spec_type::string},
              {"b", spec_type::string},
              {"c", spec_type::string_map},
              {"must", spec_type::integer, true}},
             {"name"}, problems);
  spec_problems expected = {{"must", "missing"},
                            {"a", "expected a string"},
                            {"c", "expected an object of strings"},
                            {"name", "set by dynserv; remove it"},
                            {"z", "unknown key"}};
  BOOST_CHECK(problems == expected);
}

BOOST_AUTO_TEST_SUITE_END()
