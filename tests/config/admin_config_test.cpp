// The `admin` section: defaults, listen addresses, tokens and TLS paths.
#include <boost/test/unit_test.hpp>

#include "config/node_config.hpp"

#include <string>

using namespace dynserv;

namespace {

std::string with_admin(const std::string& admin) {
  return R"({"node": {"data_dir": "d"}, "limits": {"max_servers": 5},
            "providers": {"sim": {"type": "simulated"}},
            "pools": {"p": {"provider": "sim", "desired": 1}})"
         + (admin.empty() ? std::string{} : ", \"admin\": " + admin) + "}";
}

std::string errors_of(const std::string& admin) {
  auto res = parse_config(with_admin(admin), "/base");
  std::string result;
  for (auto& err : res.errors)
    result += err.to_string() + "\n";
  return result;
}

} // namespace

BOOST_AUTO_TEST_SUITE(admin_section)

BOOST_AUTO_TEST_CASE(defaults_listen_on_loopback_4242) {
  auto res = parse_config(with_admin(""), "/base");
  BOOST_REQUIRE(res.config);
  const auto& a = res.config->admin;
  BOOST_TEST(a.enabled);
  BOOST_TEST(a.host == "127.0.0.1");
  BOOST_TEST(a.port == 4242);
  BOOST_TEST(a.token.empty());
  BOOST_TEST(a.token_env.empty());
  BOOST_TEST(!a.tls);
}

BOOST_AUTO_TEST_CASE(listen_off_disables_the_console) {
  auto res = parse_config(with_admin(R"({"listen": "off"})"), "/base");
  BOOST_REQUIRE(res.config);
  BOOST_TEST(!res.config->admin.enabled);
}

BOOST_AUTO_TEST_CASE(listen_takes_host_port_and_bracketed_ipv6) {
  auto res = parse_config(with_admin(R"({"listen": "0.0.0.0:0"})"), "/base");
  BOOST_REQUIRE(res.config);
  BOOST_TEST(res.config->admin.host == "0.0.0.0");
  BOOST_TEST(res.config->admin.port == 0);
  res = parse_config(with_admin(R"({"listen": "[::1]:9000"})"), "/base");
  BOOST_REQUIRE(res.config);
  BOOST_TEST(res.config->admin.host == "::1");
  BOOST_TEST(res.config->admin.port == 9000);
}

BOOST_AUTO_TEST_CASE(bad_listen_values_name_the_key) {
  for (auto bad : {"4242", "localhost:", ":4242", "h:70000", "h:12x"})
    BOOST_TEST(errors_of(std::string{R"({"listen": ")"} + bad + "\"}")
               == std::string{"admin.listen: expected \"HOST:PORT\" (port "
                              "0 to 65535) or \"off\", got \""}
                    + bad + "\"\n");
}

BOOST_AUTO_TEST_CASE(tokens_must_be_long_and_not_doubled) {
  BOOST_TEST(errors_of(R"({"token": "short"})")
             == "admin.token: must be at least 16 characters long\n");
  BOOST_TEST(errors_of(R"({"token_env": "lower-case"})")
             == "admin.token_env: expected an environment variable name "
                "(A-Z, 0-9, _), got \"lower-case\"\n");
  BOOST_TEST(
    errors_of(R"({"token": "0123456789abcdef", "token_env": "DYNSERV_T"})")
    == "admin.token: set either token or token_env, not both\n");
  auto res = parse_config(with_admin(R"({"token_env": "DYNSERV_T"})"), "/base");
  BOOST_REQUIRE(res.config);
  BOOST_TEST(res.config->admin.token_env == "DYNSERV_T");
}

BOOST_AUTO_TEST_CASE(tls_paths_resolve_against_the_config_dir) {
  auto res = parse_config(
    with_admin(R"({"tls": {"certificate": "c.pem", "key": "/k.pem"}})"),
    "/base");
  BOOST_REQUIRE(res.config);
  BOOST_REQUIRE(res.config->admin.tls);
  BOOST_TEST(res.config->admin.tls->certificate == "/base/c.pem");
  BOOST_TEST(res.config->admin.tls->key == "/k.pem");
  BOOST_TEST(res.config->admin.tls->cafile.empty());
  BOOST_TEST(errors_of(R"({"tls": {"certificate": "c.pem"}})")
             == "admin.tls.key: missing required key\n");
  BOOST_TEST(errors_of(R"({"tokn": "x"})")
             == "admin.tokn: unknown key (did you mean \"token\"?)\n");
}

BOOST_AUTO_TEST_SUITE_END()
