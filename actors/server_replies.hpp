// What a provider's answer means for a server: a pure function of the call,
// the record and the reply.
#pragma once

#include <cstdint>
#include <optional>

#include "actors/server_calls.hpp"
#include "messages/status.hpp"
#include "messages/types.hpp"

namespace dynserv {

/// What the server actor does with a provider reply.
enum class reply_effect : uint8_t {
  /// Feed `reply_outcome::event` to the transition table.
  apply_event,
  /// Record `reply_outcome::error` and try the same step again after a
  /// backoff.
  retry,
  /// Nothing to record: carry on with the next step (e.g. poll again, or
  /// look up a create whose answer was lost).
  proceed,
  /// The record changed (a provider id was adopted): persist it, then carry
  /// on.
  persist,
  /// The create never left the provider actor: uncount it, persist, and
  /// retry after a backoff with a fresh create (no lookup).
  uncount_create,
  /// The call conflicted: record the error and read the server (`get`)
  /// before trying again.
  check_server,
};

/// Returns the snake_case name of `x`.
const char* to_string(reply_effect x);

/// The meaning of one provider reply.
struct reply_outcome {
  reply_effect effect = reply_effect::proceed;
  /// The event to apply (with `apply_event`).
  server_event event = server_event::observed_gone;
  /// The error to record: the call's, a conflict found by `get`, or the
  /// provider's reason for a failed create. Kind `none` if there is none.
  provider_error error;
  /// Take the provider id and creation time from the reply's first server.
  bool adopt = false;
  /// The operation succeeded: its backoff starts over.
  bool reset_backoff = false;
  const char* why = "";
};

/// Interprets `reply` to `call`, sent while the server was in
/// `status_at_call`; `rec` is the record now. A reply for a status that was
/// left since changes nothing but a create's provider id, which is always
/// kept (losing it would leak the server).
reply_outcome interpret_reply(server_call call, server_status status_at_call,
                              const server_record& rec,
                              const provider_reply& reply);

/// Maps what the provider reports to the event it means for a server in
/// `status`; `std::nullopt` means "not there yet, keep polling". Only
/// `cloud_state::failed` (a create that failed at the cloud for good) ends
/// a start early; `cloud_state::error` (UpCloud's recoverable state) keeps
/// the server waiting like any other state.
std::optional<server_event> observation(server_status status,
                                        cloud_state state);

/// The error to record for a server the provider reports `failed`: its
/// `failure`, or a generic permanent error if the provider gave none.
provider_error failure_of(const cloud_server& srv);

} // namespace dynserv
