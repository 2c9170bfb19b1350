// Tab completion of the console: command names, options, option values and
// positional arguments, as the command table describes them.
#include <algorithm>

#include "tools/console/command_table.hpp"
#include "tools/console/console_commands.hpp"

namespace dynserv::console {

namespace {

/// The line up to the cursor: the complete words and the word under the
/// cursor (empty after a blank).
struct cursor_words {
  std::vector<std::string> words;
  std::string current;
};

cursor_words split_before_cursor(std::string_view line) {
  cursor_words res;
  for (auto c : line) {
    if (is_blank(c)) {
      if (!res.current.empty())
        res.words.push_back(std::move(res.current));
      res.current.clear();
    } else {
      res.current += c;
    }
  }
  return res;
}

/// The values an option completes to (none for free text).
std::vector<std::string> option_values(std::string_view opt,
                                       const completion_data& data) {
  if (opt == "--status") {
    std::vector<std::string> statuses;
    for (size_t i = 0; i < server_status_count; ++i)
      statuses.emplace_back(to_string(static_cast<server_status>(i)));
    return statuses;
  }
  if (opt == "--pool")
    return data.pools;
  if (opt == "--max-unavailable") {
    // Typical values; any count or percentage is accepted.
    return {"1", "2", "10%", "25%", "50%", "100%"};
  }
  return {};
}

/// Where the cursor is among a command's arguments.
struct argument_position {
  /// Positionals before the cursor.
  size_t positional = 0;
  /// An option before the cursor still waiting for its value, or empty.
  std::string pending_option;
};

argument_position position_of(const command_spec& spec,
                              const std::vector<std::string>& words) {
  auto takes_value = [&](std::string_view opt) {
    return std::any_of(spec.options.begin(), spec.options.end(),
                       [&](const auto& o) {
                         return opt == o.name && o.takes_value;
                       });
  };
  argument_position res;
  for (size_t i = 1; i < words.size(); ++i) {
    if (!res.pending_option.empty()) {
      res.pending_option.clear();
      continue;
    }
    if (is_option_word(words[i])) {
      if (words[i].find('=') == std::string::npos && takes_value(words[i]))
        res.pending_option = words[i];
      continue;
    }
    ++res.positional;
  }
  return res;
}

/// What the positional at `index` completes to.
std::vector<std::string> positional_values(positionals args, size_t index,
                                           const completion_data& data) {
  switch (args) {
    case positionals::pool:
      return index == 0 ? data.pools : std::vector<std::string>{};
    case positionals::server_id:
      return index == 0 ? data.servers : std::vector<std::string>{};
    case positionals::count_then_pool:
      return index == 1 ? data.pools : std::vector<std::string>{};
    case positionals::optional_count_and_pool:
      return index <= 1 ? data.pools : std::vector<std::string>{};
    case positionals::command_name:
      return index == 0 ? command_names() : std::vector<std::string>{};
    case positionals::none:
      break;
  }
  return {};
}

/// Candidates for `current` after the words of a known command.
std::vector<std::string> argument_candidates(const command_spec& spec,
                                             const cursor_words& line,
                                             const completion_data& data) {
  const auto& cur = line.current;
  auto pos = position_of(spec, line.words);
  if (!pos.pending_option.empty())
    return option_values(pos.pending_option, data);
  auto eq = cur.find('=');
  if (is_option_word(cur) && eq != std::string::npos) {
    // --status=ru -> --status=running
    auto opt = cur.substr(0, eq);
    std::vector<std::string> res;
    for (const auto& x : option_values(opt, data))
      res.push_back(opt + "=" + x);
    return res;
  }
  if (!cur.empty() && cur[0] == '-') {
    std::vector<std::string> res;
    for (const auto& o : spec.options)
      res.emplace_back(o.name);
    if (spec.has_json)
      res.emplace_back("--json");
    res.emplace_back("--help");
    return res;
  }
  return positional_values(spec.args, pos.positional, data);
}

} // namespace

std::vector<std::string> complete(std::string_view line_before_cursor,
                                  const completion_data& data) {
  auto line = split_before_cursor(line_before_cursor);
  std::vector<std::string> pool;
  if (line.words.empty())
    pool = command_names();
  else if (auto kind = find_command(line.words.front()))
    pool = argument_candidates(spec_of(*kind), line, data);
  const auto& cur = line.current;
  std::vector<std::string> res;
  for (auto& x : pool)
    if (x.compare(0, cur.size(), cur) == 0)
      res.push_back(std::move(x));
  std::sort(res.begin(), res.end());
  res.erase(std::unique(res.begin(), res.end()), res.end());
  return res;
}

} // namespace dynserv::console
