// Internal to http/: the state that the HTTP server object, its accept loop
// and its connections share. Beast and Asio stay behind this header, which
// only http/ sources include.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/error.hpp>

#include "http/http_server.hpp"

namespace dynserv::http_detail {

namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using error_code = boost::beast::error_code;

/// After the grace period, how long stop() waits for streams to write their
/// last chunk and for connections to close.
constexpr auto close_wait = std::chrono::seconds{1};

/// One connection (server_session.cpp).
class session;

/// State shared by the server object, its connections and the exchanges that
/// users may keep after the server is gone. Sessions point to it without
/// owning it (handlers queued in the io_context own sessions, so owning the
/// core from there would be a cycle); exchanges and streams own both.
struct server_core : std::enable_shared_from_this<server_core> {
  server_core(http_server_options o, http_handler h)
    : opts(std::move(o)), handler(std::move(h)) {
    // nop
  }

  http_server_options opts;
  http_handler handler;

  // Declared before the io_context: sessions destroyed while the io_context
  // shuts down still unregister here.
  std::mutex mtx;
  std::condition_variable cv;
  /// Open connections (not the ones rejected with 503).
  std::unordered_map<uint64_t, std::weak_ptr<session>> sessions;
  /// Requests handed to the handler and not yet answered or written.
  size_t in_flight = 0;
  uint64_t next_id = 1;

  std::atomic<bool> stopping{false};

  std::unique_ptr<ssl::context> tls;
  net::io_context ioc;
  std::optional<tcp::acceptor> acceptor;
  net::strand<net::io_context::executor_type> accept_strand{
    net::make_strand(ioc)};
  std::optional<net::steady_timer> accept_retry;

  void add_in_flight(int delta) {
    std::lock_guard<std::mutex> guard{mtx};
    in_flight += delta;
    cv.notify_all();
  }

  /// Accepts connections until the acceptor closes (http_server.cpp).
  void do_accept();
};

/// Registers and starts an accepted connection, or answers it 503 when
/// `max_connections` are open (server_session.cpp).
void accept_connection(server_core& core, tcp::socket socket);

/// Closes `s` now if it is idle; a request in progress finishes first.
void stop_when_idle(const std::shared_ptr<session>& s);

/// End of the grace period: ends `s`'s stream or closes it.
void shut_down(const std::shared_ptr<session>& s);

} // namespace dynserv::http_detail
