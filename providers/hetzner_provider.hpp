// The Hetzner Cloud provider: API v1 over an `http_transport`.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "providers/cloud_options.hpp"
#include "providers/provider.hpp"

namespace dynserv {

/// Talks to Hetzner Cloud's API v1 (`https://api.hetzner.cloud/v1`): servers
/// carry dynserv's labels, `list` uses a label selector and follows the
/// pagination, a replayed create (409 `uniqueness_error`) is resolved by
/// name, and the provider follows its own asynchronous actions: it reads
/// pending actions of servers it is asked about (a list only those whose
/// outcome the state does not show, at most every 30 s), reports failed
/// ones, and powers a server off when a soft shutdown has not stopped it
/// within `stop_timeout`. Errors are mapped as documented in docs/providers.md.
class hetzner_provider : public provider {
public:
  /// Internal state; defined in the source file.
  struct impl;

  /// `now_ms` is the wall clock in ms since the epoch (system clock when
  /// empty); tests inject their own.
  hetzner_provider(hetzner_options opts,
                   std::unique_ptr<http_transport> transport,
                   std::function<int64_t()> now_ms = {});

  ~hetzner_provider() override;

  std::string type_name() const override;

  provider_capabilities capabilities() const override;

  /// `POST /servers`; a 409 `uniqueness_error` is resolved by name.
  provider_reply create(const create_request& req) override;

  /// `GET /servers/{id}` (plus `GET /actions/{id}` of pending actions).
  provider_reply get(const std::string& provider_id) override;

  /// `GET /servers?label_selector=...&per_page=50&page=N`, every page.
  provider_reply list(const label_map& selector) override;

  /// `POST /servers/{id}/actions/shutdown`; poweroff follows if needed.
  provider_reply stop(const std::string& provider_id) override;

  /// `POST /servers/{id}/actions/poweron`.
  provider_reply start(const std::string& provider_id) override;

  /// `POST /servers/{id}/actions/reboot`.
  provider_reply reboot(const std::string& provider_id) override;

  /// `DELETE /servers/{id}`.
  provider_reply destroy(const std::string& provider_id) override;

private:
  std::unique_ptr<impl> impl_;
};

/// Maps a Hetzner server status (initializing, starting, running, stopping,
/// off, deleting, migrating, rebuilding, unknown).
cloud_state map_hetzner_state(std::string_view raw);

/// Problems of a pool's `server` object for Hetzner Cloud.
std::vector<std::pair<std::string, std::string>>
validate_hetzner_spec(const std::string& spec_json);

} // namespace dynserv
