// Internal to http/: one server connection on its strand (reading requests,
// writing answers and chunked streams, closing), and the exchange and stream
// handles through which handlers answer it from any thread.
#include "http/server_core.hpp"

#include <array>
#include <cctype>
#include <deque>
#include <sstream>
#include <string>
#include <string_view>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <spdlog/spdlog.h>

namespace dynserv::http_detail {

namespace beast = boost::beast;
namespace bhttp = beast::http;
using clock_type = std::chrono::steady_clock;

namespace {

/// Request headers larger than this are refused with 400.
constexpr uint32_t request_header_limit = 16 << 10;

/// A stream whose peer does not read is dropped once this much is queued.
constexpr size_t stream_queue_limit = 8 << 20;

/// How long an error response waits for the peer to stop sending before the
/// socket is closed (closing with unread input would reset the connection and
/// could destroy the response in flight).
constexpr auto linger_time = std::chrono::milliseconds{500};

std::string json_escape(std::string_view x) {
  std::string out;
  for (char c : x) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20)
          out += ' ';
        else
          out += c;
    }
  }
  return out;
}

std::string error_body(std::string_view code, std::string_view message) {
  return R"({"error":{"code":")" + json_escape(code) + R"(","message":")"
         + json_escape(message) + R"("}})";
}

bool valid_field(std::string_view name, std::string_view value) {
  if (name.empty())
    return false;
  for (char c : name)
    if (static_cast<unsigned char>(c) <= 0x20 || c == ':' || c == 0x7F)
      return false;
  for (char c : value)
    if (c == '\r' || c == '\n' || c == '\0')
      return false;
  return true;
}

/// Copies user headers into a Beast header, dropping framing fields (the
/// server sets them) and fields that would inject lines.
template <class Fields>
void copy_headers(const http_headers& from, Fields& to) {
  for (const auto& [name, value] : from) {
    if (iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding")
        || iequals(name, "Connection"))
      continue;
    if (!valid_field(name, value)) {
      spdlog::debug("http server: dropping invalid response header");
      continue;
    }
    to.insert(name, value);
  }
}

bool wants_close(const http_headers& headers) {
  auto x = find_header(headers, "Connection");
  return x && iequals(*x, "close");
}

} // namespace

/// One connection. Every member function except the atomics runs on the
/// connection's strand.
class session : public std::enable_shared_from_this<session> {
public:
  enum class phase {
    handshake,
    idle,
    reading,
    handling,
    writing,
    streaming,
    closed,
  };

  session(server_core* core, tcp::socket socket, uint64_t id)
    : core_(core), id_(id), executor_(socket.get_executor()) {
    error_code ec;
    auto ep = socket.remote_endpoint(ec);
    if (!ec) {
      auto addr = ep.address();
      remote_ = addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string();
      remote_ += ":" + std::to_string(ep.port());
    }
    if (core_->tls)
      tls_.emplace(std::move(socket), *core_->tls);
    else
      tcp_.emplace(std::move(socket));
  }

  ~session() {
    if (counted_in_flight_)
      core_->add_in_flight(-1);
  }

  /// Any thread: runs `f` on the connection's strand.
  template <class F>
  void post(F f) {
    net::post(executor_, [self = shared_from_this(),
                          f = std::move(f)]() mutable { f(*self); });
  }

  /// Starts a registered connection.
  void start() {
    deadline_ = clock_type::now() + core_->opts.request_timeout;
    lowest().expires_at(deadline_);
    if (!tls_) {
      wait_request();
      return;
    }
    phase_ = phase::handshake;
    tls_->async_handshake(ssl::stream_base::server,
                          [self = shared_from_this()](error_code ec) {
                            if (ec) {
                              spdlog::debug("http server: TLS handshake with "
                                            "{} failed: {}",
                                            self->remote_, ec.message());
                              self->close();
                              return;
                            }
                            self->wait_request();
                          });
  }

  /// Starts a connection beyond max_connections: answer 503 and close.
  void start_rejected() {
    rejected_ = true;
    lowest().expires_after(core_->opts.request_timeout);
    auto send = [self = shared_from_this()] {
      self->send_error(503, "unavailable", "too many connections");
    };
    if (!tls_) {
      send();
      return;
    }
    tls_->async_handshake(ssl::stream_base::server,
                          [self = shared_from_this(), send](error_code ec) {
                            if (ec)
                              self->close();
                            else
                              send();
                          });
  }

  // -- called by exchanges and streams (through post) -------------------------

  void write_response(http_response res) {
    if (phase_ != phase::handling)
      return;
    auto msg = std::make_unique<bhttp::response<bhttp::string_body>>();
    msg->version(version_);
    if (res.status < 100 || res.status > 999) {
      spdlog::debug("http server: handler answered invalid status {}",
                    res.status);
      res = http_response{500,
                          {{"Content-Type", "application/json"}},
                          error_body("internal", "invalid status")};
    }
    msg->result(static_cast<unsigned>(res.status));
    copy_headers(res.headers, *msg);
    keep_alive_ = keep_alive_ && !wants_close(res.headers)
                  && !core_->stopping.load();
    msg->keep_alive(keep_alive_);
    msg->body() = std::move(res.body);
    msg->prepare_payload();
    if (head_)
      msg->body().clear(); // Content-Length stays that of the full body.
    write_message(std::move(msg), false);
  }

  void begin_stream(int status, http_headers headers) {
    if (phase_ != phase::handling) {
      stream_open_ = false;
      return;
    }
    phase_ = phase::streaming;
    set_in_flight(false);
    chunked_ = version_ >= 11;
    bhttp::response<bhttp::empty_body> msg;
    msg.version(version_);
    msg.result(status >= 100 && status <= 999 ? static_cast<unsigned>(status)
                                              : 200u);
    copy_headers(headers, msg);
    // The stream ends the connection, so the peer must not wait for more.
    msg.keep_alive(false);
    if (chunked_)
      msg.chunked(true);
    std::ostringstream os;
    os << msg.base();
    // The read timer must be off before the watch starts; writes then set
    // only the write timer.
    lowest().expires_never();
    watch_peer();
    enqueue(os.str(), 0);
  }

  /// Queues a chunk that `http_stream::write` counted in `queued_bytes_`.
  void write_chunk(std::string chunk) {
    auto n = chunk.size();
    if (phase_ != phase::streaming || stream_closing_) {
      queued_bytes_ -= n;
      return;
    }
    if (chunked_) {
      std::ostringstream os;
      os << std::hex << chunk.size() << "\r\n" << chunk << "\r\n";
      chunk = os.str();
    }
    enqueue(std::move(chunk), n);
  }

  void close_stream() {
    if (phase_ != phase::streaming || stream_closing_)
      return;
    stream_open_ = false;
    stream_closing_ = true;
    if (chunked_)
      enqueue("0\r\n\r\n", 0);
    else
      flush();
  }

  void abort() {
    spdlog::debug("http server: aborting connection with {}", remote_);
    close();
  }

  // -- called on stop ---------------------------------------------------------

  /// Closes a connection that has no request in progress; others finish
  /// their current request and then close.
  void on_stopping() {
    if (phase_ == phase::idle || phase_ == phase::handshake)
      close();
  }

  /// End of the grace period: streams get their last chunk, everything
  /// else is closed now.
  void shut_down() {
    if (phase_ == phase::streaming && !stream_closing_) {
      close_stream();
    } else if (phase_ != phase::streaming) {
      close();
    }
  }

  // -- state shared with exchanges and streams --------------------------------

  std::atomic<bool> stream_open_{false};
  std::atomic<size_t> queued_bytes_{0};

private:
  template <class F>
  void with_stream(F&& f) {
    if (tls_)
      f(*tls_);
    else
      f(*tcp_);
  }

  beast::tcp_stream& lowest() {
    return tls_ ? beast::get_lowest_layer(*tls_) : *tcp_;
  }

  void set_in_flight(bool x) {
    if (x == counted_in_flight_)
      return;
    counted_in_flight_ = x;
    core_->add_in_flight(x ? 1 : -1);
  }

  // -- reading requests -------------------------------------------------------

  /// Waits for the next request. The first request of a connection must
  /// arrive within request_timeout of the accept; later ones may take
  /// idle_timeout to start and then request_timeout to complete.
  void wait_request() {
    if (core_->stopping.load()) {
      close();
      return;
    }
    if (first_request_ || buffer_.size() > 0) {
      if (!first_request_)
        lowest().expires_after(core_->opts.request_timeout);
      read_header();
      return;
    }
    phase_ = phase::idle;
    lowest().expires_after(core_->opts.idle_timeout);
    with_stream([this](auto& s) {
      s.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](
                                                 error_code ec, size_t n) {
        self->buffer_.commit(n);
        if (ec) {
          self->close();
          return;
        }
        if (self->phase_ != phase::idle)
          return;
        self->lowest().expires_after(self->core_->opts.request_timeout);
        self->read_header();
      });
    });
  }

  void read_header() {
    phase_ = phase::reading;
    parser_.emplace();
    parser_->header_limit(request_header_limit);
    parser_->body_limit(core_->opts.body_limit);
    with_stream([this](auto& s) {
      bhttp::async_read_header(s, buffer_, *parser_,
                               [self = shared_from_this()](error_code ec,
                                                           size_t) {
                                 self->on_header(ec);
                               });
    });
  }

  void on_header(error_code ec) {
    if (ec) {
      read_failed(ec);
      return;
    }
    auto& req = parser_->get();
    auto field = req[bhttp::field::expect];
    std::string_view expect{field.data(), field.size()};
    if (req.version() >= 11 && iequals(expect, "100-continue")
        && !parser_->is_done()) {
      static constexpr std::string_view continue_line
        = "HTTP/1.1 100 Continue\r\n\r\n";
      with_stream([this](auto& s) {
        net::async_write(
          s, net::buffer(continue_line.data(), continue_line.size()),
          [self = shared_from_this()](error_code ec, size_t) {
            if (ec)
              self->close();
            else
              self->read_body();
          });
      });
      return;
    }
    read_body();
  }

  void read_body() {
    with_stream([this](auto& s) {
      bhttp::async_read(s, buffer_, *parser_,
                        [self = shared_from_this()](error_code ec, size_t) {
                          if (ec)
                            self->read_failed(ec);
                          else
                            self->dispatch();
                        });
    });
  }

  void read_failed(const error_code& ec) {
    if (phase_ == phase::closed)
      return;
    if (ec == bhttp::error::body_limit) {
      send_error(413, "payload_too_large",
                 "request body exceeds "
                   + std::to_string(core_->opts.body_limit) + " bytes");
      return;
    }
    if (ec == bhttp::error::header_limit) {
      send_error(400, "bad_request", "request header too large");
      return;
    }
    bool parse_error
      = &ec.category()
          == &bhttp::make_error_code(bhttp::error::bad_method).category()
        && ec != bhttp::error::end_of_stream
        && ec != bhttp::error::partial_message;
    if (parse_error) {
      send_error(400, "bad_request", "malformed request: " + ec.message());
      return;
    }
    // Timeout, peer closed, reset: nothing to answer.
    spdlog::debug("http server: connection with {} ends: {}", remote_,
                  ec.message());
    close();
  }

  // -- handing a request to the handler ---------------------------------------

  void dispatch();

  // -- writing
  // ------------------------------------------------------------------

  void write_message(std::unique_ptr<bhttp::response<bhttp::string_body>> msg,
                     bool error_response) {
    phase_ = phase::writing;
    response_ = std::move(msg);
    lowest().expires_after(core_->opts.request_timeout);
    with_stream([this, error_response](auto& s) {
      bhttp::async_write(s, *response_,
                         [self = shared_from_this(),
                          error_response](error_code ec, size_t) {
                           self->response_.reset();
                           self->set_in_flight(false);
                           if (!ec && error_response) {
                             self->linger_close();
                           } else if (ec || !self->keep_alive_) {
                             self->close();
                           } else {
                             self->first_request_ = false;
                             self->wait_request();
                           }
                         });
    });
  }

  /// Answers with a JSON error and closes the connection.
  void send_error(unsigned status, std::string_view code,
                  std::string_view message) {
    auto msg = std::make_unique<bhttp::response<bhttp::string_body>>();
    msg->version(version_);
    msg->result(status);
    msg->set(bhttp::field::content_type, "application/json");
    msg->keep_alive(false);
    msg->body() = error_body(code, message);
    msg->prepare_payload();
    write_message(std::move(msg), true);
  }

  /// Stops sending, discards what the peer still sends for a short while,
  /// then closes, so that the peer reads the response before any reset.
  void linger_close() {
    error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    lowest().expires_after(linger_time);
    drain();
  }

  void drain() {
    lowest().async_read_some(net::buffer(scratch_), [self = shared_from_this()](
                                                      error_code ec, size_t) {
      if (ec)
        self->close();
      else
        self->drain();
    });
  }

  // -- streams
  // ------------------------------------------------------------------

  /// Queues bytes of a stream; `counted` is how much of `queued_bytes_`
  /// they account for.
  void enqueue(std::string bytes, size_t counted) {
    outbox_.push_back(outgoing{std::move(bytes), counted});
    flush();
  }

  void flush() {
    if (writing_ || phase_ != phase::streaming)
      return;
    if (outbox_.empty()) {
      if (stream_closing_)
        close();
      return;
    }
    writing_ = true;
    // A peer that stops reading blocks the write: give up on it after the
    // timeout (shorter for the last chunk, which only ends the stream).
    if (stream_closing_)
      lowest().expires_after(close_wait);
    else
      lowest().expires_after(core_->opts.request_timeout);
    with_stream([this](auto& s) {
      net::async_write(s, net::buffer(outbox_.front().bytes),
                       [self = shared_from_this()](error_code ec, size_t) {
                         self->writing_ = false;
                         self->queued_bytes_ -= self->outbox_.front().counted;
                         self->outbox_.pop_front();
                         if (ec) {
                           self->close();
                           return;
                         }
                         self->flush();
                       });
    });
  }

  /// Reads (and discards) while streaming, to notice at once that the peer
  /// went away.
  void watch_peer() {
    with_stream([this](auto& s) {
      s.async_read_some(net::buffer(scratch_),
                        [self = shared_from_this()](error_code ec, size_t) {
                          if (ec) {
                            if (self->phase_ == phase::streaming) {
                              spdlog::debug("http server: stream peer {} is "
                                            "gone",
                                            self->remote_);
                              self->close();
                            }
                            return;
                          }
                          self->watch_peer();
                        });
    });
  }

  // -- closing
  // ------------------------------------------------------------------

  void close() {
    if (phase_ == phase::closed)
      return;
    phase_ = phase::closed;
    stream_open_ = false;
    set_in_flight(false);
    error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close();
    if (!rejected_) {
      std::lock_guard<std::mutex> guard{core_->mtx};
      core_->sessions.erase(id_);
      core_->cv.notify_all();
    }
    spdlog::debug("http server: closed connection with {}", remote_);
  }

  /// Bytes of a stream waiting to be written.
  struct outgoing {
    std::string bytes;
    size_t counted;
  };

  server_core* core_;
  uint64_t id_;
  /// The connection's strand.
  net::any_io_executor executor_;
  std::string remote_;
  std::optional<beast::tcp_stream> tcp_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  phase phase_ = phase::handshake;
  bool rejected_ = false;
  bool first_request_ = true;
  clock_type::time_point deadline_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::unique_ptr<bhttp::response<bhttp::string_body>> response_;
  /// Of the request being answered.
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool head_ = false;
  bool counted_in_flight_ = false;
  // Streams.
  bool chunked_ = true;
  bool writing_ = false;
  bool stream_closing_ = false;
  std::deque<outgoing> outbox_;
  std::array<char, 1024> scratch_;
};

/// The stream handed out by `http_exchange::stream`.
class stream_impl final : public http_stream {
public:
  stream_impl(std::shared_ptr<server_core> core, std::shared_ptr<session> s)
    : core_(std::move(core)), session_(std::move(s)) {
    // nop
  }

  bool write(std::string chunk) override {
    if (!open())
      return false;
    if (chunk.empty())
      return true; // An empty chunk would end the response.
    auto total = session_->queued_bytes_ += chunk.size();
    if (total > stream_queue_limit) {
      spdlog::debug("http server: stream peer does not read, dropping it");
      session_->post([](session& s) { s.abort(); });
      session_->stream_open_ = false;
      return false;
    }
    session_->post([c = std::move(chunk)](session& s) mutable {
      s.write_chunk(std::move(c));
    });
    return true;
  }

  void close() override {
    if (!session_ || closed_.exchange(true))
      return;
    session_->stream_open_ = false;
    session_->post([](session& s) {
      // stream_open_ is already false; close_stream only looks at the phase.
      s.close_stream();
    });
  }

  bool open() const override {
    return session_ && session_->stream_open_.load() && !core_->stopping.load();
  }

private:
  // The core outlives the session (member order).
  std::shared_ptr<server_core> core_;
  std::shared_ptr<session> session_;
  std::atomic<bool> closed_{false};
};

/// The exchange handed to the handler; answers 500 if dropped unanswered.
class exchange_impl final : public http_exchange {
public:
  exchange_impl(std::shared_ptr<server_core> core, std::shared_ptr<session> s)
    : core_(std::move(core)), session_(std::move(s)) {
    // nop
  }

  ~exchange_impl() override {
    if (!answered_.exchange(true)) {
      spdlog::debug("http server: exchange dropped without an answer");
      session_->post([](session& s) {
        s.write_response(http_response{500,
                                       {{"Content-Type", "application/json"}},
                                       error_body("internal", "no response")});
      });
    }
  }

  void respond(http_response res) override {
    if (answered_.exchange(true))
      return;
    session_->post([r = std::move(res)](session& s) mutable {
      s.write_response(std::move(r));
    });
  }

  std::shared_ptr<http_stream> stream(int status,
                                      http_headers headers) override {
    if (answered_.exchange(true))
      return std::make_shared<stream_impl>(core_, nullptr);
    session_->stream_open_ = true;
    session_->queued_bytes_ = 0;
    session_->post([status, h = std::move(headers)](session& s) mutable {
      s.begin_stream(status, std::move(h));
    });
    return std::make_shared<stream_impl>(core_, session_);
  }

  void abort() override {
    if (answered_.exchange(true))
      return;
    session_->post([](session& s) { s.abort(); });
  }

  /// Answers 500 if nothing was sent yet (the handler threw).
  void fail(std::string_view message) {
    if (answered_.exchange(true))
      return;
    session_->post([m = std::string{message}](session& s) {
      s.write_response(http_response{500,
                                     {{"Content-Type", "application/json"}},
                                     error_body("internal", m)});
    });
  }

private:
  std::shared_ptr<server_core> core_;
  std::shared_ptr<session> session_;
  std::atomic<bool> answered_{false};
};

void session::dispatch() {
  auto msg = parser_->release();
  parser_.reset();
  version_ = msg.version();
  keep_alive_ = msg.keep_alive() && !core_->stopping.load();
  http_request req;
  req.method = std::string{msg.method_string()};
  for (auto& c : req.method)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  head_ = req.method == "HEAD";
  req.target = std::string{msg.target()};
  for (const auto& field : msg)
    req.headers.emplace_back(std::string{field.name_string()},
                             std::string{field.value()});
  req.body = std::move(msg.body());
  req.remote = remote_;
  phase_ = phase::handling;
  set_in_flight(true);
  spdlog::debug("http server: {} {} from {}", req.method,
                split_target(req.target).first, remote_);
  auto ex = std::make_shared<exchange_impl>(core_->shared_from_this(),
                                            shared_from_this());
  try {
    core_->handler(std::move(req), ex);
  } catch (const std::exception& e) {
    spdlog::debug("http server: handler threw: {}", e.what());
    ex->fail("handler failed");
  } catch (...) {
    spdlog::debug("http server: handler threw a non-exception");
    ex->fail("handler failed");
  }
}

void accept_connection(server_core& core, tcp::socket socket) {
  if (core.stopping.load()) {
    error_code ignored;
    socket.close(ignored);
    return;
  }
  error_code ignored;
  socket.set_option(tcp::no_delay{true}, ignored);
  std::shared_ptr<session> s;
  bool reject = false;
  {
    std::lock_guard<std::mutex> guard{core.mtx};
    auto id = core.next_id++;
    s = std::make_shared<session>(&core, std::move(socket), id);
    if (core.sessions.size() >= core.opts.max_connections)
      reject = true;
    else
      core.sessions.emplace(id, s);
  }
  if (reject) {
    spdlog::debug("http server: too many connections, rejecting one");
    s->post([](session& x) { x.start_rejected(); });
  } else {
    s->post([](session& x) { x.start(); });
  }
}

void stop_when_idle(const std::shared_ptr<session>& s) {
  s->post([](session& x) { x.on_stopping(); });
}

void shut_down(const std::shared_ptr<session>& s) {
  s->post([](session& x) { x.shut_down(); });
}

} // namespace dynserv::http_detail
