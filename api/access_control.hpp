// Pieces shared by the node's operator endpoints (admin console, HTTP API):
// token sources, constant-time comparison, refusal throttling, log escaping.
#pragma once

#include <cstdint>
#include <string>

#include "caf/expected.hpp"

#include "providers/provider_options.hpp"

namespace dynserv {

/// Compares two strings in time that depends only on their lengths, so a
/// wrong token reveals nothing about the right one through timing.
bool constant_time_equal(const std::string& a, const std::string& b);

/// Escapes control bytes and shortens `str` for a log line, so that what a
/// client sends cannot forge or garble the node's log.
std::string loggable(const std::string& str);

/// Delay before refusing the `failures`-th consecutive wrong token:
/// 250 ms doubling per failure, at most 8 s.
millis login_refusal_delay(uint32_t failures);

/// Where an endpoint's token comes from (one of the three).
struct token_source {
  /// Config section for error messages, e.g. "admin" or "http".
  std::string section;
  /// The token from the config file.
  std::string token;
  /// Name of the environment variable that holds the token.
  std::string token_env;
  /// File that keeps a generated token when neither of the above is set.
  std::string file;
};

/// Returns the configured token, the environment variable's value (an error
/// if unset or shorter than 16 characters), or the token kept in `file`;
/// generates a random one into `file` (mode 0600) on first use.
caf::expected<std::string> resolve_token(const token_source& src);

/// Writes `content` to `path` through a temporary file and a rename, so a
/// reader never sees half of it. Returns false on failure.
bool write_file_atomically(const std::string& path, const std::string& content);

} // namespace dynserv
