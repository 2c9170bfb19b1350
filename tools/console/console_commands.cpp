// The command language of dynservctl: parsing, usage, suggestions, completion.
#include "tools/console/console_commands.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

#include "actors/reboot_rollout.hpp"

namespace dynserv::console {

namespace {

/// Splits "--name=value" into ("--name", "value"); "--name" has no value.
std::pair<std::string, std::optional<std::string>>
split_option(const std::string& word) {
  auto eq = word.find('=');
  if (eq == std::string::npos)
    return {word, std::nullopt};
  return {word.substr(0, eq), word.substr(eq + 1)};
}

// -- the command table --------------------------------------------------------

/// An option of a command: `--name VALUE` or a flag.
struct option_spec {
  const char* name;
  bool takes_value;
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
};

const std::vector<command_spec>& command_table() {
  // clang-format off
  static const std::vector<command_spec> table = {
    {command_kind::status, "status", "status",
     "Pools and their servers.", {}, true},
    {command_kind::pools, "pools", "pools",
     "Pools with their servers per status.", {}, true},
    {command_kind::servers, "servers", "servers [POOL] [--status S]",
     "Servers, by pool and/or status.",
     {{"--status", true}}, true},
    {command_kind::server, "server", "server ID",
     "One server in detail.", {}, true},
    {command_kind::ensure, "ensure", "ensure N [POOL]",
     "Sets the desired count of POOL to N.", {}, true},
    {command_kind::increase, "increase", "increase [N] [POOL]",
     "Raises POOL's desired count by N (default 1).", {}, true},
    {command_kind::decrease, "decrease", "decrease [N] [POOL]",
     "Lowers POOL's desired count by N (default 1).", {}, true},
    {command_kind::reboot, "reboot",
     "reboot [POOL] [--max-unavailable N|P%] [--abort]",
     "Rolling reboot of POOL's servers, or aborts it.",
     {{"--max-unavailable", true}, {"--abort", false}}, true},
    {command_kind::stop, "stop", "stop ID",
     "Stops and deletes one server.", {}, true},
    {command_kind::events, "events",
     "events [--pool P] [--since SEQ] [--follow]",
     "The event log; --follow streams it.",
     {{"--pool", true}, {"--since", true}, {"--follow", false}}, true},
    {command_kind::limits, "limits", "limits",
     "max_servers and its use.", {}, true},
    {command_kind::webhooks, "webhooks", "webhooks",
     "Delivery status of each webhook.", {}, true},
    {command_kind::decisions, "decisions", "decisions [POOL] [--limit N]",
     "Why POOL's policy set each count.", {{"--limit", true}}, true},
    {command_kind::pause, "pause", "pause [POOL]",
     "Pauses POOL's policy (decisions only).", {}, true},
    {command_kind::resume, "resume", "resume [POOL]",
     "Resumes POOL's policy.", {}, true},
    {command_kind::help, "help", "help [COMMAND]",
     "The commands, or the usage of one.", {}, false},
    {command_kind::quit, "quit", "quit",
     "Leaves the console (also exit, Ctrl-D).", {}, false},
  };
  // clang-format on
  return table;
}

const command_spec& spec_of(command_kind x) {
  return command_table()[static_cast<size_t>(x)];
}

/// Longer explanations shown by `help COMMAND` and after usage errors.
const char* details_of(command_kind x) {
  switch (x) {
    case command_kind::status:
      return "Prints every pool (as `pools` does) and then every server (as\n"
             "`servers` does).";
    case command_kind::pools:
      return "Prints one line per pool: its provider, desired count, min and\n"
             "max, how many servers are provisioned (starting, running,\n"
             "rebooting) and how many servers are in each status.";
    case command_kind::servers:
      return "Prints one line per server. POOL keeps the servers of one pool,\n"
             "--status S those in status S (pending, starting, running,\n"
             "rebooting, stopping, stopped, deleting, deleted, errored,\n"
             "hanging).";
    case command_kind::server:
      return "Prints everything the node knows about server ID (its dynserv\n"
             "id, as listed by `servers`).";
    case command_kind::ensure:
      return "Sets the desired count of POOL (default \"default\") to N, an\n"
             "integer of 0 or more. The node clamps it to the pool's min and\n"
             "max and says so.";
    case command_kind::increase:
      return "Raises the desired count of POOL (default \"default\") by N\n"
             "(default 1, 0 or more). A single argument that starts with a\n"
             "digit is N, any other is POOL.";
    case command_kind::decrease:
      return "Lowers the desired count of POOL (default \"default\") by N\n"
             "(default 1, 0 or more). A single argument that starts with a\n"
             "digit is N, any other is POOL.";
    case command_kind::reboot:
      return "Starts a rolling reboot of POOL (default \"default\"): its\n"
             "servers are rebooted oldest first, at most --max-unavailable at\n"
             "a time (a count such as 2, or a percentage from 1% to 100% of\n"
             "the servers, rounded down but at least 1; default: the pool's\n"
             "reboot.max_unavailable, 25%). Starting or rebooting servers are\n"
             "rebooted once they are running. A reboot while one runs starts\n"
             "over. --abort stops the running one: servers rebooting finish,\n"
             "waiting ones are not rebooted.";
    case command_kind::stop:
      return "Stops and then deletes server ID; the pool replaces it if its\n"
             "desired count asks for it.";
    case command_kind::events:
      return "Prints the event log, oldest first: every event with a seq\n"
             "greater than SEQ (default 0), of pool P only if given. With\n"
             "--follow, keeps printing new events until Ctrl-C and reconnects\n"
             "on its own when the node goes away, without gaps or repeats.";
    case command_kind::limits:
      return "Prints limits.max_servers, how many servers count against it\n"
             "and the pools whose last request was cut by it.";
    case command_kind::webhooks:
      return "Prints one line per webhook: its receiver (scheme, host and\n"
             "port only), the cursor against the last event seq it saw, the\n"
             "lag (events not delivered yet), deliveries and failed attempts\n"
             "since the node started, the next retry and the last error. A\n"
             "webhook busy with a slow receiver shows \"status unavailable\"\n"
             "and its last known figures.";
    case command_kind::decisions:
      return "Prints the newest decisions of the policy of POOL (default\n"
             "\"default\"), newest first: when, the mode (applied, dry_run,\n"
             "paused, held, failed), the count before and after, and why:\n"
             "what the policy wanted and each guardrail that changed it.\n"
             "--limit N prints N of them (1 to 1000, default 20).";
    case command_kind::pause:
      return "Pauses the policy of POOL (default \"default\"): it keeps\n"
             "recording decisions but changes nothing until `resume`. The\n"
             "flag survives restarts; ensure, increase and decrease still\n"
             "work.";
    case command_kind::resume:
      return "Resumes the policy of POOL (default \"default\"): its next\n"
             "decision applies again.";
    case command_kind::help:
      return "Without COMMAND, lists the commands; with it, prints its usage.";
    case command_kind::quit: return "Leaves the interactive console.";
  }
  return "";
}

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v'
         || c == '\f';
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

/// True for words that look like a (possibly signed) number, which are
/// arguments even when they start with '-'.
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

std::string lower(std::string_view str) {
  std::string res{str};
  for (auto& c : res)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return res;
}

std::string quoted(std::string_view str) {
  return "'" + printable(str) + "'";
}

usage_error command_error(command_kind x, std::string message) {
  return {std::string{to_string(x)} + ": " + std::move(message), usage_of(x)};
}

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

/// Words of a command split into positionals and options.
struct split_args {
  std::vector<std::string> positionals;
  /// Option name -> value ("" for flags).
  std::vector<std::pair<std::string, std::string>> options;
  bool json = false;
  bool help = false;
};

std::variant<split_args, usage_error>
split_arguments(const command_spec& spec,
                const std::vector<std::string>& words) {
  split_args res;
  bool options_done = false;
  for (size_t i = 1; i < words.size(); ++i) {
    const auto& w = words[i];
    if (!options_done && w == "--") {
      options_done = true;
      continue;
    }
    if (options_done || !is_option_word(w)) {
      res.positionals.push_back(w);
      continue;
    }
    auto [name, inline_value] = split_option(w);
    if (name == "--json" || name == "--help" || name == "-h") {
      if (inline_value)
        return command_error(spec.kind, name + " takes no value");
      (name == "--json" ? res.json : res.help) = true;
      continue;
    }
    auto opt = std::find_if(spec.options.begin(), spec.options.end(),
                            [&](const auto& o) { return name == o.name; });
    if (opt == spec.options.end())
      return command_error(spec.kind, "unknown option " + quoted(name));
    if (!opt->takes_value) {
      if (inline_value)
        return command_error(spec.kind, name + " takes no value");
      res.options.emplace_back(name, "");
      continue;
    }
    if (inline_value) {
      res.options.emplace_back(name, *inline_value);
    } else if (i + 1 < words.size()) {
      res.options.emplace_back(name, words[++i]);
    } else {
      return command_error(spec.kind, name + " needs a value");
    }
  }
  return res;
}

} // namespace

// -- commands -----------------------------------------------------------------

const char* to_string(command_kind x) {
  return spec_of(x).name;
}

std::optional<command_kind> find_command(std::string_view name) {
  for (const auto& spec : command_table())
    if (name == spec.name)
      return spec.kind;
  if (name == "exit")
    return command_kind::quit;
  return std::nullopt;
}

const std::vector<std::string>& command_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> res;
    for (const auto& spec : command_table())
      res.emplace_back(spec.name);
    return res;
  }();
  return names;
}

std::string usage_of(command_kind x) {
  const auto& spec = spec_of(x);
  std::string res = "usage: ";
  res += spec.synopsis;
  if (spec.has_json)
    res += " [--json]";
  res += "\n";
  std::string_view details = details_of(x);
  while (!details.empty()) {
    auto nl = details.find('\n');
    res += "  ";
    res += details.substr(0, nl);
    res += "\n";
    details = nl == std::string_view::npos ? std::string_view{}
                                           : details.substr(nl + 1);
  }
  return res;
}

std::string commands_help() {
  constexpr size_t column = 32;
  std::string res = "commands:\n";
  for (const auto& spec : command_table()) {
    std::string line = "  ";
    line += spec.synopsis;
    if (line.size() + 2 <= column)
      line.resize(column, ' ');
    else
      line += "\n" + std::string(column, ' ');
    res += line + spec.summary + "\n";
  }
  res += "Every command but help and quit takes --json; "
         "`help COMMAND` explains one.\n";
  return res;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment: Levenshtein plus adjacent transpositions, so
  // that "statsu" is one edit away from "status".
  std::vector<std::vector<size_t>> d(a.size() + 1,
                                     std::vector<size_t>(b.size() + 1, 0));
  for (size_t i = 0; i <= a.size(); ++i)
    d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j)
    d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min(
        {d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

std::optional<std::string> closest_command(std::string_view word) {
  if (word.empty() || word.size() > 64)
    return std::nullopt;
  auto w = lower(word);
  // A unique prefix ("lim") is a good guess whatever its distance.
  std::vector<std::string> prefixed;
  for (const auto& name : command_names())
    if (w.size() >= 2 && name.compare(0, w.size(), w) == 0)
      prefixed.push_back(name);
  if (prefixed.size() == 1)
    return prefixed.front();
  // Otherwise the nearest name, if few edits away for the word's length.
  size_t allowed = w.size() <= 3 ? 1 : w.size() <= 6 ? 2 : 3;
  std::optional<std::string> best;
  size_t best_distance = allowed + 1;
  for (const auto& name : command_names()) {
    auto d = edit_distance(w, name);
    if (d < best_distance) {
      best_distance = d;
      best = name;
    }
  }
  return best;
}

std::string printable(std::string_view str, size_t max) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string res;
  for (auto ch : str) {
    if (res.size() >= max) {
      res += "...";
      break;
    }
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7f) {
      res += "\\x";
      res += hex[c >> 4];
      res += hex[c & 0xf];
    } else {
      res += ch;
    }
  }
  return res;
}

command_result parse_command(const std::vector<std::string>& words) {
  if (words.empty())
    return usage_error{"missing command", ""};
  const auto& name = words.front();
  auto kind = find_command(name);
  if (!kind) {
    std::string msg = "unknown command " + quoted(name);
    if (auto guess = closest_command(name))
      msg += "; did you mean '" + *guess + "'?";
    else
      msg += "; try 'help'";
    return usage_error{std::move(msg), ""};
  }
  for (const auto& w : words)
    if (w.size() > max_argument_size)
      return command_error(*kind, "argument too long ("
                                    + std::to_string(w.size())
                                    + " characters; at most "
                                    + std::to_string(max_argument_size) + ")");
  const auto& spec = spec_of(*kind);
  auto split = split_arguments(spec, words);
  if (auto err = std::get_if<usage_error>(&split))
    return std::move(*err);
  auto& args = std::get<split_args>(split);
  command cmd;
  cmd.kind = *kind;
  cmd.json = args.json;
  if (args.help) {
    cmd.kind = command_kind::help;
    cmd.topic = spec.name;
    return cmd;
  }
  const auto& pos = args.positionals;
  auto too_many = [&](size_t allowed) -> std::optional<usage_error> {
    if (pos.size() <= allowed)
      return std::nullopt;
    return command_error(*kind, "unexpected argument " + quoted(pos[allowed]));
  };
  auto non_empty = [&](const std::string& value,
                       const char* what) -> std::optional<usage_error> {
    if (!value.empty())
      return std::nullopt;
    return command_error(*kind, std::string{what} + " must not be empty");
  };
  switch (*kind) {
    case command_kind::status:
    case command_kind::pools:
    case command_kind::limits:
    case command_kind::webhooks:
    case command_kind::quit:
      if (auto err = too_many(0))
        return *err;
      break;
    case command_kind::servers:
      if (auto err = too_many(1))
        return *err;
      if (!pos.empty()) {
        if (auto err = non_empty(pos[0], "POOL"))
          return *err;
        cmd.pool = pos[0];
      }
      for (const auto& [opt, value] : args.options) {
        // Only --status exists for servers.
        auto st = parse_server_status(value);
        if (!st)
          return command_error(*kind, "--status must be one of "
                                        + status_names() + ", got "
                                        + quoted(value));
        cmd.status_filter = st;
      }
      break;
    case command_kind::server:
    case command_kind::stop:
      if (pos.empty())
        return command_error(*kind, "missing ID");
      if (auto err = too_many(1))
        return *err;
      if (auto err = non_empty(pos[0], "ID"))
        return *err;
      cmd.server_id = pos[0];
      break;
    case command_kind::ensure: {
      if (pos.empty())
        return command_error(*kind, "missing N");
      if (auto err = too_many(2))
        return *err;
      std::string error;
      auto n = parse_count(pos[0], error);
      if (!n)
        return command_error(*kind, error);
      cmd.count = *n;
      cmd.pool = pos.size() > 1 ? pos[1] : default_pool;
      if (auto err = non_empty(cmd.pool, "POOL"))
        return *err;
      break;
    }
    case command_kind::increase:
    case command_kind::decrease: {
      if (auto err = too_many(2))
        return *err;
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
          return command_error(*kind, error);
        cmd.count = *n;
      }
      if (auto err = non_empty(cmd.pool, "POOL"))
        return *err;
      break;
    }
    case command_kind::reboot:
      if (auto err = too_many(1))
        return *err;
      cmd.pool = pos.empty() ? default_pool : pos[0];
      if (auto err = non_empty(cmd.pool, "POOL"))
        return *err;
      for (const auto& [opt, value] : args.options) {
        if (opt == "--abort") {
          cmd.abort = true;
          continue;
        }
        // The node's own check, so that a bad value never reaches it and
        // the message is the same as the HTTP API's.
        if (auto problem = max_unavailable_problem(value))
          return command_error(*kind, "--max-unavailable: "
                                        + printable(*problem, 200));
        cmd.max_unavailable = value;
      }
      if (cmd.abort && !cmd.max_unavailable.empty())
        return command_error(*kind, "--abort takes no --max-unavailable");
      break;
    case command_kind::pause:
    case command_kind::resume:
      if (auto err = too_many(1))
        return *err;
      cmd.pool = pos.empty() ? default_pool : pos[0];
      if (auto err = non_empty(cmd.pool, "POOL"))
        return *err;
      break;
    case command_kind::decisions:
      if (auto err = too_many(1))
        return *err;
      cmd.pool = pos.empty() ? default_pool : pos[0];
      if (auto err = non_empty(cmd.pool, "POOL"))
        return *err;
      cmd.count = 20;
      for (const auto& [opt, value] : args.options) {
        // Only --limit exists for decisions.
        std::string error;
        auto n = parse_count(value, error);
        if (!n || *n < 1 || *n > 1000)
          return command_error(*kind, "--limit must be an integer from 1 to "
                                      "1000, got "
                                        + quoted(value));
        cmd.count = *n;
      }
      break;
    case command_kind::events:
      if (auto err = too_many(0))
        return *err;
      for (const auto& [opt, value] : args.options) {
        if (opt == "--pool") {
          if (auto err = non_empty(value, "--pool"))
            return *err;
          cmd.pool = value;
        } else if (opt == "--since") {
          std::string error;
          auto seq = parse_seq(value, error);
          if (!seq)
            return command_error(*kind, error);
          cmd.since = *seq;
        } else {
          cmd.follow = true;
        }
      }
      break;
    case command_kind::help:
      if (auto err = too_many(1))
        return *err;
      if (!pos.empty()) {
        auto topic = find_command(pos[0]);
        if (!topic) {
          std::string msg = "no command " + quoted(pos[0]);
          if (auto guess = closest_command(pos[0]))
            msg += "; did you mean '" + *guess + "'?";
          return command_error(*kind, msg);
        }
        cmd.topic = to_string(*topic);
      }
      break;
  }
  return cmd;
}

// -- console lines ------------------------------------------------------------

split_result split_line(std::string_view line) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  size_t i = 0;
  auto finish = [&] {
    if (in_word)
      words.push_back(std::move(cur));
    cur.clear();
    in_word = false;
  };
  while (i < line.size()) {
    char c = line[i];
    if (is_blank(c)) {
      finish();
      ++i;
      continue;
    }
    if (!in_word && c == '#')
      break;
    in_word = true;
    if (c == '\'') {
      auto end = line.find('\'', i + 1);
      if (end == std::string_view::npos)
        return usage_error{"unterminated ' quote", ""};
      cur.append(line.substr(i + 1, end - i - 1));
      i = end + 1;
    } else if (c == '"') {
      ++i;
      for (;;) {
        if (i >= line.size())
          return usage_error{"unterminated \" quote", ""};
        if (line[i] == '"') {
          ++i;
          break;
        }
        if (line[i] == '\\' && i + 1 < line.size())
          ++i;
        cur += line[i++];
      }
    } else if (c == '\\' && i + 1 < line.size()) {
      cur += line[i + 1];
      i += 2;
    } else {
      cur += c;
      ++i;
    }
  }
  finish();
  return words;
}

// -- command line -------------------------------------------------------------

std::optional<endpoint> parse_endpoint(std::string_view str) {
  std::string_view host;
  std::string_view port;
  if (!str.empty() && str.front() == '[') {
    auto close = str.find(']');
    if (close == std::string_view::npos || close + 1 >= str.size()
        || str[close + 1] != ':')
      return std::nullopt;
    host = str.substr(1, close - 1);
    port = str.substr(close + 2);
  } else {
    auto colon = str.rfind(':');
    if (colon == std::string_view::npos)
      return std::nullopt;
    // The last colon separates the port, so "::1:4242" (the node writes
    // IPv6 addresses to admin.addr without brackets) works too.
    host = str.substr(0, colon);
    port = str.substr(colon + 1);
  }
  if (host.empty() || host.size() > 253 || port.empty() || port.size() > 5
      || !std::all_of(port.begin(), port.end(), is_digit))
    return std::nullopt;
  for (auto c : host)
    if (is_blank(c) || static_cast<unsigned char>(c) < 0x20)
      return std::nullopt;
  auto value = std::stoul(std::string{port});
  if (value == 0 || value > 65535)
    return std::nullopt;
  return endpoint{std::string{host}, static_cast<uint16_t>(value)};
}

std::string to_string(const endpoint& x) {
  if (x.host.find(':') != std::string::npos)
    return "[" + x.host + "]:" + std::to_string(x.port);
  return x.host + ":" + std::to_string(x.port);
}

std::string cli_usage() {
  std::string res = R"(usage:
  dynservctl [OPTIONS] COMMAND [ARGS...] [--json]   run one command
  dynservctl [OPTIONS]                             interactive console
  dynservctl --help | --version

options:
  --connect HOST:PORT   admin console of the node (default 127.0.0.1:4242;
                        the node writes it to <data_dir>/admin.addr)
  --token-env NAME      environment variable holding the admin token
                        (default DYNSERV_ADMIN_TOKEN)
  --token-file PATH     read the token from the first line of PATH instead,
                        e.g. <data_dir>/admin.token
  --tls-ca FILE         TLS: CA bundle the node's certificate must chain to
  --tls-cert FILE       TLS: this client's certificate (with --tls-key)
  --tls-key FILE        TLS: the private key of --tls-cert
  --json                JSON output (see docs/console.md for the keys)

)";
  res += commands_help();
  res += R"(
exit codes: 0 ok, 1 the node refused the command or it failed, 2 usage error,
3 cannot connect or not authenticated.
)";
  return res;
}

cli_result parse_cli(const std::vector<std::string>& args) {
  cli_options opts;
  bool options_done = false;
  auto cli_error = [](std::string msg) {
    return usage_error{std::move(msg), ""};
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const auto& w = args[i];
    if (options_done || !is_option_word(w)) {
      opts.words.push_back(w);
      continue;
    }
    if (w == "--") {
      options_done = true;
      // Kept so that the command's own parser stops at the same place.
      opts.words.push_back(w);
      continue;
    }
    auto [name, inline_value] = split_option(w);
    if (name == "--token") {
      // Never echo the value: it would be a secret on a command line.
      return cli_error("there is no --token option (command lines are visible "
                       "to other users); use --token-env NAME or "
                       "--token-file PATH");
    }
    auto flag = [&](bool& dst) -> std::optional<usage_error> {
      if (inline_value)
        return cli_error(name + " takes no value");
      dst = true;
      return std::nullopt;
    };
    auto value = [&](std::string& dst) -> std::optional<usage_error> {
      if (inline_value) {
        dst = *inline_value;
      } else if (i + 1 < args.size()) {
        dst = args[++i];
      } else {
        return cli_error(name + " needs a value");
      }
      if (dst.empty())
        return cli_error(name + " must not be empty");
      if (dst.size() > max_argument_size)
        return cli_error(name + ": value too long");
      return std::nullopt;
    };
    std::optional<usage_error> err;
    bool before_command = opts.words.empty();
    if (name == "--json") {
      err = flag(opts.json);
    } else if (before_command && (name == "--help" || name == "-h")) {
      err = flag(opts.help);
    } else if (before_command && name == "--version") {
      err = flag(opts.version);
    } else if (name == "--connect") {
      std::string str;
      err = value(str);
      if (!err) {
        auto ep = parse_endpoint(str);
        if (!ep)
          return cli_error("--connect expects HOST:PORT (port 1 to 65535, "
                           "IPv6 as [ADDR]:PORT), got '"
                           + printable(str) + "'");
        opts.connect = *ep;
      }
    } else if (name == "--token-env") {
      err = value(opts.token_env);
      if (!err) {
        auto ok = std::all_of(opts.token_env.begin(), opts.token_env.end(),
                              [](char c) {
                                return std::isalnum(
                                         static_cast<unsigned char>(c))
                                       || c == '_';
                              })
                  && !is_digit(opts.token_env.front());
        if (!ok)
          return cli_error("--token-env expects a variable name (letters, "
                           "digits, _), got '"
                           + printable(opts.token_env) + "'");
        opts.token_env_given = true;
      }
    } else if (name == "--token-file") {
      err = value(opts.token_file);
    } else if (name == "--tls-ca") {
      err = value(opts.tls_ca);
    } else if (name == "--tls-cert") {
      err = value(opts.tls_cert);
    } else if (name == "--tls-key") {
      err = value(opts.tls_key);
    } else if (before_command) {
      return cli_error("unknown option '" + printable(name) + "'");
    } else {
      // An option of the command (e.g. --status): its parser checks it.
      opts.words.push_back(w);
      continue;
    }
    if (err)
      return *err;
  }
  if (opts.token_env_given && !opts.token_file.empty())
    return cli_error("use --token-env or --token-file, not both");
  // CAF's TLS module throws (and aborts) when a CA is set without a
  // certificate, so any TLS option needs the client's certificate and key.
  if (opts.tls() && (opts.tls_cert.empty() || opts.tls_key.empty()))
    return cli_error("TLS needs --tls-cert FILE and --tls-key FILE (and "
                     "--tls-ca FILE to check the node's certificate)");
  return opts;
}

// -- completion ---------------------------------------------------------------

std::vector<std::string> complete(std::string_view line_before_cursor,
                                  const completion_data& data) {
  std::vector<std::string> words;
  std::string cur;
  for (auto c : line_before_cursor) {
    if (is_blank(c)) {
      if (!cur.empty())
        words.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  // `cur` is the word under the cursor (empty after a blank).
  std::vector<std::string> pool;
  auto offer = [&](const std::vector<std::string>& xs) {
    pool.insert(pool.end(), xs.begin(), xs.end());
  };
  // Typical values; any count or percentage is accepted.
  static const std::vector<std::string> unavailable_examples{"1",   "2",
                                                             "10%", "25%",
                                                             "50%", "100%"};
  std::vector<std::string> statuses;
  for (size_t i = 0; i < server_status_count; ++i)
    statuses.emplace_back(to_string(static_cast<server_status>(i)));
  if (words.empty()) {
    offer(command_names());
  } else if (auto kind = find_command(words.front())) {
    const auto& spec = spec_of(*kind);
    auto value_of =
      [&](std::string_view opt) -> const std::vector<std::string>* {
      if (opt == "--status")
        return &statuses;
      if (opt == "--pool")
        return &data.pools;
      if (opt == "--max-unavailable")
        return &unavailable_examples;
      return nullptr;
    };
    auto takes_value = [&](std::string_view opt) {
      return std::any_of(spec.options.begin(), spec.options.end(),
                         [&](const auto& o) {
                           return opt == o.name && o.takes_value;
                         });
    };
    // Count the positionals before the cursor; note an option waiting for
    // its value.
    size_t positional = 0;
    std::string pending_option;
    for (size_t i = 1; i < words.size(); ++i) {
      if (!pending_option.empty()) {
        pending_option.clear();
        continue;
      }
      if (is_option_word(words[i])) {
        if (words[i].find('=') == std::string::npos && takes_value(words[i]))
          pending_option = words[i];
        continue;
      }
      ++positional;
    }
    auto eq = cur.find('=');
    if (!pending_option.empty()) {
      if (auto xs = value_of(pending_option))
        offer(*xs);
    } else if (is_option_word(cur) && eq != std::string::npos) {
      // --status=ru -> --status=running
      auto opt = cur.substr(0, eq);
      if (auto xs = value_of(opt))
        for (const auto& x : *xs)
          pool.push_back(opt + "=" + x);
    } else if (!cur.empty() && cur[0] == '-') {
      for (const auto& o : spec.options)
        pool.emplace_back(o.name);
      if (spec.has_json)
        pool.emplace_back("--json");
      pool.emplace_back("--help");
    } else {
      switch (*kind) {
        case command_kind::servers:
        case command_kind::reboot:
        case command_kind::decisions:
        case command_kind::pause:
        case command_kind::resume:
          if (positional == 0)
            offer(data.pools);
          break;
        case command_kind::server:
        case command_kind::stop:
          if (positional == 0)
            offer(data.servers);
          break;
        case command_kind::ensure:
          if (positional == 1)
            offer(data.pools);
          break;
        case command_kind::increase:
        case command_kind::decrease:
          if (positional <= 1)
            offer(data.pools);
          break;
        case command_kind::help:
          if (positional == 0)
            offer(command_names());
          break;
        default: break;
      }
    }
  }
  std::vector<std::string> res;
  for (auto& x : pool)
    if (x.compare(0, cur.size(), cur) == 0)
      res.push_back(std::move(x));
  std::sort(res.begin(), res.end());
  res.erase(std::unique(res.begin(), res.end()), res.end());
  return res;
}

} // namespace dynserv::console
