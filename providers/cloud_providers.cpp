// Placeholder factories until the cloud providers land (branch h-providers).
#include "providers/cloud_providers.hpp"

#include "http/http_client.hpp"

namespace dynserv {

bool is_cloud_provider_type(std::string_view type) {
  return type == "upcloud" || type == "hetzner" || type == "digitalocean"
         || type == "exec";
}

std::vector<std::pair<std::string, std::string>>
validate_server_spec(std::string_view, const std::string&) {
  return {};
}

std::string default_base_url(std::string_view type) {
  if (type == "upcloud")
    return "https://api.upcloud.com/1.3";
  if (type == "hetzner")
    return "https://api.hetzner.cloud/v1";
  if (type == "digitalocean")
    return "https://api.digitalocean.com/v2";
  return {};
}

provider_ptr make_upcloud_provider(upcloud_options,
                                   std::unique_ptr<http_transport>) {
  return nullptr;
}

provider_ptr make_hetzner_provider(hetzner_options,
                                   std::unique_ptr<http_transport>) {
  return nullptr;
}

provider_ptr make_digitalocean_provider(digitalocean_options,
                                        std::unique_ptr<http_transport>) {
  return nullptr;
}

provider_ptr make_exec_provider(exec_options) {
  return nullptr;
}

} // namespace dynserv
