// What every request handler of the HTTP API shares: the options, the
// actor system and the shutdown flag. Internal to api/.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "api/http_api.hpp"

namespace dynserv {

struct http_api::shared_state {
  shared_state(caf::actor_system& sys, http_api_options opts)
    : sys(sys), opts(std::move(opts)) {
    // nop
  }

  caf::actor_system& sys;
  const http_api_options opts;
  std::atomic<bool> stopping{false};
  /// Wrong tokens in a row (any client); drives the refusal delay.
  std::atomic<uint32_t> consecutive_failures{0};
};

using api_state_ptr = std::shared_ptr<http_api::shared_state>;

} // namespace dynserv
