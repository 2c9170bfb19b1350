// The node's two endpoints in the config file: `admin` (the console that
// dynservctl talks to) and `http` (the HTTP API).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "config/duration.hpp"

namespace dynserv {

/// TLS for the admin console (CAF's OpenSSL module).
struct admin_tls_config {
  /// PEM certificate of this node.
  std::string certificate;
  /// PEM private key of `certificate`.
  std::string key;
  /// PEM CA bundle that peers' certificates must chain to (optional).
  std::string cafile;
};

/// The admin console endpoint (`dynservctl` talks to it).
struct admin_config {
  /// False when `admin.listen` is "off".
  bool enabled = true;
  std::string host = "127.0.0.1";
  /// 0 picks a free port (written to `<data_dir>/admin.addr`).
  uint16_t port = 4242;
  /// The token itself (prefer token_env).
  std::string token;
  /// Name of the environment variable that holds the token.
  std::string token_env;
  std::optional<admin_tls_config> tls;
};

/// Defaults of the `http` section.
constexpr uint16_t default_http_port = 8080;
constexpr auto default_http_request_timeout = millis{std::chrono::seconds{10}};
constexpr auto default_http_idle_timeout = millis{std::chrono::seconds{60}};
constexpr uint64_t default_http_body_limit = 65536;
constexpr uint64_t default_http_max_connections = 256;

/// TLS for the HTTP API (HTTPS).
struct http_tls_config {
  /// PEM certificate chain of this node.
  std::string certificate;
  /// PEM private key of `certificate` (unencrypted).
  std::string key;
};

/// The HTTP API endpoint (see docs/http-api.md).
struct http_config {
  /// False when `http.listen` is "off".
  bool enabled = true;
  std::string host = "127.0.0.1";
  /// 0 picks a free port (written to `<data_dir>/http.addr`).
  uint16_t port = default_http_port;
  /// The bearer token itself (prefer token_env).
  std::string token;
  /// Name of the environment variable that holds the token.
  std::string token_env;
  /// Reads (GET) need no token when true; changes always do.
  bool public_reads = false;
  /// Time allowed to receive one request.
  millis request_timeout = default_http_request_timeout;
  /// A kept-alive connection without a request for this long is closed.
  millis idle_timeout = default_http_idle_timeout;
  /// Larger request bodies are answered 413.
  uint64_t body_limit = default_http_body_limit;
  /// Connections beyond this are answered 503 and closed.
  uint64_t max_connections = default_http_max_connections;
  std::optional<http_tls_config> tls;
};

} // namespace dynserv
