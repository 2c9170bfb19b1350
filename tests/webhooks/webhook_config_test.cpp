// The `webhooks` section of the config file: defaults, every key, and each
// error with its key path (and no secret in any message).
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <string>

#include "config/node_config.hpp"

using namespace dynserv;

namespace {

constexpr const char* secret = "s3cret-s3cret-s3cret";

std::string with_webhooks(const std::string& webhooks) {
  return R"({"node": {"data_dir": "d"}, "limits": {"max_servers": 5},
            "providers": {"sim": {"type": "simulated"}},
            "pools": {"web": {"provider": "sim", "desired": 1},
                      "batch": {"provider": "sim", "desired": 0}})"
         + (webhooks.empty() ? std::string{} : ", \"webhooks\": " + webhooks)
         + "}";
}

std::string errors_of(const std::string& webhooks) {
  auto res = parse_config(with_webhooks(webhooks), "/base");
  std::string result;
  for (auto& err : res.errors)
    result += err.to_string() + "\n";
  return result;
}

/// One webhook "h" with the given extra keys after url and secret.
std::string hook(const std::string& extra) {
  return R"({"h": {"url": "https://example.org/in", "secret": ")"
         + std::string{secret} + "\"" + (extra.empty() ? "" : ", " + extra)
         + "}}";
}

} // namespace

BOOST_AUTO_TEST_SUITE(webhook_config_section)

BOOST_AUTO_TEST_CASE(absent_or_empty_means_no_webhooks) {
  auto res = parse_config(with_webhooks(""), "/base");
  BOOST_REQUIRE(res.config);
  BOOST_TEST(res.config->webhooks.empty());
  res = parse_config(with_webhooks("{}"), "/base");
  BOOST_REQUIRE(res.config);
  BOOST_TEST(res.config->webhooks.empty());
}

BOOST_AUTO_TEST_CASE(defaults) {
  auto res = parse_config(with_webhooks(hook("")), "/base");
  BOOST_REQUIRE_MESSAGE(res.config, errors_of(hook("")));
  const auto& h = res.config->webhooks.at("h");
  BOOST_TEST(h.name == "h");
  BOOST_TEST(h.url == "https://example.org/in");
  BOOST_TEST(h.secret == secret);
  BOOST_TEST(h.events.empty());
  BOOST_TEST(h.pools.empty());
  BOOST_TEST(h.timeout.count() == 10000);
  BOOST_TEST(h.backoff_initial.count() == 1000);
  BOOST_TEST(h.backoff_max.count() == 300000);
  BOOST_TEST(h.ca_file.empty());
  BOOST_TEST(h.tls_verify);
  BOOST_TEST(!h.from_start);
}

BOOST_AUTO_TEST_CASE(every_key) {
  ::setenv("DYNSERV_TEST_HOOK_SECRET", "from-the-environment-123", 1);
  auto text = R"({"ops": {
      "url": "http://127.0.0.1:9000/hook?k=v",
      "secret_env": "DYNSERV_TEST_HOOK_SECRET",
      "events": ["ServerRunning", "ServerErrored"], "pools": ["web"],
      "timeout": "2s", "backoff_initial": "100ms", "backoff_max": "30s",
      "ca_file": "certs/ca.pem", "tls_verify": false, "from": "start"}})";
  auto res = parse_config(with_webhooks(text), "/base");
  ::unsetenv("DYNSERV_TEST_HOOK_SECRET");
  BOOST_REQUIRE_MESSAGE(res.config, errors_of(text));
  const auto& h = res.config->webhooks.at("ops");
  BOOST_TEST(h.url == "http://127.0.0.1:9000/hook?k=v");
  BOOST_TEST(h.secret == "from-the-environment-123");
  BOOST_TEST(h.secret_env == "DYNSERV_TEST_HOOK_SECRET");
  BOOST_TEST(
    (h.events == std::vector<std::string>{"ServerRunning", "ServerErrored"}));
  BOOST_TEST((h.pools == std::vector<std::string>{"web"}));
  BOOST_TEST(h.timeout.count() == 2000);
  BOOST_TEST(h.backoff_initial.count() == 100);
  BOOST_TEST(h.backoff_max.count() == 30000);
  BOOST_TEST(h.ca_file == "/base/certs/ca.pem");
  BOOST_TEST(!h.tls_verify);
  BOOST_TEST(h.from_start);
}

BOOST_AUTO_TEST_CASE(url_errors) {
  BOOST_TEST(errors_of(R"({"h": {"secret": "0123456789abcdef"}})")
             == "webhooks.h.url: missing required key\n");
  BOOST_TEST(errors_of(R"({"h": {"url": 5, "secret": "0123456789abcdef"}})")
             == "webhooks.h.url: expected a string, got an integer\n");
  BOOST_TEST(
    errors_of(R"({"h": {"url": "ftp://x/y", "secret": "0123456789abcdef"}})")
    == "webhooks.h.url: unsupported scheme \"ftp\" (expected http or "
       "https)\n");
  BOOST_TEST(
    errors_of(R"({"h": {"url": "example.org", "secret": "0123456789abcdef"}})")
    == "webhooks.h.url: expected an http:// or https:// URL\n");
  BOOST_TEST(errors_of(R"({"h": {"url": "https://u:pw@example.org/",
                                 "secret": "0123456789abcdef"}})")
             == "webhooks.h.url: credentials in the URL are not supported "
                "(the signature authenticates the sender)\n");
  BOOST_TEST(errors_of(R"({"h": {"url": "https://example.org/#x",
                                 "secret": "0123456789abcdef"}})")
             == "webhooks.h.url: must not contain a fragment ('#')\n");
  BOOST_TEST(errors_of(R"({"h": {"url": "https:///path",
                                 "secret": "0123456789abcdef"}})")
             == "webhooks.h.url: missing host\n");
}

BOOST_AUTO_TEST_CASE(secret_errors_never_show_the_secret) {
  BOOST_TEST(errors_of(R"({"h": {"url": "http://h/"}})")
             == "webhooks.h.secret: missing required key (or secret_env)\n");
  auto short_secret = errors_of(R"({"h": {"url": "http://h/",
                                          "secret": "tiny-secret"}})");
  BOOST_TEST(short_secret
             == "webhooks.h.secret: must be at least 16 characters long\n");
  BOOST_TEST(short_secret.find("tiny-secret") == std::string::npos);
  BOOST_TEST(errors_of(R"({"h": {"url": "http://h/",
                                 "secret": "0123456789abcdef",
                                 "secret_env": "X_SECRET"}})")
               .find("webhooks.h.secret: set either secret or secret_env, "
                     "not both")
             != std::string::npos);
  ::unsetenv("DYNSERV_TEST_HOOK_UNSET");
  BOOST_TEST(errors_of(R"({"h": {"url": "http://h/",
                                 "secret_env": "DYNSERV_TEST_HOOK_UNSET"}})")
             == "webhooks.h.secret_env: environment variable "
                "DYNSERV_TEST_HOOK_UNSET is not set\n");
  ::setenv("DYNSERV_TEST_HOOK_SHORT", "short-value", 1);
  auto short_env = errors_of(R"({"h": {"url": "http://h/",
                                       "secret_env": "DYNSERV_TEST_HOOK_SHORT"}})");
  ::unsetenv("DYNSERV_TEST_HOOK_SHORT");
  BOOST_TEST(short_env
             == "webhooks.h.secret_env: environment variable "
                "DYNSERV_TEST_HOOK_SHORT must hold at least 16 characters\n");
  BOOST_TEST(short_env.find("short-value") == std::string::npos);
  BOOST_TEST(errors_of(R"({"h": {"url": "http://h/", "secret_env": "lower"}})")
             == "webhooks.h.secret_env: expected an environment variable "
                "name (A-Z, 0-9, _), got \"lower\"\n");
}

BOOST_AUTO_TEST_CASE(filter_errors) {
  BOOST_TEST(errors_of(hook(R"("events": ["ServerRuning"])"))
             == "webhooks.h.events[0]: unknown event reason "
                "\"ServerRuning\" (did you mean \"ServerRunning\"?)\n");
  BOOST_TEST(errors_of(hook(R"("events": ["Nope"])"))
               .find("webhooks.h.events[0]: unknown event reason \"Nope\" "
                     "(known: ServerStatusChanged, ServerCreating,")
             == 0u);
  BOOST_TEST(errors_of(hook(R"("events": [])"))
             == "webhooks.h.events: must name at least one event reason "
                "(leave the key out to match all)\n");
  BOOST_TEST(errors_of(hook(R"("events": "ServerRunning")"))
             == "webhooks.h.events: expected an array of strings, got a "
                "string\n");
  BOOST_TEST(errors_of(hook(R"("events": ["ServerRunning", 3,
                                          "ServerRunning"])"))
             == "webhooks.h.events[1]: expected a string, got an integer\n"
                "webhooks.h.events[2]: duplicate event reason "
                "\"ServerRunning\"\n");
  BOOST_TEST(errors_of(hook(R"("pools": ["wbe"])"))
             == "webhooks.h.pools[0]: unknown pool \"wbe\" (did you mean "
                "\"web\"?)\n");
  BOOST_TEST(errors_of(hook(R"("pools": ["database"])"))
             == "webhooks.h.pools[0]: unknown pool \"database\" (known: "
                "web, batch)\n");
}

BOOST_AUTO_TEST_CASE(timing_and_other_errors) {
  BOOST_TEST(errors_of(hook(R"("timeout": "0s")"))
             == "webhooks.h.timeout: must be at least 1ms, got 0s\n");
  BOOST_TEST(errors_of(hook(R"("backoff_initial": "10s", "backoff_max": "1s")"))
             == "webhooks.h.backoff_max: backoff_max (1s) must be at least "
                "backoff_initial (10s)\n");
  BOOST_TEST(errors_of(hook(R"("backoff_initial": "10m")"))
             == "webhooks.h.backoff_initial: backoff_max (5m) must be at "
                "least backoff_initial (10m)\n");
  BOOST_TEST(errors_of(hook(R"("from": "beginning")"))
             == "webhooks.h.from: must be \"start\" or \"end\", got "
                "\"beginning\"\n");
  BOOST_TEST(errors_of(hook(R"("tls_verify": "no")"))
             == "webhooks.h.tls_verify: expected true or false, got a "
                "string\n");
  BOOST_TEST(errors_of(hook(R"("evnets": ["ServerRunning"])"))
             == "webhooks.h.evnets: unknown key (did you mean \"events\"?)\n");
  BOOST_TEST(errors_of(R"({"Bad Name": {"url": "http://h/",
                                        "secret": "0123456789abcdef"}})")
             == "webhooks.Bad Name: invalid name: use 1 to 40 characters "
                "from a-z, 0-9, '_' and '-'\n");
  BOOST_TEST(errors_of(R"([])")
             == "webhooks: expected an object, got an array\n");
}

BOOST_AUTO_TEST_SUITE_END()
