// The next step of a server actor as a pure function of its record.
#pragma once

#include <cstdint>
#include <optional>

#include "messages/status.hpp"
#include "messages/types.hpp"

namespace dynserv {

/// A provider call a server actor makes (one at a time).
enum class server_call : uint8_t {
  create,
  /// Find the server by its `dynserv-id` label (a create may have happened
  /// without telling us the provider id).
  lookup,
  /// Wait for the next poll round and read the server.
  observe,
  /// Read the server at once (after a conflict).
  get,
  stop,
  destroy,
  reboot,
};

/// Returns the snake_case name of `x`.
const char* to_string(server_call x);

/// Where a create of this actor incarnation stands. Not persisted on
/// purpose: a restarted actor starts at `none`, so every create its record
/// counts may have happened and is resolved by a label lookup.
enum class create_step : uint8_t {
  /// No create of this actor waits to be sent.
  none,
  /// The record counts an attempt (persisted or being persisted) that this
  /// actor has not sent yet: send it once the record is durable.
  counted,
  /// The last attempt never left the provider actor and was uncounted:
  /// count a fresh one (no lookup).
  dropped,
};

/// What the server actor is busy with, besides its record.
struct server_activity {
  /// A persist of the record is in flight.
  bool persisting = false;
  /// The last persist failed; its retry is pending.
  bool persist_failed = false;
  /// A provider call is in flight.
  bool calling = false;
  /// A retry timer is armed.
  bool retry_armed = false;
  create_step create = create_step::none;
};

/// The next thing a server actor does: a provider call, a create count that
/// must be persisted first, an event for the transition table, or nothing.
enum class next_step : uint8_t {
  /// Nothing until a reply, a timer or a command arrives.
  none,
  /// Count one more create attempt and persist the record; the create is
  /// sent once that persist succeeded (crash safety).
  count_create,
  /// Send the create that the durable record already counts.
  create,
  /// Look the server up by its `dynserv-id` label.
  lookup,
  /// Poll until the provider reports the awaited state.
  observe,
  stop,
  reboot,
  destroy,
  /// Feed `stop_requested` to the table (a stop remembered while starting).
  ask_stop,
  /// Feed `reboot_requested` to the table (a remembered reboot).
  ask_reboot,
  /// Feed `delete_requested` to the table (a stopped server is deleted).
  ask_delete,
  /// Feed `observed_gone` to the table: the server was never created.
  assume_gone,
};

/// Returns the snake_case name of `x`.
const char* to_string(next_step x);

/// The provider call `x` sends, if it is one.
std::optional<server_call> call_of(next_step x);

/// The table event `x` feeds, if it is one.
std::optional<server_event> event_of(next_step x);

/// A step and the reason for it (for logs and tests).
struct step_plan {
  next_step step;
  const char* why;
};

/// Decides what a server actor in `rec` does next. Nothing happens while a
/// persist, a provider call or a retry timer is pending: every provider call
/// follows a durable record, and there is one call per server at a time.
step_plan plan_next_step(const server_record& rec, const server_activity& act);

} // namespace dynserv
