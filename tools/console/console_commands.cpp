// The command language of dynservctl: parsing, usage and suggestions (the
// commands themselves are rows of command_table.cpp).
#include "tools/console/console_commands.hpp"

#include <algorithm>
#include <cctype>

#include "tools/console/command_table.hpp"

namespace dynserv::console {

namespace {

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
    case command_kind::quit:
      return "Leaves the interactive console.";
  }
  return "";
}

std::string lower(std::string_view str) {
  std::string res{str};
  for (auto& c : res)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return res;
}

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
      d[i][j]
        = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
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
  if (auto err = spec.read_args(args, cmd))
    return std::move(*err);
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

namespace {

usage_error cli_error(std::string msg) {
  return usage_error{std::move(msg), ""};
}

/// One option word of the command line: its name, its value if given as
/// `--name=value`, and where it sits (a value may be the next word).
struct cli_option {
  const std::vector<std::string>& args;
  size_t& i;
  std::string name;
  std::optional<std::string> inline_value;

  /// Sets `dst` for an option without a value.
  std::optional<usage_error> flag(bool& dst) const {
    if (inline_value)
      return cli_error(name + " takes no value");
    dst = true;
    return std::nullopt;
  }

  /// Reads the option's value (inline or the next word) into `dst`.
  std::optional<usage_error> value(std::string& dst) const {
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
  }
};

std::optional<usage_error> parse_connect(const cli_option& opt,
                                         cli_options& opts) {
  std::string str;
  if (auto err = opt.value(str))
    return err;
  auto ep = parse_endpoint(str);
  if (!ep)
    return cli_error("--connect expects HOST:PORT (port 1 to 65535, "
                     "IPv6 as [ADDR]:PORT), got '"
                     + printable(str) + "'");
  opts.connect = *ep;
  return std::nullopt;
}

std::optional<usage_error> parse_token_env(const cli_option& opt,
                                           cli_options& opts) {
  if (auto err = opt.value(opts.token_env))
    return err;
  auto ok = std::all_of(opts.token_env.begin(), opts.token_env.end(),
                        [](char c) {
                          return std::isalnum(static_cast<unsigned char>(c))
                                 || c == '_';
                        })
            && !is_digit(opts.token_env.front());
  if (!ok)
    return cli_error("--token-env expects a variable name (letters, "
                     "digits, _), got '"
                     + printable(opts.token_env) + "'");
  opts.token_env_given = true;
  return std::nullopt;
}

/// The option of dynservctl that takes a file name `name`, or null.
std::string* file_option(cli_options& opts, const std::string& name) {
  if (name == "--token-file")
    return &opts.token_file;
  if (name == "--tls-ca")
    return &opts.tls_ca;
  if (name == "--tls-cert")
    return &opts.tls_cert;
  if (name == "--tls-key")
    return &opts.tls_key;
  return nullptr;
}

/// Applies the option word `args[i]` (moving `i` past its value). An
/// unknown option after the command belongs to the command.
std::optional<usage_error>
parse_cli_option(const std::vector<std::string>& args, size_t& i,
                 cli_options& opts) {
  const auto& w = args[i];
  auto [name, inline_value] = split_option(w);
  if (name == "--token") {
    // Never echo the value: it would be a secret on a command line.
    return cli_error("there is no --token option (command lines are visible "
                     "to other users); use --token-env NAME or "
                     "--token-file PATH");
  }
  cli_option opt{args, i, name, inline_value};
  bool before_command = opts.words.empty();
  if (name == "--json")
    return opt.flag(opts.json);
  if (before_command && (name == "--help" || name == "-h"))
    return opt.flag(opts.help);
  if (before_command && name == "--version")
    return opt.flag(opts.version);
  if (name == "--connect")
    return parse_connect(opt, opts);
  if (name == "--token-env")
    return parse_token_env(opt, opts);
  if (auto dst = file_option(opts, name))
    return opt.value(*dst);
  if (before_command)
    return cli_error("unknown option '" + printable(name) + "'");
  // An option of the command (e.g. --status): its parser checks it.
  opts.words.push_back(w);
  return std::nullopt;
}

/// Checks the options that exclude or need each other.
std::optional<usage_error> check_cli(const cli_options& opts) {
  if (opts.token_env_given && !opts.token_file.empty())
    return cli_error("use --token-env or --token-file, not both");
  // CAF's TLS module throws (and aborts) when a CA is set without a
  // certificate, so any TLS option needs the client's certificate and key.
  if (opts.tls() && (opts.tls_cert.empty() || opts.tls_key.empty()))
    return cli_error("TLS needs --tls-cert FILE and --tls-key FILE (and "
                     "--tls-ca FILE to check the node's certificate)");
  return std::nullopt;
}

} // namespace

cli_result parse_cli(const std::vector<std::string>& args) {
  cli_options opts;
  bool options_done = false;
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
    if (auto err = parse_cli_option(args, i, opts))
      return *err;
  }
  if (auto err = check_cli(opts))
    return *err;
  return opts;
}

} // namespace dynserv::console
