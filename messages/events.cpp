// Builders for the event records the actors emit.
#include "messages/events.hpp"

namespace dynserv {

const std::vector<std::string>& event_reasons() {
  static const std::vector<std::string> result{
    reason::status_changed,
    reason::creating,
    reason::running,
    reason::stopping,
    reason::stopped,
    reason::deleting,
    reason::deleted,
    reason::rebooting,
    reason::errored,
    reason::hanging,
    reason::vanished,
    reason::limit_hit,
    reason::reboot_requested,
    reason::desired_changed,
    reason::orphan_found,
    reason::orphan_adopted,
    reason::metric_failed,
    reason::metric_recovered,
    reason::policy_paused,
    reason::policy_resumed,
    reason::rollout_started,
    reason::rollout_skipped,
    reason::rollout_finished,
    reason::rollout_aborted,
    reason::remediating,
    reason::remediation_gave_up,
    reason::breaker_opened,
    reason::breaker_half_open,
    reason::breaker_closed,
    reason::expired,
    reason::policy_restart_limit_hit,
  };
  return result;
}

event_record server_event_record(const server_record& rec, int64_t at_ms,
                                 std::string reason, std::string message) {
  event_record ev;
  ev.at_ms = at_ms;
  ev.reason = std::move(reason);
  ev.pool = rec.pool;
  ev.server_id = rec.id;
  ev.message = std::move(message);
  return ev;
}

event_record status_changed_record(const server_record& rec, int64_t at_ms) {
  auto ev = server_event_record(rec, at_ms, reason::status_changed);
  ev.from = to_string(rec.previous_status);
  ev.to = to_string(rec.status);
  return ev;
}

event_record pool_event_record(const std::string& pool, int64_t at_ms,
                               std::string reason, std::string message) {
  event_record ev;
  ev.at_ms = at_ms;
  ev.reason = std::move(reason);
  ev.pool = pool;
  ev.message = std::move(message);
  return ev;
}

} // namespace dynserv
