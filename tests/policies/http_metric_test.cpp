// http_metric: JSON pointer extraction, the count formula, and fetches
// against a local server that mimics Laravel Horizon's /horizon/api/stats
// (good answers, garbage, non-numeric values, 500s, timeouts, tokens).
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <mutex>
#include <vector>

#include "http/http_server.hpp"
#include "policies/http_metric.hpp"

using namespace dynserv;

namespace {

/// The shape of Horizon's GET /horizon/api/stats (Horizon 5): `wait` maps
/// "connection:queue" to the expected wait in seconds.
std::string horizon_stats(int wait_default, int wait_emails = 3) {
  return R"({"failedJobs":0,"jobsPerMinute":120,"pausedMasters":0,)"
         R"("periods":{"failedJobs":10080,"recentJobs":60},"processes":8,)"
         R"("queueWithMaxRuntime":"default","queueWithMaxThroughput":"default",)"
         R"("recentJobs":7200,"status":"running","wait":{"redis:default":)"
         + std::to_string(wait_default) + R"(,"redis:emails":)"
         + std::to_string(wait_emails) + "}}";
}

/// A local server answering with whatever `answer` says; records requests.
struct horizon_server {
  std::mutex mtx;
  std::vector<http_request> requests;
  std::function<void(const http_request&, std::shared_ptr<http_exchange>)>
    answer;
  /// Exchanges held open (timeouts); answered at the end.
  std::vector<std::shared_ptr<http_exchange>> held;
  std::unique_ptr<http_server> server;

  horizon_server() {
    http_server_options opts;
    opts.port = 0;
    std::string error;
    server = start_http_server(
      opts,
      [this](http_request req, std::shared_ptr<http_exchange> ex) {
        std::function<void(const http_request&, std::shared_ptr<http_exchange>)>
          f;
        {
          std::lock_guard<std::mutex> guard{mtx};
          requests.push_back(req);
          f = answer;
        }
        f(req, std::move(ex));
      },
      &error);
    BOOST_REQUIRE_MESSAGE(server != nullptr, error);
  }

  ~horizon_server() {
    {
      std::lock_guard<std::mutex> guard{mtx};
      for (auto& ex : held)
        ex->abort();
      held.clear();
    }
    server->stop(std::chrono::milliseconds{0});
  }

  void reply(int status, std::string body) {
    std::lock_guard<std::mutex> guard{mtx};
    answer = [status, body](const http_request&,
                            std::shared_ptr<http_exchange> ex) {
      http_response res;
      res.status = status;
      res.headers.emplace_back("Content-Type", "application/json");
      res.body = body;
      ex->respond(std::move(res));
    };
  }

  void hang() {
    std::lock_guard<std::mutex> guard{mtx};
    answer = [this](const http_request&, std::shared_ptr<http_exchange> ex) {
      std::lock_guard<std::mutex> guard{mtx};
      held.push_back(std::move(ex));
    };
  }

  http_metric_spec spec(std::string path = "/horizon/api/stats") {
    http_metric_spec s;
    s.url = "http://127.0.0.1:" + std::to_string(server->port()) + path;
    s.pointer = "/wait/redis:default";
    s.per_server = 10;
    s.timeout = std::chrono::seconds{5};
    return s;
  }

  size_t request_count() {
    std::lock_guard<std::mutex> guard{mtx};
    return requests.size();
  }
};

env_lookup fake_env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto i = vars.find(name);
    if (i == vars.end())
      return std::nullopt;
    return i->second;
  };
}

} // namespace

BOOST_AUTO_TEST_SUITE(http_metric_tests)

BOOST_AUTO_TEST_CASE(pointer_extraction) {
  auto body = horizon_stats(42);
  auto s = extract_metric(body, "/wait/redis:default");
  BOOST_TEST(s.ok);
  BOOST_TEST(s.value == 42.0);
  BOOST_TEST(extract_metric(body, "/jobsPerMinute").value == 120.0);
  BOOST_TEST(extract_metric(R"({"a":[1,2.5]})", "/a/1").value == 2.5);
  BOOST_TEST(extract_metric(R"({"a/b":{"m~n":7}})", "/a~1b/m~0n").value == 7.0);
  auto missing = extract_metric(body, "/wait/redis:nothing");
  BOOST_TEST(!missing.ok);
  BOOST_TEST(missing.error == "nothing at /wait/redis:nothing in the body");
  auto text = extract_metric(body, "/status");
  BOOST_TEST(!text.ok);
  BOOST_TEST(text.error == "/status is a string, not a number");
  BOOST_TEST(!extract_metric(R"({"n":"42"})", "/n").ok);
  BOOST_TEST(!extract_metric(R"({"n":null})", "/n").ok);
  BOOST_TEST(!extract_metric(body, "/wait").ok);
  auto garbage = extract_metric("<html>502 Bad Gateway</html>", "/wait");
  BOOST_TEST(!garbage.ok);
  BOOST_TEST(garbage.error.find("the body is not JSON") == 0u, garbage.error);
  BOOST_TEST(!extract_metric("", "/wait").ok);
  BOOST_TEST(!extract_metric(body, "wait").ok); // not a pointer
  BOOST_TEST(valid_json_pointer("/wait/redis:default"));
  BOOST_TEST(valid_json_pointer(""));
  BOOST_TEST(!valid_json_pointer("wait"));
  BOOST_TEST(!valid_json_pointer("/a~2"));
}

BOOST_AUTO_TEST_CASE(count_formula) {
  // "queue wait / 10", rounded up.
  BOOST_TEST(metric_count(0, 10, 0) == 0);
  BOOST_TEST(metric_count(1, 10, 0) == 1);
  BOOST_TEST(metric_count(10, 10, 0) == 1);
  BOOST_TEST(metric_count(11, 10, 0) == 2);
  BOOST_TEST(metric_count(42, 10, 0) == 5);
  BOOST_TEST(metric_count(42, 10, 1) == 6);
  BOOST_TEST(metric_count(42, 10, -10) == 0);
  BOOST_TEST(metric_count(-5, 10, 0) == 0);
  BOOST_TEST(metric_count(0.3, 0.25, 0) == 2);
  BOOST_TEST(metric_count(1e300, 1, 0) == 1'000'000);
  BOOST_TEST(metric_count(1e300, 1, 0, 50) == 50);
  BOOST_TEST(metric_count(5, 0, 0) == 0);
  auto spec = http_metric_spec{};
  spec.pointer = "/wait/redis:default";
  spec.per_server = 10;
  spec.offset = 1;
  auto out = metric_output(spec, metric_sample{true, 42, ""});
  BOOST_TEST(out.ok);
  BOOST_TEST(out.count == 6);
  BOOST_TEST(out.input
             == "metric 42 at /wait/redis:default = ceil(42 / 10) + 1 = 6");
  auto failed = metric_output(spec, metric_sample{false, 0, "HTTP 500"});
  BOOST_TEST(!failed.ok);
  BOOST_TEST(failed.input == "metric unavailable: HTTP 500");
}

BOOST_AUTO_TEST_CASE(urls) {
  auto a = split_url("https://app.example.com/horizon/api/stats");
  BOOST_REQUIRE(a);
  BOOST_TEST(a->first == "https://app.example.com");
  BOOST_TEST(a->second == "/horizon/api/stats");
  auto b = split_url("http://127.0.0.1:8080?x=1");
  BOOST_REQUIRE(b);
  BOOST_TEST(b->first == "http://127.0.0.1:8080");
  BOOST_TEST(b->second == "/?x=1");
  BOOST_TEST(split_url("http://h")->second == "/");
  BOOST_TEST(!split_url("ftp://h/x"));
  BOOST_TEST(!split_url("http:///x"));
  BOOST_TEST(!split_url("h/x"));
}

BOOST_AUTO_TEST_CASE(fetches_horizon_stats) {
  horizon_server srv;
  srv.reply(200, horizon_stats(42));
  auto spec = srv.spec();
  spec.headers = {{"X-Tenant", "acme"}};
  spec.token_env = "HORIZON_TOKEN";
  auto s = fetch_metric(spec, fake_env({{"HORIZON_TOKEN", "s3cret-token"}}));
  BOOST_TEST_REQUIRE(s.ok, s.error);
  BOOST_TEST(s.value == 42.0);
  BOOST_TEST(metric_output(spec, s).count == 5);
  BOOST_REQUIRE(srv.request_count() == 1u);
  const auto& req = srv.requests[0];
  BOOST_TEST(req.method == "GET");
  BOOST_TEST(req.target == "/horizon/api/stats");
  BOOST_TEST(find_header(req.headers, "Authorization").value_or("")
             == "Bearer s3cret-token");
  BOOST_TEST(find_header(req.headers, "X-Tenant").value_or("") == "acme");
  BOOST_TEST(find_header(req.headers, "Accept").value_or("")
             == "application/json");
}

BOOST_AUTO_TEST_CASE(failures_are_reported_without_secrets) {
  horizon_server srv;
  auto spec = srv.spec();
  spec.token_env = "HORIZON_TOKEN";
  auto env = fake_env({{"HORIZON_TOKEN", "s3cret-token"}});
  auto check = [&](const std::string& what, const std::string& expected) {
    auto s = fetch_metric(spec, env);
    BOOST_TEST_CONTEXT(what) {
      BOOST_TEST(!s.ok);
      BOOST_TEST(s.error.find(expected) != std::string::npos, s.error);
      BOOST_TEST(s.error.find("s3cret") == std::string::npos, s.error);
    }
  };
  srv.reply(500, R"({"message":"Server Error"})");
  check("500", "HTTP 500");
  srv.reply(401, "");
  check("401", "HTTP 401");
  srv.reply(200, "<!DOCTYPE html><html>login</html>");
  check("garbage", "the body is not JSON");
  srv.reply(200, R"({"wait":{"redis:default":"soon"}})");
  check("non-numeric", "/wait/redis:default is a string, not a number");
  srv.reply(200, R"({"wait":[]})");
  check("missing", "nothing at /wait/redis:default");
  // Missing token: nothing is sent.
  auto before = srv.request_count();
  auto s = fetch_metric(spec, fake_env({}));
  BOOST_TEST(!s.ok);
  BOOST_TEST(s.error == "environment variable HORIZON_TOKEN is not set");
  BOOST_TEST(srv.request_count() == before);
}

BOOST_AUTO_TEST_CASE(timeouts_and_unreachable_hosts_fail) {
  horizon_server srv;
  srv.hang();
  auto spec = srv.spec();
  spec.timeout = std::chrono::milliseconds{300};
  auto s = fetch_metric(spec);
  BOOST_TEST(!s.ok);
  BOOST_TEST(s.error.find("request failed (lost)") == 0u, s.error);
  // A port nobody listens on (the server is stopped after taking it).
  std::string unused_url;
  {
    horizon_server gone;
    unused_url = gone.spec().url;
  }
  spec.url = unused_url;
  auto c = fetch_metric(spec);
  BOOST_TEST(!c.ok);
  BOOST_TEST(c.error.find("request failed (connect)") == 0u, c.error);
  spec.url = "gopher://x";
  BOOST_TEST(fetch_metric(spec).error == "invalid URL");
}

BOOST_AUTO_TEST_SUITE_END()
