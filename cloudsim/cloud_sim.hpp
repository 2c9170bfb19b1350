// The simulator core: one thread-safe object that answers every HTTP request
// of dynserv-cloudsim, without sockets.
#pragma once

#include <memory>
#include <mutex>

#include "cloudsim/sim_state.hpp"
#include "cloudsim/sim_types.hpp"
#include "http/http_message.hpp"

namespace dynserv::cloudsim {

class upcloud_api;
class hetzner_api;
class digitalocean_api;
class control_api;
class provider_api;

/// URL prefixes of the simulated APIs.
constexpr std::string_view upcloud_prefix = "/upcloud/1.3";
constexpr std::string_view hetzner_prefix = "/hetzner/v1";
constexpr std::string_view digitalocean_prefix = "/digitalocean/v2";
constexpr std::string_view control_prefix = "/_sim";

/// Routes requests to the provider APIs and the control API. Per provider
/// request: settle the virtual clock, rate limit (real time), fault rules,
/// auth, the provider's handler, rate-limit and standard headers, response
/// latency, request log. Safe to call from many threads.
class cloud_sim {
public:
  explicit cloud_sim(sim_options opts);
  ~cloud_sim();

  cloud_sim(const cloud_sim&) = delete;
  cloud_sim& operator=(const cloud_sim&) = delete;

  /// Answers one request. Never throws for any input.
  sim_reply handle(const http_request& req);

  /// Runs `f(state)` under the lock (tests and the main program use it to
  /// inspect or tweak the world).
  template <class F>
  auto with_state(F f) {
    std::lock_guard<std::mutex> guard{mtx_};
    return f(*state_);
  }

private:
  sim_reply handle_locked(const http_request& req);
  sim_reply handle_provider(provider_api& api, const http_request& req,
                            std::string_view prefix, const std::string& path,
                            const std::string& raw_query);

  std::mutex mtx_;
  std::unique_ptr<sim_state> state_;
  std::unique_ptr<upcloud_api> upcloud_;
  std::unique_ptr<hetzner_api> hetzner_;
  std::unique_ptr<digitalocean_api> digitalocean_;
  std::unique_ptr<control_api> control_;
};

} // namespace dynserv::cloudsim
