// Text and JSON renderings of the admin session's replies, as printed by
// dynservctl. Pure functions over messages/types.hpp (no CAF runtime, no I/O);
// every result ends with a newline. The JSON keys are documented in
// docs/console.md and are stable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/api_json.hpp"
#include "messages/status.hpp"
#include "messages/types.hpp"

namespace dynserv::console {

// -- helpers ------------------------------------------------------------------

// Times and UTF-8 repair are shared with the HTTP API (api/api_json.hpp).
using dynserv::format_time;
using dynserv::format_time_ms;
using dynserv::valid_utf8;

/// Escapes control characters as \xNN (other bytes stay), so that text from
/// the node cannot move the cursor or change colours.
std::string sanitize(std::string_view str);

/// Lays out rows under a header: columns padded to their widest cell and
/// separated by two blanks; empty cells print as "-".
std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows);

using dynserv::select_servers;

/// Returns the `describe()` text of the node's unknown_pool error if `name`
/// is not one of `pools`, in the node's own words.
std::optional<std::string>
unknown_pool_message(const std::vector<pool_status>& pools,
                     const std::string& name);

/// What needs attention in pool `p`, one phrase each (empty when nothing
/// does): a running rolling reboot ("rolling reboot 3/12 done, 2
/// rebooting"), a circuit breaker that is not closed ("circuit breaker open
/// until TIME (REASON)"), servers past max_lifetime ("2 servers past
/// max_lifetime"). `pools` and `status` print them under the table.
std::vector<std::string> pool_notes(const pool_status& p);

// -- replies ------------------------------------------------------------------

/// `status`: the pools table, then the servers table.
std::string format_status(const std::vector<pool_status>& pools, bool json);

/// `pools`: one line per pool.
std::string format_pools(const std::vector<pool_status>& pools, bool json);

/// `servers`: one line per server.
std::string format_servers(const std::vector<server_record>& servers,
                           bool json);

/// `server ID`: one server in detail.
std::string format_server(const server_record& rec, bool json);

/// `ensure`, `increase`, `decrease`.
std::string format_scale(const scale_reply& reply, bool json);

/// `reboot` and `reboot --abort`: the pool's rolling reboot; JSON as the
/// HTTP API's answer (`reboot_json`).
std::string format_rollout(const std::string& pool, const rollout_record& r,
                           bool json);

/// `stop ID`: the server's record after the stop was accepted.
std::string format_stop(const server_record& rec, bool json);

/// `limits`.
std::string format_limits(const limits_info& info, bool json);

/// `webhooks`: one line per webhook (NAME, URL, CURSOR "cursor/last_seq",
/// LAG, DELIVERED, FAILURES, NEXT RETRY, LAST ERROR), or {"webhooks":[...]}
/// as the HTTP API prints it.
std::string format_webhooks(const std::vector<webhook_status>& hooks,
                            bool json);

/// `decisions`: one line per decision, newest first ("TIME MODE PREV->NEW
/// SUMMARY"), or {"pool", "decisions": [...]} as the HTTP API prints them.
std::string format_decisions(const std::string& pool,
                             const std::vector<decision_record>& decisions,
                             bool json);

/// `pause` and `resume`: the pool's new state, or its pool object.
std::string format_pause(const pool_status& pool, bool json);

/// `events` without --follow: every event, and (JSON) the seq to resume
/// after (`last_seq`, at least `since`).
std::string format_events(const std::vector<event_record>& events,
                          uint64_t since, bool json);

/// One event as printed by `events --follow`: a line of text, or one JSON
/// object per line (JSON Lines).
std::string format_event_line(const event_record& ev, bool json);

} // namespace dynserv::console
