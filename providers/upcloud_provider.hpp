// The UpCloud provider: API 1.3's dialect of the REST cloud core.
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

/// Talks to UpCloud's API 1.3 (`https://api.upcloud.com/1.3`): servers carry
/// dynserv's labels, `list` filters by label on the server side, stops are
/// soft with a server-side hard stop after `stop_timeout`, and a delete takes
/// the disks along (`?storages=1&backups=delete`). UpCloud deletes only
/// stopped servers. Errors are mapped as documented in docs/providers.md.
class upcloud_provider : public rest_cloud_provider {
public:
  /// `now_ms` is the wall clock in ms since the epoch (system clock when
  /// empty); tests inject their own.
  upcloud_provider(upcloud_options opts,
                   std::unique_ptr<http_transport> transport,
                   std::function<int64_t()> now_ms = {});
};

/// Maps an UpCloud server state: started, stopped, maintenance, error.
cloud_state map_upcloud_state(std::string_view raw);

/// Problems of a pool's `server` object for UpCloud.
std::vector<std::pair<std::string, std::string>>
validate_upcloud_spec(const std::string& spec_json);

} // namespace dynserv
