// The server lifecycle table: every way into every status is one row here.
//
//                 start_requested            observed_running
//   pending ----------------------> starting -----------------> running
//      |                              |  ^  create_accepted        | |  ^
//      | stop_requested (cancel)      |  |  found/missing_by_label | |  |
//      v                              |  +-------------------------+ |  |
//   deleted <----+                    |      reboot_requested        |  |
//      ^         |                    |   rebooting <----------------+  |
//      |         |                    |      | observed_running ---------+
//      |         |                    |      |
//      |   observed_gone              v      v   (failed_permanently,
//      |         |              errored / hanging  observed_failed;
//      |         |                    |            deadline_passed)
//      |         |                    | stop_requested
//      |         |                    v
//   deleting <- stopped <- stopping <-+-- running (stop_requested)
//         delete_requested   observed_stopped
//
// What the provider reports becomes an event in actors/server_replies.cpp:
// `running` -> observed_running (starting, rebooting); `stopped` ->
// observed_stopped (stopping); `failed` (a create that failed for good) ->
// observed_failed (starting, stopping); not found -> observed_gone. Every
// other state, UpCloud's recoverable `error` included, is no event: the
// server keeps polling until its hanging deadline.
//
// There are no wildcard rows, so grepping for a status finds every way in.
#include "actors/server_fsm.hpp"

namespace dynserv::fsm {

namespace {

using st = server_status;
using ev = server_event;
using ac = action;

// clang-format off
const std::vector<transition> rows = {
  // from           on                     to             action
  {st::pending,   ev::start_requested,    st::starting,  ac::call_create},
  {st::pending,   ev::stop_requested,     st::deleted,   ac::cancel},

  {st::starting,  ev::create_accepted,    st::starting,  ac::await_running},
  {st::starting,  ev::found_by_label,     st::starting,  ac::await_running},
  {st::starting,  ev::missing_by_label,   st::starting,  ac::call_create},
  {st::starting,  ev::observed_running,   st::running,   ac::became_running},
  {st::starting,  ev::observed_gone,      st::deleted,   ac::report_vanished},
  {st::starting,  ev::stop_requested,     st::starting,  ac::remember_stop},
  {st::starting,  ev::reboot_requested,   st::starting,  ac::remember_reboot},
  {st::starting,  ev::failed_permanently, st::errored,   ac::mark_errored},
  // The provider reports the create failed at the cloud for good (Hetzner or
  // DigitalOcean failed create action): error now, not at the deadline. A
  // recoverable `error` state (UpCloud) is no event: polling goes on.
  {st::starting,  ev::observed_failed,    st::errored,   ac::mark_errored},
  {st::starting,  ev::deadline_passed,    st::hanging,   ac::mark_hanging},

  {st::running,   ev::stop_requested,     st::stopping,  ac::call_stop},
  {st::running,   ev::reboot_requested,   st::rebooting, ac::call_reboot},
  {st::running,   ev::observed_gone,      st::deleted,   ac::report_vanished},

  {st::rebooting, ev::reboot_accepted,    st::rebooting, ac::await_rebooted},
  {st::rebooting, ev::observed_running,   st::running,   ac::became_running},
  {st::rebooting, ev::reboot_requested,   st::rebooting, ac::remember_reboot},
  {st::rebooting, ev::stop_requested,     st::rebooting, ac::remember_stop},
  {st::rebooting, ev::observed_gone,      st::deleted,   ac::report_vanished},
  {st::rebooting, ev::failed_permanently, st::errored,   ac::mark_errored},
  {st::rebooting, ev::deadline_passed,    st::hanging,   ac::mark_hanging},

  {st::stopping,  ev::stop_accepted,      st::stopping,  ac::await_stopped},
  {st::stopping,  ev::observed_stopped,   st::stopped,   ac::request_delete},
  {st::stopping,  ev::observed_gone,      st::deleted,   ac::finish},
  {st::stopping,  ev::failed_permanently, st::errored,   ac::mark_errored},
  {st::stopping,  ev::deadline_passed,    st::hanging,   ac::mark_hanging},
  // A server that never came up cannot be stopped; delete it instead.
  {st::stopping,  ev::delete_requested,   st::deleting,  ac::call_delete},
  // Nor can one whose create failed at the cloud (remediation stops it).
  {st::stopping,  ev::observed_failed,    st::deleting,  ac::call_delete},

  {st::stopped,   ev::delete_requested,   st::deleting,  ac::call_delete},
  {st::stopped,   ev::observed_gone,      st::deleted,   ac::finish},

  {st::deleting,  ev::delete_accepted,    st::deleting,  ac::await_gone},
  {st::deleting,  ev::observed_gone,      st::deleted,   ac::finish},
  // The provider refuses to delete a running server: stop it first.
  {st::deleting,  ev::stop_requested,     st::stopping,  ac::call_stop},
  {st::deleting,  ev::failed_permanently, st::errored,   ac::mark_errored},
  {st::deleting,  ev::deadline_passed,    st::hanging,   ac::mark_hanging},

  // Errored and hanging servers may still exist and bill: an operator (or
  // remediation) stops and deletes them; a not-found answer ends them.
  {st::errored,   ev::stop_requested,     st::stopping,  ac::call_stop},
  {st::errored,   ev::observed_gone,      st::deleted,   ac::finish},
  {st::hanging,   ev::stop_requested,     st::stopping,  ac::call_stop},
  {st::hanging,   ev::observed_gone,      st::deleted,   ac::finish},
};
// clang-format on

constexpr const char* action_names[] = {
  "none",
  "call_create",
  "await_running",
  "became_running",
  "remember_reboot",
  "remember_stop",
  "cancel",
  "call_stop",
  "await_stopped",
  "request_delete",
  "call_delete",
  "await_gone",
  "call_reboot",
  "await_rebooted",
  "finish",
  "report_vanished",
  "mark_errored",
  "mark_hanging",
};

} // namespace

const char* to_string(action x) {
  return action_names[static_cast<size_t>(x)];
}

std::optional<transition> step(server_status from, server_event on) {
  for (const auto& row : rows)
    if (row.from == from && row.on == on)
      return row;
  return std::nullopt;
}

const std::vector<transition>& table() {
  return rows;
}

} // namespace dynserv::fsm
