// The client side of the admin console: connect, log in, call with fail-fast.
#include "tools/console/console_client.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "caf/actor_cast.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/io/middleman.hpp"
#include "caf/openssl/remote_actor.hpp"
#include "caf/sec.hpp"

#include "messages/errors.hpp"

namespace dynserv::console {

namespace {

/// CAF reports only "ip_connect failed"; a plain TCP connect of our own
/// tells why ("connection refused", ...). Returns nothing if it succeeds.
std::optional<std::string> probe_tcp(const std::string& host, uint16_t port) {
  addrinfo hints;
  std::memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addrs = nullptr;
  auto service = std::to_string(port);
  if (::getaddrinfo(host.c_str(), service.c_str(), &hints, &addrs) != 0)
    return "cannot resolve host";
  int err = EHOSTUNREACH;
  for (auto ai = addrs; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family,
                      ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                      ai->ai_protocol);
    if (fd < 0) {
      err = errno;
      continue;
    }
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      err = 0;
    } else if (errno != EINPROGRESS) {
      err = errno;
    } else {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, 2000) <= 0) {
        err = ETIMEDOUT;
      } else {
        socklen_t len = sizeof(err);
        if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
          err = errno;
      }
    }
    ::close(fd);
    if (err == 0)
      break;
  }
  ::freeaddrinfo(addrs);
  switch (err) {
    case 0:
      return std::nullopt;
    case ECONNREFUSED:
      return "connection refused";
    case ETIMEDOUT:
      return "connection timed out";
    case EHOSTUNREACH:
      return "host unreachable";
    case ENETUNREACH:
      return "network unreachable";
    default: {
      std::string text = std::strerror(err);
      if (!text.empty())
        text[0] = static_cast<char>(
          std::tolower(static_cast<unsigned char>(text[0])));
      return text;
    }
  }
}

/// Turns CAF's connection errors into words: "connection refused", ...
std::string connect_reason(caf::actor_system& sys, const endpoint& node,
                           bool tls, const caf::error& err) {
  auto text = sys.render(err);
  if (err == caf::sec::cannot_connect_to_node) {
    if (auto why = probe_tcp(node.host, node.port))
      return *why;
    // TCP works, so the handshake failed.
    if (tls)
      return "TLS handshake failed (does the node listen with admin.tls? "
             "do both certificates chain to the CA the other side trusts?)";
    return "connection failed (" + text + ")";
  }
  if (err == caf::sec::connection_timeout)
    return "connection timed out (nothing answered CAF's handshake)";
  if (err == caf::sec::disconnect_during_handshake)
    return "the node closed the connection during the handshake (TLS on "
           "one side only, or a certificate the other side does not accept?)";
  if (err == caf::sec::malformed_basp_message)
    return "the peer does not speak CAF's protocol (not a dynserv admin "
           "console, or TLS on one side only?)";
  if (err == caf::sec::no_actor_published_at_port)
    return "no admin console at this port";
  if (err == caf::sec::unexpected_actor_messaging_interface)
    return "the actor at this port is not a dynserv admin console (or a "
           "different dynserv version)";
  return text;
}

} // namespace

int exit_code_of(failure_kind x) {
  switch (x) {
    case failure_kind::node_error:
    case failure_kind::timeout:
      return exit_failed;
    case failure_kind::unreachable:
    case failure_kind::lost:
    case failure_kind::unauthorized:
      return exit_unreachable;
    case failure_kind::interrupted:
      return 130;
  }
  return exit_failed;
}

client::client(caf::actor_system& sys, endpoint node, std::string token,
               bool tls, const volatile std::sig_atomic_t* interrupted)
  : sys_(sys),
    node_(std::move(node)),
    token_(std::move(token)),
    tls_(tls),
    interrupted_(interrupted),
    self_(sys) {
  // nop
}

client::~client() {
  // Do not leave the token in freed memory.
  std::fill(token_.begin(), token_.end(), '\0');
}

failure client::lost_failure() const {
  return {failure_kind::lost, "lost connection to node at " + to_string(node_)};
}

void client::drain() {
  bool more = true;
  while (more) {
    self_->receive(
      [&](caf::down_msg& dm) {
        if (gate_ && dm.source == gate_.address()) {
          gate_ = nullptr;
          session_ = nullptr;
        } else if (session_ && dm.source == session_.address()) {
          session_ = nullptr;
        }
      },
      caf::after(std::chrono::seconds{0}) >> [&] { more = false; });
  }
}

bool client::connected() {
  drain();
  return gate_ && session_;
}

void client::disconnect() {
  if (session_)
    self_->demonitor(session_.address());
  if (gate_)
    self_->demonitor(gate_.address());
  session_ = nullptr;
  gate_ = nullptr;
}

std::optional<failure> client::connect() {
  drain();
  if (!gate_) {
    caf::expected<admin_gate_actor> gate{caf::sec::cannot_connect_to_node};
    try {
      gate = tls_
               ? caf::openssl::remote_actor<admin_gate_actor>(sys_, node_.host,
                                                              node_.port)
               : sys_.middleman().remote_actor<admin_gate_actor>(node_.host,
                                                                 node_.port);
    } catch (const std::exception& ex) {
      // CAF's OpenSSL module throws on unusable certificate settings.
      return failure{failure_kind::unreachable, "cannot reach node at "
                                                  + to_string(node_) + ": "
                                                  + ex.what()};
    }
    if (!gate)
      return failure{failure_kind::unreachable,
                     "cannot reach node at " + to_string(node_) + ": "
                       + connect_reason(sys_, node_, tls_, gate.error())};
    gate_ = std::move(*gate);
    self_->monitor(gate_);
  }
  if (!session_) {
    // The login is sent by the long-lived self_, never by a short-lived
    // helper: the node may tie the session's life to the login's sender.
    caf::actor session;
    std::optional<failure> fail;
    self_->request(gate_, login_timeout, atom::login_v, token_)
      .receive([&](caf::actor& x) { session = std::move(x); },
               [&](caf::error& err) {
                 fail = classify(err, caf::timespan{login_timeout}, true);
               });
    if (fail) {
      if (fail->kind != failure_kind::unauthorized)
        fail->kind = failure_kind::unreachable;
      return fail;
    }
    session_ = caf::actor_cast<admin_session_actor>(std::move(session));
    if (!session_)
      return failure{failure_kind::unreachable,
                     "the node at " + to_string(node_)
                       + " returned no admin session"};
    self_->monitor(session_);
  }
  return std::nullopt;
}

failure client::classify(const caf::error& err, caf::timespan timeout,
                         bool login) {
  if (err.category() == error_category) {
    if (err.code() == static_cast<uint8_t>(ec::unauthorized))
      return {failure_kind::unauthorized,
              "not authenticated: wrong admin token (the node at "
                + to_string(node_) + " refused the login)"};
    return {failure_kind::node_error, describe(err)};
  }
  if (err == caf::sec::request_timeout) {
    // A dead connection shows up as a down message; else the node is slow.
    drain();
    if (!gate_ || (!login && !session_))
      return lost_failure();
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(timeout);
    return {failure_kind::timeout, "no answer from node at " + to_string(node_)
                                     + " within " + std::to_string(secs.count())
                                     + " s"};
  }
  if (err == caf::sec::request_receiver_down) {
    drain();
    if (!gate_ || (!login && !session_))
      return lost_failure();
    // The session is up but the node actor behind it is not.
    return {failure_kind::lost, "the node at " + to_string(node_)
                                  + " is not taking commands (shutting "
                                    "down?)"};
  }
  return {failure_kind::node_error, sys_.render(err)};
}

template <class T, class Handle, class... Ts>
outcome<T> client::call(const Handle& target, caf::timespan timeout, Ts... xs) {
  outcome<T> res;
  if (!target) {
    res.error = lost_failure();
    return res;
  }
  // A fresh waiter per call: a late message of an abandoned call can never
  // be taken for the answer to a later one.
  caf::scoped_actor waiter{sys_};
  auto reply_to = caf::actor_cast<caf::actor>(waiter);
  auto gate = gate_;
  sys_.spawn([=](caf::event_based_actor* helper) {
    helper->monitor(target);
    if (gate)
      helper->monitor(gate);
    helper->set_down_handler([=](caf::down_msg& dm) {
      helper->send(reply_to, std::move(dm));
      helper->quit();
    });
    helper->request(target, timeout, xs...)
      .then(
        [=](T& x) {
          helper->send(reply_to, std::move(x));
          helper->quit();
        },
        [=](caf::error& err) {
          helper->send(reply_to, std::move(err));
          helper->quit();
        });
  });
  bool done = false;
  while (!done) {
    waiter->receive(
      [&](T& x) {
        res.value = std::move(x);
        done = true;
      },
      [&](caf::error& err) {
        done = true;
        res.error = classify(err, timeout, false);
      },
      [&](caf::down_msg& dm) {
        done = true;
        if (gate_ && dm.source == gate_.address()) {
          gate_ = nullptr;
          session_ = nullptr;
        } else if (session_ && dm.source == session_.address()) {
          session_ = nullptr;
        }
        res.error = lost_failure();
      },
      caf::after(std::chrono::milliseconds{50}) >>
        [&] {
          if (*interrupted_) {
            res.error = {failure_kind::interrupted, "interrupted"};
            done = true;
          }
        });
  }
  return res;
}

outcome<std::vector<pool_status>> client::status() {
  return call<std::vector<pool_status>>(session_, caf::timespan{call_timeout},
                                        atom::status_v);
}

outcome<server_record> client::server(const std::string& id) {
  return call<server_record>(session_, caf::timespan{call_timeout},
                             atom::server_v, id);
}

outcome<scale_reply> client::scale(command_kind kind, const std::string& pool,
                                   int64_t n) {
  auto t = caf::timespan{call_timeout};
  switch (kind) {
    case command_kind::ensure:
      return call<scale_reply>(session_, t, atom::ensure_v, pool, n);
    case command_kind::increase:
      return call<scale_reply>(session_, t, atom::increase_v, pool, n);
    default:
      return call<scale_reply>(session_, t, atom::decrease_v, pool, n);
  }
}

outcome<rollout_record> client::reboot(const std::string& pool,
                                       const std::string& max_unavailable) {
  return call<rollout_record>(session_, caf::timespan{call_timeout},
                              atom::reboot_v, pool, max_unavailable);
}

outcome<rollout_record> client::abort_reboot(const std::string& pool) {
  return call<rollout_record>(session_, caf::timespan{call_timeout},
                              atom::abort_v, pool);
}

outcome<server_record> client::stop(const std::string& id) {
  return call<server_record>(session_, caf::timespan{call_timeout},
                             atom::stop_v, id);
}

outcome<std::vector<event_record>>
client::events(uint64_t after, uint32_t limit, caf::timespan timeout) {
  return call<std::vector<event_record>>(session_, timeout, atom::events_v,
                                         after, limit);
}

outcome<limits_info> client::limits() {
  return call<limits_info>(session_, caf::timespan{call_timeout},
                           atom::limits_v);
}

outcome<std::vector<webhook_status>> client::webhooks() {
  return call<std::vector<webhook_status>>(
    session_, caf::timespan{call_timeout}, atom::status_v, atom::webhooks_v);
}

outcome<std::vector<decision_record>> client::decisions(const std::string& pool,
                                                        uint32_t limit) {
  return call<std::vector<decision_record>>(
    session_, caf::timespan{call_timeout}, atom::decisions_v, pool, limit);
}

outcome<pool_status> client::pause(const std::string& pool, bool pause) {
  if (pause)
    return call<pool_status>(session_, caf::timespan{call_timeout},
                             atom::pause_v, pool);
  return call<pool_status>(session_, caf::timespan{call_timeout},
                           atom::resume_v, pool);
}

} // namespace dynserv::console
