// The DigitalOcean provider: API v2 over an `http_transport`.
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
#include "providers/provider.hpp"

namespace dynserv {

/// Talks to DigitalOcean's API v2 (`https://api.digitalocean.com/v2`).
/// Droplets have no labels, so dynserv's labels become tags `key:value`
/// (see `encode_digitalocean_tag`) and are parsed back on every read. `list`
/// asks for one tag (the `dynserv-id` label's if selected, else the owner's)
/// and filters the other labels itself, following the pagination. The provider
/// follows its own droplet actions like the Hetzner provider does, powers a
/// droplet off when a shutdown has not stopped it within `stop_timeout`, and
/// reports a droplet it created less than a minute ago as provisioning when a
/// read still answers 404 (the API's eventual consistency). Errors are mapped
/// as documented in docs/providers.md.
class digitalocean_provider : public provider {
public:
  /// Internal state; defined in the source file.
  struct impl;

  /// `now_ms` is the wall clock in ms since the epoch (system clock when
  /// empty); tests inject their own.
  digitalocean_provider(digitalocean_options opts,
                        std::unique_ptr<http_transport> transport,
                        std::function<int64_t()> now_ms = {});

  ~digitalocean_provider() override;

  std::string type_name() const override;

  provider_capabilities capabilities() const override;

  /// `POST /droplets` with the labels as tags.
  provider_reply create(const create_request& req) override;

  /// `GET /droplets/{id}` (plus `GET /actions/{id}` of pending actions).
  provider_reply get(const std::string& provider_id) override;

  /// `GET /droplets?tag_name=<tag>&per_page=200&page=N`, every page; the tag
  /// is the `dynserv-id` label's when the selector has one, else the
  /// owner's.
  provider_reply list(const label_map& selector) override;

  /// `POST /droplets/{id}/actions {"type":"shutdown"}`; power_off follows
  /// if needed.
  provider_reply stop(const std::string& provider_id) override;

  /// `POST /droplets/{id}/actions {"type":"power_on"}`.
  provider_reply start(const std::string& provider_id) override;

  /// `POST /droplets/{id}/actions {"type":"reboot"}`.
  provider_reply reboot(const std::string& provider_id) override;

  /// `DELETE /droplets/{id}`.
  provider_reply destroy(const std::string& provider_id) override;

private:
  std::unique_ptr<impl> impl_;
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
