// The blocking HTTP/1.1 client over Boost.Beast: base URL parsing, TLS with
// peer verification, keep-alive with one resend of an idempotent request
// on a stale connection.
#include "http/http_client.hpp"

#include <cctype>
#include <fstream>
#include <optional>
#include <utility>

#include <poll.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <spdlog/spdlog.h>

namespace dynserv {

http_transport::~http_transport() = default;

const char* to_string(http_failure x) {
  switch (x) {
    case http_failure::none:
      return "none";
    case http_failure::invalid:
      return "invalid";
    case http_failure::connect:
      return "connect";
    case http_failure::lost:
      return "lost";
    case http_failure::protocol:
      return "protocol";
  }
  return "unknown";
}

namespace {

/// Methods whose repetition has the same effect as one request.
bool is_idempotent(const std::string& method) {
  return method == "GET" || method == "HEAD" || method == "PUT"
         || method == "DELETE" || method == "OPTIONS";
}

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using error_code = beast::error_code;

/// Responses larger than this are refused (a provider never sends them).
constexpr uint64_t response_body_limit = uint64_t{64} << 20;

/// Provider APIs send many headers (rate-limit fields, cookies).
constexpr uint32_t response_header_limit = 64 << 10;

/// The parts of a base URL that the client needs.
struct url_parts {
  bool tls = false;
  /// Host name or address without brackets, for resolving and TLS checks.
  std::string host;
  std::string port;
  /// Path prefix without a trailing slash ("" for none).
  std::string prefix;
  /// Value of the Host header: brackets for IPv6, port if not the default.
  std::string host_header;
  /// scheme://host[:port]/prefix, for messages and logs.
  std::string display;
};

bool is_host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.'
         || c == '_';
}

/// Bytes that may not appear unescaped in a request target.
bool bad_target_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return u <= 0x20 || u == 0x7F;
}

/// Only the scheme and authority of `url`, so that an error never repeats
/// credentials or query parameters someone put into the URL.
std::string redacted(std::string_view url) {
  auto scheme_end = url.find("://");
  auto start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  auto end = url.find_first_of("/?#", start);
  auto authority = url.substr(start, end == std::string_view::npos
                                       ? std::string_view::npos
                                       : end - start);
  auto at = authority.rfind('@');
  if (at != std::string_view::npos)
    authority = authority.substr(at + 1);
  std::string out{url.substr(0, start)};
  out += authority;
  if (end != std::string_view::npos)
    out += "/...";
  return out;
}

/// Splits an authority ("host", "host:port" or "[v6 address]:port") into
/// the host and the port text (empty without one); returns why it cannot.
std::optional<std::string> split_authority(std::string_view authority,
                                           std::string& host,
                                           std::string_view& port, bool& ipv6) {
  if (authority.empty())
    return "missing host";
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return "unterminated '[' in the host";
    host = std::string{authority.substr(1, close - 1)};
    error_code ec;
    net::ip::make_address_v6(host, ec);
    if (ec)
      return "'" + host + "' is not an IPv6 address";
    ipv6 = true;
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return "unexpected text after ']'";
      port = after.substr(1);
      if (port.empty())
        return "empty port";
    }
    return std::nullopt;
  }
  auto colon = authority.find(':');
  if (colon != std::string_view::npos
      && authority.find(':', colon + 1) != std::string_view::npos)
    return "IPv6 addresses must be written in brackets";
  host = std::string{authority.substr(0, colon)};
  if (colon != std::string_view::npos) {
    port = authority.substr(colon + 1);
    if (port.empty())
      return "empty port";
  }
  if (host.empty())
    return "missing host";
  for (char c : host)
    if (!is_host_char(c))
      return "invalid character in host '" + host + "'";
  return std::nullopt;
}

/// Checks a port given in a URL (1 to 65535, digits only) and stores it
/// without leading zeros in `out`; returns why it is invalid.
std::optional<std::string> read_port(std::string_view text, std::string& out) {
  if (text.size() > 5)
    return "port out of range";
  unsigned value = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return "port '" + std::string{text} + "' is not a number";
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value == 0 || value > 65535)
    return "port out of range";
  out = std::to_string(value);
  return std::nullopt;
}

std::optional<url_parts> parse_base_url(std::string_view url,
                                        std::string* why) {
  auto fail = [&](std::string reason) {
    *why = "invalid base URL '" + redacted(url) + "': " + std::move(reason);
    return std::nullopt;
  };
  url_parts out;
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos)
    return fail("expected http://host or https://host");
  auto scheme = url.substr(0, scheme_end);
  if (iequals(scheme, "https"))
    out.tls = true;
  else if (!iequals(scheme, "http"))
    return fail("unsupported scheme '" + std::string{scheme} + "'");
  auto rest = url.substr(scheme_end + 3);
  if (rest.find_first_of("?#") != std::string_view::npos)
    return fail("a query or fragment is not allowed");
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  auto path = slash == std::string_view::npos ? std::string_view{}
                                              : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos)
    return fail("credentials in the URL are not supported");
  std::string_view port;
  bool ipv6 = false;
  if (auto problem = split_authority(authority, out.host, port, ipv6))
    return fail(std::move(*problem));
  auto default_port = out.tls ? "443" : "80";
  if (port.empty())
    out.port = default_port;
  else if (auto problem = read_port(port, out.port))
    return fail(std::move(*problem));
  for (char c : path)
    if (bad_target_char(c))
      return fail("the path contains spaces or control characters");
  while (!path.empty() && path.back() == '/')
    path.remove_suffix(1);
  out.prefix = std::string{path};
  out.host_header = ipv6 ? "[" + out.host + "]" : out.host;
  if (out.port != default_port)
    out.host_header += ":" + out.port;
  out.display = (out.tls ? "https://" : "http://") + out.host_header
                + out.prefix;
  return out;
}

/// Joins the base URL's path prefix and a request target.
std::string join_target(const std::string& prefix, const std::string& target) {
  if (target.empty())
    return prefix.empty() ? "/" : prefix;
  if (target.front() == '/')
    return prefix + target;
  if (target.front() == '?')
    return (prefix.empty() ? "/" : prefix) + target;
  return prefix + "/" + target;
}

/// True for a valid header-field name or method (RFC 7230 token).
bool is_token(std::string_view x) {
  static constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
  if (x.empty())
    return false;
  for (char c : x)
    if (!std::isalnum(static_cast<unsigned char>(c))
        && extra.find(c) == std::string_view::npos)
      return false;
  return true;
}

bool is_field_value(std::string_view x) {
  for (char c : x)
    if (c == '\r' || c == '\n' || c == '\0')
      return false;
  return true;
}

std::string millis_text(std::chrono::milliseconds x) {
  return std::to_string(x.count()) + " ms";
}

/// Errors that mean "the peer closed the connection".
bool is_closed_error(const error_code& ec) {
  return ec == net::error::eof || ec == net::error::connection_reset
         || ec == net::error::broken_pipe || ec == bhttp::error::end_of_stream
         || ec == ssl::error::stream_truncated
         || ec == net::error::connection_aborted;
}

bool is_http_parse_error(const error_code& ec) {
  return &ec.category()
         == &bhttp::make_error_code(bhttp::error::bad_version).category();
}

/// The transport: one connection at a time, driven by a private io_context
/// so that Beast's stream timeouts (which only apply to asynchronous
/// operations) bound every step.
class beast_client final : public http_transport {
public:
  beast_client(url_parts url, http_client_options opts,
               std::unique_ptr<ssl::context> ctx)
    : url_(std::move(url)), opts_(std::move(opts)), ssl_ctx_(std::move(ctx)) {
    // Nothing else: connecting happens on the first request.
  }

  ~beast_client() override {
    disconnect();
  }

  http_result send(const http_request& req) override {
    http_result res;
    bhttp::request<bhttp::string_body> msg;
    if (auto why = build(req, msg); !why.empty()) {
      res.failure = http_failure::invalid;
      res.detail = std::move(why);
      return res;
    }
    bool head = iequals(req.method, "HEAD");
    bool reused = connected_;
    if (connected_ && !looks_alive()) {
      // The server closed the idle connection (or sent something
      // unexpected): start afresh instead of writing into a dead socket.
      spdlog::debug("http client {}: idle connection was closed by the peer",
                    url_.display);
      disconnect();
      reused = false;
    }
    if (!connected_) {
      if (!connect(res))
        return res;
    }
    bool stale = false;
    exchange(msg, head, reused, res, stale);
    if (!stale)
      return res;
    // A reused connection broke before a single byte of the response came
    // back: the server most likely closed it while idle, but it may also have
    // processed the request and died before answering. Only idempotent
    // requests are resent (once, on a fresh connection, as RFC 9110 9.2.2
    // allows); a POST such as a create reports "lost" so that its caller
    // resolves the outcome instead of creating a second server.
    if (!is_idempotent(req.method)) {
      disconnect();
      res.failure = http_failure::lost;
      return res;
    }
    spdlog::debug("http client {}: reused connection was closed, resending "
                  "once",
                  url_.display);
    disconnect();
    auto first_detail = std::move(res.detail);
    res = http_result{};
    if (!connect(res)) {
      // The first attempt may have reached the server, so the outcome is
      // unknown rather than "nothing was sent".
      res.failure = http_failure::lost;
      res.detail = first_detail + "; reconnecting failed: " + res.detail;
      return res;
    }
    exchange(msg, head, false, res, stale);
    return res;
  }

private:
  // -- request building -------------------------------------------------------

  /// Fills `msg`; returns why the request is invalid, or "".
  std::string build(const http_request& req,
                    bhttp::request<bhttp::string_body>& msg) const {
    if (!is_token(req.method))
      return "invalid method '" + req.method + "'";
    for (char c : req.target)
      if (bad_target_char(c))
        return "the request target contains spaces or control characters";
    msg.version(11);
    msg.method_string(req.method);
    msg.target(join_target(url_.prefix, req.target));
    bool has_host = false;
    bool has_agent = false;
    for (const auto& [name, value] : req.headers) {
      if (!is_token(name))
        return "invalid header name '" + name + "'";
      if (!is_field_value(value))
        return "header '" + name + "' contains a line break";
      // Framing is computed from the body below.
      if (iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding"))
        continue;
      has_host = has_host || iequals(name, "Host");
      has_agent = has_agent || iequals(name, "User-Agent");
      msg.insert(name, value);
    }
    if (!has_host)
      msg.set(bhttp::field::host, url_.host_header);
    if (!has_agent && !opts_.user_agent.empty()) {
      if (!is_field_value(opts_.user_agent))
        return "the user agent contains a line break";
      msg.set(bhttp::field::user_agent, opts_.user_agent);
    }
    msg.body() = req.body;
    msg.prepare_payload();
    return {};
  }

  // -- running asynchronous operations to completion --------------------------

  /// Starts an operation with a completion handler and runs the private
  /// io_context until it completes. The stream timeouts guarantee that.
  template <class Start>
  error_code run(Start&& start) {
    std::optional<error_code> result;
    start([&result](error_code ec, auto&&...) { result = ec; });
    ioc_.restart();
    while (!result) {
      if (ioc_.run_one() == 0) {
        // Cannot happen while the operation is pending; fail rather than
        // spin if it ever does.
        if (!result)
          result = net::error::operation_aborted;
      }
    }
    return *result;
  }

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

  // -- connecting
  // --------------------------------------------------------------

  /// Resolves with a deadline; getaddrinfo cannot be interrupted, so a slow
  /// lookup is abandoned (its result is discarded when it arrives).
  bool resolve(std::chrono::steady_clock::time_point deadline,
               tcp::resolver::results_type& out, http_result& res) {
    struct state {
      bool done = false;
      bool timed_out = false;
      error_code ec;
      tcp::resolver::results_type results;
    };
    auto st = std::make_shared<state>();
    auto resolver = std::make_shared<tcp::resolver>(ioc_);
    auto timer = std::make_shared<net::steady_timer>(ioc_, deadline);
    resolver->async_resolve(url_.host, url_.port,
                            [st, timer](error_code ec,
                                        tcp::resolver::results_type r) {
                              if (st->timed_out)
                                return;
                              st->done = true;
                              st->ec = ec;
                              st->results = std::move(r);
                              timer->cancel();
                            });
    timer->async_wait([st, resolver](error_code ec) {
      if (ec || st->done)
        return;
      st->timed_out = true;
      resolver->cancel();
    });
    ioc_.restart();
    while (!st->done && !st->timed_out)
      if (ioc_.run_one() == 0)
        break;
    if (st->done && !st->ec) {
      out = std::move(st->results);
      return true;
    }
    res.failure = http_failure::connect;
    if (st->done)
      res.detail = "cannot resolve '" + url_.host + "': " + st->ec.message();
    else
      res.detail = "resolving '" + url_.host + "' took longer than "
                   + millis_text(opts_.connect_timeout);
    return false;
  }

  bool connect(http_result& res) {
    auto deadline = std::chrono::steady_clock::now() + opts_.connect_timeout;
    tcp::resolver::results_type endpoints;
    if (!resolve(deadline, endpoints, res))
      return false;
    buffer_.clear();
    if (ssl_ctx_)
      tls_.emplace(ioc_, *ssl_ctx_);
    else
      tcp_.emplace(ioc_);
    auto fail = [&](std::string detail) {
      disconnect();
      res.failure = http_failure::connect;
      res.detail = std::move(detail);
      return false;
    };
    lowest().expires_at(deadline);
    auto ec = run([&](auto handler) {
      lowest().async_connect(endpoints, std::move(handler));
    });
    if (ec == beast::error::timeout)
      return fail("connecting to " + url_.display + " took longer than "
                  + millis_text(opts_.connect_timeout));
    if (ec)
      return fail("cannot connect to " + url_.display + ": " + ec.message());
    error_code ignored;
    lowest().socket().set_option(tcp::no_delay{true}, ignored);
    if (tls_ && !handshake(res)) {
      disconnect();
      return false;
    }
    lowest().expires_never();
    connected_ = true;
    return true;
  }

  /// Runs the TLS handshake under the connect deadline already set on the
  /// TCP stream.
  bool handshake(http_result& res) {
    auto* native = tls_->native_handle();
    error_code ec;
    net::ip::make_address(url_.host, ec);
    bool is_address = !ec;
    // SNI carries names only (RFC 6066).
    if (!is_address && !SSL_set_tlsext_host_name(native, url_.host.c_str())) {
      res.failure = http_failure::connect;
      res.detail = "cannot set the TLS server name for " + url_.display;
      return false;
    }
    auto name_mismatch = std::make_shared<bool>(false);
    if (opts_.tls_verify) {
      tls_->set_verify_mode(ssl::verify_peer);
      tls_->set_verify_callback(
        [check = ssl::host_name_verification(url_.host),
         name_mismatch](bool preverified, ssl::verify_context& ctx) {
          bool ok = check(preverified, ctx);
          if (preverified && !ok)
            *name_mismatch = true;
          return ok;
        });
    } else {
      tls_->set_verify_mode(ssl::verify_none);
    }
    ec = run([&](auto handler) {
      tls_->async_handshake(ssl::stream_base::client, std::move(handler));
    });
    if (!ec)
      return true;
    res.failure = http_failure::connect;
    if (ec == beast::error::timeout) {
      res.detail = "TLS handshake with " + url_.display
                   + " did not finish within "
                   + millis_text(opts_.connect_timeout);
      return false;
    }
    auto verify = SSL_get_verify_result(native);
    if (*name_mismatch) {
      res.detail = "TLS handshake with " + url_.display
                   + " failed: certificate verify failed (the certificate "
                     "does not match host '"
                   + url_.host + "')";
    } else if (verify != X509_V_OK) {
      res.detail = "TLS handshake with " + url_.display
                   + " failed: certificate verify failed ("
                   + X509_verify_cert_error_string(verify) + ")";
    } else {
      res.detail = "TLS handshake with " + url_.display
                   + " failed: " + ec.message();
    }
    return false;
  }

  /// Checks without blocking that the idle connection has neither been
  /// closed by the peer nor received unsolicited data.
  bool looks_alive() {
    pollfd p{};
    p.fd = lowest().socket().native_handle();
    p.events = POLLIN;
    return ::poll(&p, 1, 0) == 0;
  }

  void disconnect() {
    connected_ = false;
    if (tls_ || tcp_) {
      error_code ignored;
      lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
      lowest().close();
    }
    tls_.reset();
    tcp_.reset();
    buffer_.clear();
  }

  // -- one request and response
  // ------------------------------------------------

  /// Writes `msg` and reads the response into `res`. Sets `stale` if a
  /// reused connection turned out to be closed before any byte of the
  /// response arrived.
  void exchange(bhttp::request<bhttp::string_body>& msg, bool head, bool reused,
                http_result& res, bool& stale) {
    stale = false;
    lowest().expires_after(opts_.read_timeout);
    auto ec = run([&](auto handler) {
      with_stream(
        [&](auto& s) { bhttp::async_write(s, msg, std::move(handler)); });
    });
    if (ec) {
      disconnect();
      res.failure = http_failure::lost;
      if (ec == beast::error::timeout) {
        res.detail = "sending the request to " + url_.display
                     + " took longer than " + millis_text(opts_.read_timeout);
      } else {
        stale = reused && is_closed_error(ec);
        res.detail = "connection to " + url_.display
                     + " broke while sending the request: " + ec.message();
      }
      return;
    }
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(response_body_limit);
    parser.header_limit(response_header_limit);
    if (head)
      parser.skip(true);
    // Bytes the parser consumed: zero means the buffer still holds all that
    // arrived, which tells whether the peer speaks HTTP at all.
    size_t consumed = 0;
    ec = run([&](auto handler) {
      with_stream([&](auto& s) {
        bhttp::async_read(
          s, buffer_, parser,
          [&consumed, h = std::move(handler)](error_code ec, size_t n) mutable {
            consumed = n;
            h(ec);
          });
      });
    });
    if (ec) {
      read_failed(ec, consumed, reused, res, stale);
      disconnect();
      return;
    }
    auto& msg_in = parser.get();
    res.response.status = static_cast<int>(msg_in.result_int());
    for (const auto& field : msg_in)
      res.response.headers.emplace_back(std::string{field.name_string()},
                                        std::string{field.value()});
    res.response.body = std::move(msg_in.body());
    if (!msg_in.keep_alive() || parser.need_eof())
      disconnect();
    else
      lowest().expires_never();
  }

  /// Classifies a failed read; `consumed` is what the parser took from the
  /// buffer.
  void read_failed(const error_code& ec, size_t consumed, bool reused,
                   http_result& res, bool& stale) {
    auto where = " from " + url_.display;
    if (ec == beast::error::timeout) {
      res.failure = http_failure::lost;
      res.detail = "no complete response" + where + " within "
                   + millis_text(opts_.read_timeout);
      return;
    }
    if (ec == bhttp::error::body_limit) {
      res.failure = http_failure::protocol;
      res.detail = "the response" + where + " exceeds 64 MiB";
      return;
    }
    // Bytes that cannot start a status line mean the peer is not speaking
    // HTTP (or not HTTP without TLS), even if it then closed. This only
    // holds while the parser has consumed nothing.
    auto pending = buffer_.data();
    std::string_view head{static_cast<const char*>(pending.data()),
                          pending.size()};
    static constexpr std::string_view prefix = "HTTP/";
    bool nothing = consumed == 0 && head.empty();
    bool not_http = consumed == 0 && !head.empty()
                    && head.substr(0, prefix.size())
                         != prefix.substr(0,
                                          std::min(head.size(), prefix.size()));
    if (not_http
        || (is_http_parse_error(ec) && ec != bhttp::error::end_of_stream
            && ec != bhttp::error::partial_message)) {
      res.failure = http_failure::protocol;
      res.detail = "the peer" + where + " did not answer with HTTP ("
                   + ec.message() + ")";
      return;
    }
    res.failure = http_failure::lost;
    stale = reused && nothing && is_closed_error(ec);
    res.detail = "connection" + where
                 + " closed before the response was complete: " + ec.message();
  }

  url_parts url_;
  http_client_options opts_;
  // The SSL context outlives the streams that use it.
  std::unique_ptr<ssl::context> ssl_ctx_;
  net::io_context ioc_{1};
  std::optional<beast::tcp_stream> tcp_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
  bool connected_ = false;
};

} // namespace

std::unique_ptr<http_transport>
make_http_client(const http_client_options& opts, std::string* error) {
  std::string why;
  auto fail = [&] {
    if (error)
      *error = why;
    return nullptr;
  };
  auto url = parse_base_url(opts.base_url, &why);
  if (!url)
    return fail();
  if (opts.connect_timeout.count() <= 0 || opts.read_timeout.count() <= 0) {
    why = "timeouts must be positive";
    return fail();
  }
  if (!opts.ca_file.empty() && !std::ifstream{opts.ca_file}.good()) {
    why = "cannot read CA file '" + opts.ca_file + "'";
    return fail();
  }
  std::unique_ptr<ssl::context> ctx;
  if (url->tls) {
    try {
      ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
      ctx->set_options(ssl::context::default_workarounds
                       | ssl::context::no_sslv2 | ssl::context::no_sslv3
                       | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    } catch (const std::exception& e) {
      why = std::string{"cannot create a TLS context: "} + e.what();
      return fail();
    }
    error_code ec;
    ctx->set_default_verify_paths(ec);
    if (ec)
      spdlog::debug("http client {}: no system CA store: {}", url->display,
                    ec.message());
    if (!opts.ca_file.empty()) {
      ctx->load_verify_file(opts.ca_file, ec);
      if (ec) {
        why = "cannot load CA file '" + opts.ca_file + "': " + ec.message();
        return fail();
      }
    }
    if (!opts.tls_verify)
      spdlog::warn("HTTP client for {} does not verify TLS certificates "
                   "(tls_verify is off)",
                   url->display);
  }
  return std::make_unique<beast_client>(std::move(*url), opts, std::move(ctx));
}

} // namespace dynserv
