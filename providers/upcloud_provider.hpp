// The UpCloud provider: API 1.3 over an `http_transport`.
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

/// Talks to UpCloud's API 1.3 (`https://api.upcloud.com/1.3`): servers carry
/// dynserv's labels, `list` filters by label on the server side, stops are
/// soft with a server-side hard stop after `stop_timeout`, and a delete takes
/// the disks along (`?storages=1&backups=delete`). UpCloud deletes only
/// stopped servers. Errors are mapped as documented in docs/providers.md.
class upcloud_provider : public provider {
public:
  /// Internal state; defined in the source file.
  struct impl;

  /// `now_ms` is the wall clock in ms since the epoch (system clock when
  /// empty); tests inject their own.
  upcloud_provider(upcloud_options opts,
                   std::unique_ptr<http_transport> transport,
                   std::function<int64_t()> now_ms = {});

  ~upcloud_provider() override;

  std::string type_name() const override;

  provider_capabilities capabilities() const override;

  /// `POST /server` with the pool's spec, the name and the labels.
  provider_reply create(const create_request& req) override;

  /// `GET /server/{uuid}`.
  provider_reply get(const std::string& provider_id) override;

  /// `GET /server?label=k%3Dv&...`.
  provider_reply list(const label_map& selector) override;

  /// `POST /server/{uuid}/stop` (soft, `stop_timeout`).
  provider_reply stop(const std::string& provider_id) override;

  /// `POST /server/{uuid}/start`.
  provider_reply start(const std::string& provider_id) override;

  /// `POST /server/{uuid}/restart` (soft, hard after 60 s).
  provider_reply reboot(const std::string& provider_id) override;

  /// `DELETE /server/{uuid}?storages=1&backups=delete`.
  provider_reply destroy(const std::string& provider_id) override;

private:
  std::unique_ptr<impl> impl_;
};

/// Maps an UpCloud server state: started, stopped, maintenance, error.
cloud_state map_upcloud_state(std::string_view raw);

/// Problems of a pool's `server` object for UpCloud.
std::vector<std::pair<std::string, std::string>>
validate_upcloud_spec(const std::string& spec_json);

} // namespace dynserv
