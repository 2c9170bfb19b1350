// What a provider's answer means for a server, derived without side effects.
//
// Which observation means what (docs/lifecycle.md#what-the-provider-reports):
// - `running` ends starting and rebooting (`observed_running`);
// - `stopped` ends stopping (`observed_stopped`);
// - `failed`, a create that failed at the cloud for good, ends starting in
//   `errored` and turns a stop into a delete (`observed_failed`);
// - a not-found answer means the server is gone (`observed_gone`);
// - anything else, UpCloud's recoverable `error` included, means "not there
//   yet": poll again until the status's hanging deadline.
#include "actors/server_replies.hpp"

#include <iterator>
#include <string>

namespace dynserv {

namespace {

constexpr const char* effect_names[] = {
  "apply_event", "retry",          "proceed",
  "persist",     "uncount_create", "check_server",
};

static_assert(std::size(effect_names)
              == static_cast<size_t>(reply_effect::check_server) + 1);

reply_outcome outcome(reply_effect effect, const char* why,
                      provider_error err = {}) {
  reply_outcome result;
  result.effect = effect;
  result.error = std::move(err);
  result.why = why;
  return result;
}

reply_outcome event(server_event ev, const char* why, provider_error err = {}) {
  auto result = outcome(reply_effect::apply_event, why, std::move(err));
  result.event = ev;
  return result;
}

bool failed_at_cloud(const provider_reply& reply) {
  return !reply.servers.empty()
         && reply.servers.front().state == cloud_state::failed;
}

reply_outcome on_create(const provider_reply& reply) {
  const auto& err = reply.error;
  if (reply.ok() && failed_at_cloud(reply))
    return event(server_event::observed_failed,
                 "the create failed at the cloud for good",
                 failure_of(reply.servers.front()));
  if (reply.ok() && !reply.servers.empty())
    return event(server_event::create_accepted,
                 "the provider accepted the create");
  if (reply.ok() || err.kind == error_kind::outcome_unknown)
    return outcome(reply_effect::proceed,
                   "the create's outcome is unknown; look it up by label");
  if (err.kind == error_kind::transient && err.code == "queued")
    return outcome(reply_effect::uncount_create,
                   "the create waited past the call timeout in the provider "
                   "actor's queue and was never sent",
                   err);
  if (err.kind == error_kind::permanent || err.kind == error_kind::not_found)
    return event(server_event::failed_permanently, "no retry fixes this create",
                 err);
  return outcome(reply_effect::retry,
                 "the create may have happened; a lookup follows the backoff",
                 err);
}

reply_outcome on_lookup(const server_record& rec, const provider_reply& reply) {
  if (!reply.ok())
    return outcome(reply_effect::retry, "the lookup failed", reply.error);
  if (rec.status != server_status::starting) {
    // Stopping a server whose create never told us its provider id
    // (errored or hanging while starting): find it by label first.
    if (reply.servers.empty())
      return event(server_event::observed_gone,
                   "no server carries its label: it was never created");
    auto result = outcome(reply_effect::persist,
                          "found by label; keep its provider id to stop it");
    result.adopt = true;
    return result;
  }
  if (reply.servers.empty())
    return event(server_event::missing_by_label,
                 "no server carries its label: the create never happened");
  auto result = failed_at_cloud(reply)
                  ? event(server_event::observed_failed,
                          "found by label, and its create failed for good",
                          failure_of(reply.servers.front()))
                  : event(server_event::found_by_label,
                          "found by label after an unknown create outcome");
  result.adopt = true;
  return result;
}

/// A `get` after a conflict: is the call we made under way, or does the
/// server need another call first?
reply_outcome on_conflict_check(const server_record& rec, cloud_state state) {
  auto status = rec.status;
  if (status == server_status::stopping && state == cloud_state::provisioning)
    return event(server_event::delete_requested,
                 "a server that never came up cannot be stopped; delete it");
  if (status == server_status::deleting && state == cloud_state::running)
    return event(server_event::stop_requested,
                 "a running server cannot be deleted; stop it first");
  if (status == server_status::stopping && state == cloud_state::stopping)
    return event(server_event::stop_accepted, "the stop is under way");
  if (status == server_status::deleting && state == cloud_state::deleting)
    return event(server_event::delete_accepted, "the delete is under way");
  if (status == server_status::rebooting && state == cloud_state::rebooting)
    return event(server_event::reboot_accepted, "the reboot is under way");
  return outcome(reply_effect::retry, "the server is busy",
                 provider_error{error_kind::conflict, "busy",
                                std::string{"server is "} + to_string(state),
                                0});
}

reply_outcome on_observe(server_call call, const server_record& rec,
                         const provider_reply& reply) {
  if (reply.error.kind == error_kind::not_found)
    return event(server_event::observed_gone, "the provider answers not found");
  if (!reply.ok() || reply.servers.empty())
    return outcome(reply_effect::retry, "the read failed", reply.error);
  const auto& srv = reply.servers.front();
  if (auto ev = observation(rec.status, srv.state)) {
    auto err = *ev == server_event::observed_failed ? failure_of(srv)
                                                    : provider_error{};
    return event(*ev, "the provider reports the awaited state", std::move(err));
  }
  if (call == server_call::get && !rec.call_accepted)
    return on_conflict_check(rec, srv.state);
  return outcome(reply_effect::proceed, "not there yet; poll again");
}

reply_outcome on_operation(server_call call, const provider_reply& reply) {
  const auto& err = reply.error;
  if (reply.ok()) {
    auto accepted = call == server_call::stop ? server_event::stop_accepted
                    : call == server_call::destroy
                      ? server_event::delete_accepted
                      : server_event::reboot_accepted;
    return event(accepted, "the provider accepted the call");
  }
  if (err.kind == error_kind::not_found)
    return event(server_event::observed_gone, "the provider answers not found");
  if (err.kind == error_kind::conflict)
    return outcome(reply_effect::check_server,
                   "the server is busy or already there; look before trying "
                   "again",
                   err);
  if (err.kind == error_kind::permanent)
    return event(server_event::failed_permanently, "no retry fixes this call",
                 err);
  return outcome(reply_effect::retry, "retryable failure", err);
}

} // namespace

const char* to_string(reply_effect x) {
  return effect_names[static_cast<size_t>(x)];
}

reply_outcome interpret_reply(server_call call, server_status status_at_call,
                              const server_record& rec,
                              const provider_reply& reply) {
  // A create's answer is never dropped: losing the provider id would leak.
  auto adopt_created = call == server_call::create && reply.ok()
                       && !reply.servers.empty() && rec.provider_id.empty();
  if (rec.status != status_at_call) {
    auto keep = call == server_call::create && reply.ok();
    auto result = keep ? outcome(reply_effect::persist,
                                 "a create answered after the status changed; "
                                 "keep what it says")
                       : outcome(reply_effect::proceed,
                                 "the answer belongs to a status left since");
    result.adopt = adopt_created;
    return result;
  }
  reply_outcome result;
  switch (call) {
    case server_call::create:
      result = on_create(reply);
      break;
    case server_call::lookup:
      result = on_lookup(rec, reply);
      break;
    case server_call::observe:
    case server_call::get:
      result = on_observe(call, rec, reply);
      break;
    case server_call::stop:
    case server_call::destroy:
    case server_call::reboot:
      result = on_operation(call, reply);
      break;
  }
  result.adopt = result.adopt || adopt_created;
  // A successful read (lookup, get) says nothing about the operation that
  // keeps failing; only a successful operation resets the backoff.
  result.reset_backoff = reply.ok() && call != server_call::lookup
                         && call != server_call::get;
  return result;
}

std::optional<server_event> observation(server_status status,
                                        cloud_state state) {
  switch (status) {
    case server_status::starting:
      if (state == cloud_state::running)
        return server_event::observed_running;
      if (state == cloud_state::failed)
        return server_event::observed_failed;
      return std::nullopt;
    case server_status::rebooting:
      if (state == cloud_state::running)
        return server_event::observed_running;
      return std::nullopt;
    case server_status::stopping:
      if (state == cloud_state::stopped)
        return server_event::observed_stopped;
      if (state == cloud_state::failed)
        return server_event::observed_failed;
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

provider_error failure_of(const cloud_server& srv) {
  auto err = srv.failure;
  err.kind = error_kind::permanent;
  if (err.code.empty())
    err.code = srv.raw_state.empty() ? "failed" : srv.raw_state;
  if (err.message.empty())
    err.message = "the provider reports that the create failed";
  return err;
}

} // namespace dynserv
