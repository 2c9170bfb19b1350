// One entry of the config file's `webhooks` section: a receiver of signed
// event POSTs (docs/webhooks.md).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "config/duration.hpp"

namespace dynserv {

/// Defaults of an entry of `webhooks`.
constexpr auto default_webhook_timeout = millis{std::chrono::seconds{10}};
constexpr auto default_webhook_backoff_initial
  = millis{std::chrono::seconds{1}};
constexpr auto default_webhook_backoff_max = millis{std::chrono::minutes{5}};
/// Shortest secret accepted for signing webhook requests.
constexpr size_t min_webhook_secret_length = 16;

/// One entry of `webhooks`: a receiver of events (docs/webhooks.md).
struct webhook_config {
  /// The webhook name (the key in `webhooks`); names its stored cursor.
  std::string name;
  /// `http://` or `https://` URL the events are POSTed to.
  std::string url;
  /// The HMAC-SHA256 key: `secret`, or the value of the variable named by
  /// `secret_env` (resolved when the file is loaded). Never log it.
  std::string secret;
  /// Name of the environment variable the secret came from, if any.
  std::string secret_env;
  /// Reasons to send (e.g. "ServerRunning"); empty sends every event.
  std::vector<std::string> events;
  /// Pools whose events to send; empty sends the events of every pool.
  std::vector<std::string> pools;
  /// Time allowed for connecting and for the whole exchange (each).
  millis timeout = default_webhook_timeout;
  /// First delay after a failed delivery.
  millis backoff_initial = default_webhook_backoff_initial;
  /// Upper bound of the delay between attempts.
  millis backoff_max = default_webhook_backoff_max;
  /// PEM file with extra CA certificates for an https URL.
  std::string ca_file;
  /// Certificate and host-name verification for https.
  bool tls_verify = true;
  /// A webhook without a stored cursor starts at the beginning of the event
  /// log (`from: "start"`) instead of its end.
  bool from_start = false;
};

} // namespace dynserv
