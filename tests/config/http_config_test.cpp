// The `http` section: defaults, listen addresses, tokens, limits, TLS paths.
#include <boost/test/unit_test.hpp>

#include "config/node_config.hpp"

#include <string>

using namespace dynserv;

namespace {

std::string with_http(const std::string& http) {
  return R"({"node": {"data_dir": "d"}, "limits": {"max_servers": 5},
            "providers": {"sim": {"type": "simulated"}},
            "pools": {"p": {"provider": "sim", "desired": 1}})"
         + (http.empty() ? std::string{} : ", \"http\": " + http) + "}";
}

std::string errors_of(const std::string& http) {
  auto res = parse_config(with_http(http), "/base");
  std::string result;
  for (auto& err : res.errors)
    result += err.to_string() + "\n";
  return result;
}

} // namespace

BOOST_AUTO_TEST_SUITE(http_section)

BOOST_AUTO_TEST_CASE(defaults) {
  auto res = parse_config(with_http(""), "/base");
  BOOST_REQUIRE(res.config);
  const auto& h = res.config->http;
  BOOST_TEST(h.enabled);
  BOOST_TEST(h.host == "127.0.0.1");
  BOOST_TEST(h.port == 8080);
  BOOST_TEST(h.token.empty());
  BOOST_TEST(h.token_env.empty());
  BOOST_TEST(!h.public_reads);
  BOOST_TEST(h.request_timeout.count() == 10000);
  BOOST_TEST(h.idle_timeout.count() == 60000);
  BOOST_TEST(h.body_limit == 65536u);
  BOOST_TEST(h.max_connections == 256u);
  BOOST_TEST(!h.tls);
}

BOOST_AUTO_TEST_CASE(every_key) {
  auto res = parse_config(with_http(R"({
      "listen": "[::1]:0", "token_env": "DYNSERV_HTTP_TOKEN",
      "public_reads": true, "request_timeout": "2s", "idle_timeout": "5m",
      "body_limit": 1024, "max_connections": 8,
      "tls": {"certificate": "tls/c.pem", "key": "/k.pem"}})"),
                          "/base");
  BOOST_REQUIRE(res.config);
  const auto& h = res.config->http;
  BOOST_TEST(h.host == "::1");
  BOOST_TEST(h.port == 0);
  BOOST_TEST(h.token_env == "DYNSERV_HTTP_TOKEN");
  BOOST_TEST(h.public_reads);
  BOOST_TEST(h.request_timeout.count() == 2000);
  BOOST_TEST(h.idle_timeout.count() == 300000);
  BOOST_TEST(h.body_limit == 1024u);
  BOOST_TEST(h.max_connections == 8u);
  BOOST_REQUIRE(h.tls);
  BOOST_TEST(h.tls->certificate == "/base/tls/c.pem");
  BOOST_TEST(h.tls->key == "/k.pem");
}

BOOST_AUTO_TEST_CASE(listen_off_disables_the_api) {
  auto res = parse_config(with_http(R"({"listen": "off"})"), "/base");
  BOOST_REQUIRE(res.config);
  BOOST_TEST(!res.config->http.enabled);
}

BOOST_AUTO_TEST_CASE(errors_name_the_key) {
  BOOST_TEST(errors_of(R"({"listen": "8080"})")
             == "http.listen: expected \"HOST:PORT\" (port 0 to 65535) or "
                "\"off\", got \"8080\"\n");
  BOOST_TEST(errors_of(R"({"token": "short"})")
             == "http.token: must be at least 16 characters long\n");
  BOOST_TEST(
    errors_of(R"({"token": "0123456789abcdef", "token_env": "DYNSERV_T"})")
    == "http.token: set either token or token_env, not both\n");
  BOOST_TEST(errors_of(R"({"token_env": "x-y"})")
             == "http.token_env: expected an environment variable name "
                "(A-Z, 0-9, _), got \"x-y\"\n");
  BOOST_TEST(errors_of(R"({"public_reads": "yes"})")
             == "http.public_reads: expected true or false, got a string\n");
  BOOST_TEST(errors_of(R"({"request_timeout": "5ms"})")
             == "http.request_timeout: must be at least 10ms, got 5ms\n");
  BOOST_TEST(errors_of(R"({"idle_timeout": 60})")
             == "http.idle_timeout: expected a duration string such as "
                "\"30s\", got an integer\n");
  BOOST_TEST(errors_of(R"({"body_limit": 0})")
             == "http.body_limit: must be between 1 and 67108864, got 0\n");
  BOOST_TEST(errors_of(R"({"max_connections": -1})")
             == "http.max_connections: must be >= 0, got -1\n");
  BOOST_TEST(errors_of(R"({"max_connections": 100000})")
             == "http.max_connections: must be between 1 and 65536, got "
                "100000\n");
  BOOST_TEST(errors_of(R"({"tls": {"certificate": "c.pem"}})")
             == "http.tls.key: missing required key\n");
  BOOST_TEST(
    errors_of(R"({"tls": {"certificate": "c", "key": "k", "cafile": "a"}})")
    == "http.tls.cafile: unknown key\n");
  BOOST_TEST(errors_of(R"({"publc_reads": true})")
             == "http.publc_reads: unknown key (did you mean "
                "\"public_reads\"?)\n");
  BOOST_TEST(errors_of(R"("on")")
             == "http: expected an object, got a string\n");
}

BOOST_AUTO_TEST_SUITE_END()
