// The table of dynservctl's console commands: one row per command with its
// synopsis, options, argument reader and what its arguments complete to.
// Internal to the console library (console_commands.cpp, completion).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tools/console/console_commands.hpp"

namespace dynserv::console {

/// An option of a command: `--name VALUE` or a flag.
struct option_spec {
  const char* name;
  bool takes_value;
};

/// Words of a command split into positionals and options.
struct split_args {
  std::vector<std::string> positionals;
  /// Option name -> value ("" for flags).
  std::vector<std::pair<std::string, std::string>> options;
  bool json = false;
  bool help = false;
};

/// Checks a command's positionals and options and fills `cmd`.
using argument_reader = std::optional<usage_error> (*)(const split_args& args,
                                                       command& cmd);

/// What a command's positional arguments are, for completion.
enum class positionals : uint8_t {
  none,
  /// [POOL]
  pool,
  /// ID
  server_id,
  /// N [POOL]
  count_then_pool,
  /// [N] [POOL]
  optional_count_and_pool,
  /// [COMMAND]
  command_name,
};

/// One row of the command table.
struct command_spec {
  command_kind kind;
  const char* name;
  /// Synopsis without "--json".
  const char* synopsis;
  /// One line for the command list.
  const char* summary;
  /// Options besides --json and --help.
  std::vector<option_spec> options;
  /// True if `--json` changes the output.
  bool has_json;
  argument_reader read_args;
  positionals args;
};

/// Every command in `command_kind` order (the order `help` lists them).
const std::vector<command_spec>& command_table();

/// The row of `x`.
const command_spec& spec_of(command_kind x);

// -- words --------------------------------------------------------------------

bool is_blank(char c);

bool is_digit(char c);

/// True for words that look like a (possibly signed) number, which are
/// arguments even when they start with '-'.
bool looks_numeric(std::string_view str);

/// True for "--name", "-h" and the like (not for numbers such as "-1").
bool is_option_word(std::string_view str);

/// Splits "--name=value" into ("--name", "value"); "--name" has no value.
std::pair<std::string, std::optional<std::string>>
split_option(const std::string& word);

/// `str` in single quotes, made printable.
std::string quoted(std::string_view str);

/// A usage error of command `x`: "x: message" with its usage.
usage_error command_error(command_kind x, std::string message);

} // namespace dynserv::console
