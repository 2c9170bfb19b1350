// dynserv-bench: drives a node on the simulated cloud at accelerated time and
// reports convergence time, provider calls per server, RSS, CPU and restart
// recovery time.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <sys/resource.h>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/typed_event_based_actor.hpp"
#include "spdlog/spdlog.h"

#include "actors/node.hpp"
#include "messages/errors.hpp"
#include "providers/simulated_provider.hpp"

namespace {

using namespace std::chrono;
using namespace dynserv;

constexpr const char* usage_text = R"(usage: dynserv-bench [--servers N]... [--time-scale X] [--dir DIR]
  Runs, for each N (default 1000 and 10000): ensure N on the simulated cloud,
  wait until all run, decrease to 0, wait until all are deleted; then restarts
  a node over a store of N running servers and times the recovery.
)";

struct bench_args {
  std::vector<int64_t> sizes;
  double time_scale = 100.0;
  std::string dir;
};

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

long peak_rss_mib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;
}

node_config make_config(const std::string& dir, int64_t n, double scale) {
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
  provider_config pc;
  pc.name = "sim";
  pc.type = "simulated";
  // A local simulation has no API budget worth modelling here; the provider
  // actor still runs every call through its token bucket.
  pc.rate_limit = rate_limit_options{1e6, 1e6};
  pc.simulated.create_time = seconds{20};
  pc.simulated.stop_time = seconds{5};
  pc.simulated.delete_time = seconds{5};
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

/// Counts servers per status over all pools.
std::vector<int64_t> counts(caf::actor_system& sys, const node_actor& node) {
  std::vector<int64_t> result(server_status_count, 0);
  caf::scoped_actor self{sys};
  self->request(node, seconds{60}, atom::status_v)
    .receive(
      [&](const std::vector<pool_status>& pools) {
        for (const auto& p : pools)
          for (size_t i = 0; i < p.counts.size(); ++i)
            result[i] += p.counts[i];
      },
      [&](const caf::error& err) {
        std::cerr << "status failed: " << sys.render(err) << "\n";
      });
  return result;
}

template <class Predicate>
double wait_until(caf::actor_system& sys, const node_actor& node,
                  Predicate pred, seconds limit) {
  auto start = steady_clock::now();
  while (steady_clock::now() - start < limit) {
    if (pred(counts(sys, node)))
      return duration<double>(steady_clock::now() - start).count();
    std::this_thread::sleep_for(milliseconds{50});
  }
  return -1;
}

int64_t of(const std::vector<int64_t>& c, server_status s) {
  return c[static_cast<size_t>(s)];
}

scale_reply ensure(caf::actor_system& sys, const node_actor& node, int64_t n) {
  scale_reply result;
  caf::scoped_actor self{sys};
  self->request(node, seconds{60}, atom::ensure_v, std::string{"bench"}, n)
    .receive([&](const scale_reply& r) { result = r; },
             [&](const caf::error& err) {
               std::cerr << "ensure failed: " << sys.render(err) << "\n";
             });
  return result;
}


std::shared_ptr<simulated_provider> open_sim(const node_config& cfg) {
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

/// Figures of one benchmark size.
struct bench_result {
  double converge_s = -1;
  double restart_open_s = -1;
  double restart_all_s = -1;
  double drain_s = -1;
};

/// Phase 0: ensure n and wait until all run. Phase 1: restart over the store
/// of n running servers, time the recovery, then ensure 0 and wait until all
/// are deleted.
bool run_phase(int phase, const node_config& cfg, int64_t n,
               const std::shared_ptr<simulated_provider>& sim,
               bench_result& res) {
  caf::actor_system_config sys_cfg;
  add_dynserv_types(sys_cfg);
  caf::actor_system sys{sys_cfg};
  node_start_options opts;
  opts.providers["sim"] = sim;
  auto t0 = steady_clock::now();
  auto rt = start_node(sys, cfg, opts);
  if (!rt) {
    std::cerr << "start failed: " << sys.render(rt.error()) << "\n";
    return false;
  }
  auto all_running = [n](const auto& c) {
    return of(c, server_status::running) == n;
  };
  if (phase == 0) {
    ensure(sys, rt->supervisor, n);
    res.converge_s = wait_until(sys, rt->supervisor, all_running,
                                seconds{600});
  } else {
    res.restart_open_s = duration<double>(steady_clock::now() - t0).count();
    auto rest = wait_until(sys, rt->supervisor, all_running, seconds{600});
    res.restart_all_s = res.restart_open_s + rest;
    ensure(sys, rt->supervisor, 0);
    res.drain_s = wait_until(
      sys, rt->supervisor,
      [](const auto& c) {
        int64_t live = 0;
        for (size_t i = 0; i < c.size(); ++i)
          if (static_cast<server_status>(i) != server_status::deleted)
            live += c[i];
        return live == 0;
      },
      seconds{600});
  }
  stop_node(*rt);
  return true;
}

int run_size(const bench_args& args, int64_t n) {
  auto dir = args.dir + "/n" + std::to_string(n);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto cfg = make_config(dir, n, args.time_scale);
  auto provisioning_s = 20.0 / args.time_scale;
  auto cpu0 = cpu_seconds();
  bench_result res;
  std::map<std::string, uint64_t> calls;
  uint64_t total_calls = 0;
  for (int phase = 0; phase < 2; ++phase) {
    auto sim = open_sim(cfg);
    if (!sim || !run_phase(phase, cfg, n, sim, res))
      return 1;
    // The phase's actor system is gone: nothing calls the cloud any more.
    for (const auto& [op, count] : sim->call_counts()) {
      calls[op] += count;
      total_calls += count;
    }
  }
  auto cpu = cpu_seconds() - cpu0;
  std::string per_op;
  for (const auto& [op, count] : calls)
    per_op += " " + op + "=" + std::to_string(count);
  std::printf("servers=%lld provisioning_s=%.2f ensure_to_all_running_s=%.2f "
              "ratio=%.2f drain_s=%.2f restart_open_s=%.3f "
              "restart_to_all_reported_s=%.2f cpu_s=%.1f peak_rss_mib=%ld "
              "provider_calls_per_server=%.2f calls:%s\n",
              static_cast<long long>(n), provisioning_s, res.converge_s,
              res.converge_s / provisioning_s, res.drain_s, res.restart_open_s,
              res.restart_all_s, cpu, peak_rss_mib(),
              static_cast<double>(total_calls) / static_cast<double>(n),
              per_op.c_str());
  std::fflush(stdout);
  return res.converge_s < 0 || res.drain_s < 0 ? 1 : 0;
}

} // namespace

int main(int argc, char** argv) {
  bench_args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << a << " needs a value\n" << usage_text;
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--servers")
      args.sizes.push_back(std::stoll(value()));
    else if (a == "--time-scale")
      args.time_scale = std::stod(value());
    else if (a == "--dir")
      args.dir = value();
    else {
      std::cerr << usage_text;
      return a == "--help" ? 0 : 2;
    }
  }
  if (args.sizes.empty())
    args.sizes = {1000, 10000};
  if (args.dir.empty())
    args.dir = std::filesystem::temp_directory_path() / "dynserv-bench";
  spdlog::set_level(std::getenv("DYNSERV_BENCH_LOG") ? spdlog::level::info : spdlog::level::warn);
  int rc = 0;
  for (auto n : args.sizes)
    rc |= run_size(args, n);
  return rc;
}
