// The HTTP/1.1 server object: listening (plain or TLS), the accept loop,
// the I/O threads and the graceful stop. Connections live in
// server_session.cpp.
#include "http/http_server.hpp"

#include <algorithm>
#include <exception>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "http/server_core.hpp"

namespace dynserv {

http_stream::~http_stream() = default;
http_exchange::~http_exchange() = default;
http_server::~http_server() = default;

namespace http_detail {

// Handlers inside the io_context point to the core without owning it: the
// io_context is a member of the core, so a handler that runs sees it alive,
// and an owning pointer in a handler never run would keep both forever.
void server_core::do_accept() {
  acceptor->async_accept(
    net::make_strand(ioc), [self = this](error_code ec, tcp::socket socket) {
      if (!self->acceptor->is_open() || ec == net::error::operation_aborted)
        return;
      if (ec) {
        // Out of descriptors and the like: retry shortly instead of spinning.
        spdlog::debug("http server: accept failed: {}", ec.message());
        self->accept_retry.emplace(self->accept_strand,
                                   std::chrono::milliseconds{50});
        self->accept_retry->async_wait([self](error_code ec) {
          if (!ec && self->acceptor->is_open())
            self->do_accept();
        });
        return;
      }
      accept_connection(*self, std::move(socket));
      self->do_accept();
    });
}

} // namespace http_detail

namespace {

using namespace http_detail;

class server_impl final : public http_server {
public:
  explicit server_impl(std::shared_ptr<server_core> core)
    : core_(std::move(core)), work_(net::make_work_guard(core_->ioc)) {
    // nop
  }

  ~server_impl() override {
    // stop() throws only when the system cannot lock or join (std::
    // system_error); a destructor must not pass that on.
    try {
      stop(std::chrono::milliseconds{0});
    } catch (const std::exception& e) {
      spdlog::error("http server: stopping failed: {}", e.what());
    }
  }

  void run(size_t threads) {
    port_ = core_->acceptor->local_endpoint().port();
    net::post(core_->accept_strand, [c = core_.get()] { c->do_accept(); });
    for (size_t i = 0; i < std::max<size_t>(threads, 1); ++i)
      threads_.emplace_back([c = core_] {
        for (;;) {
          try {
            c->ioc.run();
            return;
          } catch (const std::exception& e) {
            // Handlers catch their own errors; keep serving regardless.
            spdlog::debug("http server: I/O loop error: {}", e.what());
          }
        }
      });
  }

  uint16_t port() const override {
    return port_;
  }

  void stop(std::chrono::milliseconds grace) override {
    std::lock_guard<std::mutex> stop_guard{stop_mtx_};
    if (stopped_)
      return;
    stopped_ = true;
    auto& core = *core_;
    // 1. No new connections.
    std::promise<void> closed;
    net::post(core.accept_strand, [&core, &closed] {
      error_code ignored;
      core.acceptor->close(ignored);
      if (core.accept_retry)
        core.accept_retry->cancel();
      closed.set_value();
    });
    closed.get_future().wait();
    core.stopping = true;
    // 2. Idle connections go now; requests in progress may finish.
    for (auto& s : live_sessions())
      stop_when_idle(s);
    {
      std::unique_lock<std::mutex> guard{core.mtx};
      core.cv.wait_for(guard, grace, [&] { return core.in_flight == 0; });
    }
    // 3. Streams get their last chunk; all else is closed.
    for (auto& s : live_sessions())
      shut_down(s);
    {
      std::unique_lock<std::mutex> guard{core.mtx};
      core.cv.wait_for(guard, close_wait,
                       [&] { return core.sessions.empty(); });
    }
    work_.reset();
    core.ioc.stop();
    for (auto& t : threads_)
      t.join();
    threads_.clear();
  }

private:
  std::vector<std::shared_ptr<session>> live_sessions() {
    std::vector<std::shared_ptr<session>> out;
    std::lock_guard<std::mutex> guard{core_->mtx};
    for (auto& [id, weak] : core_->sessions)
      if (auto s = weak.lock())
        out.push_back(std::move(s));
    return out;
  }

  std::shared_ptr<server_core> core_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  std::mutex stop_mtx_;
  bool stopped_ = false;
};

} // namespace

std::unique_ptr<http_server> start_http_server(const http_server_options& opts,
                                               http_handler handler,
                                               std::string* error) {
  auto fail = [&](std::string why) {
    if (error)
      *error = std::move(why);
    return nullptr;
  };
  if (!handler)
    return fail("no request handler");
  if (opts.tls_certificate.empty() != opts.tls_key.empty())
    return fail("TLS needs both a certificate and a key");
  auto core = std::make_shared<server_core>(opts, std::move(handler));
  if (core->opts.max_connections == 0)
    core->opts.max_connections = 1;
  error_code ec;
  if (!opts.tls_certificate.empty()) {
    try {
      core->tls = std::make_unique<ssl::context>(ssl::context::tls_server);
    } catch (const std::exception& e) {
      return fail(std::string{"cannot create a TLS context: "} + e.what());
    }
    core->tls->set_options(ssl::context::default_workarounds
                           | ssl::context::no_sslv2 | ssl::context::no_sslv3
                           | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    core->tls->use_certificate_chain_file(opts.tls_certificate, ec);
    if (ec)
      return fail("cannot load TLS certificate '" + opts.tls_certificate
                  + "': " + ec.message());
    core->tls->use_private_key_file(opts.tls_key, ssl::context::pem, ec);
    if (ec)
      return fail("cannot load TLS key '" + opts.tls_key
                  + "': " + ec.message());
  }
  auto where = opts.host + ":" + std::to_string(opts.port);
  tcp::endpoint endpoint;
  auto addr = net::ip::make_address(opts.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint{addr, opts.port};
  } else {
    tcp::resolver resolver{core->ioc};
    auto results = resolver.resolve(opts.host, std::to_string(opts.port),
                                    tcp::resolver::passive, ec);
    if (ec || results.empty())
      return fail("cannot resolve '" + opts.host
                  + "': " + (ec ? ec.message() : "no address"));
    endpoint = results.begin()->endpoint();
  }
  auto& acc = core->acceptor.emplace(core->accept_strand);
  acc.open(endpoint.protocol(), ec);
  if (!ec)
    acc.set_option(net::socket_base::reuse_address{true}, ec);
  if (!ec)
    acc.bind(endpoint, ec);
  if (!ec)
    acc.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    return fail("cannot listen on " + where + ": " + ec.message());
  auto server = std::make_unique<server_impl>(core);
  server->run(opts.threads);
  spdlog::debug("http server: listening on {}:{}{}", opts.host, server->port(),
                core->tls ? " (TLS)" : "");
  return server;
}

} // namespace dynserv
