// The simulator's own control API under /_sim/: inventory, orphans, faults,
// virtual time, forced states, request log, budgets and limits.
#pragma once

#include <string>

#include "cloudsim/provider_api.hpp"
#include "cloudsim/sim_state.hpp"
#include "http/http_message.hpp"

namespace dynserv::cloudsim {

class upcloud_api;
class hetzner_api;
class digitalocean_api;

/// JSON in, JSON out, no auth. Errors are {"error":"..."} with 400 or 404.
class control_api {
public:
  control_api(sim_state& state, upcloud_api& upcloud, hetzner_api& hetzner,
              digitalocean_api& digitalocean)
    : state_(state),
      upcloud_(upcloud),
      hetzner_(hetzner),
      digitalocean_(digitalocean) {
  }

  /// Handles `req` whose path below "/_sim" is `path`.
  http_response handle(const http_request& req, const std::string& path,
                       const query_params& query);

private:
  http_response inventory(const query_params& query);
  http_response create_server(const http_request& req);
  http_response faults();
  http_response add_faults(const http_request& req);
  http_response advance(const http_request& req);
  http_response time_scale(const http_request& req);
  http_response clock();
  http_response force_state(const http_request& req);
  http_response requests(const query_params& query);
  http_response budget();
  http_response storages(const query_params& query);
  http_response rate_limits();
  http_response set_rate_limits(const http_request& req);
  http_response consistency_delay(const http_request& req);
  http_response max_servers(const http_request& req);
  http_response latency(const http_request& req);

  sim_state& state_;
  upcloud_api& upcloud_;
  hetzner_api& hetzner_;
  digitalocean_api& digitalocean_;
};

} // namespace dynserv::cloudsim
