// Which servers a pool stops first when it scales down (pure function).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "messages/types.hpp"

namespace dynserv {

/// Picks up to `n` servers to stop from `candidates`: pending first (they
/// cost no API call), then starting, then running, then rebooting; within a
/// status the newest first: highest `provider_created_at_ms`, then highest
/// provider id, then highest `created_at_ms`. Servers in other
/// statuses or already asked to stop are never picked.
std::vector<std::string> stop_order(const std::vector<server_record>& candidates,
                                    size_t n);

} // namespace dynserv
