// Rate limits of the simulated clouds: real-time token bucket and sliding
// windows, 429 bodies and headers, budgets.
#include <boost/test/unit_test.hpp>

#include "cloudsim/rate_limits.hpp"
#include "tests/cloudsim/sim_fixture.hpp"

using namespace dynserv;
using namespace dynserv::cloudsim;
using namespace dynserv::cloudsim::test;

BOOST_FIXTURE_TEST_SUITE(rate_limit_tests, sim_fixture)

BOOST_AUTO_TEST_CASE(hetzner_token_bucket_headers_and_429) {
  BOOST_REQUIRE_EQUAL(
    control("PUT", "/rate_limits",
            R"({"hetzner":{"capacity":3,"refill_per_second":1}})")
      .status,
    200);
  for (int remaining = 2; remaining >= 0; --remaining) {
    auto res = hetzner("GET", "/servers");
    BOOST_TEST(res.status == 200);
    BOOST_TEST(header(res, "RateLimit-Limit") == "3");
    BOOST_TEST(header(res, "RateLimit-Remaining") == std::to_string(remaining));
  }
  auto res = hetzner("GET", "/servers");
  BOOST_TEST(res.status == 429);
  BOOST_TEST(str_at(at(parse(res).doc, "error"), "code")
             == "rate_limit_exceeded");
  BOOST_TEST(header(res, "Retry-After") == "<missing>");
  BOOST_TEST(header(res, "RateLimit-Remaining") == "0");
  // Full again 3 s after the bucket emptied.
  BOOST_TEST(header(res, "RateLimit-Reset")
             == std::to_string(*real / 1000 + 3));
  // Virtual time does not refill the bucket; real time does.
  advance(3600);
  BOOST_TEST(hetzner("GET", "/servers").status == 429);
  *real += 1000;
  BOOST_TEST(hetzner("GET", "/servers").status == 200);
  auto budget = parse(control("GET", "/budget"));
  BOOST_TEST(at(budget["hetzner"], "rejected").GetUint64() == 2u);
  BOOST_TEST(at(budget["hetzner"], "requests").GetUint64() == 6u);
  BOOST_TEST(at(budget["hetzner"], "remaining").GetInt64() == 0);
  BOOST_TEST(at(budget["hetzner"], "limit").GetInt64() == 3);
}

BOOST_AUTO_TEST_CASE(hetzner_default_is_3600_per_hour) {
  auto res = hetzner("GET", "/servers");
  BOOST_TEST(header(res, "RateLimit-Limit") == "3600");
  BOOST_TEST(header(res, "RateLimit-Remaining") == "3599");
  auto unauth = send("GET", "/hetzner/v1/servers").response;
  BOOST_TEST(unauth.status == 401);
  BOOST_TEST(header(unauth, "RateLimit-Remaining") == "3598");
}

BOOST_AUTO_TEST_CASE(digitalocean_minute_burst_has_retry_after) {
  control("PUT", "/rate_limits",
          R"({"digitalocean":{"per_hour":100,"per_minute":2}})");
  auto first = digitalocean("GET", "/droplets");
  BOOST_TEST(first.status == 200);
  BOOST_TEST(header(first, "ratelimit-limit") == "100");
  BOOST_TEST(header(first, "ratelimit-remaining") == "99");
  BOOST_TEST(header(first, "ratelimit-reset")
             == std::to_string(*real / 1000 + 3600));
  *real += 10000;
  BOOST_TEST(digitalocean("GET", "/droplets").status == 200);
  auto res = digitalocean("GET", "/droplets");
  BOOST_TEST(res.status == 429);
  auto body = parse(res);
  BOOST_TEST(str_at(body.doc, "id") == "too_many_requests");
  BOOST_TEST(str_at(body.doc, "message") == "API Rate limit exceeded.");
  // The first request leaves the minute window 50 s from now.
  BOOST_TEST(header(res, "retry-after") == "50");
  *real += 50000;
  BOOST_TEST(digitalocean("GET", "/droplets").status == 200);
}

BOOST_AUTO_TEST_CASE(digitalocean_hour_limit_has_no_retry_after) {
  control("PUT", "/rate_limits",
          R"({"digitalocean":{"per_hour":2,"per_minute":100}})");
  BOOST_TEST(digitalocean("GET", "/droplets").status == 200);
  *real += 120000;
  BOOST_TEST(digitalocean("GET", "/droplets").status == 200);
  *real += 120000;
  auto res = digitalocean("GET", "/droplets");
  BOOST_TEST(res.status == 429);
  BOOST_TEST(header(res, "retry-after") == "<missing>");
  BOOST_TEST(header(res, "ratelimit-remaining") == "0");
  // Sliding: the first request expires one hour after it was made.
  *real += 3600000 - 240000;
  BOOST_TEST(digitalocean("GET", "/droplets").status == 200);
  auto budget = parse(control("GET", "/budget"));
  BOOST_TEST(at(budget["digitalocean"], "rejected").GetUint64() == 1u);
  BOOST_TEST(at(budget["digitalocean"], "remaining").GetInt64() == 0);
}

BOOST_AUTO_TEST_CASE(upcloud_limit_is_off_unless_configured) {
  for (int i = 0; i < 20; ++i)
    BOOST_TEST(upcloud("GET", "/server").status == 200);
  BOOST_TEST(header(upcloud("GET", "/server"), "RateLimit-Limit")
             == "<missing>");
  control("PUT", "/rate_limits", R"({"upcloud":{"rps":1}})");
  BOOST_TEST(upcloud("GET", "/server").status == 200);
  auto res = upcloud("GET", "/server");
  BOOST_TEST(res.status == 429);
  BOOST_TEST(header(res, "Retry-After") == "1");
  BOOST_TEST(at(parse(res).doc, "error").IsObject());
  *real += 1000;
  BOOST_TEST(upcloud("GET", "/server").status == 200);
  control("PUT", "/rate_limits", R"({"upcloud":null})");
  BOOST_TEST(upcloud("GET", "/server").status == 200);
  BOOST_TEST(upcloud("GET", "/server").status == 200);
}

BOOST_AUTO_TEST_CASE(limits_can_be_switched_off) {
  reset([](sim_options& o) {
    o.rate_limits.enabled = false;
    o.rate_limits.hetzner_capacity = 1;
  });
  for (int i = 0; i < 5; ++i) {
    auto res = hetzner("GET", "/servers");
    BOOST_TEST(res.status == 200);
    BOOST_TEST(header(res, "RateLimit-Remaining") == "<missing>");
  }
  auto limits = parse(control("PUT", "/rate_limits", R"({"enabled":true})"));
  BOOST_TEST(limits["enabled"].GetBool());
  BOOST_TEST(hetzner("GET", "/servers").status == 200);
  BOOST_TEST(hetzner("GET", "/servers").status == 429);
}

BOOST_AUTO_TEST_CASE(sliding_window_unit) {
  sliding_window w{5, 2};
  BOOST_TEST((w.try_take(0) == window_verdict::ok));
  BOOST_TEST((w.try_take(1000) == window_verdict::ok));
  BOOST_TEST((w.try_take(2000) == window_verdict::minute_exceeded));
  BOOST_TEST(w.minute_wait_ms(2000) == 58000);
  BOOST_TEST((w.try_take(60001) == window_verdict::ok));
  BOOST_TEST(w.remaining(60001) == 2);
  BOOST_TEST(w.reset_ms(60001) == 3600000);
}

BOOST_AUTO_TEST_CASE(token_bucket_unit) {
  token_bucket b{2, 0.5, 0};
  BOOST_TEST(b.try_take(0));
  BOOST_TEST(b.try_take(0));
  BOOST_TEST(!b.try_take(0));
  BOOST_TEST(b.wait_ms(0) == 2000);
  BOOST_TEST(b.full_at_ms(0) == 4000);
  BOOST_TEST(b.try_take(2000));
}

BOOST_AUTO_TEST_SUITE_END()
