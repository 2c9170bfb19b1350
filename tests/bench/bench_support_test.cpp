// The in-process simulator transport, the replay of the original package's
// polling pattern and the fleet-size formula of dynserv-bench --providers.
#include <boost/test/unit_test.hpp>

#include <memory>

#include "cloudsim/cloud_sim.hpp"
#include "providers/cloud_providers.hpp"
#include "tools/bench/original_pattern.hpp"
#include "tools/bench/provider_economy.hpp"
#include "tools/bench/sim_transport.hpp"

using namespace dynserv;

namespace {

std::shared_ptr<cloudsim::cloud_sim> frozen_sim() {
  cloudsim::sim_options opts;
  opts.time_scale = 0;
  opts.response_latency = false;
  return std::make_shared<cloudsim::cloud_sim>(opts);
}

http_request get(std::string target) {
  http_request req;
  req.method = "GET";
  req.target = std::move(target);
  req.headers = {{"Authorization", "Bearer test-token"}};
  return req;
}

} // namespace

BOOST_AUTO_TEST_CASE(sim_transport_prefixes_targets_and_answers) {
  auto sim = frozen_sim();
  sim_transport transport{sim, "/hetzner/v1/"};
  auto r = transport.send(get("/servers"));
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r.response.status == 200);
  BOOST_TEST(r.response.body.find("\"servers\"") != std::string::npos);
  BOOST_TEST(transport.sent() == 1u);
}

BOOST_AUTO_TEST_CASE(sim_transport_reports_a_dropped_connection_as_lost) {
  auto sim = frozen_sim();
  http_request rule;
  rule.method = "POST";
  rule.target = "/_sim/faults";
  rule.body = R"({"provider":"hetzner","op":"list","kind":"drop","count":1})";
  BOOST_REQUIRE(sim->handle(rule).response.status == 201);
  sim_transport transport{sim, "/hetzner/v1"};
  auto r = transport.send(get("/servers"));
  BOOST_TEST(std::string{to_string(r.failure)} == "lost");
  BOOST_TEST(transport.send(get("/servers")).ok());
}

BOOST_AUTO_TEST_CASE(a_real_provider_client_runs_over_the_transport) {
  auto sim = frozen_sim();
  hetzner_options opts;
  opts.api.http.base_url = "http://cloudsim.invalid/hetzner/v1";
  opts.api.token = "test-token";
  auto client = make_hetzner_provider(
    opts, std::make_unique<sim_transport>(sim, "/hetzner/v1"));
  BOOST_REQUIRE(client);
  create_request req;
  req.server_id = "0f0e0d0c-0000-4000-8000-000000000001";
  req.name = "bench-1";
  req.labels = {{"dynserv-owner", "bench"}, {"dynserv-id", req.server_id}};
  req.spec = R"({"server_type":"cx22","image":"debian-12"})";
  auto created = client->create(req);
  BOOST_REQUIRE_MESSAGE(created.ok(), created.error.message);
  BOOST_TEST(created.requests == 1u);
  auto listed = client->list({{"dynserv-owner", "bench"}});
  BOOST_REQUIRE(listed.ok());
  BOOST_TEST(listed.servers.size() == 1u);
}

BOOST_AUTO_TEST_CASE(the_original_pattern_polls_every_server_until_done) {
  auto res = run_original_pattern("hetzner", 3, 1);
  BOOST_REQUIRE(res.finished);
  BOOST_TEST(res.unexpected == 0u);
  BOOST_TEST(res.requests["count"] == 3u);
  BOOST_TEST(res.requests["create"] == 3u);
  BOOST_TEST(res.requests["stop"] == 3u);
  BOOST_TEST(res.requests["delete"] == 3u);
  // At least one GET per server and stage (started, stopped, gone), and at
  // least two for starting: the first one comes right after the create.
  BOOST_TEST(res.requests["get"] >= 12u);
  uint64_t sum = 0;
  for (const auto& [op, n] : res.requests)
    sum += n;
  BOOST_TEST(res.total == sum);
  BOOST_TEST(res.up_s > 0);
  BOOST_TEST(static_cast<int64_t>(res.up_s * 1000) % 20000 == 0);
  BOOST_TEST(!run_original_pattern("nimbus", 1, 1).finished);
}

BOOST_AUTO_TEST_CASE(largest_fleet_solves_the_cost_formula) {
  cost_model per_server_only{10, 0, 0};
  BOOST_TEST(largest_fleet(per_server_only, 1800) == 180);
  // 4n + 720 * ceil(n / 50) <= 1800: n = 90 costs 1800, n = 91 more.
  cost_model paged{4, 720, 50};
  BOOST_TEST(paged.requests(90) == 1800.0);
  BOOST_TEST(largest_fleet(paged, 1800) == 90);
  // One page whatever the size: 4n + 100 <= 1800.
  cost_model unpaged{4, 100, 0};
  BOOST_TEST(largest_fleet(unpaged, 1800) == 425);
  BOOST_TEST(largest_fleet(cost_model{4, 2000, 0}, 1800) == 0);
}
