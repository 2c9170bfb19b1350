// Names of the simulated providers.
#include "cloudsim/sim_types.hpp"

namespace dynserv::cloudsim {

std::string_view to_string(provider_kind x) {
  switch (x) {
    case provider_kind::upcloud:
      return "upcloud";
    case provider_kind::hetzner:
      return "hetzner";
    case provider_kind::digitalocean:
      return "digitalocean";
  }
  return "unknown";
}

std::optional<provider_kind> parse_provider(std::string_view x) {
  for (auto p : all_providers)
    if (to_string(p) == x)
      return p;
  return std::nullopt;
}

} // namespace dynserv::cloudsim
