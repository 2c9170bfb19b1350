// Plain HTTP request and response values shared by the client and the server.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dynserv {

/// Header fields in the order they were sent; names keep their spelling but
/// are compared case-insensitively.
using http_headers = std::vector<std::pair<std::string, std::string>>;

struct http_request {
  /// Upper-case method, e.g. "GET".
  std::string method;
  /// Path and query, e.g. "/1.3/server?label=a%3Db". The client prefixes it
  /// with the base URL's path.
  std::string target;
  http_headers headers;
  std::string body;
  /// Server side only: "address:port" of the peer.
  std::string remote;
};

struct http_response {
  int status = 0;
  http_headers headers;
  std::string body;
};

/// Returns the first value of header `name` (case-insensitive).
std::optional<std::string> find_header(const http_headers& headers,
                                       std::string_view name);

/// Replaces every field called `name` by one with `value`.
void set_header(http_headers& headers, std::string_view name,
                std::string value);

/// True if `a` and `b` are equal ignoring ASCII case.
bool iequals(std::string_view a, std::string_view b);

/// Splits a target into its path and its raw query (without '?').
std::pair<std::string, std::string> split_target(std::string_view target);

/// Percent-decodes `x` ('+' stays '+'); nullopt on a malformed escape.
std::optional<std::string> url_decode(std::string_view x);

/// Percent-encodes everything but unreserved characters (RFC 3986).
std::string url_encode(std::string_view x);

/// Decoded `key=value` pairs of a raw query, in order; repeated keys repeat.
std::vector<std::pair<std::string, std::string>>
parse_query(std::string_view query);

} // namespace dynserv
