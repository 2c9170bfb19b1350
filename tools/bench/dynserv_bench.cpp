// dynserv-bench: drives a node on the simulated cloud at accelerated time and
// reports convergence time, provider calls per server, RSS, CPU and restart
// recovery time; with --providers, the provider economy of the real cloud
// clients against dynserv-cloudsim and the original package's pattern.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/typed_event_based_actor.hpp"
#include "spdlog/spdlog.h"

#include "actors/node.hpp"
#include "actors/reboot_rollout.hpp"
#include "messages/errors.hpp"
#include "providers/simulated_provider.hpp"
#include "tools/bench/bench_node.hpp"
#include "tools/bench/counting_provider.hpp"
#include "tools/bench/node_driver.hpp"
#include "tools/bench/original_pattern.hpp"
#include "tools/bench/process_stats.hpp"
#include "tools/bench/provider_economy.hpp"
#include "tools/bench/rolling_reboot.hpp"

namespace {

using namespace std::chrono;
using namespace dynserv;

constexpr const char* usage_text
  = R"(usage: dynserv-bench [--servers N]... [--reboot MAX_UNAVAILABLE]...
                     [--time-scale X] [--dir DIR]
       dynserv-bench --providers [--provider P]... [--servers N]...
                     [--time-scale X] [--poll-interval S] [--seed N]
                     [--sim-rate-limits] [--dir DIR]
  Runs, for each N (default 1000 and 10000): ensure N on the simulated cloud,
  wait until all run, decrease to 0, wait until all are deleted; then restarts
  a node over a store of N running servers and times the recovery.
  --reboot MAX_UNAVAILABLE (a count such as 20 or a percentage such as 10%;
  repeatable): once all N run, a rolling reboot of the pool with that
  max_unavailable, one after the other, each measured until it is finished.
  --providers: for each provider P (upcloud, hetzner, digitalocean; default
  all) and each N (default 100), runs the same lifecycle with the real
  provider client against an in-process dynserv-cloudsim (time scale X,
  default 50; node timings divided by X; poll interval S virtual seconds,
  default 5), replays the original package's pattern on the same scenario,
  and prints requests per server, reads per poll round and the largest
  fleet each provider's rate limit supports at half budget.
)";

struct bench_args {
  std::vector<int64_t> sizes;
  std::vector<std::string> reboots;
  std::optional<double> time_scale;
  std::string dir;
  bool providers = false;
  std::vector<std::string> provider_names;
  double poll_interval_s = 5.0;
  uint64_t seed = 1;
  bool sim_rate_limits = false;
};

/// Figures of one benchmark size.
struct bench_result {
  double converge_s = -1;
  double restart_open_s = -1;
  double restart_all_s = -1;
  double drain_s = -1;
  /// Rolling reboots (in phase 0, once all run): their CPU seconds and
  /// provider calls, which the lifecycle figures leave out.
  double reboot_cpu_s = 0;
  std::map<std::string, uint64_t> reboot_calls;
  bool reboots_ok = true;
};

/// Runs the rolling reboots of `args` on the running pool and prints one
/// line per reboot; false if one did not finish or exceeded its
/// max_unavailable.
void run_reboots(caf::actor_system& sys, const node_actor& node,
                 const bench_args& args, int64_t n, double scale,
                 counting_provider& counter, bench_result& res) {
  // The simulated reboot (make_config), before jitter, in virtual seconds.
  const double reboot_virtual_s = 10.0;
  // What the process burns with nothing to do (CAF's scheduler threads,
  // timers), to read the rollouts' CPU against.
  auto idle0 = process_cpu_seconds();
  std::this_thread::sleep_for(seconds{1});
  auto idle_cpu = process_cpu_seconds() - idle0;
  for (const auto& spec : args.reboots) {
    auto rss0 = current_rss_mib();
    auto rss_reset = reset_peak_rss();
    auto cpu0 = process_cpu_seconds();
    auto r = run_rolling_reboot(sys, node, "bench", spec, counter,
                                seconds{600});
    auto cpu = process_cpu_seconds() - cpu0;
    res.reboot_cpu_s += cpu;
    for (const auto& [op, count] : r.calls)
      res.reboot_calls[op] += count;
    const auto& ro = r.rollout;
    // At most max_unavailable at once: ceil(total / max) waves of one
    // reboot each is the shortest a rollout can take.
    auto waves = ro.max_unavailable > 0
                   ? (ro.total + ro.max_unavailable - 1) / ro.max_unavailable
                   : 0;
    auto bound_s = static_cast<double>(waves) * reboot_virtual_s;
    auto virtual_s = r.rollout_s * scale;
    auto at = [&r](const char* op) {
      auto i = r.calls.find(op);
      return i == r.calls.end() ? uint64_t{0} : i->second;
    };
    auto lists = at("poll") + at("lookup");
    std::string per_op;
    for (const auto& [op, count] : r.calls)
      per_op += " " + op + "=" + std::to_string(count);
    auto nn = static_cast<double>(std::max<int64_t>(n, 1));
    std::printf(
      "reboot servers=%lld max_unavailable=%s resolved=%lld state=%s "
      "rebooted=%lld skipped=%lld peak_rebooting=%lld "
      "peak_picked_sampled=%lld wall_s=%.2f rollout_s=%.2f virtual_s=%.1f "
      "waves=%lld lower_bound_virtual_s=%.0f ratio=%.2f "
      "reboot_calls_per_server=%.2f list_calls=%llu "
      "list_calls_per_server=%.4f provider_calls_per_server=%.2f cpu_s=%.1f "
      "idle_cpu_s_per_s=%.2f "
      "rss_start_mib=%ld peak_rss_mib=%ld%s calls:%s\n",
      static_cast<long long>(n), spec.c_str(),
      static_cast<long long>(ro.max_unavailable), ro.state.c_str(),
      static_cast<long long>(ro.done), static_cast<long long>(ro.skipped),
      static_cast<long long>(r.peak_rebooting),
      static_cast<long long>(r.peak_picked_sampled), r.wall_s, r.rollout_s,
      virtual_s, static_cast<long long>(waves), bound_s,
      bound_s > 0 ? virtual_s / bound_s : 0.0,
      static_cast<double>(at("reboot")) / nn,
      static_cast<unsigned long long>(lists), static_cast<double>(lists) / nn,
      static_cast<double>([&r] {
        uint64_t sum = 0;
        for (const auto& [op, count] : r.calls)
          sum += count;
        return sum;
      }())
        / nn,
      cpu, idle_cpu, rss0, peak_rss_mib(),
      rss_reset ? "" : " (peak of the whole run: the kernel kept VmHWM)",
      per_op.c_str());
    std::fflush(stdout);
    if (!r.finished) {
      std::cerr << "rolling reboot " << spec
                << " did not finish: " << describe(ro) << "\n";
      res.reboots_ok = false;
    } else if (r.peak_rebooting != ro.max_unavailable) {
      // Above is a bug in the pool; below means the pool never used its
      // budget, which the benchmark exists to show as well.
      std::cerr << "rolling reboot " << spec << ": peak of " << r.peak_rebooting
                << " servers rebooting at once, "
                << "max_unavailable resolved to " << ro.max_unavailable << "\n";
      res.reboots_ok = false;
    }
  }
}

/// Phase 0: ensure n and wait until all run. Phase 1: restart over the store
/// of n running servers, time the recovery, then ensure 0 and wait until all
/// are deleted.
bool run_phase(int phase, const bench_args& args, const node_config& cfg,
               int64_t n, double scale,
               const std::shared_ptr<simulated_provider>& sim,
               bench_result& res) {
  caf::actor_system_config sys_cfg;
  add_dynserv_types(sys_cfg);
  caf::actor_system sys{sys_cfg};
  node_start_options opts;
  // Rolling reboots count their provider calls while the node runs; the
  // simulated cloud's own counts are read once the node is gone.
  std::shared_ptr<counting_provider> counted;
  if (phase == 0 && !args.reboots.empty()) {
    counted = std::make_shared<counting_provider>(sim);
    opts.providers["sim"] = counted;
  } else {
    opts.providers["sim"] = sim;
  }
  auto t0 = steady_clock::now();
  auto rt = start_node(sys, cfg, opts);
  if (!rt) {
    std::cerr << "start failed: " << sys.render(rt.error()) << "\n";
    return false;
  }
  auto all_running = [n](const auto& c) {
    return count_of(c, server_status::running) == n;
  };
  if (phase == 0) {
    ensure_servers(sys, rt->supervisor, "bench", n);
    res.converge_s = wait_for_counts(sys, rt->supervisor, all_running,
                                     seconds{600});
    if (counted && res.converge_s >= 0)
      run_reboots(sys, rt->supervisor, args, n, scale, *counted, res);
  } else {
    res.restart_open_s = duration<double>(steady_clock::now() - t0).count();
    auto rest = wait_for_counts(sys, rt->supervisor, all_running, seconds{600});
    res.restart_all_s = res.restart_open_s + rest;
    ensure_servers(sys, rt->supervisor, "bench", 0);
    res.drain_s = wait_for_counts(
      sys, rt->supervisor, [](const auto& c) { return live_servers(c) == 0; },
      seconds{600});
  }
  stop_node(*rt);
  return true;
}

int run_size(const bench_args& args, int64_t n) {
  auto dir = args.dir + "/n" + std::to_string(n);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto scale = args.time_scale.value_or(100.0);
  auto cfg = bench_node_config(dir, n, scale);
  auto provisioning_s = 20.0 / scale;
  auto cpu0 = process_cpu_seconds();
  bench_result res;
  std::map<std::string, uint64_t> calls;
  uint64_t total_calls = 0;
  for (int phase = 0; phase < 2; ++phase) {
    auto sim = open_bench_cloud(cfg);
    if (!sim || !run_phase(phase, args, cfg, n, scale, sim, res))
      return 1;
    // The phase's actor system is gone: nothing calls the cloud any more.
    for (const auto& [op, count] : sim->call_counts()) {
      calls[op] += count;
      total_calls += count;
    }
  }
  // The lifecycle's figures without the rolling reboots' (if any), so that
  // they compare with runs without --reboot. The simulator counts a list
  // as "list" whatever its selector.
  for (const auto& [op, count] : res.reboot_calls) {
    auto& c = calls[op == "poll" || op == "lookup" ? "list" : op];
    auto taken = std::min(c, count);
    c -= taken;
    total_calls -= taken;
  }
  auto cpu = process_cpu_seconds() - cpu0 - res.reboot_cpu_s;
  std::string per_op;
  for (const auto& [op, count] : calls)
    per_op += " " + op + "=" + std::to_string(count);
  std::printf("servers=%lld provisioning_s=%.2f ensure_to_all_running_s=%.2f "
              "ratio=%.2f drain_s=%.2f restart_open_s=%.3f "
              "restart_to_all_reported_s=%.2f cpu_s=%.1f peak_rss_mib=%ld "
              "provider_calls_per_server=%.2f calls:%s\n",
              static_cast<long long>(n), provisioning_s, res.converge_s,
              res.converge_s / provisioning_s, res.drain_s, res.restart_open_s,
              res.restart_all_s, cpu, run_peak_rss_mib(),
              static_cast<double>(total_calls) / static_cast<double>(n),
              per_op.c_str());
  std::fflush(stdout);
  return res.converge_s < 0 || res.drain_s < 0 || !res.reboots_ok ? 1 : 0;
}

uint64_t at(const std::map<std::string, uint64_t>& m, const char* key) {
  auto i = m.find(key);
  return i == m.end() ? 0 : i->second;
}

std::string join_counts(const std::map<std::string, uint64_t>& m) {
  std::string out;
  for (const auto& [k, v] : m)
    out += (out.empty() ? "" : ",") + k + "=" + std::to_string(v);
  return out;
}

/// One row of the summary table.
struct economy_row {
  std::string provider;
  int64_t servers = 0;
  double dyn_per_server = 0;
  double orig_per_server = 0;
  double pages_per_round = 0;
  double reads_per_round = 0;
  uint64_t rounds = 0;
  uint64_t dyn_reads = 0;
  uint64_t orig_reads = 0;
  uint64_t orig_peak_tick = 0;
  uint64_t rejected = 0;
  double budget = 0;
  bool published = false;
  int64_t fleet_dyn_burst = 0;
  int64_t fleet_dyn_spread = 0;
  int64_t fleet_orig = 0;
};

/// One provider run's figures: dynserv's lifecycle and the original
/// pattern, and what they give at half the provider's hourly budget.
economy_row row_of(const std::string& name, int64_t n, const bench_args& args,
                   const economy_result& d, const original_pattern_result& o,
                   cost_model& dyn_burst) {
  economy_row row;
  row.provider = name;
  row.servers = n;
  auto nn = static_cast<double>(std::max<int64_t>(n, 1));
  // List pages of poll rounds: every list page but those of lookups.
  auto poll_pages = at(d.http, "list")
                    - std::min(at(d.http, "list"), at(d.requests, "lookup"));
  row.rounds = d.poll_rounds;
  if (d.poll_rounds > 0) {
    row.pages_per_round = static_cast<double>(poll_pages)
                          / static_cast<double>(d.poll_rounds);
    row.reads_per_round = static_cast<double>(at(d.requests, "poll"))
                          / static_cast<double>(d.poll_rounds);
  }
  row.dyn_per_server = static_cast<double>(d.http_total) / nn;
  row.orig_per_server = static_cast<double>(o.total) / nn;
  row.dyn_reads = at(d.http, "list") + at(d.http, "get") + at(d.http, "action");
  row.orig_reads = at(o.requests, "count") + at(o.requests, "get");
  row.orig_peak_tick = o.peak_gets_per_tick;
  row.rejected = d.rejected;
  // Per-server part of dynserv's cost: everything but the list pages
  // of poll rounds (creates, stops, deletes, confirming gets, action
  // reads).
  dyn_burst = cost_model{};
  dyn_burst.per_server = static_cast<double>(d.http_total - poll_pages) / nn;
  dyn_burst.rounds = static_cast<double>(d.poll_rounds);
  dyn_burst.page_size = list_page_size(name);
  auto dyn_spread = dyn_burst;
  dyn_spread.rounds = 3600.0 / args.poll_interval_s;
  cost_model orig;
  orig.per_server = row.orig_per_server;
  row.budget = published_budget_per_hour(name);
  row.published = row.budget > 0;
  if (!row.published)
    row.budget = default_pacing_per_hour(name);
  // An unfinished run measured only part of the lifecycle: no figure.
  row.fleet_dyn_burst = d.finished ? largest_fleet(dyn_burst, row.budget / 2)
                                   : -1;
  row.fleet_dyn_spread = d.finished ? largest_fleet(dyn_spread, row.budget / 2)
                                    : -1;
  row.fleet_orig = o.finished ? largest_fleet(orig, row.budget / 2) : -1;
  return row;
}

/// Prints the details of one provider run as it finishes.
void print_run(const std::string& name, int64_t n, double scale,
               const bench_args& args, const economy_result& d,
               const original_pattern_result& o, double wall, double cpu,
               const economy_row& row, const cost_model& dyn_burst) {
  std::printf(
    "provider=%s servers=%lld time_scale=%.0f poll_interval_s=%.1f\n"
    "  dynserv: finished=%d up_s=%.0f down_s=%.0f (virtual) wall_s=%.1f "
    "cpu_s=%.1f http=%llu per_server=%.2f [%s] calls=[%s] "
    "requests=[%s] poll_rounds=%llu list_pages_per_round=%.2f "
    "reads_per_round=%.2f peak_reads_per_round=%llu reads=%llu "
    "429=%llu\n"
    "  original: finished=%d up_s=%.0f down_s=%.0f (virtual) http=%llu "
    "per_server=%.2f [%s] reads=%llu peak_gets_per_20s=%llu "
    "peak_per_minute=%llu polled_s_per_server=%.0f unexpected=%llu\n"
    "  fleet at half of %.0f/h (%s): dynserv_burst=%lld "
    "dynserv_spread=%lld original=%lld (dynserv per_server=%.2f "
    "rounds=%llu page=%lld)\n",
    name.c_str(), static_cast<long long>(n), scale, args.poll_interval_s,
    d.finished ? 1 : 0, d.up_s, d.down_s, wall, cpu,
    static_cast<unsigned long long>(d.http_total), row.dyn_per_server,
    join_counts(d.http).c_str(), join_counts(d.calls).c_str(),
    join_counts(d.requests).c_str(),
    static_cast<unsigned long long>(d.poll_rounds), row.pages_per_round,
    row.reads_per_round,
    static_cast<unsigned long long>(d.peak_requests_per_round),
    static_cast<unsigned long long>(row.dyn_reads),
    static_cast<unsigned long long>(d.rejected), o.finished ? 1 : 0, o.up_s,
    o.down_s, static_cast<unsigned long long>(o.total), row.orig_per_server,
    join_counts(o.requests).c_str(),
    static_cast<unsigned long long>(row.orig_reads),
    static_cast<unsigned long long>(o.peak_gets_per_tick),
    static_cast<unsigned long long>(o.peak_per_minute), o.polled_s,
    static_cast<unsigned long long>(o.unexpected), row.budget,
    row.published ? "published" : "none published: node's default pacing",
    static_cast<long long>(row.fleet_dyn_burst),
    static_cast<long long>(row.fleet_dyn_spread),
    static_cast<long long>(row.fleet_orig), dyn_burst.per_server,
    static_cast<unsigned long long>(d.poll_rounds),
    static_cast<long long>(dyn_burst.page_size));
  std::fflush(stdout);
}

/// The Markdown table of all runs (docs/benchmarks.md).
void print_economy_table(const std::vector<economy_row>& rows) {
  std::printf("\n(-1: the run did not finish within two virtual hours)\n"
              "| provider | servers | requests/server: dynserv | original "
              "| reads: dynserv | original | poll rounds | list pages/round "
              "| reads/round | original GETs/20 s | 429 | budget/h | fleet "
              "at half: dynserv burst | dynserv spread | original |\n"
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:"
              "|---:|---:|---:|\n");
  for (const auto& r : rows)
    std::printf(
      "| %s | %lld | %.2f | %.2f | %llu | %llu | %llu | %.2f | "
      "%.2f | %llu | %llu | %.0f%s | %lld | %lld | %lld |\n",
      r.provider.c_str(), static_cast<long long>(r.servers), r.dyn_per_server,
      r.orig_per_server, static_cast<unsigned long long>(r.dyn_reads),
      static_cast<unsigned long long>(r.orig_reads),
      static_cast<unsigned long long>(r.rounds), r.pages_per_round,
      r.reads_per_round, static_cast<unsigned long long>(r.orig_peak_tick),
      static_cast<unsigned long long>(r.rejected), r.budget,
      r.published ? "" : " (pacing)", static_cast<long long>(r.fleet_dyn_burst),
      static_cast<long long>(r.fleet_dyn_spread),
      static_cast<long long>(r.fleet_orig));
}

int run_providers(const bench_args& args) {
  auto names = args.provider_names;
  if (names.empty())
    names = {"upcloud", "hetzner", "digitalocean"};
  auto sizes = args.sizes.empty() ? std::vector<int64_t>{100} : args.sizes;
  auto scale = args.time_scale.value_or(50.0);
  int rc = 0;
  std::vector<economy_row> rows;
  for (const auto& name : names) {
    if (name != "upcloud" && name != "hetzner" && name != "digitalocean") {
      std::cerr << "unknown provider " << name << "\n";
      return 2;
    }
    for (auto n : sizes) {
      economy_options eo;
      eo.provider = name;
      eo.servers = n;
      eo.time_scale = scale;
      eo.seed = args.seed;
      eo.poll_interval
        = milliseconds{static_cast<int64_t>(args.poll_interval_s * 1000.0)};
      eo.sim_rate_limits = args.sim_rate_limits;
      eo.dir = args.dir + "/providers/" + name + "-n" + std::to_string(n);
      auto wall0 = steady_clock::now();
      auto cpu0 = process_cpu_seconds();
      auto d = run_dynserv_lifecycle(eo);
      auto wall = duration<double>(steady_clock::now() - wall0).count();
      auto cpu = process_cpu_seconds() - cpu0;
      auto o = run_original_pattern(name, n, args.seed);
      if (!d.finished || !o.finished)
        rc = 1;
      cost_model dyn_burst;
      auto row = row_of(name, n, args, d, o, dyn_burst);
      print_run(name, n, scale, args, d, o, wall, cpu, row, dyn_burst);
      rows.push_back(row);
    }
  }
  print_economy_table(rows);
  return rc;
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
    else if (a == "--reboot") {
      auto spec = value();
      // The node's own check, so that a typo fails here and not after the
      // fleet of N was built.
      if (auto problem = max_unavailable_problem(spec)) {
        std::cerr << "--reboot: " << *problem << "\n";
        return 2;
      }
      args.reboots.push_back(spec);
    } else if (a == "--time-scale")
      args.time_scale = std::stod(value());
    else if (a == "--dir")
      args.dir = value();
    else if (a == "--providers")
      args.providers = true;
    else if (a == "--provider")
      args.provider_names.push_back(value());
    else if (a == "--poll-interval")
      args.poll_interval_s = std::stod(value());
    else if (a == "--seed")
      args.seed = std::stoull(value());
    else if (a == "--sim-rate-limits")
      args.sim_rate_limits = true;
    else {
      std::cerr << usage_text;
      return a == "--help" ? 0 : 2;
    }
  }
  if (args.dir.empty())
    args.dir = std::filesystem::temp_directory_path() / "dynserv-bench";
  spdlog::set_level(std::getenv("DYNSERV_BENCH_LOG") ? spdlog::level::info
                                                     : spdlog::level::warn);
  if (args.providers) {
    if (!args.reboots.empty()) {
      std::cerr << "--reboot does not apply to --providers\n";
      return 2;
    }
    return run_providers(args);
  }
  if (args.sizes.empty())
    args.sizes = {1000, 10000};
  int rc = 0;
  for (auto n : args.sizes)
    rc |= run_size(args, n);
  return rc;
}
