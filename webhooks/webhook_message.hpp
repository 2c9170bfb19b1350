// What a webhook sends: the filter, the JSON body, the HMAC-SHA256 signature
// and the request with its headers. Pure functions; no I/O, no CAF runtime.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/http_message.hpp"
#include "messages/types.hpp"

namespace dynserv {

/// Header names of a webhook request (docs/webhooks.md).
namespace webhook_header {
constexpr const char* event_id = "X-Dynserv-Event-Id";
constexpr const char* timestamp = "X-Dynserv-Timestamp";
constexpr const char* signature = "X-Dynserv-Signature";
constexpr const char* attempt = "X-Dynserv-Delivery-Attempt";
} // namespace webhook_header

/// Which events a webhook sends.
struct webhook_filter {
  /// Reasons to send; empty sends every reason.
  std::vector<std::string> reasons;
  /// Pools whose events to send; empty sends every event. With pools set,
  /// events without a pool are not sent.
  std::vector<std::string> pools;

  /// True if `ev` passes both lists.
  bool matches(const event_record& ev) const;
};

/// Returns "<node>-<seq>", the id receivers deduplicate by.
std::string webhook_event_id(std::string_view node, uint64_t seq);

/// The JSON body for `ev`: {"id","node","seq","time","at_ms","reason","pool",
/// "server","from","to","message"} (`time` in RFC 3339 UTC with ms).
std::string webhook_payload(std::string_view node, const event_record& ev);

/// Lower-case hex of HMAC-SHA256(`key`, `data`) (OpenSSL).
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

/// "sha256=" + hex HMAC-SHA256 of "<timestamp>.<body>" keyed with `secret`:
/// the value of the X-Dynserv-Signature header.
std::string webhook_signature(std::string_view secret, int64_t timestamp,
                              std::string_view body);

/// The POST for `ev`: `target` (the URL's query, or empty), JSON body,
/// Content-Type, event id, timestamp (`unix_seconds`), signature and the
/// attempt number (1 for the first).
http_request webhook_request(const std::string& target, std::string_view node,
                             const event_record& ev, std::string_view secret,
                             int64_t unix_seconds, uint32_t attempt);

/// Splits a webhook URL into the base URL for `make_http_client` (scheme,
/// authority and path) and the request target (the "?query" or empty).
std::pair<std::string, std::string> split_webhook_url(std::string_view url);

/// Scheme and authority of `url` followed by "/..." if it has more: paths
/// and queries of webhook URLs often are secrets themselves.
std::string redact_url(std::string_view url);

/// Replaces the path and query of `url` wherever they occur in `text` (error
/// details of the HTTP client quote the base URL) with "/...".
std::string scrub_url(std::string text, std::string_view url);

} // namespace dynserv
