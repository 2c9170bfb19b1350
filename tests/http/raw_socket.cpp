// POSIX socket helpers of the http/ tests.
#include "tests/http/raw_socket.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sstream>
#include <sys/socket.h>
#include <unistd.h>

namespace dynserv::test {

namespace {

using clock_type = std::chrono::steady_clock;

sockaddr_in loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

/// Milliseconds left until `deadline` (0 if past), for poll().
int remaining(clock_type::time_point deadline) {
  auto left = std::chrono::duration_cast<millis>(deadline - clock_type::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

bool wait_readable(int fd, clock_type::time_point deadline) {
  pollfd p{};
  p.fd = fd;
  p.events = POLLIN;
  for (;;) {
    auto rc = ::poll(&p, 1, remaining(deadline));
    if (rc < 0 && errno == EINTR)
      continue;
    return rc > 0;
  }
}

} // namespace

bool eventually(const std::function<bool()>& pred, millis timeout) {
  auto deadline = clock_type::now() + timeout;
  for (;;) {
    if (pred())
      return true;
    if (clock_type::now() >= deadline)
      return false;
    std::this_thread::sleep_for(millis{5});
  }
}

// -- raw_client ---------------------------------------------------------------

raw_client::raw_client(uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0)
    return;
  auto addr = loopback(port);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    close();
}

raw_client::~raw_client() {
  close();
}

uint16_t raw_client::local_port() const {
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return 0;
  return ntohs(addr.sin_port);
}

bool raw_client::send(std::string_view bytes) {
  while (!bytes.empty()) {
    auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool raw_client::read_some(clock_type::time_point deadline) {
  if (fd_ < 0 || peer_closed_)
    return false;
  if (!wait_readable(fd_, deadline))
    return true; // timeout: still open
  char buf[4096];
  auto n = ::recv(fd_, buf, sizeof(buf), 0);
  if (n < 0 && errno == EINTR)
    return true;
  if (n <= 0) {
    peer_closed_ = true; // EOF or reset
    return false;
  }
  received_.append(buf, static_cast<size_t>(n));
  return true;
}

bool raw_client::read_until(std::string_view needle, millis timeout) {
  auto deadline = clock_type::now() + timeout;
  while (received_.find(needle) == std::string::npos) {
    if (clock_type::now() >= deadline || !read_some(deadline))
      return received_.find(needle) != std::string::npos;
  }
  return true;
}

bool raw_client::read_until_closed(millis timeout) {
  auto deadline = clock_type::now() + timeout;
  while (!peer_closed_ && fd_ >= 0) {
    if (clock_type::now() >= deadline)
      return false;
    read_some(deadline);
  }
  return true;
}

void raw_client::close() {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
}

// -- raw_server ---------------------------------------------------------------

raw_server::raw_server(callback on_connection)
  : on_connection_(std::move(on_connection)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto addr = loopback(0);
  socklen_t len = sizeof(addr);
  if (listen_fd_ < 0
      || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0
      || ::listen(listen_fd_, 16) != 0
      || ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len)
           != 0)
    return;
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] {
    int index = 0;
    while (!stopping_) {
      pollfd p{};
      p.fd = listen_fd_;
      p.events = POLLIN;
      if (::poll(&p, 1, 20) <= 0)
        continue;
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0)
        continue;
      ++accepted_;
      on_connection_(fd, index++);
      ::close(fd);
    }
  });
}

raw_server::~raw_server() {
  stopping_ = true;
  if (thread_.joinable())
    thread_.join();
  if (listen_fd_ >= 0)
    ::close(listen_fd_);
}

std::optional<std::string> raw_server::read_head(int fd, millis timeout) const {
  auto deadline = clock_type::now() + timeout;
  std::string data;
  while (data.find("\r\n\r\n") == std::string::npos) {
    if (stopping_ || clock_type::now() >= deadline)
      return std::nullopt;
    if (!wait_readable(fd, std::min(deadline, clock_type::now() + millis{20})))
      continue;
    char c;
    // One byte at a time: never consume the next request.
    auto n = ::recv(fd, &c, 1, 0);
    if (n <= 0)
      return std::nullopt;
    data += c;
  }
  return data;
}

void raw_server::wait_for_close(int fd) const {
  while (!stopping_) {
    if (!wait_readable(fd, clock_type::now() + millis{20}))
      continue;
    char buf[1024];
    if (::recv(fd, buf, sizeof(buf), 0) <= 0)
      return;
  }
}

void raw_server::write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    auto n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

// -- misc ---------------------------------------------------------------------

uint16_t unused_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto addr = loopback(0);
  socklen_t len = sizeof(addr);
  uint16_t port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0
      && ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  if (fd >= 0)
    ::close(fd);
  return port;
}

int tcp_state(uint16_t from, uint16_t to) {
  std::ifstream in{"/proc/net/tcp"};
  std::string line;
  std::getline(in, line); // header
  while (std::getline(in, line)) {
    // "  0: 0100007F:1F90 0100007F:C350 01 ..."
    unsigned local_port = 0;
    unsigned remote_port = 0;
    unsigned state = 0;
    unsigned local_addr = 0;
    unsigned remote_addr = 0;
    if (std::sscanf(line.c_str(), " %*d: %x:%x %x:%x %x", &local_addr,
                    &local_port, &remote_addr, &remote_port, &state)
          == 5
        && local_port == from && remote_port == to)
      return static_cast<int>(state);
  }
  return -1;
}

std::optional<std::string> decode_chunked(std::string_view body) {
  std::string out;
  for (;;) {
    auto eol = body.find("\r\n");
    if (eol == std::string_view::npos)
      return std::nullopt;
    size_t size = 0;
    std::istringstream is{std::string{body.substr(0, eol)}};
    if (!(is >> std::hex >> size))
      return std::nullopt;
    body.remove_prefix(eol + 2);
    if (size == 0)
      return body.substr(0, 2) == "\r\n" ? std::optional<std::string>{out}
                                         : std::nullopt;
    if (body.size() < size + 2 || body.substr(size, 2) != "\r\n")
      return std::nullopt;
    out += body.substr(0, size);
    body.remove_prefix(size + 2);
  }
}

} // namespace dynserv::test
