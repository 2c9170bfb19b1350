// Small blocking helpers with which the benchmarks drive an in-process node:
// status counts, ensure, and waiting for a condition on the counts.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "caf/fwd.hpp"

#include "messages/interfaces.hpp"

namespace dynserv {

/// The status of every pool of `node`; empty if the node does not answer.
std::vector<pool_status> pool_statuses(caf::actor_system& sys,
                                       const node_actor& node);

/// Server counts per status over all pools of `node`, indexed by
/// `server_status`; all zero if the node does not answer.
std::vector<int64_t> count_statuses(caf::actor_system& sys,
                                    const node_actor& node);

/// Count of status `s` in `counts`.
int64_t count_of(const std::vector<int64_t>& counts, server_status s);

/// Servers not yet deleted in `counts`.
int64_t live_servers(const std::vector<int64_t>& counts);

/// Polls the counts every 20 ms until `pred` holds; returns the seconds that
/// took, or -1 after `limit`.
double
wait_for_counts(caf::actor_system& sys, const node_actor& node,
                const std::function<bool(const std::vector<int64_t>&)>& pred,
                std::chrono::seconds limit);

/// Sends `ensure pool n`; false (with a message on stderr) on failure.
bool ensure_servers(caf::actor_system& sys, const node_actor& node,
                    const std::string& pool, int64_t n);

/// Every event of the node's log with a seq greater than `after`, read in
/// pages; stops early (with a message on stderr) if a read fails.
std::vector<event_record>
read_events(caf::actor_system& sys, const node_actor& node, uint64_t after = 0);

} // namespace dynserv
