// Blocking helpers that drive an in-process node for the benchmarks.
#include "tools/bench/node_driver.hpp"

#include <iostream>
#include <thread>

#include "caf/actor_system.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

namespace dynserv {

using namespace std::chrono;

std::vector<int64_t> count_statuses(caf::actor_system& sys,
                                    const node_actor& node) {
  std::vector<int64_t> result(server_status_count, 0);
  caf::scoped_actor self{sys};
  self->request(node, seconds{60}, atom::status_v)
    .receive(
      [&](const std::vector<pool_status>& pools) {
        for (const auto& p : pools)
          for (size_t i = 0; i < p.counts.size() && i < result.size(); ++i)
            result[i] += p.counts[i];
      },
      [&](const caf::error& err) {
        std::cerr << "status failed: " << sys.render(err) << "\n";
      });
  return result;
}

int64_t count_of(const std::vector<int64_t>& counts, server_status s) {
  auto i = static_cast<size_t>(s);
  return i < counts.size() ? counts[i] : 0;
}

int64_t live_servers(const std::vector<int64_t>& counts) {
  int64_t live = 0;
  for (size_t i = 0; i < counts.size(); ++i)
    if (static_cast<server_status>(i) != server_status::deleted)
      live += counts[i];
  return live;
}

double
wait_for_counts(caf::actor_system& sys, const node_actor& node,
                const std::function<bool(const std::vector<int64_t>&)>& pred,
                seconds limit) {
  auto start = steady_clock::now();
  while (steady_clock::now() - start < limit) {
    if (pred(count_statuses(sys, node)))
      return duration<double>(steady_clock::now() - start).count();
    std::this_thread::sleep_for(milliseconds{20});
  }
  return -1;
}

bool ensure_servers(caf::actor_system& sys, const node_actor& node,
                    const std::string& pool, int64_t n) {
  bool ok = false;
  caf::scoped_actor self{sys};
  self->request(node, seconds{60}, atom::ensure_v, pool, n)
    .receive([&](const scale_reply&) { ok = true; },
             [&](const caf::error& err) {
               std::cerr << "ensure failed: " << sys.render(err) << "\n";
             });
  return ok;
}

} // namespace dynserv
