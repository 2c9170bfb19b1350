// The client side of the admin console: connects to a node's admin gate,
// logs in and calls the session, failing fast when the node goes away.
#pragma once

#include <chrono>
#include <csignal>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/scoped_actor.hpp"

#include "messages/interfaces.hpp"
#include "tools/console/console_commands.hpp"

namespace dynserv::console {

/// Why a call to the node did not produce a reply.
enum class failure_kind {
  /// The node refused the command or it failed there (exit 1).
  node_error,
  /// The node did not answer in time while the connection stayed up (exit 1).
  timeout,
  /// The node could not be reached (exit 3).
  unreachable,
  /// The connection or the session went away during the call (exit 3).
  lost,
  /// No token, or the node refused it (exit 3).
  unauthorized,
  /// SIGINT arrived while waiting.
  interrupted,
};

/// The exit code for a failure of kind `x`.
int exit_code_of(failure_kind x);

/// A failed call: its kind and one line to print after "dynservctl: ".
struct failure {
  failure_kind kind = failure_kind::node_error;
  std::string message;
};

/// The reply of a call or why there is none.
template <class T>
struct outcome {
  std::optional<T> value;
  failure error;

  explicit operator bool() const {
    return value.has_value();
  }
};

/// How long a command may take at the node before dynservctl gives up.
constexpr auto call_timeout = std::chrono::seconds{30};

/// Logins wait for the gate's throttling delay (at most 8 s) on refusals.
constexpr auto login_timeout = std::chrono::seconds{30};

/// How long one poll of `events --follow` may take.
constexpr auto poll_timeout = std::chrono::seconds{5};

/// A connection to one node's admin console. Every call spawns a small
/// helper actor that monitors the gate and the session, so a call ends as
/// soon as the node goes away instead of waiting for its timeout.
class client {
public:
  /// `interrupted` is the SIGINT flag; calls give up when it is set.
  client(caf::actor_system& sys, endpoint node, std::string token, bool tls,
         const volatile std::sig_atomic_t* interrupted);

  ~client();

  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Connects to the gate (unless still connected) and logs in (unless the
  /// session is still up).
  std::optional<failure> connect();

  /// True if the gate and the session are up as far as we know.
  bool connected();

  /// Forgets the gate and the session (the next `connect` starts afresh).
  void disconnect();

  /// The node's address.
  const endpoint& node() const {
    return node_;
  }

  // -- the session's commands -------------------------------------------------

  outcome<std::vector<pool_status>> status();

  outcome<server_record> server(const std::string& id);

  /// ensure, increase or decrease (by `kind`).
  outcome<scale_reply> scale(command_kind kind, const std::string& pool,
                             int64_t n);

  /// Starts a rolling reboot (`max_unavailable` empty: the pool's default).
  outcome<rollout_record> reboot(const std::string& pool,
                                 const std::string& max_unavailable);
  /// Aborts a pool's rolling reboot.
  outcome<rollout_record> abort_reboot(const std::string& pool);

  outcome<server_record> stop(const std::string& id);

  outcome<std::vector<event_record>>
  events(uint64_t after, uint32_t limit,
         caf::timespan timeout = caf::timespan{call_timeout});

  outcome<limits_info> limits();

  /// Every webhook's delivery status, by name.
  outcome<std::vector<webhook_status>> webhooks();

  /// The newest `limit` decisions of `pool`'s policy.
  outcome<std::vector<decision_record>> decisions(const std::string& pool,
                                                  uint32_t limit);

  /// Pauses (`pause` true) or resumes a pool's policy.
  outcome<pool_status> pause(const std::string& pool, bool pause);

private:
  template <class T, class Handle, class... Ts>
  outcome<T> call(const Handle& target, caf::timespan timeout, Ts... xs);

  /// Handles the down messages of the gate and session monitors.
  void drain();

  failure lost_failure() const;

  /// Turns a request error into a failure (node error, timeout, lost);
  /// `login` if it answers a login (no session yet).
  failure classify(const caf::error& err, caf::timespan timeout, bool login);

  caf::actor_system& sys_;
  endpoint node_;
  std::string token_;
  bool tls_;
  const volatile std::sig_atomic_t* interrupted_;
  /// Monitors the gate and the session between calls.
  caf::scoped_actor self_;
  admin_gate_actor gate_;
  admin_session_actor session_;
};

} // namespace dynserv::console
