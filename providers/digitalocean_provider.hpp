// The DigitalOcean provider: API v2's dialect of the REST cloud core.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "providers/cloud_options.hpp"
#include "providers/rest_cloud_provider.hpp"

namespace dynserv {

/// Talks to DigitalOcean's API v2 (`https://api.digitalocean.com/v2`).
/// Droplets have no labels, so dynserv's labels become tags `key:value`
/// (see `encode_digitalocean_tag`) and are parsed back on every read. `list`
/// asks for one tag (the `dynserv-id` label's if selected, else the owner's)
/// and filters the other labels itself, following the pagination. The provider
/// follows its own droplet actions (see `action_following_dialect`) and
/// reports a droplet it created less than a minute ago as provisioning when a
/// read still answers 404 (the API's eventual consistency). Errors are mapped
/// as documented in docs/providers.md.
class digitalocean_provider : public rest_cloud_provider {
public:
  /// `now_ms` is the wall clock in ms since the epoch (system clock when
  /// empty); tests inject their own.
  digitalocean_provider(digitalocean_options opts,
                        std::unique_ptr<http_transport> transport,
                        std::function<int64_t()> now_ms = {});
};

/// Maps a droplet status (new, active, off, archive).
cloud_state map_digitalocean_state(std::string_view raw);

/// Encodes a label as a DigitalOcean tag `key:value`. Tags may hold only
/// letters, digits, ':', '-' and '_', so every other byte of key and value,
/// and ':' and '_' themselves, become `_XX` (upper-case hex): reversible and
/// deterministic, e.g. `dynserv-owner=node.1` -> `dynserv-owner:node_2E1`.
std::string encode_digitalocean_tag(const std::string& key,
                                    const std::string& value);

/// Decodes a tag made by `encode_digitalocean_tag`; nullopt for other tags.
std::optional<std::pair<std::string, std::string>>
decode_digitalocean_tag(const std::string& tag);

/// Problems of a pool's `server` object for DigitalOcean.
std::vector<std::pair<std::string, std::string>>
validate_digitalocean_spec(const std::string& spec_json);

} // namespace dynserv
