// Factories of the real cloud providers and the exec provider, plus the
// validation of a pool's provider-specific `server` object.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "providers/cloud_options.hpp"
#include "providers/provider.hpp"

namespace dynserv {

class http_transport;

/// Provider types that talk to a cloud over HTTP or run a command.
/// "simulated" is separate (providers/simulated_provider.hpp).
bool is_cloud_provider_type(std::string_view type);

/// Problems with a pool's `server` object (JSON text) for provider `type`:
/// pairs of key path relative to the object (e.g. "zone") and the problem.
/// Empty when the object is fine.
std::vector<std::pair<std::string, std::string>>
validate_server_spec(std::string_view type, const std::string& spec_json);

/// Public API base URL of `type` ("https://api.upcloud.com/1.3", ...).
std::string default_base_url(std::string_view type);

/// `transport` is what the provider sends its requests through; tests pass
/// a scripted transport, the node one made by `make_http_client`.
provider_ptr make_upcloud_provider(upcloud_options opts,
                                   std::unique_ptr<http_transport> transport);

provider_ptr make_hetzner_provider(hetzner_options opts,
                                   std::unique_ptr<http_transport> transport);

provider_ptr
make_digitalocean_provider(digitalocean_options opts,
                           std::unique_ptr<http_transport> transport);

provider_ptr make_exec_provider(exec_options opts);

} // namespace dynserv
