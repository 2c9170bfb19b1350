// Small vocabulary shared by every part of dynserv-cloudsim.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "http/http_message.hpp"

namespace dynserv::cloudsim {

using millis = std::chrono::milliseconds;

/// The cloud APIs the simulator speaks.
enum class provider_kind { upcloud, hetzner, digitalocean };

/// Every provider, in URL-prefix order.
constexpr std::array<provider_kind, 3> all_providers{
  provider_kind::upcloud, provider_kind::hetzner, provider_kind::digitalocean};

/// Returns "upcloud", "hetzner" or "digitalocean".
std::string_view to_string(provider_kind x);

/// Parses the names `to_string` returns.
std::optional<provider_kind> parse_provider(std::string_view x);

/// Index of `x` in `all_providers`, for per-provider arrays.
constexpr size_t index_of(provider_kind x) {
  return static_cast<size_t>(x);
}

/// What the transport does with one request: answer with `response` after
/// `delay`, or close the connection without an answer after `delay` when
/// `drop_connection` is set.
struct sim_reply {
  http_response response;
  bool drop_connection = false;
  millis delay{0};
};

} // namespace dynserv::cloudsim
