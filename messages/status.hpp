// Server statuses and the events that move a server between them.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace dynserv {

/// Lifecycle status of one cloud server, as recorded in the store.
/// `pending` is the original package's `new` (a C++ keyword).
enum class server_status : uint8_t {
  pending,
  starting,
  running,
  rebooting,
  stopping,
  stopped,
  deleting,
  deleted,
  errored,
  hanging,
};

/// Number of enumerators in `server_status`.
constexpr size_t server_status_count = 10;

/// Something that happened to a server; input of the transition table.
enum class server_event : uint8_t {
  /// The pool decided to provision this server.
  start_requested,
  /// The provider accepted a create call and returned the server.
  create_accepted,
  /// A label lookup after an unknown create outcome found the server.
  found_by_label,
  /// A label lookup found no server, so the create never happened.
  missing_by_label,
  /// The provider reports the server up and running.
  observed_running,
  /// The provider reports the server stopped.
  observed_stopped,
  /// The provider answers "not found" for the server.
  observed_gone,
  /// The provider reports that the server's create failed at the cloud for
  /// good (`cloud_state::failed`): it will never run.
  observed_failed,
  /// The pool or an operator asked to stop (and then delete) the server.
  stop_requested,
  /// The provider accepted a stop call.
  stop_accepted,
  /// The server reached `stopped` and its deletion is due.
  delete_requested,
  /// The provider accepted a delete call.
  delete_accepted,
  /// An operator or the pool asked for a reboot.
  reboot_requested,
  /// The provider accepted a reboot call.
  reboot_accepted,
  /// A provider call failed with an error that is not worth retrying.
  failed_permanently,
  /// The status's hanging deadline passed without progress.
  deadline_passed,
};

/// Number of enumerators in `server_event`.
constexpr size_t server_event_count = 16;

/// Returns the lower-case name of `x`, e.g. "running".
const char* to_string(server_status x);

/// Returns the snake_case name of `x`, e.g. "observed_running".
const char* to_string(server_event x);

/// Parses a status name as printed by `to_string`.
std::optional<server_status> parse_server_status(std::string_view str);

/// Starting, running and rebooting servers count as provisioned, as in the
/// original package.
bool is_provisioned(server_status x);

/// Deleted is the only status a server never leaves.
bool is_terminal(server_status x);

/// Statuses in which the server waits for the provider to finish something and
/// therefore has a hanging deadline.
bool is_moving(server_status x);

} // namespace dynserv
