// The command language of dynservctl: command-line options, console
// commands, usage texts, suggestions and completion. Pure functions: no CAF,
// no I/O, so that every rule is unit-tested (tests/console).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "messages/status.hpp"

namespace dynserv::console {

// -- exit codes ---------------------------------------------------------------

/// Exit codes of dynservctl (documented in docs/console.md).
enum exit_code : int {
  /// The command succeeded.
  exit_ok = 0,
  /// The node refused the command or it failed (node error, no answer).
  exit_failed = 1,
  /// Bad command line or command arguments.
  exit_usage = 2,
  /// The node cannot be reached, the connection was lost, or the token was
  /// missing or refused.
  exit_unreachable = 3,
};

// -- commands -----------------------------------------------------------------

/// The commands of the console, in the order `help` lists them.
enum class command_kind : uint8_t {
  status,
  pools,
  servers,
  server,
  ensure,
  increase,
  decrease,
  reboot,
  stop,
  events,
  limits,
  webhooks,
  decisions,
  pause,
  resume,
  help,
  quit,
};

/// The pool that commands use when none is given, as in the original.
constexpr const char* default_pool = "default";

/// Longest argument accepted (pool names, server ids, option values).
constexpr size_t max_argument_size = 1024;

/// A parsed console command with its arguments.
struct command {
  command_kind kind = command_kind::help;
  /// ensure/increase/decrease/reboot/decisions/pause/resume: the pool
  /// (`default_pool` if omitted);
  /// servers/events: a filter, empty for all pools.
  std::string pool;
  /// server/stop: the dynserv server id.
  std::string server_id;
  /// ensure: the desired count; increase/decrease: the step (default 1);
  /// decisions: how many (--limit, default 20).
  int64_t count = 0;
  /// servers --status S.
  std::optional<server_status> status_filter;
  /// events --since SEQ: only events with a greater seq.
  uint64_t since = 0;
  /// events --follow.
  bool follow = false;
  /// reboot --max-unavailable N|P%: checked with the node's validator;
  /// empty for the pool's default.
  std::string max_unavailable;
  /// reboot --abort: stop the running rolling reboot instead.
  bool abort = false;
  /// help COMMAND: the command's name; empty for the list.
  std::string topic;
  /// --json given on this command.
  bool json = false;
};

/// Wrong input: what is wrong and, when one command is concerned, its usage.
struct usage_error {
  /// One line without the "dynservctl: " prefix.
  std::string message;
  /// The usage of the command concerned (`usage_of`), or empty.
  std::string usage;
};

/// Result of `parse_command`.
using command_result = std::variant<command, usage_error>;

/// Parses one command: `words[0]` is the command name, the rest its
/// arguments. Accepts `--json` and `--help`/`-h` with every command and
/// `--opt=value` as well as `--opt value`; `--` ends the options.
command_result parse_command(const std::vector<std::string>& words);

/// Returns the name of `x`, e.g. "servers".
const char* to_string(command_kind x);

/// Looks up a command by its exact name (`exit` is an alias of `quit`).
std::optional<command_kind> find_command(std::string_view name);

/// Names of every command in help order (aliases excluded).
const std::vector<std::string>& command_names();

/// Usage of one command: a synopsis line and a short explanation.
std::string usage_of(command_kind x);

/// The list of commands with their synopses, as printed by `help`.
std::string commands_help();

/// Optimal string alignment distance (Levenshtein plus transpositions).
size_t edit_distance(std::string_view a, std::string_view b);

/// The command closest to a mistyped word, if one is close enough.
std::optional<std::string> closest_command(std::string_view word);

/// Returns `str` with control and non-ASCII bytes escaped as \xNN, cut to at
/// most `max` characters, so that echoing user input cannot garble a terminal.
std::string printable(std::string_view str, size_t max = 80);

// -- console lines ------------------------------------------------------------

/// Result of `split_line`.
using split_result = std::variant<std::vector<std::string>, usage_error>;

/// Splits a console line into words. Blanks separate words; '…' and "…"
/// quote (a backslash escapes the next character outside single quotes); a
/// '#' at the start of a word begins a comment.
split_result split_line(std::string_view line);

// -- command line -------------------------------------------------------------

/// Address of a node's admin console.
struct endpoint {
  std::string host = "127.0.0.1";
  uint16_t port = 4242;
};

/// Parses "HOST:PORT" or "[IPV6]:PORT" (port 1 to 65535); the last colon
/// separates the port, so an unbracketed "::1:4242" works as well.
std::optional<endpoint> parse_endpoint(std::string_view str);

/// Formats "HOST:PORT", bracketing IPv6 hosts.
std::string to_string(const endpoint& x);

/// Name of the variable that holds the token unless --token-env says another.
constexpr const char* default_token_env = "DYNSERV_ADMIN_TOKEN";

/// The options of the dynservctl command line.
struct cli_options {
  endpoint connect;
  /// Environment variable holding the token.
  std::string token_env = default_token_env;
  bool token_env_given = false;
  /// File holding the token (first line), instead of the variable.
  std::string token_file;
  /// TLS files; any of them set means TLS.
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  bool json = false;
  bool help = false;
  bool version = false;
  /// The command and its arguments; empty for the interactive console.
  std::vector<std::string> words;

  bool tls() const {
    return !tls_ca.empty() || !tls_cert.empty() || !tls_key.empty();
  }
};

/// Result of `parse_cli`.
using cli_result = std::variant<cli_options, usage_error>;

/// Parses the arguments after the program name. Options may come before or
/// after the command (`--help` only before it; after it, it asks for the
/// command's usage); after `--` everything belongs to the command.
cli_result parse_cli(const std::vector<std::string>& args);

/// The full usage text of `dynservctl --help`.
std::string cli_usage();

// -- completion ---------------------------------------------------------------

/// What completion can offer besides command names and options.
struct completion_data {
  std::vector<std::string> pools;
  std::vector<std::string> servers;
};

/// Candidates for the word under the cursor, given the line up to the cursor
/// (the word is the text after the last blank). Sorted, without duplicates.
std::vector<std::string> complete(std::string_view line_before_cursor,
                                  const completion_data& data);

} // namespace dynserv::console
