// One entry of the config file's `providers` section: a provider account,
// and the rate limits the real clouds get by default.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/duration.hpp"
#include "providers/cloud_options.hpp"
#include "providers/provider_options.hpp"

namespace dynserv {

/// Default of `providers.<name>.rate_limit.reserve`: the share of the
/// provider's own budget kept free for humans and other tools.
constexpr double default_budget_reserve = 0.1;
/// Default `stop_timeout` of the HTTP providers.
constexpr auto default_stop_timeout = millis{std::chrono::seconds{60}};
/// Default `timeout` of the exec provider.
constexpr auto default_exec_timeout = millis{std::chrono::seconds{60}};

/// One entry of `providers`: a provider account.
struct provider_config {
  /// The account name (the key in `providers`).
  std::string name;
  /// "simulated", "upcloud", "hetzner", "digitalocean" or "exec".
  std::string type;
  /// Token bucket for the account's API calls; none means no limit. Real
  /// clouds get `default_rate_limit(type, budget_reserve)` when absent.
  std::optional<rate_limit_options> rate_limit;
  /// `rate_limit.reserve`: share (0 to below 1) of the budget the provider
  /// reports that the provider actor leaves to others.
  double budget_reserve = default_budget_reserve;
  /// Options of type "simulated" (defaults when the type is another one).
  simulated_options simulated;
  /// Types "upcloud", "hetzner" and "digitalocean": base URL, TLS,
  /// timeouts and the resolved credentials (secrets: never log them).
  http_provider_options api;
  /// Types "upcloud", "hetzner" and "digitalocean": `stop_timeout`.
  millis stop_timeout = default_stop_timeout;
  /// Type "exec".
  exec_options exec;
};

// -- provider defaults --------------------------------------------------------

/// The token bucket a provider type gets when its config has no
/// `rate_limit` (or leaves keys of it out): the provider's published limit
/// scaled by `1 - reserve`, so that the bucket never allows more than the
/// provider does. Hetzner: 1/s, burst 3600. DigitalOcean: 1.2/s, burst 150,
/// which fits both published windows (250 a minute, 5000 an hour). UpCloud
/// publishes no limit: 5/s, burst 20 (not scaled). None for "simulated" and
/// "exec".
std::optional<rate_limit_options> default_rate_limit(std::string_view type,
                                                     double reserve);

/// Requests per second by which the provider's own budget refills, as
/// published (Hetzner 1, DigitalOcean 5000 an hour); 0 when unknown.
double published_refill_rate(std::string_view type);

} // namespace dynserv
