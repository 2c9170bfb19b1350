// Plumbing shared by the HTTP cloud providers: authentication, the request
// session, rate-limit and Retry-After headers, error mapping, JSON helpers.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Forward declarations only; the providers' sources include the rest.
#include <rapidjson/fwd.h>

#include "http/http_client.hpp"
#include "messages/types.hpp"

namespace dynserv::http_support {

/// Milliseconds since the epoch. Injected so that tests control time.
using clock_fn = std::function<int64_t()>;

/// Returns the system clock as a `clock_fn`.
clock_fn system_clock_ms();

// -- authentication -----------------------------------------------------------

/// Standard base64 with padding.
std::string base64_encode(std::string_view in);

/// Returns "Basic <base64(user:password)>".
std::string basic_auth(std::string_view user, std::string_view password);

/// Returns "Bearer <token>".
std::string bearer_auth(std::string_view token);

// -- time and headers ---------------------------------------------------------

/// Parses an HTTP date (IMF-fixdate, RFC 850 or asctime) into ms since the
/// epoch.
std::optional<int64_t> parse_http_date(std::string_view x);

/// Parses an RFC 3339 timestamp ("2024-05-10T12:00:00Z", offsets and
/// fractions allowed) into ms since the epoch.
std::optional<int64_t> parse_rfc3339(std::string_view x);

/// Parses a Retry-After value (delta seconds or an HTTP date) into a wait in
/// ms from `now_ms` (never negative); nullopt when malformed.
std::optional<int64_t> parse_retry_after(std::string_view x, int64_t now_ms);

/// Reads `RateLimit-Limit/Remaining/Reset` (any case; Reset in unix
/// seconds). Fields that are missing or malformed stay unknown.
rate_budget parse_rate_budget(const http_headers& headers);

/// True if the response carries at least one rate-limit header.
bool has_rate_budget(const http_headers& headers);

// -- errors -------------------------------------------------------------------

/// Builds an error value.
provider_error make_error(error_kind kind, std::string code,
                          std::string message, int64_t retry_after_ms = 0);

/// Maps an exchange that produced no HTTP response. `connect`: nothing was
/// sent, transient. `lost`: outcome unknown for a create (`is_create`),
/// transient otherwise. `protocol`: transient "bad_response". `invalid`:
/// permanent (bad options; retrying cannot help).
provider_error transport_error(const http_result& result, bool is_create);

/// Returns at most `max` bytes of `body` with control characters replaced,
/// for error messages about unexpected answers.
std::string excerpt(std::string_view body, size_t max = 200);

/// Transient error "bad_response" saying `what` was wrong with the answer to
/// an HTTP `status`, with an excerpt of the body.
provider_error bad_response(int status, std::string_view what,
                            std::string_view body);

/// Wait derived for a 429: Retry-After when present, else until the reset
/// time when the budget says nothing is left and `until_reset` is set, else
/// `fallback_ms`.
int64_t rate_limit_wait(const http_response& rsp, int64_t now_ms,
                        bool until_reset, int64_t fallback_ms);

// -- the request session ------------------------------------------------------

/// Sends requests to one provider API with the account's credentials.
class api_client {
public:
  /// `authorization` is the full header value; it never appears in errors.
  api_client(std::unique_ptr<http_transport> transport,
             std::string authorization, clock_fn clock);

  /// Sends one request with `Authorization`, `Accept: application/json` and,
  /// with a body, `Content-Type: application/json`. Counts it in
  /// `reply.requests` and takes `reply.budget` from the response's rate-limit
  /// headers when it has any.
  http_result send(provider_reply& reply, std::string_view method,
                   std::string target, std::string body = {});

  /// Returns the injected clock's time.
  int64_t now_ms() const {
    return clock_();
  }

private:
  std::unique_ptr<http_transport> transport_;
  std::string authorization_;
  clock_fn clock_;
};

/// Returns an empty reply (no error, no servers, no requests yet).
provider_reply fresh_reply();

/// Returns `reply` with `err` set and no servers.
provider_reply fail(provider_reply reply, provider_error err);

// -- JSON ---------------------------------------------------------------------

/// Parses `text` into `doc`; false on any syntax error.
bool parse_json(std::string_view text, rapidjson::Document& doc);

/// Serializes `value` compactly.
std::string to_json(const rapidjson::Value& value);

/// Returns member `key` of `obj`, or nullptr if `obj` is not an object or has
/// no such member.
const rapidjson::Value* member(const rapidjson::Value* obj, const char* key);

/// Follows `keys` from `root`; nullptr when any step is missing.
const rapidjson::Value* path(const rapidjson::Value* root,
                             std::initializer_list<const char*> keys);

/// Returns the string at `x`, or nullopt when absent or not a string.
std::optional<std::string> as_string(const rapidjson::Value* x);

/// Returns the integer at `x`; a string of decimal digits counts too
/// (UpCloud sends numbers as strings).
std::optional<int64_t> as_int(const rapidjson::Value* x);

/// Returns the id at `x` as text: a string, or an integer printed.
std::optional<std::string> as_id(const rapidjson::Value* x);

/// Label maps from a JSON object of strings; other members are skipped.
label_map as_label_object(const rapidjson::Value* x);

/// Where a cloud keeps the fields of a server object.
struct server_fields {
  /// The id: a non-empty string, or (unless `string_id`) an integer.
  const char* id;
  bool string_id;
  const char* name;
  const char* state;
  const char* created;
  /// `created` is in unix seconds, else an RFC 3339 timestamp.
  bool created_in_seconds;
  /// Maps the raw state word.
  cloud_state (*map_state)(std::string_view raw);
  /// Reads the labels of the whole server object.
  label_map (*labels)(const rapidjson::Value* server);
};

/// Reads one server object as `fields` says; nullopt without a usable id.
std::optional<cloud_server> read_server_fields(const rapidjson::Value* x,
                                               const server_fields& fields);

/// One raw state word of a cloud and what it means.
struct state_word {
  std::string_view raw;
  cloud_state state;
};

/// What `raw` means by `table`; `unknown` when the table lacks it.
cloud_state state_from(std::string_view raw,
                       std::initializer_list<state_word> table);

/// True if every (key, value) of `selector` is in `labels`.
bool has_labels(const label_map& labels, const label_map& selector);

// -- asynchronous actions (Hetzner, DigitalOcean) -----------------------------

/// What an action that a provider started for a server does.
enum class action_kind { create, soft_stop, hard_stop, start, reboot, destroy };

/// A `list` reads a pending action at most this often (provider clock): a
/// poll round lists every few seconds, an action takes tens of seconds.
constexpr int64_t action_read_interval_ms = 30'000;

/// Where an action stands, in any cloud's words.
enum class action_status {
  /// Not finished (also: an answer that does not say).
  running,
  succeeded,
  failed,
  /// The cloud does not know the action (any more).
  gone,
};

/// What a read of a pending action found.
struct action_report {
  action_status status = action_status::running;
  /// The cloud's error code and message of a failed action; the reader
  /// fills in its own words where the cloud gives none.
  std::string code;
  std::string message;
};

/// Reports by action id; an action that could not be read has no entry.
using action_reports = std::map<std::string, action_report>;

/// Orders action ids numerically when they are numbers (shorter first),
/// so that batched reads name them in a stable, readable order.
bool action_id_less(const std::string& x, const std::string& y);

/// Marks a failed create on `srv`: state `failed`, the failure in
/// `srv.failure` and a raw state "action_failed: <code>: <message>".
void mark_create_failed(cloud_server& srv, const provider_error& failure);

/// One action a provider started and has not yet seen finish.
struct pending_action {
  action_kind kind = action_kind::create;
  /// When a `list` may read it next; a `get` reads it regardless.
  int64_t next_read_ms = 0;
};

/// What a provider remembers about one server between calls: its pending
/// actions and the soft stop it may have to follow with a hard one.
struct server_track {
  /// Pending actions by id.
  std::map<std::string, pending_action> actions;
  /// When the soft stop was sent; -1 without one.
  int64_t soft_stop_ms = -1;
  /// The hard stop that follows it was sent.
  bool hard_stop_sent = false;
  /// The failure of a create action that failed at the cloud (kind
  /// `permanent`, the provider's code and message); kind `none` otherwise.
  provider_error create_failure;
  /// A delete action failed: the next read sends the delete again.
  bool resend_delete = false;

  /// Remembers action `id` started at `now_ms`; a `list` reads it first
  /// one interval later.
  void add(const std::string& id, action_kind kind, int64_t now_ms) {
    actions[id] = pending_action{kind, now_ms + action_read_interval_ms};
  }

  bool empty() const {
    return actions.empty() && soft_stop_ms < 0
           && create_failure.kind == error_kind::none && !resend_delete;
  }
};

// -- server specs -------------------------------------------------------------

/// (key path, problem) pairs found in a pool's `server` object.
using spec_problems = std::vector<std::pair<std::string, std::string>>;

/// JSON shapes a spec key may take.
enum class spec_type {
  string,
  integer,
  boolean,
  /// A boolean or "yes"/"no" (UpCloud flags).
  yes_no,
  string_or_integer,
  object,
  array,
  string_array,
  /// Strings or integers (ids or names of SSH keys, images, ...).
  id_array,
  integer_array,
  /// An object whose values are strings (labels).
  string_map,
};

/// One key a provider accepts in its spec.
struct spec_key {
  const char* name;
  spec_type type;
  bool required = false;
  /// Set for a key the provider's API no longer takes: the key is refused
  /// with this text (which names the replacement) instead of being sent.
  const char* removed = nullptr;
};

/// Parses `json` (empty means `{}`) into `doc`; adds a problem with an
/// empty key path and returns false unless it is a JSON object.
bool parse_spec(std::string_view json, rapidjson::Document& doc,
                spec_problems& problems);

/// Adds problems for missing required keys, keys not in `keys` ("unknown
/// key") and values of the wrong shape ("expected a string", ...). Keys in
/// `reserved` are set by dynserv and reported as such.
void check_spec(const rapidjson::Value& spec,
                std::initializer_list<spec_key> keys,
                std::initializer_list<const char*> reserved,
                spec_problems& problems);

/// The problems of spec `json` (empty means `{}`): not an object, or what
/// `check` finds in it.
spec_problems
validate_spec(const std::string& json,
              void (*check)(const rapidjson::Value&, spec_problems&));

/// Parses `json` into `spec` and checks it with `check`; false (with the
/// problems in `problems`) unless it is fit to be sent.
bool read_checked_spec(const std::string& json,
                       void (*check)(const rapidjson::Value&, spec_problems&),
                       rapidjson::Document& spec, spec_problems& problems);

/// A JSON string holding a copy of `x`, allocated with `alloc`.
rapidjson::Value
json_string(const std::string& x,
            rapidjson::MemoryPoolAllocator<rapidjson::CrtAllocator>& alloc);

/// Permanent error "invalid_spec" listing `problems`: the pool's `server`
/// object is wrong, so no create is sent and retrying cannot help.
provider_error invalid_spec(const spec_problems& problems);

/// The error for a 2xx create answer that names no server: the server may
/// exist, so the outcome is unknown (the server actor then looks it up by
/// its dynserv-id label) rather than a plain transient failure.
provider_error unreadable_create_answer(int status, std::string_view what,
                                        std::string_view body);

} // namespace dynserv::http_support
