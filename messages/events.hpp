// Builders for the event records the actors emit (CamelCase reasons).
#pragma once

#include <string>
#include <vector>

#include "messages/types.hpp"

namespace dynserv {

/// Event reasons shown to users, following the original package's events.
namespace reason {
constexpr const char* status_changed = "ServerStatusChanged";
constexpr const char* creating = "ServerCreating";
constexpr const char* running = "ServerRunning";
constexpr const char* stopping = "ServerStopping";
constexpr const char* stopped = "ServerStopped";
constexpr const char* deleting = "ServerDeleting";
constexpr const char* deleted = "ServerDeleted";
constexpr const char* rebooting = "ServerRebooting";
constexpr const char* errored = "ServerErrored";
constexpr const char* hanging = "ServerHanging";
constexpr const char* vanished = "ServerVanished";
constexpr const char* limit_hit = "ServerLimitHit";
constexpr const char* reboot_requested = "RebootRequested";
constexpr const char* desired_changed = "DesiredCountChanged";
constexpr const char* orphan_found = "OrphanFound";
constexpr const char* orphan_adopted = "OrphanAdopted";
constexpr const char* metric_failed = "PolicyMetricFailed";
constexpr const char* metric_recovered = "PolicyMetricRecovered";
constexpr const char* policy_paused = "PolicyPaused";
constexpr const char* policy_resumed = "PolicyResumed";
constexpr const char* rollout_started = "RollingRebootStarted";
constexpr const char* rollout_skipped = "RollingRebootSkipped";
constexpr const char* rollout_finished = "RollingRebootFinished";
constexpr const char* rollout_aborted = "RollingRebootAborted";
constexpr const char* remediating = "ServerRemediating";
constexpr const char* remediation_gave_up = "RemediationGaveUp";
constexpr const char* breaker_opened = "CircuitBreakerOpened";
constexpr const char* breaker_half_open = "CircuitBreakerHalfOpen";
constexpr const char* breaker_closed = "CircuitBreakerClosed";
constexpr const char* expired = "ServerExpired";
constexpr const char* policy_restart_limit_hit = "PolicyRestartLimitHit";
} // namespace reason

/// Every reason above, in declaration order (webhook filters are checked
/// against it).
const std::vector<std::string>& event_reasons();

/// An event about one server.
event_record server_event_record(const server_record& rec, int64_t at_ms,
                                 std::string reason, std::string message = {});

/// A ServerStatusChanged event for `rec` (from its previous status).
event_record status_changed_record(const server_record& rec, int64_t at_ms);

/// An event about a pool as a whole.
event_record pool_event_record(const std::string& pool, int64_t at_ms,
                               std::string reason, std::string message);

} // namespace dynserv
