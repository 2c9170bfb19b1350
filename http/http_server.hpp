// An HTTP/1.1 server on Boost.Beast for the node's API and dynserv-cloudsim.
// Beast stays inside http/*.cpp and server_core.hpp; handlers see plain
// values.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "http/http_message.hpp"

namespace dynserv {

struct http_server_options {
  std::string host = "127.0.0.1";
  /// 0 picks a free port; `http_server::port()` tells which.
  uint16_t port = 0;
  /// Time allowed to receive one request (headers and body).
  std::chrono::milliseconds request_timeout{std::chrono::seconds{10}};
  /// A kept-alive connection without a request for this long is closed.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds{60}};
  /// Larger bodies are answered 413 without calling the handler.
  size_t body_limit = 1 << 20;
  /// Connections beyond this are accepted and closed at once with 503.
  size_t max_connections = 256;
  /// Threads running the I/O loop (and handlers).
  size_t threads = 2;
  /// PEM certificate and key; both empty = plain HTTP.
  std::string tls_certificate;
  std::string tls_key;
};

/// A server-sent-events or other streamed response in progress.
class http_stream {
public:
  virtual ~http_stream();
  /// Queues `chunk` to be written; false once the peer is gone or the server
  /// stops. Thread-safe.
  virtual bool write(std::string chunk) = 0;
  /// Ends the response and closes the connection. Thread-safe.
  virtual void close() = 0;
  /// True while the peer is connected.
  virtual bool open() const = 0;
};

/// One request waiting for its answer. The handler (or anyone it passes the
/// exchange to, on any thread) calls exactly one of `respond` or `stream`.
class http_exchange {
public:
  virtual ~http_exchange();
  virtual void respond(http_response res) = 0;
  /// Sends status and headers now, then chunks through the returned stream.
  virtual std::shared_ptr<http_stream> stream(int status, http_headers headers)
    = 0;
  /// Closes the connection without answering (dynserv-cloudsim uses it to
  /// simulate a dropped connection).
  virtual void abort() = 0;
};

using http_handler
  = std::function<void(http_request req, std::shared_ptr<http_exchange> ex)>;

class http_server {
public:
  virtual ~http_server();
  /// The bound port.
  virtual uint16_t port() const = 0;
  /// Stops accepting, lets requests in flight finish for up to `grace`,
  /// closes streams and idle connections, and joins the threads.
  virtual void stop(std::chrono::milliseconds grace) = 0;
};

/// Binds and starts serving; nullptr with the reason in `*error` when the
/// address cannot be bound or the certificate cannot be loaded.
std::unique_ptr<http_server> start_http_server(const http_server_options& opts,
                                               http_handler handler,
                                               std::string* error);

} // namespace dynserv
