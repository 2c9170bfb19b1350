// The server lifecycle as one pure transition table (no CAF, no I/O).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "messages/status.hpp"

namespace dynserv::fsm {

/// The bookkeeping the server actor does on a transition. Actions named
/// `call_*` announce a provider call; which call actually goes out, and when,
/// is `plan_next_step()` (actors/server_calls.hpp) over the record once it is
/// durable.
enum class action : uint8_t {
  /// Nothing beyond recording the change.
  none,
  /// Count a create attempt (a label lookup comes first if a create may have
  /// happened).
  call_create,
  /// Poll until the provider reports the server running.
  await_running,
  /// Announce `running`, then act on a remembered stop or reboot.
  became_running,
  /// Remember a reboot asked for while the server is not running yet.
  remember_reboot,
  /// Remember a stop asked for while the server is still starting.
  remember_stop,
  /// Drop a server that was never created (no API call).
  cancel,
  call_stop,
  await_stopped,
  /// Announce `stopped` and ask for deletion right away.
  request_delete,
  call_delete,
  await_gone,
  call_reboot,
  await_rebooted,
  /// The provider no longer knows the server: it is gone, as intended.
  finish,
  /// The provider no longer knows a server that should exist.
  report_vanished,
  /// Record the error and stop acting.
  mark_errored,
  /// Record the missed deadline and stop acting.
  mark_hanging,
};

/// Returns the snake_case name of `x`.
const char* to_string(action x);

/// One row of the table.
struct transition {
  server_status from;
  server_event on;
  server_status to;
  action act;
};

/// Looks up the row for (`from`, `on`); `std::nullopt` means the event is
/// invalid in that status and must be rejected (and logged) by the caller.
std::optional<transition> step(server_status from, server_event on);

/// Every row of the table, for tests and documentation.
const std::vector<transition>& table();

} // namespace dynserv::fsm
