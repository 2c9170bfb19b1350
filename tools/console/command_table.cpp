// The table of dynservctl's console commands and the argument reader of
// each command.
#include "tools/console/command_table.hpp"

#include <charconv>
#include <limits>

#include "actors/reboot_rollout.hpp"

namespace dynserv::console {

namespace {

std::string status_names() {
  std::string res;
  for (size_t i = 0; i < server_status_count; ++i) {
    if (i > 0)
      res += ", ";
    res += to_string(static_cast<server_status>(i));
  }
  return res;
}

/// Parses a count: an integer of zero or more that fits into int64.
std::optional<int64_t> parse_count(std::string_view str, std::string& error) {
  int64_t value = 0;
  auto first = str.data();
  auto last = str.data() + str.size();
  auto [ptr, ec] = std::from_chars(first, last, value);
  if (ec == std::errc::result_out_of_range && ptr == last) {
    error = "N is out of range (" + printable(str, 24) + "), at most "
            + std::to_string(std::numeric_limits<int64_t>::max());
    return std::nullopt;
  }
  if (str.empty() || ec != std::errc{} || ptr != last) {
    error = "N must be an integer, got " + quoted(str);
    return std::nullopt;
  }
  if (value < 0) {
    error = "N must be zero or more, got " + std::to_string(value);
    return std::nullopt;
  }
  return value;
}

/// Parses a sequence number (unsigned 64 bits).
std::optional<uint64_t> parse_seq(std::string_view str, std::string& error) {
  uint64_t value = 0;
  auto last = str.data() + str.size();
  auto [ptr, ec] = std::from_chars(str.data(), last, value);
  if (str.empty() || ec != std::errc{} || ptr != last) {
    error = "--since needs an event seq (an integer of 0 or more), got "
            + quoted(str);
    return std::nullopt;
  }
  return value;
}

/// An error if `cmd` got more than `allowed` positionals.
std::optional<usage_error> too_many(const split_args& args, const command& cmd,
                                    size_t allowed) {
  const auto& pos = args.positionals;
  if (pos.size() <= allowed)
    return std::nullopt;
  return command_error(cmd.kind, "unexpected argument " + quoted(pos[allowed]));
}

std::optional<usage_error>
non_empty(const command& cmd, const std::string& value, const char* what) {
  if (!value.empty())
    return std::nullopt;
  return command_error(cmd.kind, std::string{what} + " must not be empty");
}

/// Reads the optional POOL (default "default") as the only positional.
std::optional<usage_error> read_pool(const split_args& args, command& cmd) {
  if (auto err = too_many(args, cmd, 1))
    return err;
  const auto& pos = args.positionals;
  cmd.pool = pos.empty() ? default_pool : pos[0];
  return non_empty(cmd, cmd.pool, "POOL");
}

// -- argument readers ---------------------------------------------------------

std::optional<usage_error> no_arguments(const split_args& args, command& cmd) {
  return too_many(args, cmd, 0);
}

std::optional<usage_error> servers_args(const split_args& args, command& cmd) {
  if (auto err = too_many(args, cmd, 1))
    return err;
  const auto& pos = args.positionals;
  if (!pos.empty()) {
    if (auto err = non_empty(cmd, pos[0], "POOL"))
      return err;
    cmd.pool = pos[0];
  }
  for (const auto& [opt, value] : args.options) {
    // Only --status exists for servers.
    auto st = parse_server_status(value);
    if (!st)
      return command_error(cmd.kind, "--status must be one of " + status_names()
                                       + ", got " + quoted(value));
    cmd.status_filter = st;
  }
  return std::nullopt;
}

std::optional<usage_error> server_id_arg(const split_args& args, command& cmd) {
  const auto& pos = args.positionals;
  if (pos.empty())
    return command_error(cmd.kind, "missing ID");
  if (auto err = too_many(args, cmd, 1))
    return err;
  if (auto err = non_empty(cmd, pos[0], "ID"))
    return err;
  cmd.server_id = pos[0];
  return std::nullopt;
}

std::optional<usage_error> ensure_args(const split_args& args, command& cmd) {
  const auto& pos = args.positionals;
  if (pos.empty())
    return command_error(cmd.kind, "missing N");
  if (auto err = too_many(args, cmd, 2))
    return err;
  std::string error;
  auto n = parse_count(pos[0], error);
  if (!n)
    return command_error(cmd.kind, error);
  cmd.count = *n;
  cmd.pool = pos.size() > 1 ? pos[1] : default_pool;
  return non_empty(cmd, cmd.pool, "POOL");
}

/// increase/decrease [N] [POOL]: a single argument that looks like a
/// number is N, any other is POOL.
std::optional<usage_error> step_args(const split_args& args, command& cmd) {
  if (auto err = too_many(args, cmd, 2))
    return err;
  const auto& pos = args.positionals;
  cmd.count = 1;
  cmd.pool = default_pool;
  std::optional<std::string> n_word;
  if (pos.size() == 2) {
    n_word = pos[0];
    cmd.pool = pos[1];
  } else if (pos.size() == 1) {
    if (looks_numeric(pos[0]))
      n_word = pos[0];
    else
      cmd.pool = pos[0];
  }
  if (n_word) {
    std::string error;
    auto n = parse_count(*n_word, error);
    if (!n)
      return command_error(cmd.kind, error);
    cmd.count = *n;
  }
  return non_empty(cmd, cmd.pool, "POOL");
}

std::optional<usage_error> reboot_args(const split_args& args, command& cmd) {
  if (auto err = read_pool(args, cmd))
    return err;
  for (const auto& [opt, value] : args.options) {
    if (opt == "--abort") {
      cmd.abort = true;
      continue;
    }
    // The node's own check, so that a bad value never reaches it and the
    // message is the same as the HTTP API's.
    if (auto problem = max_unavailable_problem(value))
      return command_error(cmd.kind,
                           "--max-unavailable: " + printable(*problem, 200));
    cmd.max_unavailable = value;
  }
  if (cmd.abort && !cmd.max_unavailable.empty())
    return command_error(cmd.kind, "--abort takes no --max-unavailable");
  return std::nullopt;
}

std::optional<usage_error> decisions_args(const split_args& args,
                                          command& cmd) {
  if (auto err = read_pool(args, cmd))
    return err;
  cmd.count = 20;
  for (const auto& [opt, value] : args.options) {
    // Only --limit exists for decisions.
    std::string error;
    auto n = parse_count(value, error);
    if (!n || *n < 1 || *n > 1000)
      return command_error(cmd.kind, "--limit must be an integer from 1 to "
                                     "1000, got "
                                       + quoted(value));
    cmd.count = *n;
  }
  return std::nullopt;
}

std::optional<usage_error> events_args(const split_args& args, command& cmd) {
  if (auto err = too_many(args, cmd, 0))
    return err;
  for (const auto& [opt, value] : args.options) {
    if (opt == "--pool") {
      if (auto err = non_empty(cmd, value, "--pool"))
        return err;
      cmd.pool = value;
    } else if (opt == "--since") {
      std::string error;
      auto seq = parse_seq(value, error);
      if (!seq)
        return command_error(cmd.kind, error);
      cmd.since = *seq;
    } else {
      cmd.follow = true;
    }
  }
  return std::nullopt;
}

std::optional<usage_error> help_args(const split_args& args, command& cmd) {
  if (auto err = too_many(args, cmd, 1))
    return err;
  const auto& pos = args.positionals;
  if (pos.empty())
    return std::nullopt;
  auto topic = find_command(pos[0]);
  if (!topic) {
    std::string msg = "no command " + quoted(pos[0]);
    if (auto guess = closest_command(pos[0]))
      msg += "; did you mean '" + *guess + "'?";
    return command_error(cmd.kind, msg);
  }
  cmd.topic = to_string(*topic);
  return std::nullopt;
}

} // namespace

// -- the table ----------------------------------------------------------------

const std::vector<command_spec>& command_table() {
  using k = command_kind;
  using p = positionals;
  // clang-format off
  static const std::vector<command_spec> table = {
    // kind, name, synopsis, summary, options, has_json,
    //   argument reader, positionals
    {k::status, "status", "status",
     "Pools and their servers.", {}, true,
     no_arguments, p::none},
    {k::pools, "pools", "pools",
     "Pools with their servers per status.", {}, true,
     no_arguments, p::none},
    {k::servers, "servers", "servers [POOL] [--status S]",
     "Servers, by pool and/or status.",
     {{"--status", true}}, true,
     servers_args, p::pool},
    {k::server, "server", "server ID",
     "One server in detail.", {}, true,
     server_id_arg, p::server_id},
    {k::ensure, "ensure", "ensure N [POOL]",
     "Sets the desired count of POOL to N.", {}, true,
     ensure_args, p::count_then_pool},
    {k::increase, "increase", "increase [N] [POOL]",
     "Raises POOL's desired count by N (default 1).", {}, true,
     step_args, p::optional_count_and_pool},
    {k::decrease, "decrease", "decrease [N] [POOL]",
     "Lowers POOL's desired count by N (default 1).", {}, true,
     step_args, p::optional_count_and_pool},
    {k::reboot, "reboot",
     "reboot [POOL] [--max-unavailable N|P%] [--abort]",
     "Rolling reboot of POOL's servers, or aborts it.",
     {{"--max-unavailable", true}, {"--abort", false}}, true,
     reboot_args, p::pool},
    {k::stop, "stop", "stop ID",
     "Stops and deletes one server.", {}, true,
     server_id_arg, p::server_id},
    {k::events, "events",
     "events [--pool P] [--since SEQ] [--follow]",
     "The event log; --follow streams it.",
     {{"--pool", true}, {"--since", true}, {"--follow", false}}, true,
     events_args, p::none},
    {k::limits, "limits", "limits",
     "max_servers and its use.", {}, true,
     no_arguments, p::none},
    {k::webhooks, "webhooks", "webhooks",
     "Delivery status of each webhook.", {}, true,
     no_arguments, p::none},
    {k::decisions, "decisions", "decisions [POOL] [--limit N]",
     "Why POOL's policy set each count.", {{"--limit", true}}, true,
     decisions_args, p::pool},
    {k::pause, "pause", "pause [POOL]",
     "Pauses POOL's policy (decisions only).", {}, true,
     read_pool, p::pool},
    {k::resume, "resume", "resume [POOL]",
     "Resumes POOL's policy.", {}, true,
     read_pool, p::pool},
    {k::help, "help", "help [COMMAND]",
     "The commands, or the usage of one.", {}, false,
     help_args, p::command_name},
    {k::quit, "quit", "quit",
     "Leaves the console (also exit, Ctrl-D).", {}, false,
     no_arguments, p::none},
  };
  // clang-format on
  return table;
}

const command_spec& spec_of(command_kind x) {
  return command_table()[static_cast<size_t>(x)];
}

// -- words --------------------------------------------------------------------

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v'
         || c == '\f';
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool looks_numeric(std::string_view str) {
  if (str.empty())
    return false;
  if (str[0] == '-' || str[0] == '+')
    return str.size() > 1 && is_digit(str[1]);
  return is_digit(str[0]);
}

bool is_option_word(std::string_view str) {
  return str.size() > 1 && str[0] == '-' && !looks_numeric(str);
}

std::pair<std::string, std::optional<std::string>>
split_option(const std::string& word) {
  auto eq = word.find('=');
  if (eq == std::string::npos)
    return {word, std::nullopt};
  return {word.substr(0, eq), word.substr(eq + 1)};
}

std::string quoted(std::string_view str) {
  return "'" + printable(str) + "'";
}

usage_error command_error(command_kind x, std::string message) {
  return {std::string{to_string(x)} + ": " + std::move(message), usage_of(x)};
}

} // namespace dynserv::console
