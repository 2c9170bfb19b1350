// Plain data types that cross actor boundaries (and later node boundaries).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "caf/meta/type_name.hpp"

#include "messages/status.hpp"

namespace dynserv {

/// Labels attached to a server at the provider (`dynserv-id`, ...).
using label_map = std::map<std::string, std::string>;

/// Label keys dynserv puts on every server it creates.
namespace labels {
constexpr const char* owner = "dynserv-owner";
constexpr const char* id = "dynserv-id";
constexpr const char* pool = "dynserv-pool";
} // namespace labels

// -- provider vocabulary ------------------------------------------------------

/// How a provider call failed; decides between retry, poll and `errored`.
enum class error_kind : uint8_t {
  /// The call succeeded.
  none,
  /// Timeouts, 5xx, dropped connections: retry with backoff.
  transient,
  /// 429 or an exhausted local budget: retry after `retry_after_ms`.
  rate_limited,
  /// The server is busy with another transition (409/423/422): retry.
  conflict,
  /// The provider says the server does not exist.
  not_found,
  /// The call may or may not have taken effect (e.g. create answer lost).
  outcome_unknown,
  /// Validation, auth or quota errors: do not retry.
  permanent,
};

/// Returns a lower-case name such as "transient".
const char* to_string(error_kind x);

/// True for kinds that a retry with backoff can fix.
bool is_retryable(error_kind x);

/// A failed provider call: classification plus the provider's own words.
struct provider_error {
  error_kind kind = error_kind::none;
  /// The provider's error code, e.g. "SERVER_NOT_FOUND" or "429".
  std::string code;
  std::string message;
  /// Minimum wait before retrying, 0 if the provider did not say.
  int64_t retry_after_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, provider_error& x) {
  return f(caf::meta::type_name("provider_error"), x.kind, x.code, x.message,
           x.retry_after_ms);
}

/// Provider-neutral state of a server as the provider reports it.
enum class cloud_state : uint8_t {
  provisioning,
  running,
  stopping,
  stopped,
  rebooting,
  deleting,
  /// A state the provider may recover from (UpCloud's `error`).
  error,
  unknown,
  /// The create failed at the cloud for good (a failed create action at
  /// Hetzner or DigitalOcean): the server will never run. The reason is in
  /// `cloud_server::failure`.
  failed,
};

/// Returns a lower-case name such as "provisioning".
const char* to_string(cloud_state x);

/// A server as seen by the provider.
struct cloud_server {
  /// The provider's own identifier (UUID, integer id, ...).
  std::string provider_id;
  std::string name;
  label_map labels;
  cloud_state state = cloud_state::unknown;
  /// The provider's state word before mapping, e.g. "maintenance".
  std::string raw_state;
  int64_t created_at_ms = 0;
  /// Set with `cloud_state::failed`: the provider's code and message of the
  /// failure (kind `permanent`); kind `none` otherwise.
  provider_error failure;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cloud_server& x) {
  return f(caf::meta::type_name("cloud_server"), x.provider_id, x.name,
           x.labels, x.state, x.raw_state, x.created_at_ms, x.failure);
}

/// Everything a provider needs to create one server.
struct create_request {
  /// The dynserv id (UUID chosen before any API call).
  std::string server_id;
  /// Name at the provider, derived from pool and id.
  std::string name;
  std::string pool;
  label_map labels;
  /// The pool's `server` object from the config as JSON text: the
  /// provider-specific shape of the server (zone, plan, image, ...).
  std::string spec{};
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, create_request& x) {
  return f(caf::meta::type_name("create_request"), x.server_id, x.name, x.pool,
           x.labels, x.spec);
}

/// What a provider's rate-limit headers said on the last response of a
/// call (RateLimit-* on Hetzner, ratelimit-* on DigitalOcean).
struct rate_budget {
  /// Requests allowed per window; -1 when the provider did not say.
  int64_t limit = -1;
  /// Requests left; -1 when the provider did not say.
  int64_t remaining = -1;
  /// Wall-clock ms since the epoch when the budget is full again (Hetzner)
  /// or the oldest counted request expires (DigitalOcean); 0 if unknown.
  int64_t reset_at_ms = 0;

  bool known() const {
    return remaining >= 0;
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rate_budget& x) {
  return f(caf::meta::type_name("rate_budget"), x.limit, x.remaining,
           x.reset_at_ms);
}

/// Answer of the provider actor to every call: an error (kind `none` on
/// success) and the servers the call returned (create/get: one; list: all).
struct provider_reply {
  provider_error error;
  std::vector<cloud_server> servers;
  /// API requests the call made (a paginated list makes several; a create
  /// resolved by a lookup makes two). The provider actor charges its token
  /// bucket for each.
  uint32_t requests = 1;
  /// The provider's own view of the budget after the call.
  rate_budget budget{};

  bool ok() const {
    return error.kind == error_kind::none;
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, provider_reply& x) {
  return f(caf::meta::type_name("provider_reply"), x.error, x.servers,
           x.requests, x.budget);
}

// -- records kept in the store ------------------------------------------------

/// Everything dynserv knows about one server; snapshotted on every transition.
struct server_record {
  /// dynserv's own id, a UUID chosen before any API call.
  std::string id;
  /// Name at the provider.
  std::string name;
  std::string pool;
  /// Name of the provider account in the config.
  std::string provider;
  server_status status = server_status::pending;
  server_status previous_status = server_status::pending;
  /// Wall-clock time of the last status change, ms since the epoch.
  int64_t status_since_ms = 0;
  int64_t created_at_ms = 0;
  /// Creation time reported by the provider (0 until known); "newest first"
  /// means newest at the provider.
  int64_t provider_created_at_ms = 0;
  /// The provider's id once known.
  std::string provider_id;
  /// True once the provider accepted the call that the current status
  /// announces (create, stop, delete or reboot).
  bool call_accepted = false;
  /// Create calls sent so far; a value above zero without a provider id means
  /// the outcome is unknown and must be resolved by label lookup.
  uint32_t create_attempts = 0;
  /// A reboot was asked for while starting or rebooting.
  bool reboot_requested = false;
  /// A stop was asked for while starting; it happens once running.
  bool stop_requested = false;
  /// Consecutive retryable failures of the current call.
  uint32_t retries = 0;
  /// Details of the last error (kept after recovery for diagnosis).
  error_kind last_error_kind = error_kind::none;
  std::string last_error_code;
  std::string last_error_message;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, server_record& x) {
  return f(caf::meta::type_name("server_record"), x.id, x.name, x.pool,
           x.provider, x.status, x.previous_status, x.status_since_ms,
           x.created_at_ms, x.provider_created_at_ms, x.provider_id,
           x.call_accepted, x.create_attempts, x.reboot_requested,
           x.stop_requested, x.retries, x.last_error_kind, x.last_error_code,
           x.last_error_message);
}

/// A rolling reboot of one pool. Kept in the pool record, so a restarted
/// node carries on with the servers that were not rebooted yet.
struct rollout_record {
  /// "none" (never ran), "running", "finished" or "aborted".
  std::string state = "none";
  /// `max_unavailable` as asked: a count ("2") or a percentage ("25%").
  std::string max_unavailable_spec;
  /// Resolved against the servers in the rollout: rebooting at once, >= 1.
  int64_t max_unavailable = 1;
  int64_t started_at_ms = 0;
  /// When it finished or was aborted; 0 while running.
  int64_t finished_at_ms = 0;
  /// Servers of the rollout not rebooted yet, oldest first. Starting and
  /// rebooting ones wait here until they are running (the original's
  /// deferred reboot).
  std::vector<std::string> waiting;
  /// Servers whose reboot was sent and that are not running again yet.
  std::vector<std::string> rebooting;
  /// Servers in the rollout when it started.
  int64_t total = 0;
  /// Servers rebooted and running again.
  int64_t done = 0;
  /// Servers that left the rollout: stopped, errored, hanging or gone.
  int64_t skipped = 0;

  bool running() const {
    return state == "running";
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rollout_record& x) {
  return f(caf::meta::type_name("rollout_record"), x.state,
           x.max_unavailable_spec, x.max_unavailable, x.started_at_ms,
           x.finished_at_ms, x.waiting, x.rebooting, x.total, x.done,
           x.skipped);
}

/// The circuit breaker of a pool's creates. The state and backoff are kept
/// in the pool record; the window counts are reported only.
struct breaker_record {
  /// "closed" (creating), "open" (not creating until `open_until_ms`) or
  /// "half_open" (one probe create in flight decides).
  std::string state = "closed";
  /// While open: wall-clock ms when one probe create is allowed.
  int64_t open_until_ms = 0;
  /// Length of the current (or last) opening; doubles on each failed probe
  /// up to the pool's `circuit_breaker.backoff_max`.
  int64_t backoff_ms = 0;
  /// Times the breaker opened since the pool was first created.
  int64_t trips = 0;
  /// Why it last opened, e.g. "4 of the last 5 creates failed or hung".
  std::string reason;
  /// Reported only: recent create outcomes in the window and how many of
  /// them failed or hung.
  int64_t window_creates = 0;
  int64_t window_failures = 0;

  bool open() const {
    return state == "open";
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, breaker_record& x) {
  return f(caf::meta::type_name("breaker_record"), x.state, x.open_until_ms,
           x.backoff_ms, x.trips, x.reason, x.window_creates,
           x.window_failures);
}

/// The persisted desired count of one pool.
struct pool_record {
  std::string name;
  /// The count the pool reconciles towards.
  int64_t desired = 0;
  /// The value last applied from the config file; a different value in the
  /// file overrides a count set at run time.
  int64_t file_desired = -1;
  int64_t updated_at_ms = 0;
  /// The pool's policy is paused: its decisions are recorded, not applied.
  bool paused = false;
  /// The current or last rolling reboot.
  rollout_record rollout{};
  /// The circuit breaker of the pool's creates.
  breaker_record breaker{};
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pool_record& x) {
  return f(caf::meta::type_name("pool_record"), x.name, x.desired,
           x.file_desired, x.updated_at_ms, x.paused, x.rollout, x.breaker);
}

/// One guardrail that changed a policy's count, and why.
struct guardrail_step {
  /// Which guardrail: pool_bounds, max_servers, scale_up_step,
  /// max_in_flight, stabilization, cooldown, api_budget.
  std::string name;
  int64_t before = 0;
  int64_t after = 0;
  /// E.g. "max 9 by limits.max_servers (11 of 20 in use)".
  std::string why;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, guardrail_step& x) {
  return f(caf::meta::type_name("guardrail_step"), x.name, x.before, x.after,
           x.why);
}

/// One evaluation of a pool's policy: what it wanted, what the guardrails
/// made of it, and what was done. Kept for `policy.decision_retention`.
struct decision_record {
  std::string pool;
  /// Wall-clock ms of the evaluation; unique per pool (the key).
  int64_t at_ms = 0;
  /// The policy kind, e.g. "http_metric".
  std::string policy;
  /// What the count is based on (metric value, schedule window, error).
  std::string input;
  /// The policy's count; -1 if it had none (metric unavailable).
  int64_t wanted = -1;
  /// The guardrails that changed the count, in order.
  std::vector<guardrail_step> steps;
  /// The count after the guardrails (the held count without `wanted`).
  int64_t result = 0;
  /// The pool's desired count before this decision.
  int64_t previous_desired = 0;
  /// Active (pending, starting, running, rebooting) servers, and how many
  /// of them are still being created (pending or starting).
  int64_t active = 0;
  int64_t starting = 0;
  /// "applied", "dry_run", "paused", "held" or "failed".
  std::string mode;
  /// True if the desired count changed because of this decision.
  bool applied = false;
  /// What was done, e.g. "creating 6", "stopping 2", "no change".
  std::string action;
  /// One line: "wanted 12; max 9 by limits.max_servers; 3 starting;
  /// creating 6".
  std::string summary;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, decision_record& x) {
  return f(caf::meta::type_name("decision_record"), x.pool, x.at_ms, x.policy,
           x.input, x.wanted, x.steps, x.result, x.previous_desired, x.active,
           x.starting, x.mode, x.applied, x.action, x.summary);
}

/// One entry of the event log. Reasons are CamelCase (`ServerRunning`).
struct event_record {
  /// Assigned by the snapshot actor when the event is committed.
  uint64_t seq = 0;
  int64_t at_ms = 0;
  std::string reason;
  std::string pool;
  std::string server_id;
  /// Status names for ServerStatusChanged, empty otherwise.
  std::string from;
  std::string to;
  std::string message;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_record& x) {
  return f(caf::meta::type_name("event_record"), x.seq, x.at_ms, x.reason,
           x.pool, x.server_id, x.from, x.to, x.message);
}

/// The delivery cursor of one webhook: every event up to and including `seq`
/// was answered 2xx by the receiver (or filtered out). Kept under
/// `w/<name>` and written only after the receiver's answer.
struct webhook_cursor {
  /// The webhook's name (its key in the config's `webhooks`).
  std::string name;
  uint64_t seq = 0;
  int64_t updated_at_ms = 0;
  /// In replies of the snapshot actor only: whether a cursor was stored.
  bool found = false;
  /// In replies of the snapshot actor only: the seq of the last committed
  /// event (the end of the log).
  uint64_t last_seq = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, webhook_cursor& x) {
  return f(caf::meta::type_name("webhook_cursor"), x.name, x.seq,
           x.updated_at_ms, x.found, x.last_seq);
}

// -- replies ------------------------------------------------------------------

/// Answer to ensure, increase and decrease.
struct scale_reply {
  std::string pool;
  int64_t previous_desired = 0;
  int64_t desired = 0;
  /// Why the applied count differs from the asked one (clamped), if it does.
  std::string note;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scale_reply& x) {
  return f(caf::meta::type_name("scale_reply"), x.pool, x.previous_desired,
           x.desired, x.note);
}

/// Node-wide limits as reported to operators.
struct limits_info {
  int64_t max_servers = 0;
  /// Servers that exist or may exist (never above max_servers).
  int64_t allocated = 0;
  /// Pools whose last request for servers was cut by the limit.
  std::vector<std::string> limited_pools;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, limits_info& x) {
  return f(caf::meta::type_name("limits_info"), x.max_servers, x.allocated,
           x.limited_pools);
}

/// A pool as reported by status queries.
struct pool_status {
  std::string name;
  std::string provider;
  int64_t desired = 0;
  int64_t min = 0;
  int64_t max = 0;
  /// Count per status, indexed by `server_status`.
  std::vector<int64_t> counts;
  std::vector<server_record> servers;
  /// The policy kind ("external" when none runs).
  std::string policy = "external";
  /// The policy is paused (pool record flag).
  bool paused = false;
  /// The policy only records decisions (config `dry_run`).
  bool dry_run = false;
  /// Servers that count towards `desired` (pending, starting, running,
  /// rebooting, not asked to stop).
  int64_t active = 0;
  /// The current or last rolling reboot.
  rollout_record rollout{};
  /// The circuit breaker of the pool's creates.
  breaker_record breaker{};
  /// Servers past the pool's `max_lifetime` (0 when it has none).
  int64_t expired = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pool_status& x) {
  return f(caf::meta::type_name("pool_status"), x.name, x.provider, x.desired,
           x.min, x.max, x.counts, x.servers, x.policy, x.paused, x.dry_run,
           x.active, x.rollout, x.breaker, x.expired);
}

/// What a webhook actor reports about its deliveries (no secret, and the
/// URL reduced to scheme, host and port).
struct webhook_status {
  std::string name;
  /// `scheme://host[:port]/...` of the receiver.
  std::string url;
  /// Every event up to this seq was delivered (or filtered out).
  uint64_t cursor = 0;
  /// The cursor as last written to the store.
  uint64_t persisted_cursor = 0;
  /// The end of the event log as last seen by the webhook.
  uint64_t last_seq = 0;
  /// Events delivered since the node started.
  uint64_t delivered = 0;
  /// Failed attempts since the node started.
  uint64_t failures = 0;
  /// Consecutive failed attempts at the current event (0 when healthy).
  uint32_t attempts = 0;
  /// Seq of the event being delivered or retried; 0 when idle.
  uint64_t pending_seq = 0;
  std::string last_error;
  /// Wall-clock ms of the next attempt when retrying, else 0.
  int64_t next_retry_at_ms = 0;
  /// Wall-clock ms of the last 2xx answer, 0 if none yet.
  int64_t last_success_at_ms = 0;

  /// Events after the cursor: last_seq - cursor (0 if the cursor is ahead).
  uint64_t lag() const {
    return last_seq > cursor ? last_seq - cursor : 0;
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, webhook_status& x) {
  return f(caf::meta::type_name("webhook_status"), x.name, x.url, x.cursor,
           x.persisted_cursor, x.last_seq, x.delivered, x.failures, x.attempts,
           x.pending_seq, x.last_error, x.next_retry_at_ms,
           x.last_success_at_ms);
}

} // namespace dynserv
