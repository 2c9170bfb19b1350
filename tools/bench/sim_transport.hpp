// An http_transport that hands requests straight to an in-process
// dynserv-cloudsim core, so that the real provider clients run against the
// simulator without sockets.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "http/http_client.hpp"

namespace dynserv::cloudsim {
class cloud_sim;
} // namespace dynserv::cloudsim

namespace dynserv {

/// Sends every request to `cloud_sim::handle()` with `prefix` (e.g.
/// "/hetzner/v1", the path part of a base URL) put in front of its target.
/// A reply with `drop_connection` becomes an `http_failure::lost` result,
/// as the Beast client reports a connection closed before the answer. The
/// reply's `delay` (simulated network latency) is ignored: benchmarks run at
/// a high time scale and count requests, not seconds.
class sim_transport : public http_transport {
public:
  sim_transport(std::shared_ptr<cloudsim::cloud_sim> sim, std::string prefix);

  ~sim_transport() override;

  http_result send(const http_request& req) override;

  /// Requests sent through this transport so far.
  uint64_t sent() const {
    return sent_;
  }

private:
  std::shared_ptr<cloudsim::cloud_sim> sim_;
  std::string prefix_;
  uint64_t sent_ = 0;
};

} // namespace dynserv
