// The node dynserv-bench's lifecycle runs: one pool "bench" of up to N
// servers on the embedded simulated cloud "sim".
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "config/node_config.hpp"

namespace dynserv {

class simulated_provider;

/// Config of the benchmark node under `dir` for up to `n` servers, the
/// simulated cloud running at `time_scale` (create 20 s, stop 5 s, delete
/// 5 s, reboot 10 s, jitter 20 %, all divided by `time_scale`). The node's
/// own timings are not scaled: poll interval 100 ms, rate limit lifted.
node_config bench_node_config(const std::string& dir, int64_t n,
                              double time_scale);

/// Opens the simulated cloud of `cfg` (its inventory under the data
/// directory); nullptr, with a message on stderr, on failure.
std::shared_ptr<simulated_provider> open_bench_cloud(const node_config& cfg);

} // namespace dynserv
