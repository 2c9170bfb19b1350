// The rolling-reboot scenario of dynserv-bench.
#include "tools/bench/rolling_reboot.hpp"

#include <algorithm>
#include <iostream>
#include <thread>
#include <unordered_set>

#include "caf/actor_system.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "messages/events.hpp"
#include "tools/bench/counting_provider.hpp"
#include "tools/bench/node_driver.hpp"

namespace dynserv {

using namespace std::chrono;

namespace {

/// The seq of the newest event in the log (0 if empty).
uint64_t last_seq(caf::actor_system& sys, const node_actor& node) {
  auto events = read_events(sys, node);
  return events.empty() ? 0 : events.back().seq;
}

/// `after - before` per operation, without the operations that saw no call.
std::map<std::string, uint64_t>
minus(const std::map<std::string, uint64_t>& after,
      const std::map<std::string, uint64_t>& before) {
  std::map<std::string, uint64_t> result;
  for (const auto& [op, n] : after) {
    auto i = before.find(op);
    auto diff = n - std::min(n, i == before.end() ? uint64_t{0} : i->second);
    if (diff > 0)
      result[op] = diff;
  }
  return result;
}

} // namespace

int64_t peak_rebooting(const std::vector<event_record>& events,
                       const std::string& pool, uint64_t after_seq) {
  const std::string rebooting = to_string(server_status::rebooting);
  std::unordered_set<std::string> now;
  int64_t peak = 0;
  for (const auto& ev : events) {
    if (ev.reason != reason::status_changed || ev.pool != pool)
      continue;
    if (ev.to == rebooting)
      now.insert(ev.server_id);
    else if (ev.from == rebooting)
      now.erase(ev.server_id);
    if (ev.seq > after_seq)
      peak = std::max(peak, static_cast<int64_t>(now.size()));
  }
  return peak;
}

reboot_result run_rolling_reboot(caf::actor_system& sys, const node_actor& node,
                                 const std::string& pool,
                                 const std::string& spec,
                                 counting_provider& counter, seconds limit) {
  reboot_result res;
  res.spec = spec;
  auto seq0 = last_seq(sys, node);
  auto calls0 = counter.counts().calls;
  auto t0 = steady_clock::now();
  bool started = false;
  {
    caf::scoped_actor self{sys};
    self->request(node, seconds{60}, atom::reboot_v, pool, spec)
      .receive(
        [&](rollout_record& r) {
          res.rollout = std::move(r);
          started = true;
        },
        [&](const caf::error& err) {
          std::cerr << "reboot failed: " << sys.render(err) << "\n";
        });
  }
  if (!started)
    return res;
  auto started_at = res.rollout.started_at_ms;
  while (steady_clock::now() - t0 < limit) {
    for (auto& p : pool_statuses(sys, node)) {
      // A rollout started later (by someone else) is not ours.
      if (p.name != pool || p.rollout.started_at_ms != started_at)
        continue;
      res.peak_picked_sampled
        = std::max(res.peak_picked_sampled,
                   static_cast<int64_t>(p.rollout.rebooting.size()));
      res.rollout = std::move(p.rollout);
    }
    if (!res.rollout.running()) {
      res.wall_s = duration<double>(steady_clock::now() - t0).count();
      break;
    }
    // Every status copies each server record of the pool inside the pool
    // actor, which is the actor under test: poll gently. The duration comes
    // from the rollout's own timestamps, the peak from the event log.
    std::this_thread::sleep_for(milliseconds{100});
  }
  res.calls = minus(counter.counts().calls, calls0);
  res.finished = res.rollout.state == "finished";
  if (res.rollout.finished_at_ms > 0)
    res.rollout_s = static_cast<double>(res.rollout.finished_at_ms - started_at)
                    / 1000.0;
  res.peak_rebooting = peak_rebooting(read_events(sys, node), pool, seq0);
  return res;
}

} // namespace dynserv
