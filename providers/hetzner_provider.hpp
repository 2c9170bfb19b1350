// The Hetzner Cloud provider: API v1's dialect of the REST cloud core.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "providers/cloud_options.hpp"
#include "providers/rest_cloud_provider.hpp"

namespace dynserv {

/// Talks to Hetzner Cloud's API v1 (`https://api.hetzner.cloud/v1`): servers
/// carry dynserv's labels, `list` uses a label selector and follows the
/// pagination, a replayed create (409 `uniqueness_error`) is resolved by
/// name, and the provider follows its own asynchronous actions, reading
/// them in batches (`GET /actions?id=a&id=b`); see
/// `action_following_dialect`. Errors are mapped as documented in
/// docs/providers.md.
class hetzner_provider : public rest_cloud_provider {
public:
  /// `now_ms` is the wall clock in ms since the epoch (system clock when
  /// empty); tests inject their own.
  hetzner_provider(hetzner_options opts,
                   std::unique_ptr<http_transport> transport,
                   std::function<int64_t()> now_ms = {});
};

/// Maps a Hetzner server status (initializing, starting, running, stopping,
/// off, deleting, migrating, rebuilding, unknown).
cloud_state map_hetzner_state(std::string_view raw);

/// Problems of a pool's `server` object for Hetzner Cloud.
std::vector<std::pair<std::string, std::string>>
validate_hetzner_spec(const std::string& spec_json);

} // namespace dynserv
