// Plain POSIX sockets for the http/ tests: a client that speaks raw bytes to
// the server under test and a listener that plays a misbehaving server.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace dynserv::test {

using millis = std::chrono::milliseconds;

/// Polls `pred` every few milliseconds until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& pred,
                millis timeout = std::chrono::seconds{5});

/// A blocking TCP connection to 127.0.0.1 with deadline-bounded reads.
class raw_client {
public:
  /// Connects; `ok()` tells whether it worked.
  explicit raw_client(uint16_t port);
  ~raw_client();

  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  bool ok() const {
    return fd_ >= 0;
  }

  /// The local port of the connection (the server sees it in `remote`).
  uint16_t local_port() const;

  /// Writes all of `bytes`; false on error.
  bool send(std::string_view bytes);

  /// Reads until `needle` is among the received bytes, the peer closes or
  /// `timeout` passes; returns whether `needle` arrived.
  bool read_until(std::string_view needle,
                  millis timeout = std::chrono::seconds{5});

  /// Reads until the peer closes the connection or `timeout` passes;
  /// returns whether it closed.
  bool read_until_closed(millis timeout = std::chrono::seconds{5});

  /// Everything received so far.
  const std::string& received() const {
    return received_;
  }

  /// Closes the connection.
  void close();

private:
  /// Reads once, waiting at most until `deadline`; false once closed.
  bool read_some(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  bool peer_closed_ = false;
  std::string received_;
};

/// A listener on 127.0.0.1 (port 0) that hands each accepted connection to
/// `on_connection(fd, index)` on its own thread, one after the other, then
/// closes it. `stopping()` turns true when the destructor runs.
class raw_server {
public:
  using callback = std::function<void(int fd, int index)>;

  explicit raw_server(callback on_connection);
  ~raw_server();

  raw_server(const raw_server&) = delete;
  raw_server& operator=(const raw_server&) = delete;

  uint16_t port() const {
    return port_;
  }

  /// Connections accepted so far.
  int connections() const {
    return accepted_.load();
  }

  bool stopping() const {
    return stopping_.load();
  }

  /// Reads one request head (up to the blank line); nullopt if the peer
  /// closed or nothing complete arrived within `timeout`, or the server
  /// stops.
  std::optional<std::string>
  read_head(int fd, millis timeout = std::chrono::seconds{5}) const;

  /// Reads until the peer closes or the server stops.
  void wait_for_close(int fd) const;

  /// Writes all of `bytes`.
  static void write_all(int fd, std::string_view bytes);

private:
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  callback on_connection_;
  std::thread thread_;
};

/// A port on 127.0.0.1 where (as of the call) nobody listens.
uint16_t unused_port();

/// The TCP state (as in /proc/net/tcp: 1 = ESTABLISHED, 8 = CLOSE_WAIT) of
/// the loopback connection from local port `from` to port `to`, or -1.
int tcp_state(uint16_t from, uint16_t to);

/// Decodes a chunked body; nullopt if it is malformed or lacks the last
/// chunk.
std::optional<std::string> decode_chunked(std::string_view body);

} // namespace dynserv::test
