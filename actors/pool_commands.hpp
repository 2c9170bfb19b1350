// The pool supervisor's operator commands (desired count, pause, rolling
// reboot, adopt, stop, evaluate, status) and the supervisor functions they
// use. Internal to actors/pool_supervisor.cpp and actors/pool_commands.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actors/pool_supervisor.hpp"

namespace dynserv::pool_detail {

using self_ptr = pool_actor::stateful_pointer<pool_state>;

// -- commands (pool_commands.cpp); each replies once its change is durable --

/// Sets the desired count and persists it (then reconciles). Returns false
/// in `.second` if nothing changed; otherwise `done` runs once the change is
/// durable.
std::pair<scale_reply, bool>
change_desired(self_ptr self, int64_t wanted, const std::string& why,
               std::optional<int64_t> file_value,
               std::function<void(const caf::error&)> done);

/// Handler form of `change_desired`: replies once the count is durable.
caf::result<scale_reply> set_desired(self_ptr self, int64_t wanted,
                                     const std::string& why,
                                     std::optional<int64_t> file_value);

/// Refuses a negative count.
caf::error check_count(int64_t n);

/// The file's count after a reload; a count set at run time holds when the
/// file did not change.
caf::result<scale_reply> reload(self_ptr self, int64_t file_desired);

/// The pool as status queries report it.
pool_status make_status(self_ptr self);

/// Pauses or resumes the policy; replies once the flag is durable.
caf::result<pool_status> set_paused(self_ptr self, bool paused);

/// Starts a rolling reboot (or starts it over); replies once it is
/// durable, before its first reboot is sent.
caf::result<rollout_record> start_rollout(self_ptr self, std::string spec);

/// Aborts the rolling reboot: servers still waiting are not rebooted.
caf::result<rollout_record> abort_rollout(self_ptr self);

/// Evaluates the policy now; refused when there is none or it is down.
caf::result<decision_record> evaluate(self_ptr self);

/// Takes over a server found at the provider (an orphan), persisted first.
caf::result<server_record> adopt(self_ptr self, server_record& rec);

/// Forwards an operator's stop to the server actor.
caf::result<server_record> stop_server(self_ptr self, const std::string& id);

// -- what the commands use of the supervisor (pool_supervisor.cpp) ----------

int64_t now_ms(self_ptr self);

/// Persists the pool record with `events` (coalesced with other writes),
/// then runs `then` on success or `failed` on an error.
void persist_pool(self_ptr self, std::vector<event_record> events,
                  pool_record_writer::done_fn then = {},
                  pool_record_writer::failed_fn failed = {});

/// Reconciles once the messages queued now are handled.
void reconcile_soon(self_ptr self);

/// Spawns and monitors the server actor of `rec`.
void spawn_child(self_ptr self, server_record rec);

/// Sends the rollout's next reboots (persisting the rollout first) and
/// finishes it when nothing is left.
void advance_rollout(self_ptr self, std::vector<event_record> events = {});

} // namespace dynserv::pool_detail
