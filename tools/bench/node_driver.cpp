// Blocking helpers that drive an in-process node for the benchmarks.
#include "tools/bench/node_driver.hpp"

#include <iostream>
#include <iterator>
#include <thread>

#include "caf/actor_system.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

namespace dynserv {

using namespace std::chrono;

std::vector<pool_status> pool_statuses(caf::actor_system& sys,
                                       const node_actor& node) {
  std::vector<pool_status> result;
  caf::scoped_actor self{sys};
  self->request(node, seconds{60}, atom::status_v)
    .receive(
      [&](std::vector<pool_status>& pools) { result = std::move(pools); },
      [&](const caf::error& err) {
        std::cerr << "status failed: " << sys.render(err) << "\n";
      });
  return result;
}

std::vector<int64_t> count_statuses(caf::actor_system& sys,
                                    const node_actor& node) {
  std::vector<int64_t> result(server_status_count, 0);
  for (const auto& p : pool_statuses(sys, node))
    for (size_t i = 0; i < p.counts.size() && i < result.size(); ++i)
      result[i] += p.counts[i];
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

std::vector<event_record> read_events(caf::actor_system& sys,
                                      const node_actor& node, uint64_t after) {
  std::vector<event_record> result;
  caf::scoped_actor self{sys};
  for (;;) {
    std::vector<event_record> page;
    bool failed = false;
    self->request(node, seconds{60}, atom::events_v, after, uint32_t{10000})
      .receive([&](std::vector<event_record>& evs) { page = std::move(evs); },
               [&](const caf::error& err) {
                 std::cerr << "events failed: " << sys.render(err) << "\n";
                 failed = true;
               });
    if (failed || page.empty())
      return result;
    after = page.back().seq;
    result.insert(result.end(), std::make_move_iterator(page.begin()),
                  std::make_move_iterator(page.end()));
  }
}

} // namespace dynserv
