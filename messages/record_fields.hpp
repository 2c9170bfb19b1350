// The one field list of each record: which members the snapshot codec
// stores (storage/snapshot_codec.cpp) and the HTTP API shows
// (api/api_json.cpp), under which keys and in which order. Adding a field to
// a record is one line here.
//
// CAF 0.17.6's `inspect()` (messages/types.hpp) cannot serve as this list:
// its inspectors take the members as positional values, without names (the
// named `f.field("key", x)` form is 0.18+), and it lists members that are
// never stored (the breaker's window counts) or stored under other keys.
#pragma once

#include <string>
#include <type_traits>

#include "messages/types.hpp"

namespace dynserv {

/// How one field is stored and shown. Built from a key with the chainable
/// setters; a field is stored and shown under its key unless they say
/// otherwise.
struct field_spec {
  /// The key in the store and, unless `shown_key` is set, in the API.
  const char* key;
  /// Decoding fails when the stored record lacks it.
  bool is_required = false;
  /// False for values the API derives (never stored nor decoded).
  bool is_stored = true;
  /// The API's key when it differs from the stored one.
  const char* shown_key = nullptr;
  /// The API shows the value also as a UTC time under this key, just
  /// before the value ("at" before "at_ms"), with milliseconds or not.
  const char* time_key = nullptr;
  bool time_with_ms = false;
  /// The API shows the field right after this key instead of in list order
  /// (kept from before the lists existed; new fields come last in both).
  const char* after_key = nullptr;
  /// The API shows negative values as null ("no value").
  bool negative_is_null = false;

  constexpr field_spec(const char* key) : key(key) {
    // nop
  }

  constexpr field_spec required() const {
    auto x = *this;
    x.is_required = true;
    return x;
  }

  constexpr field_spec only_shown() const {
    auto x = *this;
    x.is_stored = false;
    return x;
  }

  constexpr field_spec shown_as(const char* api_key) const {
    auto x = *this;
    x.shown_key = api_key;
    return x;
  }

  constexpr field_spec shown_with_time(const char* api_key) const {
    auto x = *this;
    x.time_key = api_key;
    return x;
  }

  constexpr field_spec shown_with_time_ms(const char* api_key) const {
    auto x = shown_with_time(api_key);
    x.time_with_ms = true;
    return x;
  }

  constexpr field_spec shown_after(const char* api_key) const {
    auto x = *this;
    x.after_key = api_key;
    return x;
  }

  constexpr field_spec shown_null_if_negative() const {
    auto x = *this;
    x.negative_is_null = true;
    return x;
  }

  /// The key in the API.
  constexpr const char* api_key() const {
    return shown_key != nullptr ? shown_key : key;
  }
};

/// True if `Self` is `Record`, const or not (the lists below serve encoding
/// from const records and decoding into mutable ones).
template <class Self, class Record>
constexpr bool is_record_v = std::is_same_v<std::remove_const_t<Self>, Record>;

/// `to_string(kind) code message`, or empty without an error: the server's
/// `last_error` as the API and `dynserv status` show it.
inline std::string last_error_text(const server_record& x) {
  if (x.last_error_kind == error_kind::none)
    return "";
  return std::string{to_string(x.last_error_kind)} + " " + x.last_error_code
         + " " + x.last_error_message;
}

/// Calls `v(field_spec, member)` for each field of a server record.
template <class Self, class Visitor>
std::enable_if_t<is_record_v<Self, server_record>>
for_each_field(Self& x, Visitor&& v) {
  using f = field_spec;
  v(f{"id"}.required(), x.id);
  v(f{"name"}, x.name);
  v(f{"pool"}, x.pool);
  v(f{"provider"}, x.provider);
  v(f{"status"}.required(), x.status);
  v(f{"previous_status"}, x.previous_status);
  v(f{"status_since_ms"}.shown_as("since_ms").shown_with_time("since"),
    x.status_since_ms);
  v(f{"created_at_ms"}, x.created_at_ms);
  v(f{"provider_created_at_ms"}.shown_after("provider_id"),
    x.provider_created_at_ms);
  v(f{"provider_id"}, x.provider_id);
  v(f{"call_accepted"}, x.call_accepted);
  v(f{"create_attempts"}, x.create_attempts);
  v(f{"reboot_requested"}, x.reboot_requested);
  v(f{"stop_requested"}, x.stop_requested);
  v(f{"retries"}, x.retries);
  v(f{"last_error"}.only_shown(), last_error_text(x));
  v(f{"last_error_kind"}, x.last_error_kind);
  v(f{"last_error_code"}, x.last_error_code);
  v(f{"last_error_message"}, x.last_error_message);
}

/// Calls `v(field_spec, member)` for each field of a rolling reboot.
template <class Self, class Visitor>
std::enable_if_t<is_record_v<Self, rollout_record>>
for_each_field(Self& x, Visitor&& v) {
  using f = field_spec;
  v(f{"state"}, x.state);
  v(f{"max_unavailable_spec"}, x.max_unavailable_spec);
  v(f{"max_unavailable"}, x.max_unavailable);
  v(f{"started_at_ms"}, x.started_at_ms);
  v(f{"finished_at_ms"}, x.finished_at_ms);
  v(f{"waiting"}.shown_after("rebooting"), x.waiting);
  v(f{"rebooting"}.shown_after("skipped"), x.rebooting);
  v(f{"total"}, x.total);
  v(f{"done"}, x.done);
  v(f{"skipped"}, x.skipped);
}

/// Calls `v(field_spec, member)` for each field of a circuit breaker.
template <class Self, class Visitor>
std::enable_if_t<is_record_v<Self, breaker_record>>
for_each_field(Self& x, Visitor&& v) {
  using f = field_spec;
  v(f{"state"}, x.state);
  v(f{"open_until_ms"}, x.open_until_ms);
  v(f{"backoff_ms"}, x.backoff_ms);
  v(f{"trips"}, x.trips);
  v(f{"reason"}, x.reason);
  // Reported only: recounted from recent creates after a restart.
  v(f{"window_creates"}.only_shown(), x.window_creates);
  v(f{"window_failures"}.only_shown(), x.window_failures);
}

/// Calls `v(field_spec, member)` for each field of a pool record; the
/// codec stores nested records flattened ("rollout_state", ...).
template <class Self, class Visitor>
std::enable_if_t<is_record_v<Self, pool_record>>
for_each_field(Self& x, Visitor&& v) {
  using f = field_spec;
  v(f{"name"}.required(), x.name);
  v(f{"desired"}, x.desired);
  v(f{"file_desired"}, x.file_desired);
  v(f{"updated_at_ms"}, x.updated_at_ms);
  v(f{"paused"}, x.paused);
  // Absent in records written before they existed: "none" and "closed".
  v(f{"rollout"}, x.rollout);
  v(f{"breaker"}, x.breaker);
}

/// Calls `v(field_spec, member)` for each field of an event.
template <class Self, class Visitor>
std::enable_if_t<is_record_v<Self, event_record>>
for_each_field(Self& x, Visitor&& v) {
  using f = field_spec;
  v(f{"seq"}.required(), x.seq);
  v(f{"at_ms"}.shown_with_time_ms("at"), x.at_ms);
  v(f{"reason"}, x.reason);
  v(f{"pool"}, x.pool);
  v(f{"server_id"}, x.server_id);
  v(f{"from"}, x.from);
  v(f{"to"}, x.to);
  v(f{"message"}, x.message);
}

/// Calls `v(field_spec, member)` for each field of a guardrail step.
template <class Self, class Visitor>
std::enable_if_t<is_record_v<Self, guardrail_step>>
for_each_field(Self& x, Visitor&& v) {
  using f = field_spec;
  v(f{"name"}, x.name);
  v(f{"before"}, x.before);
  v(f{"after"}, x.after);
  v(f{"why"}, x.why);
}

/// Calls `v(field_spec, member)` for each field of a policy decision.
template <class Self, class Visitor>
std::enable_if_t<is_record_v<Self, decision_record>>
for_each_field(Self& x, Visitor&& v) {
  using f = field_spec;
  v(f{"pool"}.required(), x.pool);
  v(f{"at_ms"}.required().shown_with_time_ms("at"), x.at_ms);
  v(f{"policy"}, x.policy);
  v(f{"input"}, x.input);
  v(f{"wanted"}.shown_null_if_negative(), x.wanted);
  v(f{"steps"}, x.steps);
  v(f{"result"}, x.result);
  v(f{"previous_desired"}, x.previous_desired);
  v(f{"active"}, x.active);
  v(f{"starting"}, x.starting);
  v(f{"mode"}, x.mode);
  v(f{"applied"}, x.applied);
  v(f{"action"}, x.action);
  v(f{"summary"}, x.summary);
}

/// Calls `v(field_spec, member)` for each stored field of a webhook cursor
/// (`found` is set by the reader, not stored).
template <class Self, class Visitor>
std::enable_if_t<is_record_v<Self, webhook_cursor>>
for_each_field(Self& x, Visitor&& v) {
  using f = field_spec;
  v(f{"name"}.required(), x.name);
  v(f{"seq"}.required(), x.seq);
  v(f{"updated_at_ms"}, x.updated_at_ms);
}

/// A visitor that does nothing, for `has_field_list`.
struct field_probe {
  template <class T>
  void operator()(const field_spec&, T&&) const {
    // nop
  }
};

/// True for the types with a field list above (nested records).
template <class T, class = void>
struct has_field_list : std::false_type {};

template <class T>
struct has_field_list<
  T, std::void_t<decltype(for_each_field(std::declval<T&>(), field_probe{}))>>
  : std::true_type {};

template <class T>
constexpr bool has_field_list_v = has_field_list<T>::value;

} // namespace dynserv
