// Versioned JSON encoding of the records kept in the store.
#pragma once

#include <string>
#include <string_view>

#include "caf/expected.hpp"

#include "messages/types.hpp"

namespace dynserv {

/// The version every encoded record carries in its `"v"` field.
constexpr int snapshot_codec_version = 1;

/// Encodes `x` as a JSON object with `"v":1` and one snake_case member per
/// field; statuses and error kinds appear as their names.
std::string encode(const server_record& x);

/// Encodes `x` like the server record overload.
std::string encode(const pool_record& x);

/// Encodes `x` like the server record overload.
std::string encode(const event_record& x);

/// Encodes a decision record; its guardrail steps become an array of
/// {"name","before","after","why"} objects.
std::string encode(const decision_record& x);
/// Encodes a webhook cursor (name, seq, updated_at_ms).
std::string encode(const webhook_cursor& x);

/// Decodes a server record. Missing optional fields take their defaults; a
/// missing `id` or `status`, an unknown version, malformed JSON or a field of
/// the wrong type gives `ec::corrupt_record`.
caf::expected<server_record> decode_server(std::string_view str);

/// Decodes a pool record; `name` is required.
caf::expected<pool_record> decode_pool(std::string_view str);

/// Decodes an event record; `seq` is required.
caf::expected<event_record> decode_event(std::string_view str);

/// Decodes a decision record; `pool` and `at_ms` are required.
caf::expected<decision_record> decode_decision(std::string_view str);
/// Decodes a webhook cursor; `name` and `seq` are required.
caf::expected<webhook_cursor> decode_webhook_cursor(std::string_view str);

} // namespace dynserv
