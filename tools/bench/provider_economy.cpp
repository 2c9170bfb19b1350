// Runs one lifecycle of N servers through a real node and a real provider
// client against an in-process simulator, counting every request.
#include "tools/bench/provider_economy.hpp"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <utility>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"

#include "actors/node.hpp"
#include "cloudsim/cloud_sim.hpp"
#include "config/node_config.hpp"
#include "providers/cloud_providers.hpp"
#include "tools/bench/counting_provider.hpp"
#include "tools/bench/node_driver.hpp"
#include "tools/bench/sim_transport.hpp"

namespace dynserv {

namespace {

using namespace std::chrono;

std::string prefix_of(const std::string& provider) {
  if (provider == "upcloud")
    return "/upcloud/1.3";
  if (provider == "hetzner")
    return "/hetzner/v1";
  return "/digitalocean/v2";
}

/// The pool's `server` object (the same as in tests/clouds).
std::string spec_of(const std::string& provider) {
  if (provider == "upcloud")
    return R"({"zone":"de-fra1","plan":"1xCPU-1GB",)"
           R"("template":"01000000-0000-4000-8000-000020060100"})";
  if (provider == "hetzner")
    return R"({"server_type":"cx22","image":"debian-12","location":"fsn1"})";
  return R"({"region":"fra1","size":"s-1vcpu-1gb","image":"debian-12-x64"})";
}

provider_ptr make_client(const std::string& provider,
                         std::unique_ptr<http_transport> transport) {
  http_provider_options api;
  // Not contacted: the transport goes to the simulator in-process.
  api.http.base_url = "http://cloudsim.invalid" + prefix_of(provider);
  if (provider == "upcloud") {
    api.username = "dynserv";
    api.password = "secret";
    return make_upcloud_provider(upcloud_options{api}, std::move(transport));
  }
  api.token = "test-token";
  if (provider == "hetzner")
    return make_hetzner_provider(hetzner_options{api}, std::move(transport));
  return make_digitalocean_provider(digitalocean_options{api},
                                    std::move(transport));
}

millis scaled(millis x, double scale) {
  return millis{std::max<int64_t>(
    1, static_cast<int64_t>(static_cast<double>(x.count()) / scale))};
}

node_config make_node_config(const economy_options& opts) {
  auto s = opts.time_scale;
  node_config cfg;
  cfg.name = "bench";
  cfg.data_dir = opts.dir;
  cfg.max_servers = opts.servers;
  cfg.reconcile_interval = scaled(default_reconcile_interval, s);
  cfg.timing.poll_interval = scaled(opts.poll_interval, s);
  cfg.timing.backoff_initial = scaled(default_backoff_initial, s);
  cfg.timing.backoff_max = scaled(default_backoff_max, s);
  // A give-up timer only: never shorter than 10 real seconds on a busy
  // machine.
  cfg.timing.call_timeout = std::max(scaled(default_call_timeout, s),
                                     millis{seconds{10}});
  // Long enough that the simulator's rare slow creates (UpCloud: 1 % take
  // 2-10 min) are waited for, as the original pattern's run does, instead
  // of being replaced.
  auto hanging = scaled(minutes{30}, s);
  cfg.timing.hanging_starting = hanging;
  cfg.timing.hanging_stopping = hanging;
  cfg.timing.hanging_deleting = hanging;
  cfg.timing.hanging_rebooting = hanging;
  provider_config pc;
  pc.name = "cloud";
  pc.type = opts.provider;
  // The node's default pacing for this cloud, in virtual time.
  auto pacing = default_rate_limit(opts.provider, default_budget_reserve)
                  .value_or(rate_limit_options{});
  pacing.requests_per_second *= s;
  pc.rate_limit = pacing;
  cfg.providers["cloud"] = pc;
  pool_config pool;
  pool.name = "bench";
  pool.provider = "cloud";
  pool.desired = 0;
  pool.min = 0;
  pool.max = opts.servers;
  pool.server_spec = spec_of(opts.provider);
  cfg.pools["bench"] = pool;
  return cfg;
}

/// Classifies a logged request by what it does.
const char* kind_of(const std::string& method, const std::string& target) {
  auto path = target.substr(0, target.find('?'));
  while (path.size() > 1 && path.back() == '/')
    path.pop_back();
  auto ends_with = [&](const char* tail) {
    std::string t{tail};
    return path.size() >= t.size()
           && path.compare(path.size() - t.size(), t.size(), t) == 0;
  };
  auto collection = ends_with("/server") || ends_with("/servers")
                    || ends_with("/droplets");
  if (method == "GET") {
    if (path.find("/actions/") != std::string::npos)
      return "action";
    return collection ? "list" : "get";
  }
  if (method == "POST")
    return collection ? "create" : "power";
  if (method == "DELETE")
    return "delete";
  return "other";
}

} // namespace

economy_result run_dynserv_lifecycle(const economy_options& opts) {
  economy_result res;
  res.servers = opts.servers;
  std::filesystem::remove_all(opts.dir);
  std::filesystem::create_directories(opts.dir);
  cloudsim::sim_options so;
  so.seed = opts.seed;
  so.time_scale = opts.time_scale;
  so.rate_limits.enabled = opts.sim_rate_limits;
  so.response_latency = false;
  so.request_log_capacity = 10'000'000;
  auto sim = std::make_shared<cloudsim::cloud_sim>(so);
  auto client = make_client(opts.provider, std::make_unique<sim_transport>(
                                             sim, prefix_of(opts.provider)));
  if (!client) {
    std::cerr << "cannot make the " << opts.provider << " client\n";
    return res;
  }
  auto counted = std::make_shared<counting_provider>(std::move(client));
  auto cfg = make_node_config(opts);
  // The scenario's deadline in real time: two virtual hours per phase.
  auto limit = seconds{
    std::max<int64_t>(60, static_cast<int64_t>(7200.0 / opts.time_scale))};
  {
    caf::actor_system_config sys_cfg;
    add_dynserv_types(sys_cfg);
    caf::actor_system sys{sys_cfg};
    node_start_options start;
    start.providers["cloud"] = counted;
    auto rt = start_node(sys, cfg, start);
    if (!rt) {
      std::cerr << "start failed: " << sys.render(rt.error()) << "\n";
      return res;
    }
    auto n = opts.servers;
    if (ensure_servers(sys, rt->supervisor, "bench", n)) {
      auto up = wait_for_counts(
        sys, rt->supervisor,
        [n](const auto& c) { return count_of(c, server_status::running) == n; },
        limit);
      if (up >= 0) {
        res.up_s = up * opts.time_scale;
        if (ensure_servers(sys, rt->supervisor, "bench", 0)) {
          auto down = wait_for_counts(
            sys, rt->supervisor,
            [](const auto& c) { return live_servers(c) == 0; }, limit);
          if (down >= 0) {
            res.down_s = down * opts.time_scale;
            res.finished = true;
          }
        }
      }
    }
    stop_node(*rt);
  } // the actor system is gone: nothing calls the simulator any more
  auto counts = counted->counts();
  res.calls = std::move(counts.calls);
  res.requests = std::move(counts.requests);
  res.poll_rounds = counts.poll_rounds;
  res.peak_requests_per_round = counts.peak_requests_per_round;
  auto entries = sim->with_state(
    [](cloudsim::sim_state& st) { return st.log.since(0, st.log.size()); });
  for (const auto& e : entries) {
    ++res.http[kind_of(e.method, e.path)];
    ++res.http_total;
    if (e.status == 429)
      ++res.rejected;
  }
  return res;
}

int64_t cost_model::pages(int64_t n) const {
  if (n <= 0)
    return 0;
  return page_size > 0 ? (n + page_size - 1) / page_size : 1;
}

double cost_model::requests(int64_t n) const {
  return per_server * static_cast<double>(n)
         + rounds * static_cast<double>(pages(n));
}

int64_t largest_fleet(const cost_model& m, double budget) {
  if (m.per_server <= 0 && m.rounds <= 0)
    return -1;
  // requests(n) grows with n: walk up in doubling steps, then bisect.
  int64_t lo = 0;
  int64_t hi = 1;
  while (m.requests(hi) <= budget && hi < (int64_t{1} << 40))
    hi *= 2;
  while (hi - lo > 1) {
    auto mid = lo + (hi - lo) / 2;
    if (m.requests(mid) <= budget)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

double published_budget_per_hour(const std::string& provider) {
  if (provider == "hetzner")
    return 3600; // 3600 per hour, token bucket refilling 1/s
  if (provider == "digitalocean")
    return 5000; // 5000 per hour (and 250 per minute)
  return 0;      // UpCloud publishes none
}

double default_pacing_per_hour(const std::string& provider) {
  auto pacing = default_rate_limit(provider, default_budget_reserve);
  return pacing ? pacing->requests_per_second * 3600.0 : 0.0;
}

int64_t list_page_size(const std::string& provider) {
  if (provider == "hetzner")
    return 50;
  if (provider == "digitalocean")
    return 200;
  return 0;
}

} // namespace dynserv
