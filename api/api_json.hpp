// JSON encodings of pools, servers, events and replies, shared by the HTTP
// API and dynservctl --json so that both print the same documents (keys in
// docs/console.md and docs/http-api.md). Pure functions; no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/status.hpp"
#include "messages/types.hpp"

namespace dynserv {

/// Formats ms since the epoch as "2024-05-01T10:00:00Z" (UTC), "-" for 0.
std::string format_time(int64_t ms);

/// Like `format_time` with milliseconds: "2024-05-01T10:00:00.123Z".
std::string format_time_ms(int64_t ms);

/// Replaces invalid UTF-8 sequences with U+FFFD so that JSON stays valid.
std::string valid_utf8(std::string_view str);

/// `str` as a JSON string literal (quoted, escaped, valid UTF-8).
std::string json_string(std::string_view str);

/// Starting, running and rebooting servers of `p`.
int64_t provisioned_count(const pool_status& p);

/// The servers of `pools` in pool `pool` (all if empty) and status `status`
/// (all if none), ordered by pool, creation time and id.
std::vector<server_record> select_servers(const std::vector<pool_status>& pools,
                                          const std::string& pool,
                                          std::optional<server_status> status);

/// A pool object: name, provider, desired, min, max, provisioned, counts
/// (every status present), policy, paused, dry_run, active, expired,
/// rollout (`rollout_json`), circuit_breaker (`breaker_json`), and with
/// `with_servers` its `servers` array (ordered as by `select_servers`).
std::string pool_json(const pool_status& p, bool with_servers = false);

/// A server object with every field of `server_record`.
std::string server_json(const server_record& s);

/// An event object: seq, at, at_ms, reason, pool, server_id, from, to,
/// message.
std::string event_json(const event_record& ev);

/// A decision object: pool, at, at_ms, policy, input, wanted (null when the
/// policy had no count), steps [{name, before, after, why}], result,
/// previous_desired, active, starting, mode, applied, action, summary.
std::string decision_json(const decision_record& d);

/// {"pool","previous_desired","desired","note"}.
std::string scale_json(const scale_reply& r);

/// A rolling reboot as JSON: state, max_unavailable_spec, max_unavailable,
/// started_at_ms, finished_at_ms, total, done, skipped, rebooting and
/// waiting (arrays of server ids).
std::string rollout_json(const rollout_record& r);

/// The answer to starting or aborting a rolling reboot: {"pool"} followed
/// by the keys of `rollout_json`.
std::string reboot_json(std::string_view pool, const rollout_record& r);

/// A pool's circuit breaker as JSON.
std::string breaker_json(const breaker_record& b);

/// A webhook's delivery status: name, url (scheme://host[:port]/... only),
/// cursor, persisted_cursor, last_seq, lag, delivered, failures, attempts,
/// pending_seq, last_error, next_retry_at, next_retry_at_ms,
/// last_success_at, last_success_at_ms (times "-" and 0 when unset).
std::string webhook_json(const webhook_status& ws);

/// {"webhooks":[webhook...]} in the given order.
std::string webhooks_json(const std::vector<webhook_status>& hooks);

/// {"max_servers","allocated","available","limited_pools"}.
std::string limits_json(const limits_info& info);

/// {"error":{"code":...,"message":...}}.
std::string error_json(std::string_view code, std::string_view message);

} // namespace dynserv
