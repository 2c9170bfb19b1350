// The real dynserv-cloudsim process: started on port 0, it prints its URL,
// serves HTTP (including a dropped answer) and stops on SIGTERM.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <csignal>
#include <string>

#include "http/http_client.hpp"
#include "tests/fixtures/temp_dir.hpp"
#include "tests/integration/process.hpp"

using namespace dynserv;
using dynserv::test::child_process;
using dynserv::test::temp_dir;

namespace {

constexpr auto startup_deadline = std::chrono::seconds{30};

/// Polls `path` until it holds a complete "listening on" line; returns the
/// URL or an empty string after the deadline.
std::string wait_for_url(const std::string& path, child_process& proc) {
  auto deadline = std::chrono::steady_clock::now() + startup_deadline;
  const std::string marker = "dynserv-cloudsim listening on ";
  while (std::chrono::steady_clock::now() < deadline) {
    auto out = dynserv::test::read_file(path);
    auto nl = out.find('\n');
    if (nl != std::string::npos) {
      BOOST_REQUIRE_MESSAGE(out.rfind(marker, 0) == 0, "unexpected: " + out);
      return out.substr(marker.size(), nl - marker.size());
    }
    if (!proc.running())
      return {};
    dynserv::test::sleep_for(std::chrono::milliseconds{10});
  }
  return {};
}

http_request get(const std::string& target, const std::string& auth) {
  http_request req;
  req.method = "GET";
  req.target = target;
  req.headers.emplace_back("Authorization", auth);
  return req;
}

} // namespace

BOOST_AUTO_TEST_SUITE(process_tests)

BOOST_AUTO_TEST_CASE(serves_on_a_free_port_and_stops_on_sigterm) {
  temp_dir dir{"cloudsim-test"};
  auto out = dir.path + "/out.txt";
  auto err = dir.path + "/err.txt";
  child_process proc{{DYNSERV_CLOUDSIM_BINARY, "--listen", "127.0.0.1:0",
                      "--latency", "off", "--time-scale", "1000",
                      "--hetzner-token", "tok-1"},
                     out,
                     err};
  auto url = wait_for_url(out, proc);
  BOOST_REQUIRE_MESSAGE(!url.empty(),
                        "no URL; stderr: " + dynserv::test::read_file(err));
  BOOST_TEST(url.rfind("http://127.0.0.1:", 0) == 0);
  std::string error;
  http_client_options opts;
  opts.base_url = url + "/hetzner/v1";
  opts.read_timeout = std::chrono::seconds{20};
  auto client = make_http_client(opts, &error);
  BOOST_REQUIRE_MESSAGE(client != nullptr, error);
  auto res = client->send(get("/servers", "Bearer tok-1"));
  BOOST_REQUIRE_MESSAGE(res.ok(), res.detail);
  BOOST_TEST(res.response.status == 200);
  BOOST_TEST(find_header(res.response.headers, "RateLimit-Limit").value_or("")
             == "3600");
  BOOST_TEST(res.response.body.find("\"servers\":[]") != std::string::npos);
  auto denied = client->send(get("/servers", "Bearer wrong"));
  BOOST_REQUIRE(denied.ok());
  BOOST_TEST(denied.response.status == 401);
  // A create whose answer is lost: the client sees a lost exchange, the
  // server exists anyway.
  http_client_options copts;
  copts.base_url = url + "/_sim";
  auto control = make_http_client(copts, &error);
  BOOST_REQUIRE(control != nullptr);
  http_request rule;
  rule.method = "POST";
  rule.target = "/faults";
  rule.body = R"({"kind":"lost_response","op":"create","count":1})";
  auto added = control->send(rule);
  BOOST_REQUIRE(added.ok());
  BOOST_TEST(added.response.status == 201);
  http_request create;
  create.method = "POST";
  create.target = "/servers";
  create.body = R"({"name":"a","server_type":"cx22","image":"x"})";
  create.headers.emplace_back("Authorization", "Bearer tok-1");
  create.headers.emplace_back("Content-Type", "application/json");
  // A fresh client: http_client resends once when a *reused* connection
  // closes before any byte arrives, which would replay the create.
  auto fresh = make_http_client(opts, &error);
  BOOST_REQUIRE(fresh != nullptr);
  auto lost = fresh->send(create);
  BOOST_TEST(!lost.ok());
  BOOST_TEST((lost.failure == http_failure::lost));
  auto inv = control->send(get("/inventory", ""));
  BOOST_REQUIRE(inv.ok());
  BOOST_TEST(inv.response.body.find("\"name\":\"a\"") != std::string::npos);
  BOOST_REQUIRE(proc.send_signal(SIGTERM));
  BOOST_REQUIRE(proc.wait_for(std::chrono::seconds{30}));
  BOOST_TEST(proc.status().exited);
  BOOST_TEST(proc.status().code == 0);
}

BOOST_AUTO_TEST_CASE(bad_options_exit_with_2) {
  temp_dir dir{"cloudsim-test"};
  auto r = dynserv::test::run_to_completion(
    {DYNSERV_CLOUDSIM_BINARY, "--rate-limits", "sometimes"}, dir.path + "/bad");
  BOOST_TEST(!r.timed_out);
  BOOST_TEST(r.status.code == 2);
  BOOST_TEST(r.err.find("--rate-limits") != std::string::npos);
  auto help = dynserv::test::run_to_completion(
    {DYNSERV_CLOUDSIM_BINARY, "--help"}, dir.path + "/help");
  BOOST_TEST(help.status.code == 0);
  BOOST_TEST(help.out.find("--hetzner-rate-limit") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
