// Validates the JSON configuration file against the schema of node_config.hpp
// and collects every problem found, each with its dotted key path.
#include "config/node_config.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <set>
#include <system_error>
#include <utility>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "providers/cloud_providers.hpp"

#include "actors/reboot_rollout.hpp"
#include "messages/events.hpp"

#include "policies/http_metric.hpp"
#include "policies/schedule.hpp"
#include "policies/time_zone.hpp"

namespace dynserv {

namespace {

using rapidjson::Value;

// -- small helpers ------------------------------------------------------------

constexpr const char* log_levels[] = {"trace", "debug", "info",
                                      "warn",  "error", "off"};

constexpr const char* provider_types[] = {"simulated", "upcloud", "hetzner",
                                          "digitalocean", "exec"};

constexpr const char* orphan_actions[] = {"delete", "adopt", "report"};

constexpr const char* simulated_operations[]
  = {"create", "get", "list", "stop", "start", "reboot", "delete"};

std::string join(const std::string& path, std::string_view key) {
  if (path.empty())
    return std::string{key};
  std::string result = path;
  result += '.';
  result += key;
  return result;
}

std::string in_quotes(std::string_view str) {
  std::string result = "\"";
  result += str;
  result += '"';
  return result;
}

bool iequals_ascii(std::string_view a, std::string_view b) {
  return a.size() == b.size()
         && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
              return std::tolower(static_cast<unsigned char>(x))
                     == std::tolower(static_cast<unsigned char>(y));
            });
}

std::string str_of(const Value& x) {
  return std::string{x.GetString(), x.GetStringLength()};
}

/// Names the JSON type of `x` for "expected ..., got ..." messages.
const char* kind_of(const Value& x) {
  switch (x.GetType()) {
    case rapidjson::kNullType:
      return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return "a boolean";
    case rapidjson::kObjectType:
      return "an object";
    case rapidjson::kArrayType:
      return "an array";
    case rapidjson::kStringType:
      return "a string";
    case rapidjson::kNumberType:
      return x.IsInt64() || x.IsUint64() ? "an integer" : "a decimal number";
  }
  return "an unknown value";
}

/// Prints a number without trailing zeros ("0.5", "2", "1e+20").
std::string format_number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.15g", x);
  return buf;
}

/// Edit distance with adjacent transpositions (optimal string alignment).
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1,
                                     std::vector<size_t>(b.size() + 1));
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

/// Whether `name` has 1 to 40 characters from a-z, 0-9, '-' and, if
/// `allow_underscore`, '_'.
bool valid_name(std::string_view name, bool allow_underscore) {
  if (name.empty() || name.size() > 40)
    return false;
  return std::all_of(name.begin(), name.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
           || (allow_underscore && c == '_');
  });
}

/// Returns 0 if the file at `path` can be opened and read, else the errno.
int unreadable(const std::string& path) {
  errno = 0;
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr)
    return errno != 0 ? errno : EACCES;
  char c;
  // A directory opens but does not read (EISDIR).
  auto n = std::fread(&c, 1, 1, file);
  int err = n == 0 && std::ferror(file) ? (errno != 0 ? errno : EIO) : 0;
  std::fclose(file);
  return err;
}

/// Whether `name` can name an environment variable: letters, digits and
/// '_', not starting with a digit.
bool valid_env_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])))
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

/// Line and column (both 1-based; the column counts UTF-8 characters) of the
/// byte at `offset`.
std::pair<size_t, size_t> line_and_column(std::string_view text,
                                          size_t offset) {
  offset = std::min(offset, text.size());
  size_t line = 1;
  size_t column = 1;
  for (size_t i = 0; i < offset; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++line;
      column = 1;
    } else if ((c & 0xC0) != 0x80) {
      ++column;
    }
  }
  return {line, column};
}

// -- durations ----------------------------------------------------------------

enum class duration_status { ok, syntax, sub_millisecond, too_large };

struct duration_parse {
  duration_status status;
  millis value;
};

duration_parse parse_duration_detail(std::string_view str) {
  auto fail = [](duration_status s) { return duration_parse{s, millis{0}}; };
  size_t pos = 0;
  auto digits = [&] {
    auto first = pos;
    while (pos < str.size() && str[pos] >= '0' && str[pos] <= '9')
      ++pos;
    return str.substr(first, pos - first);
  };
  auto integral = digits();
  if (integral.empty())
    return fail(duration_status::syntax);
  std::string_view fraction;
  if (pos < str.size() && str[pos] == '.') {
    ++pos;
    fraction = digits();
    if (fraction.empty())
      return fail(duration_status::syntax);
  }
  auto unit = str.substr(pos);
  int64_t factor = 0;
  if (unit == "ms")
    factor = 1;
  else if (unit == "s")
    factor = 1000;
  else if (unit == "m")
    factor = 60 * 1000;
  else if (unit == "h")
    factor = 60 * 60 * 1000;
  else
    return fail(duration_status::syntax);
  int64_t whole = 0;
  for (auto c : integral)
    if (__builtin_mul_overflow(whole, 10, &whole)
        || __builtin_add_overflow(whole, c - '0', &whole))
      return fail(duration_status::too_large);
  if (__builtin_mul_overflow(whole, factor, &whole))
    return fail(duration_status::too_large);
  while (!fraction.empty() && fraction.back() == '0')
    fraction.remove_suffix(1);
  // 10^n divides fraction * factor only for n <= 7 (factor <= 2^7 * 5^5 * 9).
  if (fraction.size() > 7)
    return fail(duration_status::sub_millisecond);
  int64_t numerator = 0;
  int64_t denominator = 1;
  for (auto c : fraction) {
    numerator = numerator * 10 + (c - '0');
    denominator *= 10;
  }
  numerator *= factor; // < 10^7 * 3.6 * 10^6: no overflow
  if (numerator % denominator != 0)
    return fail(duration_status::sub_millisecond);
  if (__builtin_add_overflow(whole, numerator / denominator, &whole))
    return fail(duration_status::too_large);
  return {duration_status::ok, millis{whole}};
}

// -- the checker --------------------------------------------------------------

/// A key the checker knows in one object, with the function that reads it.
struct field {
  using reader = std::function<void(const Value&, const std::string&)>;
  std::string_view key;
  bool required;
  reader read;
};

/// Walks the document, fills a node_config and records every problem.
class checker {
public:
  explicit checker(std::string base_dir) : base_dir_(std::move(base_dir)) {
    // nop
  }

  config_result run(const Value& root);

private:
  void fail(std::string path, std::string problem) {
    errors_.push_back(config_error{std::move(path), std::move(problem)});
  }

  void expected(const std::string& path, std::string_view what,
                const Value& x) {
    std::string problem = "expected ";
    problem += what;
    problem += ", got ";
    problem += kind_of(x);
    fail(path, std::move(problem));
  }

  /// Reads the members of `obj` in document order: known keys go to their
  /// field's reader; unknown keys are errors unless `lenient`; missing
  /// required keys are reported after the members.
  void walk(const Value& obj, const std::string& path,
            const std::vector<field>& fields, bool lenient = false) {
    std::set<std::string> seen;
    for (auto i = obj.MemberBegin(); i != obj.MemberEnd(); ++i) {
      auto key = str_of(i->name);
      auto key_path = join(path, key);
      if (!seen.insert(key).second) {
        fail(key_path, "duplicate key");
        continue;
      }
      auto f = std::find_if(fields.begin(), fields.end(),
                            [&](const field& x) { return x.key == key; });
      if (f != fields.end())
        f->read(i->value, key_path);
      else if (!lenient)
        unknown_key(key_path, key, fields);
    }
    for (auto& f : fields)
      if (f.required && seen.count(std::string{f.key}) == 0)
        fail(join(path, f.key), "missing required key");
  }

  void unknown_key(const std::string& path, std::string_view key,
                   const std::vector<field>& fields) {
    std::string_view best;
    size_t best_distance = 3;
    for (auto& f : fields) {
      auto d = edit_distance(key, f.key);
      if (d < best_distance) {
        best = f.key;
        best_distance = d;
      }
    }
    if (best.empty())
      fail(path, "unknown key");
    else
      fail(path, "unknown key (did you mean " + in_quotes(best) + "?)");
  }

  // -- typed readers: each returns nullopt after reporting a problem --

  bool object(const Value& x, const std::string& path) {
    if (x.IsObject())
      return true;
    expected(path, "an object", x);
    return false;
  }

  std::optional<std::string> string(const Value& x, const std::string& path) {
    if (x.IsString())
      return str_of(x);
    expected(path, "a string", x);
    return std::nullopt;
  }

  std::optional<bool> boolean(const Value& x, const std::string& path) {
    if (x.IsBool())
      return x.GetBool();
    expected(path, "a boolean", x);
    return std::nullopt;
  }

  std::optional<int64_t> integer(const Value& x, const std::string& path) {
    if (x.IsInt64()) {
      if (x.GetInt64() >= 0)
        return x.GetInt64();
      fail(path, "must be >= 0, got " + std::to_string(x.GetInt64()));
      return std::nullopt;
    }
    if (x.IsUint64())
      fail(path, "must be at most " + std::to_string(INT64_MAX) + ", got "
                   + std::to_string(x.GetUint64()));
    else
      expected(path, "an integer", x);
    return std::nullopt;
  }

  std::optional<uint64_t> unsigned_integer(const Value& x,
                                           const std::string& path) {
    if (x.IsUint64())
      return x.GetUint64();
    if (x.IsInt64())
      fail(path, "must be >= 0, got " + std::to_string(x.GetInt64()));
    else
      expected(path, "an integer", x);
    return std::nullopt;
  }

  std::optional<double> number(const Value& x, const std::string& path) {
    if (x.IsNumber())
      return x.GetDouble();
    expected(path, "a number", x);
    return std::nullopt;
  }

  /// A number in [0, 1].
  std::optional<double> fraction(const Value& x, const std::string& path) {
    auto result = number(x, path);
    if (result && (*result < 0.0 || *result > 1.0)) {
      fail(path, "must be between 0 and 1, got " + format_number(*result));
      return std::nullopt;
    }
    return result;
  }

  /// A number > 0.
  std::optional<double> positive(const Value& x, const std::string& path) {
    auto result = number(x, path);
    if (result && *result <= 0.0) {
      fail(path, "must be > 0, got " + format_number(*result));
      return std::nullopt;
    }
    return result;
  }

  /// A number >= `lower`.
  std::optional<double> at_least(const Value& x, const std::string& path,
                                 double lower) {
    auto result = number(x, path);
    if (result && *result < lower) {
      fail(path, "must be >= " + format_number(lower) + ", got "
                   + format_number(*result));
      return std::nullopt;
    }
    return result;
  }

  /// A duration string of at least `lower`.
  std::optional<millis> duration(const Value& x, const std::string& path,
                                 millis lower = millis{0}) {
    if (!x.IsString()) {
      expected(path, "a duration string such as \"30s\"", x);
      return std::nullopt;
    }
    auto str = str_of(x);
    auto parsed = parse_duration_detail(str);
    switch (parsed.status) {
      case duration_status::ok:
        break;
      case duration_status::syntax:
        fail(path, "invalid duration " + in_quotes(str)
                     + ": expected a number followed by ms, s, m or h, "
                       "e.g. \"500ms\" or \"1.5s\"");
        return std::nullopt;
      case duration_status::sub_millisecond:
        fail(path, "invalid duration " + in_quotes(str)
                     + ": must be a whole number of milliseconds");
        return std::nullopt;
      case duration_status::too_large:
        fail(path, "invalid duration " + in_quotes(str) + ": too large");
        return std::nullopt;
    }
    if (parsed.value < lower) {
      fail(path, "must be at least " + format_duration(lower) + ", got "
                   + format_duration(parsed.value));
      return std::nullopt;
    }
    return parsed.value;
  }

  /// A field reader for an integer in [lower, upper], stored into `dst`.
  template <class T>
  auto bounded(T& dst, uint64_t lower, uint64_t upper) {
    return [this, &dst, lower, upper](const Value& v, const std::string& p) {
      auto n = unsigned_integer(v, p);
      if (!n)
        return;
      if (*n < lower || *n > upper)
        fail(p, "must be between " + std::to_string(lower) + " and "
                  + std::to_string(upper) + ", got " + std::to_string(*n));
      else
        dst = static_cast<T>(*n);
    };
  }

  /// Reports a `backoff_max` below `backoff_initial` at the key the file
  /// gave (the other one may be a default).
  void check_backoff_order(const std::string& path, millis initial, millis max,
                           bool max_given) {
    if (max >= initial)
      return;
    fail(join(path, max_given ? "backoff_max" : "backoff_initial"),
         "backoff_max (" + format_duration(max)
           + ") must be at least backoff_initial (" + format_duration(initial)
           + ")");
  }

  /// Copies `x` into `dst` when it has a value.
  template <class T, class U>
  static void store(T& dst, const std::optional<U>& x) {
    if (x)
      dst = *x;
  }

  /// Reads a map section (`providers`, `pools`): at least one entry, each
  /// named validly, unique, an object, read by `read`.
  template <class Map, class Reader>
  void read_entries(const Value& x, const std::string& path, const char* kind,
                    Map& entries, Reader read) {
    if (!object(x, path))
      return;
    if (x.MemberCount() == 0) {
      fail(path, std::string{"must contain at least one "} + kind);
      return;
    }
    std::set<std::string> seen;
    for (auto i = x.MemberBegin(); i != x.MemberEnd(); ++i) {
      auto name = str_of(i->name);
      auto entry_path = join(path, name);
      if (!seen.insert(name).second) {
        fail(entry_path, "duplicate key");
        continue;
      }
      if (!valid_name(name, true))
        fail(entry_path, "invalid name: use 1 to 40 characters from a-z, "
                         "0-9, '_' and '-'");
      if (!object(i->value, entry_path))
        continue;
      auto& cfg = entries[name];
      cfg.name = name;
      read(i->value, entry_path, cfg);
    }
  }

  // -- sections --

  void read_node(const Value& x, const std::string& path);
  void read_limits(const Value& x, const std::string& path);
  void read_timing(const Value& x, const std::string& path);
  void read_admin(const Value& x, const std::string& path);
  void read_http(const Value& x, const std::string& path);
  /// "HOST:PORT" or "off" (admin.listen, http.listen).
  void read_listen(const Value& v, const std::string& p, bool& enabled,
                   std::string& host, uint16_t& port);
  /// A token of at least 16 characters.
  void read_token(const Value& v, const std::string& p, std::string& dst);
  /// The name of an environment variable.
  void read_token_env(const Value& v, const std::string& p, std::string& dst);
  /// A non-empty path, resolved against the config file's directory.
  void read_file_path(const Value& v, const std::string& p, std::string& dst);
  void read_providers(const Value& x, const std::string& path);
  void read_provider(const Value& x, const std::string& path,
                     provider_config& cfg);
  void read_faults(const Value& x, const std::string& path,
                   simulated_faults& cfg);
  std::vector<field> simulated_fields(simulated_options& sim);
  std::vector<field> http_fields(const std::string& type, provider_config& cfg);
  std::vector<field> exec_fields(exec_options& exec);
  void check_credentials(const std::string& path, const std::string& type,
                         http_provider_options& api);
  void read_orphans(const Value& x, const std::string& path);
  void read_pools(const Value& x, const std::string& path);
  void read_pool(const Value& x, const std::string& path, pool_config& cfg);
  void read_pool_reboot(const Value& x, const std::string& path,
                        pool_config& cfg);
  void read_remediation(const Value& x, const std::string& path,
                        remediation_config& cfg);
  void read_breaker(const Value& x, const std::string& path,
                    breaker_config& cfg);
  void read_policy_defaults(const Value& x, const std::string& path);
  void read_policy(const Value& x, const std::string& path, policy_spec& cfg);
  void read_windows(const Value& x, const std::string& path,
                    std::vector<schedule_window>& windows);
  void read_webhooks(const Value& x, const std::string& path);
  void read_webhook(const Value& x, const std::string& path,
                    webhook_config& cfg);
  /// An array of distinct strings, each one of `known` (when given).
  std::optional<std::vector<std::string>>
  string_list(const Value& x, const std::string& path, const char* what,
              const std::vector<std::string>* known);

  std::string resolve(const std::string& dir) const;

  std::string base_dir_;
  std::vector<config_error> errors_;
  node_config cfg_;
  /// Keys of `providers`, known before the walk reaches `pools`.
  std::optional<std::vector<std::string>> provider_names_;
  /// Types of the entries of `providers` that name a known type.
  std::map<std::string, std::string> provider_types_;
  /// Credential keys of the provider being read (key -> value or variable
  /// name), checked together after its walk.
  std::map<std::string, std::string> credentials_;
  /// `limits.max_servers` when valid, known before the walk reaches `pools`.
  std::optional<int64_t> max_servers_;
  /// Keys of `pools`, known before the walk reaches `webhooks`.
  std::optional<std::vector<std::string>> pool_names_;
};

config_result checker::run(const Value& root) {
  if (!root.IsObject()) {
    expected("", "an object at the top level", root);
    return {std::nullopt, std::move(errors_)};
  }
  // Pools refer to providers and default to limits.max_servers: look both up
  // first so that the walk can follow document order.
  if (auto i = root.FindMember("providers"); i != root.MemberEnd()
                                             && i->value.IsObject()
                                             && i->value.MemberCount() > 0) {
    provider_names_.emplace();
    for (auto j = i->value.MemberBegin(); j != i->value.MemberEnd(); ++j) {
      provider_names_->push_back(str_of(j->name));
      if (!j->value.IsObject())
        continue;
      auto t = j->value.FindMember("type");
      if (t != j->value.MemberEnd() && t->value.IsString())
        provider_types_[str_of(j->name)] = str_of(t->value);
    }
  }
  if (auto i = root.FindMember("pools");
      i != root.MemberEnd() && i->value.IsObject()) {
    pool_names_.emplace();
    for (auto j = i->value.MemberBegin(); j != i->value.MemberEnd(); ++j)
      pool_names_->push_back(str_of(j->name));
  }
  if (auto i = root.FindMember("limits");
      i != root.MemberEnd() && i->value.IsObject()) {
    auto j = i->value.FindMember("max_servers");
    if (j != i->value.MemberEnd() && j->value.IsInt64()
        && j->value.GetInt64() >= 0)
      max_servers_ = j->value.GetInt64();
  }
  walk(
    root, "",
    {
      {"node", true, [this](auto& x, auto& p) { read_node(x, p); }},
      {"limits", true, [this](auto& x, auto& p) { read_limits(x, p); }},
      {"timing", false, [this](auto& x, auto& p) { read_timing(x, p); }},
      {"admin", false, [this](auto& x, auto& p) { read_admin(x, p); }},
      {"http", false, [this](auto& x, auto& p) { read_http(x, p); }},
      {"policy", false,
       [this](auto& x, auto& p) { read_policy_defaults(x, p); }},
      {"orphans", false, [this](auto& x, auto& p) { read_orphans(x, p); }},
      {"providers", true, [this](auto& x, auto& p) { read_providers(x, p); }},
      {"pools", true, [this](auto& x, auto& p) { read_pools(x, p); }},
      {"webhooks", false, [this](auto& x, auto& p) { read_webhooks(x, p); }},
    });
  if (!errors_.empty())
    return {std::nullopt, std::move(errors_)};
  return {std::move(cfg_), {}};
}

std::string checker::resolve(const std::string& dir) const {
  namespace fs = std::filesystem;
  fs::path result{dir};
  if (result.is_relative() && !base_dir_.empty())
    result = fs::path{base_dir_} / result;
  result = result.lexically_normal();
  // "a/b/" -> "a/b", but keep "/" and "." as they are.
  if (!result.has_filename() && result.has_relative_path())
    result = result.parent_path();
  return result.string();
}

void checker::read_node(const Value& x, const std::string& path) {
  if (!object(x, path))
    return;
  walk(x, path,
       {
         {"name", false,
          [this](auto& v, auto& p) {
            auto str = string(v, p);
            if (!str)
              return;
            if (valid_name(*str, false))
              cfg_.name = *str;
            else
              fail(p, "invalid name " + in_quotes(*str)
                        + ": use 1 to 40 characters from a-z, 0-9 and '-'");
          }},
         {"data_dir", true,
          [this](auto& v, auto& p) {
            auto str = string(v, p);
            if (!str)
              return;
            if (str->empty())
              fail(p, "must not be empty");
            else
              cfg_.data_dir = resolve(*str);
          }},
         {"reconcile_interval", false,
          [this](auto& v, auto& p) {
            store(cfg_.reconcile_interval, duration(v, p, min_poll_interval));
          }},
         {"log_level", false,
          [this](auto& v, auto& p) {
            auto str = string(v, p);
            if (!str)
              return;
            if (std::find(std::begin(log_levels), std::end(log_levels), *str)
                != std::end(log_levels))
              cfg_.log_level = *str;
            else
              fail(p,
                   "must be one of trace, debug, info, warn, error, off; got "
                     + in_quotes(*str));
          }},
         {"deleted_retention", false,
          [this](auto& v, auto& p) {
            store(cfg_.deleted_retention, duration(v, p));
          }},
       });
}

void checker::read_listen(const Value& v, const std::string& p, bool& enabled,
                          std::string& host_out, uint16_t& port_out) {
  auto str = string(v, p);
  if (!str)
    return;
  if (*str == "off") {
    enabled = false;
    return;
  }
  auto colon = str->rfind(':');
  auto host = colon == std::string::npos ? std::string{}
                                         : str->substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto port_str = colon == std::string::npos ? std::string{}
                                             : str->substr(colon + 1);
  char* end = nullptr;
  auto port = std::strtol(port_str.c_str(), &end, 10);
  if (host.empty() || port_str.empty() || *end != '\0' || port < 0
      || port > 65535) {
    fail(p, "expected \"HOST:PORT\" (port 0 to 65535) or \"off\", got "
              + in_quotes(*str));
    return;
  }
  host_out = host;
  port_out = static_cast<uint16_t>(port);
}

void checker::read_token(const Value& v, const std::string& p,
                         std::string& dst) {
  auto str = string(v, p);
  if (!str)
    return;
  if (str->size() < 16)
    fail(p, "must be at least 16 characters long");
  else
    dst = *str;
}

void checker::read_token_env(const Value& v, const std::string& p,
                             std::string& dst) {
  auto str = string(v, p);
  if (!str)
    return;
  auto ok = !str->empty() && std::all_of(str->begin(), str->end(), [](char c) {
    return std::isupper(static_cast<unsigned char>(c))
           || std::isdigit(static_cast<unsigned char>(c)) || c == '_';
  });
  if (!ok)
    fail(p, "expected an environment variable name (A-Z, 0-9, _), got "
              + in_quotes(*str));
  else
    dst = *str;
}

void checker::read_file_path(const Value& v, const std::string& p,
                             std::string& dst) {
  auto str = string(v, p);
  if (!str)
    return;
  if (str->empty())
    fail(p, "must not be empty");
  else
    dst = resolve(*str);
}

void checker::read_admin(const Value& x, const std::string& path) {
  if (!object(x, path))
    return;
  auto& a = cfg_.admin;
  auto file = [this](std::string& dst) {
    return [this, &dst](auto& v, auto& p) { read_file_path(v, p, dst); };
  };
  walk(
    x, path,
    {
      {"listen", false,
       [&](auto& v, auto& p) { read_listen(v, p, a.enabled, a.host, a.port); }},
      {"token", false, [&](auto& v, auto& p) { read_token(v, p, a.token); }},
      {"token_env", false,
       [&](auto& v, auto& p) { read_token_env(v, p, a.token_env); }},
      {"tls", false,
       [&](auto& v, auto& p) {
         if (!object(v, p))
           return;
         admin_tls_config tls;
         walk(v, p,
              {
                {"certificate", true, file(tls.certificate)},
                {"key", true, file(tls.key)},
                {"cafile", false, file(tls.cafile)},
              });
         a.tls = tls;
       }},
    });
  if (!a.token.empty() && !a.token_env.empty())
    fail(join(path, "token"), "set either token or token_env, not both");
}

void checker::read_http(const Value& x, const std::string& path) {
  if (!object(x, path))
    return;
  auto& h = cfg_.http;
  auto file = [this](std::string& dst) {
    return [this, &dst](auto& v, auto& p) { read_file_path(v, p, dst); };
  };
  walk(
    x, path,
    {
      {"listen", false,
       [&](auto& v, auto& p) { read_listen(v, p, h.enabled, h.host, h.port); }},
      {"token", false, [&](auto& v, auto& p) { read_token(v, p, h.token); }},
      {"token_env", false,
       [&](auto& v, auto& p) { read_token_env(v, p, h.token_env); }},
      {"public_reads", false,
       [&](auto& v, auto& p) {
         if (v.IsBool())
           h.public_reads = v.GetBool();
         else
           expected(p, "true or false", v);
       }},
      {"request_timeout", false,
       [&](auto& v, auto& p) {
         store(h.request_timeout, duration(v, p, millis{10}));
       }},
      {"idle_timeout", false,
       [&](auto& v, auto& p) {
         store(h.idle_timeout, duration(v, p, millis{10}));
       }},
      {"body_limit", false, bounded(h.body_limit, 1, 64 << 20)},
      {"max_connections", false, bounded(h.max_connections, 1, 65536)},
      {"tls", false,
       [&](auto& v, auto& p) {
         if (!object(v, p))
           return;
         http_tls_config tls;
         walk(v, p,
              {
                {"certificate", true, file(tls.certificate)},
                {"key", true, file(tls.key)},
              });
         h.tls = tls;
       }},
    });
  if (!h.token.empty() && !h.token_env.empty())
    fail(join(path, "token"), "set either token or token_env, not both");
}

void checker::read_orphans(const Value& x, const std::string& path) {
  if (!object(x, path))
    return;
  auto& o = cfg_.orphans;
  walk(x, path,
       {
         {"action", false,
          [&](auto& v, auto& p) {
            auto str = string(v, p);
            if (!str)
              return;
            if (*str == "delete")
              o.action = orphan_action::destroy;
            else if (*str == "adopt")
              o.action = orphan_action::adopt;
            else if (*str == "report")
              o.action = orphan_action::report;
            else
              fail(p, "expected \"delete\", \"adopt\" or \"report\", got "
                        + in_quotes(*str));
          }},
         {"grace", false,
          [&](auto& v, auto& p) { store(o.grace, duration(v, p)); }},
         {"sweep_interval", false,
          [&](auto& v, auto& p) {
            store(o.sweep_interval, duration(v, p, min_sweep_interval));
          }},
       });
}

void checker::read_limits(const Value& x, const std::string& path) {
  if (!object(x, path))
    return;
  walk(x, path,
       {
         {"max_servers", true,
          [this](auto& v, auto& p) { store(cfg_.max_servers, integer(v, p)); }},
       });
}

void checker::read_timing(const Value& x, const std::string& path) {
  if (!object(x, path))
    return;
  auto& t = cfg_.timing;
  // Set only when given and valid; checked against backoff_initial below.
  std::optional<millis> backoff_initial;
  std::optional<millis> backoff_max;
  bool backoff_max_given = false;
  auto hanging = [this](millis& dst) {
    return
      [this, &dst](auto& v, auto& p) { store(dst, duration(v, p, millis{1})); };
  };
  walk(x, path,
       {
         {"poll_interval", false,
          [&](auto& v, auto& p) {
            store(t.poll_interval, duration(v, p, min_poll_interval));
          }},
         {"backoff_initial", false,
          [&](auto& v, auto& p) {
            backoff_initial = duration(v, p, millis{1});
            store(t.backoff_initial, backoff_initial);
          }},
         {"backoff_max", false,
          [&](auto& v, auto& p) {
            backoff_max_given = true;
            backoff_max = duration(v, p, millis{1});
            store(t.backoff_max, backoff_max);
          }},
         {"backoff_multiplier", false,
          [&](auto& v, auto& p) {
            store(t.backoff_multiplier, at_least(v, p, 1.0));
          }},
         {"backoff_jitter", false,
          [&](auto& v, auto& p) { store(t.backoff_jitter, fraction(v, p)); }},
         {"call_timeout", false,
          [&](auto& v, auto& p) {
            store(t.call_timeout, duration(v, p, millis{1}));
          }},
         {"hanging_after", false,
          [&](auto& v, auto& p) {
            if (!object(v, p))
              return;
            walk(v, p,
                 {
                   {"starting", false, hanging(t.hanging_starting)},
                   {"stopping", false, hanging(t.hanging_stopping)},
                   {"deleting", false, hanging(t.hanging_deleting)},
                   {"rebooting", false, hanging(t.hanging_rebooting)},
                 });
          }},
       });
  if (backoff_max_given) {
    if (backoff_max && *backoff_max < t.backoff_initial)
      fail(join(path, "backoff_max"), "must be at least backoff_initial ("
                                        + format_duration(t.backoff_initial)
                                        + "), got "
                                        + format_duration(*backoff_max));
  } else if (backoff_initial && *backoff_initial > t.backoff_max) {
    fail(join(path, "backoff_initial"),
         "must be at most backoff_max (" + format_duration(t.backoff_max)
           + ", the default), got " + format_duration(*backoff_initial));
  }
}

void checker::read_providers(const Value& x, const std::string& path) {
  read_entries(x, path, "provider", cfg_.providers,
               [this](auto& v, auto& p, auto& cfg) {
                 read_provider(v, p, cfg);
               });
}

void checker::read_provider(const Value& x, const std::string& path,
                            provider_config& cfg) {
  // The type decides which other keys exist: read it first.
  std::optional<std::string> type;
  if (auto i = x.FindMember("type"); i != x.MemberEnd() && i->value.IsString())
    type = str_of(i->value);
  bool known_type = type
                    && std::find(std::begin(provider_types),
                                 std::end(provider_types), *type)
                         != std::end(provider_types);
  // Keys of `rate_limit` that were given (valid or not).
  std::optional<double> rps;
  std::optional<double> burst;
  bool rate_limit_given = false;
  std::vector<field> fields{
    {"type", true,
     [&](auto& v, auto& p) {
       auto str = string(v, p);
       if (!str)
         return;
       if (known_type) {
         cfg.type = *str;
         return;
       }
       std::string known;
       for (auto name : provider_types)
         known += (known.empty() ? "" : ", ") + std::string{name};
       fail(p, "unknown provider type " + in_quotes(*str) + " (known: " + known
                 + ")");
     }},
    {"rate_limit", false,
     [&](auto& v, auto& p) {
       if (!object(v, p))
         return;
       rate_limit_given = true;
       walk(v, p,
            {
              {"requests_per_second", false,
               [&](auto& v2, auto& p2) { rps = positive(v2, p2); }},
              {"burst", false,
               [&](auto& v2, auto& p2) { burst = at_least(v2, p2, 1.0); }},
              {"reserve", false,
               [&](auto& v2, auto& p2) {
                 auto r = number(v2, p2);
                 if (r && (*r < 0.0 || *r >= 1.0))
                   fail(p2, "must be at least 0 and below 1, got "
                              + format_number(*r));
                 else
                   store(cfg.budget_reserve, r);
               }},
            });
     }},
  };
  // Keys of the other types: read only for their type. With the type
  // missing (or not a string) they are tolerated, since the user probably
  // meant one of them; with an unknown type nothing but the common keys is
  // checked, since that type's keys are unknown.
  auto type_fields = [&](const std::string& t) {
    if (t == "simulated")
      return simulated_fields(cfg.simulated);
    if (t == "exec")
      return exec_fields(cfg.exec);
    return http_fields(t, cfg);
  };
  if (known_type) {
    auto more = type_fields(*type);
    fields.insert(fields.end(), more.begin(), more.end());
  } else if (!type) {
    for (auto t : provider_types)
      for (auto& f : type_fields(t))
        if (std::none_of(fields.begin(), fields.end(),
                         [&](const field& g) { return g.key == f.key; }))
          fields.push_back({f.key, false, [](auto&, auto&) {}});
  }
  credentials_.clear();
  walk(x, path, fields, type && !known_type);
  if (!known_type)
    return;
  if (*type != "simulated" && *type != "exec")
    check_credentials(path, *type, cfg.api);
  // A real cloud is never unlimited: its published limit is the default of
  // the keys left out, scaled by the reserve.
  auto defaults = default_rate_limit(*type, cfg.budget_reserve);
  if (rate_limit_given || defaults) {
    auto base = defaults.value_or(rate_limit_options{});
    cfg.rate_limit = rate_limit_options{rps.value_or(base.requests_per_second),
                                        burst.value_or(base.burst)};
  }
}

std::vector<field> checker::simulated_fields(simulated_options& sim) {
  auto time = [this](millis& dst) -> field::reader {
    return [this, &dst](auto& v, auto& p) { store(dst, duration(v, p)); };
  };
  return {
    {"create_time", false, time(sim.create_time)},
    {"start_time", false, time(sim.start_time)},
    {"stop_time", false, time(sim.stop_time)},
    {"delete_time", false, time(sim.delete_time)},
    {"reboot_time", false, time(sim.reboot_time)},
    {"jitter", false,
     [this, &sim](auto& v, auto& p) { store(sim.jitter, fraction(v, p)); }},
    {"seed", false,
     [this, &sim](auto& v, auto& p) {
       store(sim.seed, unsigned_integer(v, p));
     }},
    {"time_scale", false,
     [this, &sim](auto& v, auto& p) { store(sim.time_scale, positive(v, p)); }},
    {"faults", false,
     [this, &sim](auto& v, auto& p) { read_faults(v, p, sim.faults); }},
  };
}

std::vector<field> checker::http_fields(const std::string& type,
                                        provider_config& cfg) {
  auto& api = cfg.api;
  api.http.base_url = default_base_url(type);
  // Credentials are checked together once the walk is done.
  auto secret = [this](const char* key) -> field::reader {
    return [this, key](auto& v, auto& p) {
      // Recorded even when invalid (as ""), so that it does not count as
      // missing as well.
      auto& dst = credentials_[key];
      auto str = string(v, p);
      if (!str)
        return;
      if (str->empty())
        fail(p, "must not be empty");
      else
        dst = *str;
    };
  };
  auto env_name = [this](const char* key) -> field::reader {
    return [this, key](auto& v, auto& p) {
      auto& dst = credentials_[key];
      auto str = string(v, p);
      if (!str)
        return;
      if (!valid_env_name(*str))
        fail(p, "expected an environment variable name (letters, digits "
                "and _, not starting with a digit), got "
                  + in_quotes(*str));
      else
        dst = *str;
    };
  };
  std::vector<field> result{
    {"base_url", false,
     [this, &api](auto& v, auto& p) {
       auto str = string(v, p);
       if (!str)
         return;
       if (str->rfind("https://", 0) != 0 && str->rfind("http://", 0) != 0)
         fail(p, "expected a URL starting with https:// or http://, got "
                   + in_quotes(*str));
       else
         api.http.base_url = *str;
     }},
    {"ca_file", false,
     [this, &api](auto& v, auto& p) {
       auto str = string(v, p);
       if (!str)
         return;
       if (str->empty()) {
         fail(p, "must not be empty");
         return;
       }
       auto file = resolve(*str);
       if (auto err = unreadable(file))
         fail(p, "cannot read " + in_quotes(file) + ": "
                   + std::generic_category().message(err));
       else
         api.http.ca_file = file;
     }},
    {"tls_verify", false,
     [this, &api](auto& v, auto& p) {
       store(api.http.tls_verify, boolean(v, p));
     }},
    {"connect_timeout", false,
     [this, &api](auto& v, auto& p) {
       store(api.http.connect_timeout, duration(v, p, millis{1}));
     }},
    {"read_timeout", false,
     [this, &api](auto& v, auto& p) {
       store(api.http.read_timeout, duration(v, p, millis{1}));
     }},
    {"stop_timeout", false,
     [this, &cfg](auto& v, auto& p) {
       store(cfg.stop_timeout, duration(v, p, millis{1000}));
     }},
    {"token", false, secret("token")},
    {"token_env", false, env_name("token_env")},
  };
  if (type == "upcloud") {
    result.push_back({"username", false, secret("username")});
    result.push_back({"username_env", false, env_name("username_env")});
    result.push_back({"password", false, secret("password")});
    result.push_back({"password_env", false, env_name("password_env")});
  }
  return result;
}

std::vector<field> checker::exec_fields(exec_options& exec) {
  return {
    {"command", true,
     [this, &exec](auto& v, auto& p) {
       if (!v.IsArray()) {
         expected(p, "a non-empty array of strings", v);
         return;
       }
       if (v.Empty()) {
         fail(p, "must not be empty");
         return;
       }
       std::vector<std::string> argv;
       bool ok = true;
       for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
         auto elem_path = p + "[" + std::to_string(i) + "]";
         auto str = string(v[i], elem_path);
         if (!str) {
           ok = false;
         } else if (str->empty()) {
           fail(elem_path, "must not be empty");
           ok = false;
         } else if (str->find('/') != std::string::npos && str->front() != '/'
                    && str->front() != '-') {
           // A relative path: relative to the config file, like data_dir.
           argv.push_back(resolve(*str));
         } else {
           argv.push_back(*str);
         }
       }
       if (ok)
         exec.command = std::move(argv);
     }},
    {"timeout", false,
     [this, &exec](auto& v, auto& p) {
       store(exec.timeout, duration(v, p, millis{1}));
     }},
    {"env", false,
     [this, &exec](auto& v, auto& p) {
       if (!object(v, p))
         return;
       std::set<std::string> seen;
       for (auto i = v.MemberBegin(); i != v.MemberEnd(); ++i) {
         auto key = str_of(i->name);
         auto key_path = join(p, key);
         if (!seen.insert(key).second) {
           fail(key_path, "duplicate key");
           continue;
         }
         if (!valid_env_name(key)) {
           fail(key_path, "invalid environment variable name: use letters, "
                          "digits and _, not starting with a digit");
           continue;
         }
         if (auto str = string(i->value, key_path))
           exec.env[key] = *str;
       }
     }},
  };
}

void checker::check_credentials(const std::string& path,
                                const std::string& type,
                                http_provider_options& api) {
  auto given = [this](const char* key) { return credentials_.count(key) > 0; };
  // Resolves `key` or `key_env` into `dst`; reports both or an unset
  // variable (by name: the value is a secret).
  auto take = [&](const char* key, std::string& dst) {
    auto env_key = std::string{key} + "_env";
    if (given(key) && given(env_key.c_str())) {
      fail(join(path, key),
           "set either " + std::string{key} + " or " + env_key + ", not both");
      return;
    }
    if (given(key)) {
      dst = credentials_[key];
      return;
    }
    auto i = credentials_.find(env_key);
    if (i == credentials_.end() || i->second.empty())
      return; // not given, or invalid and reported
    auto value = std::getenv(i->second.c_str());
    if (value == nullptr)
      fail(join(path, env_key),
           "environment variable " + i->second + " is not set");
    else if (*value == '\0')
      fail(join(path, env_key),
           "environment variable " + i->second + " is empty");
    else
      dst = value;
  };
  bool token = given("token") || given("token_env");
  bool user = given("username") || given("username_env");
  bool password = given("password") || given("password_env");
  if (type != "upcloud") {
    if (!token)
      fail(join(path, "token"), "missing credentials: set token or token_env");
    take("token", api.token);
    return;
  }
  if (token && (user || password)) {
    fail(join(path, "token"), "set either token/token_env or "
                              "username and password, not both");
    return;
  }
  if (token) {
    take("token", api.token);
    return;
  }
  if (!user && !password) {
    fail(join(path, "token"), "missing credentials: set token or token_env, "
                              "or username and password (or their _env "
                              "keys)");
    return;
  }
  if (!user)
    fail(join(path, "username"),
         "missing: set username or username_env (password is set)");
  if (!password)
    fail(join(path, "password"),
         "missing: set password or password_env (username is set)");
  take("username", api.username);
  take("password", api.password);
}

void checker::read_faults(const Value& x, const std::string& path,
                          simulated_faults& cfg) {
  if (!object(x, path))
    return;
  std::vector<field> operations;
  for (auto op : simulated_operations)
    operations.push_back({op, false, [this, &cfg, op](auto& v, auto& p) {
                            if (auto rate = fraction(v, p))
                              cfg.error_rate[op] = *rate;
                          }});
  walk(
    x, path,
    {
      {"error_rate", false,
       [&](auto& v, auto& p) {
         if (object(v, p))
           walk(v, p, operations);
       }},
      {"never_start_rate", false,
       [&](auto& v, auto& p) { store(cfg.never_start_rate, fraction(v, p)); }},
      {"lost_create_response_rate", false,
       [&](auto& v, auto& p) {
         store(cfg.lost_create_response_rate, fraction(v, p));
       }},
    });
}

void checker::read_pools(const Value& x, const std::string& path) {
  read_entries(x, path, "pool", cfg_.pools,
               [this](auto& v, auto& p, auto& cfg) { read_pool(v, p, cfg); });
}

void checker::read_pool(const Value& x, const std::string& path,
                        pool_config& cfg) {
  // Valid values only; a missing one leaves the range checks out.
  std::optional<int64_t> desired;
  std::optional<int64_t> min = int64_t{0};
  std::optional<int64_t> max = max_servers_;
  bool max_given = false;
  // With a policy the count is decided at run time: `desired` is optional
  // (the count until the first decision, default `min`).
  bool has_policy = false;
  if (auto i = x.FindMember("policy");
      i != x.MemberEnd() && i->value.IsObject()) {
    auto t = i->value.FindMember("type");
    has_policy = t != i->value.MemberEnd() && t->value.IsString()
                 && str_of(t->value) != "external";
  }
  bool desired_given = false;
  bool spec_valid = false;
  walk(
    x, path,
    {
      {"policy", false,
       [&](auto& v, auto& p) { read_policy(v, p, cfg.policy); }},
      {"provider", true,
       [&](auto& v, auto& p) {
         auto str = string(v, p);
         if (!str)
           return;
         cfg.provider = *str;
         if (!provider_names_)
           return; // `providers` is missing, wrong or empty
         auto& names = *provider_names_;
         if (std::find(names.begin(), names.end(), *str) != names.end())
           return;
         std::string known;
         for (auto& name : names)
           known += (known.empty() ? "" : ", ") + name;
         fail(p, "unknown provider " + in_quotes(*str) + " (known: " + known
                   + ")");
       }},
      {"desired", !has_policy,
       [&](auto& v, auto& p) {
         desired_given = true;
         desired = integer(v, p);
       }},
      {"min", false, [&](auto& v, auto& p) { min = integer(v, p); }},
      {"max", false,
       [&](auto& v, auto& p) {
         max_given = true;
         max = integer(v, p);
       }},
      {"reboot", false, [&](auto& v, auto& p) { read_pool_reboot(v, p, cfg); }},
      {"remediation", false,
       [&](auto& v, auto& p) { read_remediation(v, p, cfg.remediation); }},
      {"circuit_breaker", false,
       [&](auto& v, auto& p) { read_breaker(v, p, cfg.breaker); }},
      {"max_lifetime", false,
       [&](auto& v, auto& p) {
         store(cfg.max_lifetime,
               duration(v, p, millis{std::chrono::minutes{1}}));
       }},
      {"server", false,
       [&](auto& v, auto& p) {
         if (!object(v, p))
           return;
         rapidjson::StringBuffer buf;
         rapidjson::Writer<rapidjson::StringBuffer> writer{buf};
         v.Accept(writer);
         cfg.server_spec.assign(buf.GetString(), buf.GetSize());
         spec_valid = true;
       }},
    });
  if (!desired_given && has_policy && min)
    desired = *min;
  // The provider implementation knows the shape of its `server` object;
  // check it (also the default `{}`) once the pool's provider is known.
  if (auto i = provider_types_.find(cfg.provider);
      i != provider_types_.end() && is_cloud_provider_type(i->second)
      && (spec_valid || x.FindMember("server") == x.MemberEnd())) {
    auto spec_path = join(path, "server");
    for (auto& [key, problem] :
         validate_server_spec(i->second, cfg.server_spec))
      fail(key.empty() ? spec_path : join(spec_path, key), problem);
  }
  if (desired)
    cfg.desired = *desired;
  if (min)
    cfg.min = *min;
  if (max)
    cfg.max = *max;
  if (!min || !max)
    return;
  auto max_text = std::to_string(*max);
  if (!max_given)
    max_text += ", from limits.max_servers";
  if (*min > *max) {
    fail(join(path, "min"),
         "must be at most max (" + max_text + "), got " + std::to_string(*min));
    return;
  }
  if (desired && (*desired < *min || *desired > *max))
    fail(join(path, "desired"), "must be between min (" + std::to_string(*min)
                                  + ") and max (" + max_text + "), got "
                                  + std::to_string(*desired));
}

void checker::read_pool_reboot(const Value& x, const std::string& path,
                               pool_config& cfg) {
  if (!object(x, path))
    return;
  walk(x, path,
       {
         {"max_unavailable", false,
          [&](auto& v, auto& p) {
            // A count may be given as a number or a string; a percentage
            // only as a string.
            std::string spec;
            if (v.IsInt64() || v.IsUint64()) {
              auto n = integer(v, p);
              if (!n)
                return;
              spec = std::to_string(*n);
            } else if (v.IsString()) {
              spec = str_of(v);
            } else {
              expected(p, "a count (2) or a percentage (\"25%\")", v);
              return;
            }
            if (auto problem = max_unavailable_problem(spec)) {
              fail(p, *problem);
              return;
            }
            cfg.max_unavailable = spec;
          }},
       });
}

void checker::read_remediation(const Value& x, const std::string& path,
                               remediation_config& cfg) {
  if (!object(x, path))
    return;
  auto action = [this](remediation_action& dst) {
    return [this, &dst](auto& v, auto& p) {
      auto str = string(v, p);
      if (!str)
        return;
      if (*str == "replace")
        dst = remediation_action::replace;
      else if (*str == "keep")
        dst = remediation_action::keep;
      else
        fail(p, "expected \"replace\" or \"keep\", got " + in_quotes(*str));
    };
  };
  walk(x, path,
       {
         {"hanging", false, action(cfg.hanging)},
         {"errored", false, action(cfg.errored)},
         {"delay", false,
          [&](auto& v, auto& p) { store(cfg.delay, duration(v, p)); }},
         {"max_attempts", false, bounded(cfg.max_attempts, 1, 100)},
       });
}

void checker::read_breaker(const Value& x, const std::string& path,
                           breaker_config& cfg) {
  if (!object(x, path))
    return;
  bool max_given = false;
  walk(x, path,
       {
         {"enabled", false,
          [&](auto& v, auto& p) { store(cfg.enabled, boolean(v, p)); }},
         {"window", false, bounded(cfg.window, 1, 1000)},
         {"min_creates", false, bounded(cfg.min_creates, 1, 1000)},
         {"failure_ratio", false,
          [&](auto& v, auto& p) {
            auto r = fraction(v, p);
            if (r && *r <= 0.0) {
              fail(p, "must be above 0, got 0");
              return;
            }
            store(cfg.failure_ratio, r);
          }},
         {"backoff_initial", false,
          [&](auto& v, auto& p) {
            store(cfg.backoff_initial, duration(v, p, millis{1}));
          }},
         {"backoff_max", false,
          [&](auto& v, auto& p) {
            max_given = true;
            store(cfg.backoff_max, duration(v, p, millis{1}));
          }},
       });
  if (cfg.min_creates > cfg.window)
    fail(join(path, "min_creates"), "must be at most window ("
                                      + std::to_string(cfg.window) + "), got "
                                      + std::to_string(cfg.min_creates));
  check_backoff_order(path, cfg.backoff_initial, cfg.backoff_max, max_given);
}

void checker::read_policy_defaults(const Value& x, const std::string& path) {
  if (!object(x, path))
    return;
  walk(x, path,
       {
         {"interval", false,
          [this](auto& v, auto& p) {
            store(cfg_.policy_interval, duration(v, p, min_poll_interval));
          }},
         {"decision_retention", false,
          [this](auto& v, auto& p) {
            store(cfg_.decision_retention, duration(v, p));
          }},
       });
}

void checker::read_windows(const Value& x, const std::string& path,
                           std::vector<schedule_window>& windows) {
  if (!x.IsArray()) {
    expected(path, "an array of windows", x);
    return;
  }
  size_t index = 0;
  for (const auto& item : x.GetArray()) {
    auto item_path = path + "[" + std::to_string(index++) + "]";
    if (!object(item, item_path))
      continue;
    schedule_window w;
    std::optional<int> from;
    std::optional<int> to;
    bool days_ok = false;
    auto day = [&](const Value& v, const std::string& p) {
      auto str = string(v, p);
      if (!str)
        return false;
      auto mask = parse_days(*str);
      if (!mask) {
        fail(p, "unknown day " + in_quotes(*str)
                  + " (use mon, tue, wed, thu, fri, sat, sun, weekdays, "
                    "weekend or daily)");
        return false;
      }
      w.days |= *mask;
      return true;
    };
    auto clock = [&](std::optional<int>& dst) {
      return [&](auto& v, auto& p) {
        auto str = string(v, p);
        if (!str)
          return;
        dst = parse_clock(*str);
        if (!dst)
          fail(p, "expected a time of day \"HH:MM\" from 00:00 to 24:00, got "
                    + in_quotes(*str));
      };
    };
    walk(item, item_path,
         {
           {"days", true,
            [&](auto& v, auto& p) {
              if (v.IsString()) {
                days_ok = day(v, p);
                return;
              }
              if (!v.IsArray() || v.Empty()) {
                expected(p, "a day name or a non-empty array of them", v);
                return;
              }
              days_ok = true;
              size_t i = 0;
              for (const auto& d : v.GetArray())
                days_ok = day(d, p + "[" + std::to_string(i++) + "]")
                          && days_ok;
            }},
           {"from", true, clock(from)},
           {"to", true, clock(to)},
           {"count", true,
            [&](auto& v, auto& p) { store(w.count, integer(v, p)); }},
         });
    if (from && *from == 1440)
      fail(join(item_path, "from"), "must be before 24:00");
    else if (from && to && *from == *to)
      fail(join(item_path, "to"),
           "must differ from \"from\" (use \"00:00\" to \"24:00\" for "
           "a whole day)");
    if (!from || !to || !days_ok)
      continue;
    w.from_minute = *from;
    w.to_minute = *to;
    w.label = format_days(w.days) + " " + format_clock(*from) + "-"
              + format_clock(*to);
    windows.push_back(std::move(w));
  }
}

void checker::read_policy(const Value& x, const std::string& path,
                          policy_spec& cfg) {
  if (!object(x, path))
    return;
  constexpr const char* kinds[] = {"external", "fixed", "schedule",
                                   "http_metric", "callback"};
  std::optional<policy_kind> kind;
  if (auto i = x.FindMember("type");
      i != x.MemberEnd() && i->value.IsString()) {
    auto name = str_of(i->value);
    for (size_t k = 0; k < std::size(kinds); ++k)
      if (name == kinds[k])
        kind = static_cast<policy_kind>(k);
  }
  auto& g = cfg.guardrails;
  auto& sch = cfg.schedule;
  auto& hm = cfg.http_metric;
  std::vector<field> fields{
    {"type", true,
     [&](auto& v, auto& p) {
       auto str = string(v, p);
       if (!str)
         return;
       if (kind) {
         cfg.kind = *kind;
         return;
       }
       fail(p, "unknown policy type " + in_quotes(*str)
                 + " (known: external, fixed, schedule, http_metric, "
                   "callback)");
     }},
    {"scale_up_step", false,
     [&](auto& v, auto& p) { store(g.scale_up_step, integer(v, p)); }},
    {"max_in_flight", false,
     [&](auto& v, auto& p) { store(g.max_in_flight, integer(v, p)); }},
    {"scale_down_cooldown", false,
     [&](auto& v, auto& p) { store(g.scale_down_cooldown, duration(v, p)); }},
    {"stabilization_window", false,
     [&](auto& v, auto& p) { store(g.stabilization_window, duration(v, p)); }},
    {"dry_run", false,
     [&](auto& v, auto& p) {
       if (v.IsBool())
         g.dry_run = v.GetBool();
       else
         expected(p, "true or false", v);
     }},
  };
  if (kind == policy_kind::fixed) {
    fields.push_back({"count", true, [&](auto& v, auto& p) {
                        store(cfg.fixed_count, integer(v, p));
                      }});
  } else if (kind == policy_kind::schedule) {
    fields.push_back({"time_zone", false, [&](auto& v, auto& p) {
                        auto str = string(v, p);
                        if (!str)
                          return;
                        std::string why;
                        if (!load_time_zone(*str, &why))
                          fail(p, in_quotes(*str) + ": " + why);
                        else
                          sch.time_zone = *str;
                      }});
    fields.push_back({"default", false, [&](auto& v, auto& p) {
                        store(sch.default_count, integer(v, p));
                      }});
    fields.push_back({"windows", true, [&](auto& v, auto& p) {
                        read_windows(v, p, sch.windows);
                      }});
  } else if (kind == policy_kind::http_metric) {
    fields.push_back({"url", true, [&](auto& v, auto& p) {
                        auto str = string(v, p);
                        if (!str)
                          return;
                        if (split_url(*str))
                          hm.url = *str;
                        else
                          fail(p, "expected an http:// or https:// URL, got "
                                    + in_quotes(*str));
                      }});
    fields.push_back({"pointer", true, [&](auto& v, auto& p) {
                        auto str = string(v, p);
                        if (!str)
                          return;
                        if (valid_json_pointer(*str) && !str->empty())
                          hm.pointer = *str;
                        else
                          fail(p, "expected a JSON pointer such as "
                                  "\"/wait/redis:default\", got "
                                    + in_quotes(*str));
                      }});
    fields.push_back({"per_server", false, [&](auto& v, auto& p) {
                        store(hm.per_server, positive(v, p));
                      }});
    fields.push_back({"offset", false, [&](auto& v, auto& p) {
                        if (v.IsInt64())
                          hm.offset = v.GetInt64();
                        else
                          expected(p, "an integer", v);
                      }});
    fields.push_back({"timeout", false, [&](auto& v, auto& p) {
                        store(hm.timeout, duration(v, p, millis{10}));
                      }});
    fields.push_back({"token_env", false, [&](auto& v, auto& p) {
                        read_token_env(v, p, hm.token_env);
                      }});
    fields.push_back({"ca_file", false, [&](auto& v, auto& p) {
                        read_file_path(v, p, hm.ca_file);
                      }});
    fields.push_back(
      {"headers", false, [&](auto& v, auto& p) {
         if (!object(v, p))
           return;
         for (auto i = v.MemberBegin(); i != v.MemberEnd(); ++i) {
           auto name = str_of(i->name);
           auto hp = join(p, name);
           auto token = !name.empty()
                        && std::all_of(name.begin(), name.end(), [](char c) {
                             return std::isalnum(static_cast<unsigned char>(c))
                                    || c == '-' || c == '_';
                           });
           if (!token) {
             fail(hp, "invalid header name");
             continue;
           }
           auto value = string(i->value, hp);
           if (!value)
             continue;
           if (value->find_first_of("\r\n") != std::string::npos) {
             fail(hp, "header values must not contain line breaks");
             continue;
           }
           hm.headers.emplace_back(name, *value);
         }
       }});
  }
  // With a missing or unknown type, only the common keys are checked.
  walk(x, path, fields, !kind.has_value());
  if (kind == policy_kind::http_metric && !hm.token_env.empty())
    for (const auto& [name, value] : hm.headers)
      if (iequals_ascii(name, "Authorization"))
        fail(join(join(path, "headers"), name),
             "set either an Authorization header or token_env, not both");
}

std::optional<std::vector<std::string>>
checker::string_list(const Value& x, const std::string& path, const char* what,
                     const std::vector<std::string>* known) {
  if (!x.IsArray()) {
    expected(path, "an array of strings", x);
    return std::nullopt;
  }
  if (x.Size() == 0) {
    fail(path, std::string{"must name at least one "} + what
                 + " (leave the key out to match all)");
    return std::nullopt;
  }
  std::vector<std::string> result;
  bool ok = true;
  for (rapidjson::SizeType i = 0; i < x.Size(); ++i) {
    auto item_path = path + "[" + std::to_string(i) + "]";
    auto str = string(x[i], item_path);
    if (!str) {
      ok = false;
      continue;
    }
    if (std::find(result.begin(), result.end(), *str) != result.end()) {
      fail(item_path, "duplicate " + std::string{what} + " " + in_quotes(*str));
      ok = false;
      continue;
    }
    if (known != nullptr
        && std::find(known->begin(), known->end(), *str) == known->end()) {
      std::string problem = "unknown " + std::string{what} + " "
                            + in_quotes(*str);
      std::string best;
      size_t best_distance = 3;
      for (auto& name : *known) {
        auto d = edit_distance(*str, name);
        if (d < best_distance) {
          best = name;
          best_distance = d;
        }
      }
      if (!best.empty()) {
        problem += " (did you mean " + in_quotes(best) + "?)";
      } else {
        std::string names;
        for (auto& name : *known)
          names += (names.empty() ? "" : ", ") + name;
        problem += " (known: " + names + ")";
      }
      fail(item_path, std::move(problem));
      ok = false;
      continue;
    }
    result.push_back(*str);
  }
  if (!ok)
    return std::nullopt;
  return result;
}

void checker::read_webhooks(const Value& x, const std::string& path) {
  // Unlike providers and pools, an empty section is fine (no webhooks).
  if (x.IsObject() && x.MemberCount() == 0)
    return;
  read_entries(x, path, "webhook", cfg_.webhooks,
               [this](auto& v, auto& p, auto& cfg) {
                 read_webhook(v, p, cfg);
               });
}

/// Checks the shape of a webhook URL; returns what is wrong or nothing.
/// make_http_client checks it again in full when the node starts.
std::optional<std::string> webhook_url_problem(std::string_view url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos)
    return "expected an http:// or https:// URL";
  std::string scheme{url.substr(0, scheme_end)};
  for (auto& c : scheme)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "http" && scheme != "https")
    return "unsupported scheme " + in_quotes(scheme)
           + " (expected http or https)";
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F)
      return std::string{"must not contain spaces or control characters"};
  if (url.find('#') != std::string_view::npos)
    return std::string{"must not contain a fragment ('#')"};
  auto rest = url.substr(scheme_end + 3);
  auto authority = rest.substr(0, rest.find_first_of("/?"));
  if (authority.find('@') != std::string_view::npos)
    return std::string{"credentials in the URL are not supported (the "
                       "signature authenticates the sender)"};
  if (authority.empty() || authority.front() == ':')
    return std::string{"missing host"};
  return std::nullopt;
}

void checker::read_webhook(const Value& x, const std::string& path,
                           webhook_config& cfg) {
  bool backoff_max_given = false;
  auto file = [this](std::string& dst) {
    return [this, &dst](auto& v, auto& p) { read_file_path(v, p, dst); };
  };
  walk(x, path,
       {
         {"url", true,
          [&](auto& v, auto& p) {
            auto str = string(v, p);
            if (!str)
              return;
            // The URL may hold a secret path or query: never repeat it.
            if (auto problem = webhook_url_problem(*str))
              fail(p, *problem);
            else
              cfg.url = *str;
          }},
         {"secret", false,
          [&](auto& v, auto& p) {
            auto str = string(v, p);
            if (!str)
              return;
            if (str->size() < min_webhook_secret_length)
              fail(p, "must be at least "
                        + std::to_string(min_webhook_secret_length)
                        + " characters long");
            else
              cfg.secret = *str;
          }},
         {"secret_env", false,
          [&](auto& v, auto& p) {
            std::string name;
            read_token_env(v, p, name);
            if (name.empty())
              return;
            cfg.secret_env = name;
            auto value = std::getenv(name.c_str());
            if (value == nullptr || *value == '\0')
              fail(p, "environment variable " + name + " is not set");
            else if (std::strlen(value) < min_webhook_secret_length)
              fail(p, "environment variable " + name + " must hold at least "
                        + std::to_string(min_webhook_secret_length)
                        + " characters");
            else
              cfg.secret = value;
          }},
         {"events", false,
          [&](auto& v, auto& p) {
            if (auto list = string_list(v, p, "event reason", &event_reasons()))
              cfg.events = std::move(*list);
          }},
         {"pools", false,
          [&](auto& v, auto& p) {
            auto list = string_list(v, p, "pool",
                                    pool_names_ ? &*pool_names_ : nullptr);
            if (list)
              cfg.pools = std::move(*list);
          }},
         {"timeout", false,
          [&](auto& v, auto& p) {
            store(cfg.timeout, duration(v, p, millis{1}));
          }},
         {"backoff_initial", false,
          [&](auto& v, auto& p) {
            store(cfg.backoff_initial, duration(v, p, millis{1}));
          }},
         {"backoff_max", false,
          [&](auto& v, auto& p) {
            backoff_max_given = true;
            store(cfg.backoff_max, duration(v, p, millis{1}));
          }},
         {"ca_file", false, file(cfg.ca_file)},
         {"tls_verify", false,
          [&](auto& v, auto& p) {
            if (v.IsBool())
              cfg.tls_verify = v.GetBool();
            else
              expected(p, "true or false", v);
          }},
         {"from", false,
          [&](auto& v, auto& p) {
            auto str = string(v, p);
            if (!str)
              return;
            if (*str == "start" || *str == "end")
              cfg.from_start = *str == "start";
            else
              fail(p, "must be \"start\" or \"end\", got " + in_quotes(*str));
          }},
       });
  bool has_secret = x.HasMember("secret");
  bool has_env = x.HasMember("secret_env");
  if (has_secret && has_env)
    fail(join(path, "secret"), "set either secret or secret_env, not both");
  else if (!has_secret && !has_env)
    fail(join(path, "secret"), "missing required key (or secret_env)");
  check_backoff_order(path, cfg.backoff_initial, cfg.backoff_max,
                      backoff_max_given);
}

} // namespace

// -- public API ---------------------------------------------------------------

const char* to_string(remediation_action x) {
  return x == remediation_action::replace ? "replace" : "keep";
}

const char* to_string(orphan_action x) {
  return orphan_actions[static_cast<size_t>(x)];
}

std::optional<rate_limit_options> default_rate_limit(std::string_view type,
                                                     double reserve) {
  auto share = 1.0 - std::clamp(reserve, 0.0, 1.0);
  // A bucket needs room for one whole call.
  auto scaled = [share](double rps, double burst) {
    return rate_limit_options{rps * share, std::max(burst * share, 1.0)};
  };
  if (type == "hetzner")
    return scaled(1.0, 3600.0);
  if (type == "digitalocean")
    return scaled(1.2, 150.0);
  if (type == "upcloud")
    return rate_limit_options{5.0, 20.0};
  return std::nullopt;
}

double published_refill_rate(std::string_view type) {
  if (type == "hetzner")
    return 1.0;
  if (type == "digitalocean")
    return 5000.0 / 3600.0;
  return 0.0;
}

std::string config_error::to_string() const {
  if (path.empty())
    return problem;
  return path + ": " + problem;
}

config_result parse_config(std::string_view json_text,
                           const std::string& base_dir) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(json_text.data(),
                                                   json_text.size());
  if (doc.HasParseError()) {
    auto [line, column] = line_and_column(json_text, doc.GetErrorOffset());
    std::string problem = "malformed JSON at line " + std::to_string(line)
                          + ", column " + std::to_string(column) + ": "
                          + rapidjson::GetParseError_En(doc.GetParseError());
    return {std::nullopt, {config_error{"", std::move(problem)}}};
  }
  return checker{base_dir}.run(doc);
}

config_result load_config_file(const std::string& path) {
  auto fail = [&](int err) {
    auto reason = std::generic_category().message(err);
    return config_result{
      std::nullopt,
      {config_error{"", "cannot read " + in_quotes(path) + ": " + reason}}};
  };
  errno = 0;
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr)
    return fail(errno);
  std::string text;
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), file)) > 0)
    text.append(buf, n);
  int err = std::ferror(file) ? errno : 0;
  std::fclose(file);
  if (err != 0)
    return fail(err);
  std::error_code ec;
  auto dir = std::filesystem::absolute(path, ec).parent_path();
  if (ec)
    dir = std::filesystem::path{path}.parent_path();
  return parse_config(text, dir.string());
}

std::optional<millis> parse_duration(std::string_view str) {
  auto result = parse_duration_detail(str);
  if (result.status != duration_status::ok)
    return std::nullopt;
  return result.value;
}

std::string format_duration(millis x) {
  auto n = x.count();
  if (n == 0)
    return "0s";
  constexpr std::pair<int64_t, const char*> units[]
    = {{60 * 60 * 1000, "h"}, {60 * 1000, "m"}, {1000, "s"}};
  for (auto [factor, suffix] : units)
    if (n % factor == 0)
      return std::to_string(n / factor) + suffix;
  return std::to_string(n) + "ms";
}

} // namespace dynserv
