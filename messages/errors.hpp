// dynserv's error codes, usable as caf::error.
#pragma once

#include <cstdint>
#include <string>

#include "caf/error.hpp"

namespace dynserv {

/// Error codes of dynserv itself (provider failures use `provider_error`).
enum class ec : uint8_t {
  /// Not an error.
  none = 0,
  /// A command named a pool the node does not have.
  unknown_pool,
  /// A command named a server the node does not have.
  unknown_server,
  /// A count or argument is out of range (negative count, ...).
  invalid_argument,
  /// The (status, event) pair is not in the transition table.
  invalid_transition,
  /// The store failed to read or write.
  storage_failure,
  /// A stored record could not be decoded.
  corrupt_record,
  /// The provider failed in a way the caller must see.
  provider_failure,
  /// The configuration is invalid.
  invalid_config,
  /// A login presented a wrong token.
  unauthorized,
};

/// Returns the snake_case name of `x`.
std::string to_string(ec x);

/// Builds a caf::error in the "dynserv" category with a message.
caf::error make_error(ec code, std::string message);

/// The error category atom used for `ec`.
constexpr caf::atom_value error_category = caf::atom("dynserv");

} // namespace dynserv

namespace dynserv {

/// Renders `err` for users without an actor system: "unknown_pool: unknown
/// pool \"x\" (known: default)" for dynserv errors, CAF's rendering otherwise.
std::string describe(const caf::error& err);

} // namespace dynserv
