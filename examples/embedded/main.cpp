// Embeds a dynserv node in a C++ program and decides a pool's count with a
// callback, as the original package's determineServerCount closure did:
// "queue wait / 10", rounded up. The guardrails and decision records work as
// for every policy. Runs on the simulated cloud; usage:
//   example_embedded [--data-dir DIR] [--wait SECONDS]
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "spdlog/spdlog.h"

#include "actors/embedded_node.hpp"

using namespace dynserv;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  std::string data_dir = "data/embedded";
  std::atomic<int64_t> wait_seconds{42};
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string arg = argv[i];
    if (arg == "--data-dir") {
      data_dir = argv[i + 1];
    } else if (arg == "--wait") {
      wait_seconds = std::atoll(argv[i + 1]);
    } else {
      std::cerr << "usage: example_embedded [--data-dir DIR] [--wait S]\n";
      return 2;
    }
  }
  // dynserv logs through spdlog; keep this example's output to decisions.
  spdlog::set_level(spdlog::level::warn);
  // The configuration in code (load_config_file() reads a JSON file).
  node_config cfg;
  cfg.name = "embedded";
  cfg.data_dir = data_dir;
  cfg.max_servers = 8;
  cfg.policy_interval = 1s;
  cfg.reconcile_interval = 1s;
  cfg.admin.enabled = false;
  cfg.http.enabled = false;
  provider_config sim;
  sim.name = "sim";
  sim.type = "simulated";
  sim.simulated.time_scale = 100; // a hundred times faster than a cloud
  cfg.providers["sim"] = sim;
  pool_config workers;
  workers.name = "workers";
  workers.provider = "sim";
  workers.max = 8;
  workers.policy.guardrails.scale_up_step = 3; // at most 3 more at a time
  cfg.pools["workers"] = workers;
  // The callback: any C++ code, e.g. your own queue statistics. It runs on
  // a thread of its own; returning nullopt holds the current count.
  embedded_options opts;
  opts.callbacks["workers"]
    = [&](const std::string&) -> std::optional<int64_t> {
    return (wait_seconds.load() + 9) / 10;
  };
  std::string error;
  auto node = embedded_node::start(cfg, std::move(opts), &error);
  if (!node) {
    std::cerr << "example_embedded: " << error << "\n";
    return 1;
  }
  // Follow the decisions until the pool reached its count (at most 60 s).
  auto deadline = std::chrono::steady_clock::now() + 60s;
  int64_t last_seen = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    auto ds = node->decisions("workers", 5);
    for (auto i = ds.rbegin(); i != ds.rend(); ++i) {
      if (i->at_ms <= last_seen)
        continue;
      last_seen = i->at_ms;
      std::cout << "decision: " << i->summary << "\n";
    }
    if (!ds.empty() && ds.front().wanted == ds.front().result
        && ds.front().result == ds.front().previous_desired) {
      std::cout << "pool workers holds " << ds.front().result
                << " servers as the callback wants\n";
      return 0;
    }
    std::this_thread::sleep_for(100ms);
  }
  std::cerr << "example_embedded: the pool did not settle in time\n";
  return 1;
}
