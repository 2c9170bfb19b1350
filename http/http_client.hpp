// A blocking HTTP/1.1 client (HTTPS through OpenSSL) for provider APIs,
// metric sources and webhooks. Beast stays inside http_client.cpp.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "http/http_message.hpp"

namespace dynserv {

struct http_client_options {
  /// "https://host[:port][/path]" or "http://..."; request targets are
  /// appended to the path.
  std::string base_url;
  /// PEM file with extra CA certificates; the system store is always used.
  std::string ca_file;
  /// Certificate and host-name verification. Turning it off is logged as a
  /// warning every time a client is made.
  bool tls_verify = true;
  std::chrono::milliseconds connect_timeout{std::chrono::seconds{10}};
  /// Whole exchange after connecting: write the request, read the response.
  std::chrono::milliseconds read_timeout{std::chrono::seconds{30}};
  std::string user_agent = "dynserv";
};

/// Why an exchange produced no HTTP response.
enum class http_failure {
  none,
  /// Bad base URL or options; nothing was sent.
  invalid,
  /// DNS, TCP connect or TLS handshake failed; nothing was sent.
  connect,
  /// The request may have been sent but the response did not arrive in time
  /// or the connection broke: its outcome is unknown.
  lost,
  /// The peer answered something that is not HTTP.
  protocol,
};

/// Returns a lower-case name such as "connect".
const char* to_string(http_failure x);

struct http_result {
  http_failure failure = http_failure::none;
  /// Human-readable reason when `failure != none` (no secrets in it).
  std::string detail;
  /// Valid when `failure == none`.
  http_response response;

  bool ok() const {
    return failure == http_failure::none;
  }
};

/// Sends requests to one base URL. Not thread-safe: one caller at a time
/// (each provider actor owns its own transport). Implementations reuse a
/// kept-alive connection and reconnect once when a reused connection turns
/// out to be closed before anything of the response arrived.
class http_transport {
public:
  virtual ~http_transport();

  virtual http_result send(const http_request& req) = 0;
};

/// Makes a transport over Beast. On invalid options (unparsable URL,
/// unreadable CA file) it returns nullptr and writes the reason to `*error`.
std::unique_ptr<http_transport>
make_http_client(const http_client_options& opts, std::string* error);

} // namespace dynserv
