// The admin console actors: a gate that checks the token, and sessions.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "caf/typed_response_promise.hpp"

#include "api/access_control.hpp"
#include "messages/interfaces.hpp"

namespace dynserv {

struct admin_gate_state {
  static inline const char* name = "dynserv.admin_gate";

  std::string token;
  /// Sessions get only the operator interface of the node.
  operator_actor node;
  uint32_t consecutive_failures = 0;
  uint64_t next_refusal = 0;
  /// Refusals waiting for their throttling delay.
  std::map<uint64_t, caf::typed_response_promise<caf::actor>> refusals;
};

/// The gate published on `admin.listen`. A right token yields a new session;
/// a wrong one is refused after `login_refusal_delay`.
admin_gate_actor::behavior_type
admin_gate(admin_gate_actor::stateful_pointer<admin_gate_state> self,
           std::string token, operator_actor node);

struct admin_session_state {
  static inline const char* name = "dynserv.admin_session";

  /// Never handed out: the session asks it and answers its client itself.
  operator_actor node;
  /// Commands handled since the last idle check.
  uint64_t activity = 0;
};

/// Idle sessions end after this long without a command.
constexpr auto admin_session_idle_timeout = std::chrono::minutes{15};

/// One authenticated console session; forwards the operator commands to the
/// node and ends when `client` (the actor that logged in) goes away.
admin_session_actor::behavior_type
admin_session(admin_session_actor::stateful_pointer<admin_session_state> self,
              operator_actor node, caf::actor client);

} // namespace dynserv
