// The keys of the real providers (upcloud, hetzner, digitalocean, exec),
// rate_limit.reserve and published defaults, pools' server objects and the
// orphans section.
#include <boost/test/unit_test.hpp>

#include "config/node_config.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

using namespace dynserv;
using namespace std::chrono_literals;

namespace fs = std::filesystem;

namespace {

/// A config with one provider entry `sim` set to `provider` (an object's
/// text) and one pool on it with `pool_extra` members appended.
/// A pool `server` object that the provider type in `provider` accepts, so
/// that cases about other keys are not distracted by spec checks.
std::string valid_spec_for(const std::string& provider) {
  if (provider.find("\"upcloud\"") != std::string::npos)
    return R"(, "server": {"zone": "de-fra1", "plan": "1xCPU-1GB",
                           "template": "01000000-0000-4000-8000-000020060100"})";
  if (provider.find("\"hetzner\"") != std::string::npos)
    return R"(, "server": {"server_type": "cx22", "image": "debian-12"})";
  if (provider.find("\"digitalocean\"") != std::string::npos)
    return R"(, "server": {"region": "fra1", "size": "s-1vcpu-1gb",
                           "image": "debian-12-x64"})";
  return "";
}

std::string with_provider(const std::string& provider,
                          const std::string& pool_extra = "",
                          const std::string& extra_sections = "") {
  auto spec = pool_extra.find("\"server\"") == std::string::npos
                ? valid_spec_for(provider)
                : std::string{};
  return R"({"node": {"data_dir": "d"}, "limits": {"max_servers": 5},)"
         + extra_sections + R"("providers": {"sim": )" + provider
         + R"(}, "pools": {"p": {"provider": "sim", "desired": 1)" + pool_extra
         + spec + "}}}";
}

std::string errors_of(const config_result& res) {
  std::string result;
  for (auto& err : res.errors)
    result += err.to_string() + "\n";
  return result;
}

std::string errors_of(const std::string& text) {
  auto res = parse_config(text, "/base");
  BOOST_TEST(res.config.has_value() == res.errors.empty());
  return errors_of(res);
}

node_config valid(const std::string& text) {
  auto res = parse_config(text, "/base");
  BOOST_TEST_REQUIRE(errors_of(res) == "");
  BOOST_TEST_REQUIRE(res.config.has_value());
  return *res.config;
}

/// Sets an environment variable for the lifetime of the object.
struct scoped_env {
  scoped_env(const char* name, const char* value) : name_(name) {
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~scoped_env() {
    ::unsetenv(name_);
  }
  const char* name_;
};

} // namespace

BOOST_AUTO_TEST_SUITE(cloud_configs)

BOOST_AUTO_TEST_CASE(hetzner_defaults_and_published_rate_limit) {
  auto cfg = valid(with_provider(R"({"type": "hetzner", "token": "t0k"})"));
  auto& pc = cfg.providers.at("sim");
  BOOST_TEST(pc.type == "hetzner");
  BOOST_TEST(pc.api.http.base_url == "https://api.hetzner.cloud/v1");
  BOOST_TEST(pc.api.token == "t0k");
  BOOST_TEST(pc.api.http.tls_verify);
  BOOST_TEST(pc.api.http.ca_file.empty());
  BOOST_TEST(pc.api.http.connect_timeout.count()
             == http_client_options{}.connect_timeout.count());
  BOOST_TEST(pc.api.http.read_timeout.count()
             == http_client_options{}.read_timeout.count());
  BOOST_TEST(pc.stop_timeout.count() == 60000);
  BOOST_TEST(pc.budget_reserve == 0.1);
  // 3600 an hour refilling 1/s, scaled by 1 - reserve.
  BOOST_TEST_REQUIRE(pc.rate_limit.has_value());
  BOOST_TEST(pc.rate_limit->requests_per_second == 0.9,
             boost::test_tools::tolerance(1e-9));
  BOOST_TEST(pc.rate_limit->burst == 3240.0,
             boost::test_tools::tolerance(1e-9));
  BOOST_TEST(cfg.pools.at("p").server_spec
             == R"({"server_type":"cx22","image":"debian-12"})");
}

BOOST_AUTO_TEST_CASE(published_defaults_per_type) {
  auto d = default_rate_limit("digitalocean", 0.0);
  BOOST_TEST_REQUIRE(d.has_value());
  // Within both published windows: 250 a minute, 5000 an hour.
  BOOST_TEST(d->burst + 60 * d->requests_per_second <= 250.0);
  BOOST_TEST(d->burst + 3600 * d->requests_per_second <= 5000.0);
  auto h = default_rate_limit("hetzner", 0.0);
  BOOST_TEST_REQUIRE(h.has_value());
  BOOST_TEST(h->burst <= 3600.0);
  BOOST_TEST(h->requests_per_second <= 1.0);
  auto u = default_rate_limit("upcloud", 0.5);
  BOOST_TEST_REQUIRE(u.has_value());
  BOOST_TEST(u->requests_per_second == 5.0);
  BOOST_TEST(u->burst == 20.0);
  BOOST_TEST(!default_rate_limit("simulated", 0.1).has_value());
  BOOST_TEST(!default_rate_limit("exec", 0.1).has_value());
  BOOST_TEST(published_refill_rate("hetzner") == 1.0);
  BOOST_TEST(published_refill_rate("upcloud") == 0.0);
}

BOOST_AUTO_TEST_CASE(every_http_key_is_read) {
  scoped_env env{"DYNSERV_TEST_DO_TOKEN", "from-env"};
  auto cfg = valid(with_provider(
    R"({"type": "digitalocean", "token_env": "DYNSERV_TEST_DO_TOKEN",
        "base_url": "http://127.0.0.1:9/v2", "tls_verify": false,
        "connect_timeout": "2s", "read_timeout": "7s",
        "stop_timeout": "90s",
        "rate_limit": {"requests_per_second": 2, "reserve": 0.25}})"));
  auto& pc = cfg.providers.at("sim");
  BOOST_TEST(pc.api.token == "from-env");
  BOOST_TEST(pc.api.http.base_url == "http://127.0.0.1:9/v2");
  BOOST_TEST(!pc.api.http.tls_verify);
  BOOST_TEST(pc.api.http.connect_timeout.count() == 2000);
  BOOST_TEST(pc.api.http.read_timeout.count() == 7000);
  BOOST_TEST(pc.stop_timeout.count() == 90000);
  BOOST_TEST(pc.budget_reserve == 0.25);
  BOOST_TEST_REQUIRE(pc.rate_limit.has_value());
  // The given rate; the burst left out is the published one times 0.75.
  BOOST_TEST(pc.rate_limit->requests_per_second == 2.0);
  BOOST_TEST(pc.rate_limit->burst == 112.5, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(upcloud_takes_basic_credentials_or_a_token) {
  scoped_env user{"DYNSERV_TEST_UC_USER", "api-user"};
  auto cfg = valid(with_provider(
    R"({"type": "upcloud", "username_env": "DYNSERV_TEST_UC_USER",
        "password": "pw"})"));
  auto& pc = cfg.providers.at("sim");
  BOOST_TEST(pc.api.username == "api-user");
  BOOST_TEST(pc.api.password == "pw");
  BOOST_TEST(pc.api.token.empty());
  BOOST_TEST(pc.api.http.base_url == "https://api.upcloud.com/1.3");
  BOOST_TEST_REQUIRE(pc.rate_limit.has_value());
  BOOST_TEST(pc.rate_limit->requests_per_second == 5.0);
  BOOST_TEST(pc.rate_limit->burst == 20.0);
  auto tok = valid(with_provider(R"({"type": "upcloud", "token": "ucat_x"})"));
  BOOST_TEST(tok.providers.at("sim").api.token == "ucat_x");
}

BOOST_AUTO_TEST_CASE(ca_file_resolves_against_the_config_dir) {
  std::random_device rd;
  auto dir = fs::temp_directory_path()
             / ("dynserv-cloud-config-" + std::to_string(rd()));
  fs::create_directories(dir);
  { std::ofstream{dir / "ca.pem"} << "pem"; }
  auto text = with_provider(
    R"({"type": "hetzner", "token": "t", "ca_file": "ca.pem"})");
  auto res = parse_config(text, dir.string());
  BOOST_TEST(errors_of(res) == "");
  if (res.config)
    BOOST_TEST(res.config->providers.at("sim").api.http.ca_file
               == (dir / "ca.pem").string());
  auto missing = parse_config(
    with_provider(R"({"type": "hetzner", "token": "t", "ca_file": "no.pem"})"),
    dir.string());
  BOOST_TEST(errors_of(missing)
             == "providers.sim.ca_file: cannot read \""
                  + (dir / "no.pem").string()
                  + "\": No such file or directory\n");
  auto folder = parse_config(
    with_provider(R"({"type": "hetzner", "token": "t", "ca_file": "."})"),
    dir.string());
  BOOST_TEST(errors_of(folder).find("providers.sim.ca_file: cannot read")
             == 0u);
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(credential_errors_name_the_key_and_the_variable) {
  scoped_env unset{"DYNSERV_TEST_UNSET", nullptr};
  scoped_env empty{"DYNSERV_TEST_EMPTY", ""};
  scoped_env secret{"DYNSERV_TEST_SECRET", "s3cr3t-value"};
  auto p = [](const std::string& body) {
    return errors_of(with_provider(body));
  };
  BOOST_TEST(p(R"({"type": "hetzner"})")
             == "providers.sim.token: missing credentials: set token or "
                "token_env\n");
  BOOST_TEST(p(R"({"type": "hetzner", "token_env": "DYNSERV_TEST_UNSET"})")
             == "providers.sim.token_env: environment variable "
                "DYNSERV_TEST_UNSET is not set\n");
  BOOST_TEST(p(R"({"type": "digitalocean",
                   "token_env": "DYNSERV_TEST_EMPTY"})")
             == "providers.sim.token_env: environment variable "
                "DYNSERV_TEST_EMPTY is empty\n");
  auto both = p(R"({"type": "hetzner", "token": "abc",
                    "token_env": "DYNSERV_TEST_SECRET"})");
  BOOST_TEST(both
             == "providers.sim.token: set either token or token_env, not "
                "both\n");
  BOOST_TEST(both.find("s3cr3t") == std::string::npos);
  BOOST_TEST(p(R"({"type": "hetzner", "token": ""})")
             == "providers.sim.token: must not be empty\n");
  BOOST_TEST(p(R"({"type": "hetzner", "token_env": "1BAD"})")
             == "providers.sim.token_env: expected an environment variable "
                "name (letters, digits and _, not starting with a digit), "
                "got \"1BAD\"\n");
  BOOST_TEST(p(R"({"type": "hetzner", "token": "t", "username": "u"})")
             == "providers.sim.username: unknown key\n");
  BOOST_TEST(p(R"({"type": "upcloud"})")
             == "providers.sim.token: missing credentials: set token or "
                "token_env, or username and password (or their _env keys)\n");
  BOOST_TEST(p(R"({"type": "upcloud", "username": "u"})")
             == "providers.sim.password: missing: set password or "
                "password_env (username is set)\n");
  BOOST_TEST(p(R"({"type": "upcloud", "password_env": "DYNSERV_TEST_SECRET"})")
             == "providers.sim.username: missing: set username or "
                "username_env (password is set)\n");
  BOOST_TEST(p(R"({"type": "upcloud", "token": "t", "username": "u",
                   "password": "p"})")
             == "providers.sim.token: set either token/token_env or username "
                "and password, not both\n");
  BOOST_TEST(p(R"({"type": "upcloud", "username": "u", "password": "p",
                   "password_env": "DYNSERV_TEST_SECRET"})")
             == "providers.sim.password: set either password or "
                "password_env, not both\n");
}

BOOST_AUTO_TEST_CASE(http_value_errors) {
  auto p = [](const std::string& body) {
    return errors_of(with_provider(body));
  };
  BOOST_TEST(p(R"({"type": "hetzner", "token": "t", "base_url": "ftp://x"})")
             == "providers.sim.base_url: expected a URL starting with "
                "https:// or http://, got \"ftp://x\"\n");
  BOOST_TEST(p(R"({"type": "hetzner", "token": "t", "tls_verify": "no"})")
             == "providers.sim.tls_verify: expected a boolean, got a "
                "string\n");
  BOOST_TEST(p(R"({"type": "hetzner", "token": "t", "read_timeout": "0s"})")
             == "providers.sim.read_timeout: must be at least 1ms, got 0s\n");
  BOOST_TEST(p(R"({"type": "hetzner", "token": "t", "stop_timeout": "5"})")
             == "providers.sim.stop_timeout: invalid duration \"5\": expected "
                "a number followed by ms, s, m or h, e.g. \"500ms\" or "
                "\"1.5s\"\n");
  BOOST_TEST(p(R"({"type": "hetzner", "token": "t", "create_time": "1s"})")
             == "providers.sim.create_time: unknown key\n");
  BOOST_TEST(p(R"({"type": "hetzner", "token": "t",
                   "rate_limit": {"reserve": 1}})")
             == "providers.sim.rate_limit.reserve: must be at least 0 and "
                "below 1, got 1\n");
  BOOST_TEST(p(R"({"type": "hetzner", "token": "t",
                   "rate_limit": {"reserve": -0.1}})")
             == "providers.sim.rate_limit.reserve: must be at least 0 and "
                "below 1, got -0.1\n");
  // Keys of a real type are tolerated while the type is missing.
  BOOST_TEST(p(R"({"token": "t", "command": ["x"]})")
             == "providers.sim.type: missing required key\n");
}

BOOST_AUTO_TEST_CASE(exec_provider_keys) {
  auto cfg = valid(with_provider(
    R"({"type": "exec", "command": ["bin/provider", "--flag=a/b", "/abs/x",
                                    "plain"],
        "timeout": "30s", "env": {"REGION": "eu", "lower_ok": "1"}})"));
  auto& pc = cfg.providers.at("sim");
  std::vector<std::string> want{"/base/bin/provider", "--flag=a/b", "/abs/x",
                                "plain"};
  BOOST_TEST(pc.exec.command == want, boost::test_tools::per_element());
  BOOST_TEST(pc.exec.timeout.count() == 30000);
  BOOST_TEST(pc.exec.env.at("REGION") == "eu");
  BOOST_TEST(pc.exec.env.size() == 2u);
  BOOST_TEST(!pc.rate_limit.has_value(), "exec is not rate limited by default");
  auto defaults = valid(with_provider(R"({"type": "exec", "command": ["x"]})"));
  BOOST_TEST(defaults.providers.at("sim").exec.timeout.count() == 60000);
  auto p = [](const std::string& body) {
    return errors_of(with_provider(body));
  };
  BOOST_TEST(p(R"({"type": "exec"})")
             == "providers.sim.command: missing required key\n");
  BOOST_TEST(p(R"({"type": "exec", "command": []})")
             == "providers.sim.command: must not be empty\n");
  BOOST_TEST(p(R"({"type": "exec", "command": "run.sh"})")
             == "providers.sim.command: expected a non-empty array of "
                "strings, got a string\n");
  BOOST_TEST(p(R"({"type": "exec", "command": ["x", 3, ""]})")
             == "providers.sim.command[1]: expected a string, got an "
                "integer\n"
                "providers.sim.command[2]: must not be empty\n");
  BOOST_TEST(p(R"({"type": "exec", "command": ["x"], "env": {"A=B": "1",
                   "C": 2}})")
             == "providers.sim.env.A=B: invalid environment variable name: "
                "use letters, digits and _, not starting with a digit\n"
                "providers.sim.env.C: expected a string, got an integer\n");
  BOOST_TEST(p(R"({"type": "exec", "command": ["x"], "token": "t"})")
             == "providers.sim.token: unknown key\n");
}

BOOST_AUTO_TEST_CASE(pool_server_objects) {
  auto cfg
    = valid(with_provider(R"({"type": "hetzner", "token": "t"})",
                          R"(, "server": {"server_type": "cx22", "image": 42,
                    "labels": {"a": "b"}})"));
  BOOST_TEST(cfg.pools.at("p").server_spec
             == R"({"server_type":"cx22","image":42,"labels":{"a":"b"}})");
  BOOST_TEST(errors_of(with_provider(R"({"type": "hetzner", "token": "t"})",
                                     R"(, "server": 5)"))
             == "pools.p.server: expected an object, got an integer\n");
  BOOST_TEST(
    errors_of(with_provider(R"({"type": "simulated"})", R"(, "server": [])"))
    == "pools.p.server: expected an object, got an array\n");
  // The simulated cloud takes any object and ignores it.
  auto sim = valid(with_provider(R"({"type": "simulated"})",
                                 R"(, "server": {"anything": true})"));
  BOOST_TEST(sim.pools.at("p").server_spec == R"({"anything":true})");
}

BOOST_AUTO_TEST_CASE(orphans_section) {
  auto defaults = valid(with_provider(R"({"type": "simulated"})"));
  BOOST_TEST((defaults.orphans.action == orphan_action::destroy));
  BOOST_TEST(defaults.orphans.grace.count() == 600000);
  BOOST_TEST(defaults.orphans.sweep_interval.count() == 600000);
  auto cfg
    = valid(with_provider(R"({"type": "simulated"})", "",
                          R"("orphans": {"action": "adopt", "grace": "0s",
                   "sweep_interval": "90s"},)"));
  BOOST_TEST((cfg.orphans.action == orphan_action::adopt));
  BOOST_TEST(cfg.orphans.grace.count() == 0);
  BOOST_TEST(cfg.orphans.sweep_interval.count() == 90000);
  BOOST_TEST(std::string{to_string(orphan_action::destroy)} == "delete");
  BOOST_TEST(
    errors_of(with_provider(R"({"type": "simulated"})", "",
                            R"("orphans": {"action": "kill", "grace": 5,
                                           "sweep_interval": "10ms",
                                           "mode": 1},)"))
    == "orphans.action: expected \"delete\", \"adopt\" or \"report\", got "
       "\"kill\"\n"
       "orphans.grace: expected a duration string such as \"30s\", got an "
       "integer\n"
       "orphans.sweep_interval: must be at least 1s, got 10ms\n"
       "orphans.mode: unknown key\n");
}

BOOST_AUTO_TEST_SUITE_END()
