// Factories of the real cloud providers and the exec provider, and the
// validation of pool server specs per provider type.
#include "providers/cloud_providers.hpp"

#include <rapidjson/document.h>

#include "http/http_client.hpp"
#include "providers/digitalocean_provider.hpp"
#include "providers/exec_provider.hpp"
#include "providers/hetzner_provider.hpp"
#include "providers/http_provider_support.hpp"
#include "providers/upcloud_provider.hpp"

namespace dynserv {

bool is_cloud_provider_type(std::string_view type) {
  return type == "upcloud" || type == "hetzner" || type == "digitalocean"
         || type == "exec";
}

std::vector<std::pair<std::string, std::string>>
validate_server_spec(std::string_view type, const std::string& spec_json) {
  if (type == "upcloud")
    return validate_upcloud_spec(spec_json);
  if (type == "hetzner")
    return validate_hetzner_spec(spec_json);
  if (type == "digitalocean")
    return validate_digitalocean_spec(spec_json);
  // The exec provider passes the object on as it is; the simulated cloud
  // ignores it. Both still need an object.
  http_support::spec_problems problems;
  rapidjson::Document doc;
  http_support::parse_spec(spec_json, doc, problems);
  return problems;
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

provider_ptr make_upcloud_provider(upcloud_options opts,
                                   std::unique_ptr<http_transport> transport) {
  return std::make_unique<upcloud_provider>(std::move(opts),
                                            std::move(transport));
}

provider_ptr make_hetzner_provider(hetzner_options opts,
                                   std::unique_ptr<http_transport> transport) {
  return std::make_unique<hetzner_provider>(std::move(opts),
                                            std::move(transport));
}

provider_ptr
make_digitalocean_provider(digitalocean_options opts,
                           std::unique_ptr<http_transport> transport) {
  return std::make_unique<digitalocean_provider>(std::move(opts),
                                                 std::move(transport));
}

provider_ptr make_exec_provider(exec_options opts) {
  return std::make_unique<exec_provider>(std::move(opts));
}

} // namespace dynserv
