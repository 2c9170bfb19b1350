// The real `dynserv` process serving its HTTP API: bound address in
// <data_dir>/http.addr, generated token in <data_dir>/http.token, an
// authenticated change and a read, and a clean stop.
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <string>

#include "rapidjson/document.h"

#include "http/http_client.hpp"
#include "tests/integration/harness.hpp"

using namespace dynserv;
using namespace dynserv::test;
using namespace std::chrono_literals;

namespace {

/// The first line of `path` (empty if there is none yet).
std::string first_line(const std::string& path) {
  auto text = read_file(path);
  auto eol = text.find('\n');
  return eol == std::string::npos ? std::string{} : text.substr(0, eol);
}

} // namespace

BOOST_AUTO_TEST_SUITE(http_api_process)

BOOST_AUTO_TEST_CASE(authenticated_put_then_get) {
  sandbox box{"http-api"};
  config_spec spec;
  spec.pools = {{"default", 1}};
  spec.http_listen = "127.0.0.1:0";
  box.write_config(spec);
  auto node = box.start_node();
  std::string addr;
  auto problem = poll_until(30s, [&] {
    addr = box.http_addr();
    return addr.empty() ? "no http.addr yet" : "";
  });
  BOOST_REQUIRE_MESSAGE(problem.empty(), problem << "\n"
                                                 << box.node_log_tail());
  BOOST_TEST(addr.rfind("127.0.0.1:", 0) == 0u);
  BOOST_TEST(addr != "127.0.0.1:0");
  auto token = first_line(box.http_token_path());
  BOOST_REQUIRE(token.size() >= 16u);
  http_client_options opts;
  opts.base_url = "http://" + addr;
  std::string error;
  auto client = make_http_client(opts, &error);
  BOOST_REQUIRE_MESSAGE(client, error);
  auto send = [&](const std::string& method, const std::string& target,
                  const std::string& body, bool with_token) {
    http_request req;
    req.method = method;
    req.target = target;
    req.body = body;
    if (!body.empty())
      req.headers.emplace_back("Content-Type", "application/json");
    if (with_token)
      req.headers.emplace_back("Authorization", "Bearer " + token);
    auto res = client->send(req);
    BOOST_REQUIRE_MESSAGE(res.ok(),
                          method << " " << target << ": " << res.detail);
    return res.response;
  };
  // Without the token: refused, nothing changes.
  auto refused = send("PUT", "/v1/pools/default/desired", R"({"count": 3})",
                      false);
  BOOST_TEST(refused.status == 401);
  auto put = send("PUT", "/v1/pools/default/desired", R"({"count": 3})", true);
  BOOST_TEST(put.status == 200, put.body);
  auto get = send("GET", "/v1/pools/default", {}, true);
  BOOST_REQUIRE(get.status == 200);
  rapidjson::Document doc;
  doc.Parse(get.body.c_str());
  BOOST_REQUIRE(!doc.HasParseError() && doc.IsObject());
  BOOST_TEST(doc["desired"].GetInt64() == 3);
  // The node converges to the count set through the API.
  auto converged = wait_converged(box, {{"default", 3}}, 60s);
  BOOST_TEST(converged.empty(), converged);
  // The token never reaches the log.
  BOOST_TEST(box.node_log_tail(1 << 20).find(token) == std::string::npos);
  BOOST_REQUIRE(signal_and_wait(*node, SIGTERM, 30s));
  BOOST_TEST(node->status().to_string() == "exit code 0");
}

BOOST_AUTO_TEST_SUITE_END()
