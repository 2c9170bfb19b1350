// The next step of a server actor, derived from its record alone.
//
// The record says where the server is (status), whether the provider accepted
// the call that status announces (`call_accepted`), and whether a create may
// have happened without us learning the provider id (`create_attempts` > 0
// with no `provider_id`). The only facts outside the record are what is in
// flight and where this incarnation's create stands (`server_activity`).
#include "actors/server_calls.hpp"

#include <iterator>

namespace dynserv {

namespace {

constexpr const char* call_names[] = {
  "create", "lookup", "observe", "get", "stop", "destroy", "reboot",
};

constexpr const char* step_names[] = {
  "none",     "count_create", "create",     "lookup",
  "observe",  "stop",         "reboot",     "destroy",
  "ask_stop", "ask_reboot",   "ask_delete", "assume_gone",
};

static_assert(std::size(step_names)
              == static_cast<size_t>(next_step::assume_gone) + 1);

step_plan plan_starting(const server_record& rec, const server_activity& act) {
  if (rec.call_accepted)
    return {next_step::observe, "create accepted; poll until running"};
  switch (act.create) {
    case create_step::counted:
      return {next_step::create, "the durable record counts this create"};
    case create_step::dropped:
      return {next_step::count_create,
              "the last create never left the provider actor; count a new "
              "one before sending it"};
    case create_step::none:
      break;
  }
  if (rec.create_attempts > 0)
    return {next_step::lookup,
            "a create may have happened (answer lost or node restarted); "
            "look for it by label instead of creating twice"};
  return {next_step::count_create,
          "first create; count it and persist before sending it"};
}

step_plan plan_stopping(const server_record& rec) {
  if (rec.provider_id.empty() && rec.create_attempts > 0)
    return {next_step::lookup,
            "a create may have happened without a provider id; find the "
            "server by label to stop it"};
  if (rec.provider_id.empty())
    return {next_step::assume_gone, "never created; nothing to stop"};
  if (rec.call_accepted)
    return {next_step::observe, "stop accepted; poll until stopped"};
  return {next_step::stop, "stop the server"};
}

} // namespace

const char* to_string(server_call x) {
  return call_names[static_cast<size_t>(x)];
}

const char* to_string(next_step x) {
  return step_names[static_cast<size_t>(x)];
}

std::optional<server_call> call_of(next_step x) {
  switch (x) {
    case next_step::create:
      return server_call::create;
    case next_step::lookup:
      return server_call::lookup;
    case next_step::observe:
      return server_call::observe;
    case next_step::stop:
      return server_call::stop;
    case next_step::reboot:
      return server_call::reboot;
    case next_step::destroy:
      return server_call::destroy;
    default:
      return std::nullopt;
  }
}

std::optional<server_event> event_of(next_step x) {
  switch (x) {
    case next_step::ask_stop:
      return server_event::stop_requested;
    case next_step::ask_reboot:
      return server_event::reboot_requested;
    case next_step::ask_delete:
      return server_event::delete_requested;
    case next_step::assume_gone:
      return server_event::observed_gone;
    default:
      return std::nullopt;
  }
}

step_plan plan_next_step(const server_record& rec, const server_activity& act) {
  if (act.persisting)
    return {next_step::none, "a persist is in flight; calls follow it"};
  if (act.persist_failed)
    return {next_step::none, "the last persist failed; waiting for its retry"};
  if (act.calling)
    return {next_step::none, "one provider call at a time"};
  if (act.retry_armed)
    return {next_step::none, "waiting for the retry timer"};
  switch (rec.status) {
    case server_status::pending:
      return {next_step::none, "not started yet"};
    case server_status::starting:
      return plan_starting(rec, act);
    case server_status::running:
      if (rec.stop_requested)
        return {next_step::ask_stop, "a stop was asked for while starting"};
      if (rec.reboot_requested)
        return {next_step::ask_reboot,
                "a reboot was asked for while not running"};
      return {next_step::none, "running; nothing to poll"};
    case server_status::rebooting:
      if (rec.call_accepted)
        return {next_step::observe, "reboot accepted; poll until running"};
      return {next_step::reboot, "reboot the server"};
    case server_status::stopping:
      return plan_stopping(rec);
    case server_status::stopped:
      return {next_step::ask_delete, "stopped servers are deleted"};
    case server_status::deleting:
      if (rec.call_accepted)
        return {next_step::observe, "delete accepted; poll until gone"};
      return {next_step::destroy, "delete the server"};
    case server_status::deleted:
      return {next_step::none, "final"};
    case server_status::errored:
      return {next_step::none, "left for remediation or an operator"};
    case server_status::hanging:
      return {next_step::none, "left for remediation or an operator"};
  }
  return {next_step::none, "unknown status"};
}

} // namespace dynserv
