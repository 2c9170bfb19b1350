// The node dynserv-bench's lifecycle runs.
#include "tools/bench/bench_node.hpp"

#include <iostream>

#include "actors/node.hpp"
#include "messages/errors.hpp"
#include "providers/simulated_provider.hpp"

namespace dynserv {

using namespace std::chrono;

node_config bench_node_config(const std::string& dir, int64_t n, double scale) {
  node_config cfg;
  cfg.name = "bench";
  cfg.data_dir = dir;
  cfg.max_servers = n;
  cfg.reconcile_interval = seconds{5};
  cfg.timing.poll_interval = milliseconds{100};
  cfg.timing.backoff_initial = milliseconds{50};
  cfg.timing.backoff_max = seconds{2};
  cfg.timing.hanging_starting = minutes{30};
  cfg.timing.hanging_stopping = minutes{30};
  cfg.timing.hanging_deleting = minutes{30};
  cfg.timing.hanging_rebooting = minutes{30};
  provider_config pc;
  pc.name = "sim";
  pc.type = "simulated";
  // A local simulation has no API budget worth modelling here; the provider
  // actor still runs every call through its token bucket.
  pc.rate_limit = rate_limit_options{1e6, 1e6};
  pc.simulated.create_time = seconds{20};
  pc.simulated.stop_time = seconds{5};
  pc.simulated.delete_time = seconds{5};
  pc.simulated.reboot_time = seconds{10};
  pc.simulated.jitter = 0.2;
  pc.simulated.time_scale = scale;
  cfg.providers["sim"] = pc;
  pool_config pool;
  pool.name = "bench";
  pool.provider = "sim";
  pool.desired = 0;
  pool.min = 0;
  pool.max = n;
  cfg.pools["bench"] = pool;
  return cfg;
}

std::shared_ptr<simulated_provider> open_bench_cloud(const node_config& cfg) {
  const auto& pc = cfg.providers.at("sim");
  auto sim = open_simulated_provider(cfg.data_dir + "/cloud/sim", pc.simulated,
                                     system_wall_clock());
  if (!sim) {
    std::cerr << "cannot open the simulated cloud: " << describe(sim.error())
              << "\n";
    return nullptr;
  }
  return std::shared_ptr<simulated_provider>{std::move(*sim)};
}

} // namespace dynserv
