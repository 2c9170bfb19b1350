// The pool as status queries report it, built from its config, record and
// children (pure).
#pragma once

#include <cstdint>

#include "actors/pool_children.hpp"
#include "config/node_config.hpp"
#include "messages/types.hpp"

namespace dynserv {

/// The status of `cfg`'s pool at `now_ms`: counts per status, the servers
/// oldest first, the policy flags, the rollout, the breaker (`breaker`, with
/// its window counts) and the servers past max_lifetime.
pool_status report_pool(const pool_config& cfg, const pool_record& rec,
                        const pool_children& children,
                        const breaker_record& breaker, int64_t now_ms);

} // namespace dynserv
