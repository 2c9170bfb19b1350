// How a node opens its providers and what reaches them: a pool's server
// object in every create request, errors of providers that cannot open.
#include <boost/test/unit_test.hpp>

#include <string>

#include "actors/node.hpp"
#include "messages/errors.hpp"
#include "providers/cloud_providers.hpp"
#include "tests/fixtures/node_fixture.hpp"

using namespace dynserv;
using namespace dynserv::test;

BOOST_FIXTURE_TEST_SUITE(provider_wiring_tests, node_fixture)

BOOST_AUTO_TEST_CASE(a_pools_server_object_reaches_every_create_request) {
  add_pool("web", 2);
  add_pool("batch", 1);
  ncfg.pools["web"].server_spec = R"({"plan":"2xCPU-4GB","zone":"de-fra1"})";
  auto& script = use_script();
  start();
  BOOST_TEST_REQUIRE(script.creates().size() == 3u);
  for (const auto& req : script.creates()) {
    if (req.pool == "web")
      BOOST_TEST(req.spec == R"({"plan":"2xCPU-4GB","zone":"de-fra1"})");
    else
      BOOST_TEST(req.spec == "{}");
  }
}

BOOST_AUTO_TEST_CASE(a_provider_that_cannot_open_is_an_error_naming_it) {
  quiet_logs quiet;
  auto cfg = ncfg;
  provider_config pc;
  pc.name = "h";
  pc.type = "hetzner";
  pc.api.http.base_url = "http://127.0.0.1:1/v1";
  pc.api.token = "s3cr3t-token";
  cfg.providers["h"] = pc;
  auto res = open_provider(cfg, "h", clock(), false);
  if (res) {
    // The providers and HTTP branches are merged: it opens.
    BOOST_TEST((*res)->type_name().find("hetzner") != std::string::npos);
    return;
  }
  auto text = render(res.error());
  BOOST_TEST(text.find("providers.h") != std::string::npos, text);
  BOOST_TEST(text.find("s3cr3t") == std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(a_factory_without_an_implementation_is_reported) {
  quiet_logs quiet;
  auto cfg = ncfg;
  provider_config pc;
  pc.name = "x";
  pc.type = "exec";
  pc.exec.command = {"/bin/true"};
  cfg.providers["x"] = pc;
  auto res = open_provider(cfg, "x", clock(), false);
  if (make_exec_provider(pc.exec)) {
    BOOST_TEST(static_cast<bool>(res));
    return;
  }
  BOOST_TEST_REQUIRE(!res);
  BOOST_TEST(render(res.error()).find("provider type exec is not available")
               != std::string::npos,
             render(res.error()));
}

BOOST_AUTO_TEST_SUITE_END()
