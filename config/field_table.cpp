// The loader's typed readers and bounds checks, shared by every section, and
// the wording of their problems ("expected ..., got ...", "must be ...").
#include "config/field_table.hpp"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <limits>

namespace dynserv::schema {

// -- small helpers ------------------------------------------------------------

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

std::string str_of(const json& x) {
  return std::string{x.GetString(), x.GetStringLength()};
}

const char* kind_of(const json& x) {
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

std::string format_number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.15g", x);
  return buf;
}

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

bool valid_name(std::string_view name, bool allow_underscore) {
  if (name.empty() || name.size() > 40)
    return false;
  return std::all_of(name.begin(), name.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
           || (allow_underscore && c == '_');
  });
}

bool valid_env_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])))
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

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

std::string comma_list(const std::vector<std::string>& items) {
  std::string result;
  for (auto& item : items)
    result += (result.empty() ? "" : ", ") + item;
  return result;
}

std::string as_code(std::string_view text) {
  std::string result = "`";
  result += text;
  result += '`';
  return result;
}

// -- bounds -------------------------------------------------------------------

namespace {

/// The problem with `x` under `b`, if any.
std::optional<std::string> number_problem(double x, const number_bounds& b) {
  auto got = ", got " + format_number(x);
  if (b.min && b.max && b.max_exclusive) {
    if (x < *b.min || x >= *b.max)
      return "must be at least " + format_number(*b.min) + " and below "
             + format_number(*b.max) + got;
    return std::nullopt;
  }
  if (b.min && b.max) {
    if (x < *b.min || x > *b.max)
      return "must be between " + format_number(*b.min) + " and "
             + format_number(*b.max) + got;
    if (b.min_exclusive && x == *b.min)
      return "must be above " + format_number(*b.min) + got;
    return std::nullopt;
  }
  if (b.min && b.min_exclusive && x <= *b.min)
    return "must be > " + format_number(*b.min) + got;
  if (b.min && !b.min_exclusive && x < *b.min)
    return "must be >= " + format_number(*b.min) + got;
  if (b.max && x > *b.max)
    return "must be at most " + format_number(*b.max) + got;
  return std::nullopt;
}

std::string between_text(const integer_bounds& b) {
  return "must be between " + std::to_string(b.min.value_or(INT64_MIN))
         + " and " + std::to_string(*b.max) + ", got ";
}

} // namespace

std::string describe(const duration_bounds& b) {
  if (b.max)
    return "From `" + format_duration(b.min) + "` to `"
           + format_duration(*b.max) + "`.";
  if (b.min > millis{0})
    return "At least `" + format_duration(b.min) + "`.";
  return {};
}

std::string describe(const integer_bounds& b) {
  if (b.min && b.max)
    return std::to_string(*b.min) + " to " + std::to_string(*b.max) + ".";
  if (b.min)
    return "At least " + std::to_string(*b.min) + ".";
  if (b.max)
    return "At most " + std::to_string(*b.max) + ".";
  return {};
}

std::string describe(const number_bounds& b) {
  auto lo = b.min ? format_number(*b.min) : std::string{};
  auto hi = b.max ? format_number(*b.max) : std::string{};
  if (b.min && b.max)
    return std::string{b.min_exclusive ? "Above " : "From "} + lo
           + (b.max_exclusive ? " to below " : " to ") + hi + ".";
  if (b.min)
    return (b.min_exclusive ? "Greater than " : "At least ") + lo + ".";
  if (b.max)
    return "At most " + hi + ".";
  return {};
}

void check_backoff_order(loader& l, const std::string& path, millis initial,
                         millis max, bool max_given) {
  if (max >= initial)
    return;
  l.fail(join(path, max_given ? "backoff_max" : "backoff_initial"),
         "backoff_max (" + format_duration(max)
           + ") must be at least backoff_initial (" + format_duration(initial)
           + ")");
}

// -- the loader ---------------------------------------------------------------

void loader::fail(std::string path, std::string problem) {
  errors_.push_back(config_error{std::move(path), std::move(problem)});
}

void loader::expected(const std::string& path, std::string_view what,
                      const json& x) {
  std::string problem = "expected ";
  problem += what;
  problem += ", got ";
  problem += kind_of(x);
  fail(path, std::move(problem));
}

void loader::unknown_key(const std::string& path, std::string_view key,
                         const std::vector<std::string_view>& known) {
  std::string_view best;
  size_t best_distance = 3;
  for (auto candidate : known) {
    auto d = edit_distance(key, candidate);
    if (d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  if (best.empty())
    fail(path, "unknown key");
  else
    fail(path, "unknown key (did you mean " + in_quotes(best) + "?)");
}

bool loader::object(const json& x, const std::string& path) {
  if (x.IsObject())
    return true;
  expected(path, "an object", x);
  return false;
}

std::optional<std::string> loader::string(const json& x,
                                          const std::string& path) {
  if (x.IsString())
    return str_of(x);
  expected(path, "a string", x);
  return std::nullopt;
}

std::optional<bool> loader::boolean(const json& x, const std::string& path,
                                    std::string_view what) {
  if (x.IsBool())
    return x.GetBool();
  expected(path, what, x);
  return std::nullopt;
}

std::optional<double> loader::number(const json& x, const std::string& path,
                                     const number_bounds& b) {
  if (!x.IsNumber()) {
    expected(path, "a number", x);
    return std::nullopt;
  }
  auto result = x.GetDouble();
  if (auto problem = number_problem(result, b)) {
    fail(path, std::move(*problem));
    return std::nullopt;
  }
  return result;
}

std::optional<int64_t> loader::integer(const json& x, const std::string& path,
                                       const integer_bounds& b) {
  if (x.IsInt64()) {
    auto n = x.GetInt64();
    // A count is never negative, whatever its lower bound.
    if (b.min && *b.min >= 0 && n < 0) {
      fail(path, "must be >= 0, got " + std::to_string(n));
      return std::nullopt;
    }
    if (b.max && (n > *b.max || (b.min && n < *b.min))) {
      fail(path, between_text(b) + std::to_string(n));
      return std::nullopt;
    }
    if (b.min && n < *b.min) {
      fail(path, "must be >= " + std::to_string(*b.min) + ", got "
                   + std::to_string(n));
      return std::nullopt;
    }
    return n;
  }
  if (x.IsUint64()) {
    auto n = std::to_string(x.GetUint64());
    if (b.max)
      fail(path, between_text(b) + n);
    else
      fail(path, "must be at most " + std::to_string(INT64_MAX) + ", got " + n);
    return std::nullopt;
  }
  expected(path, "an integer", x);
  return std::nullopt;
}

std::optional<uint64_t> loader::unsigned_integer(const json& x,
                                                 const std::string& path) {
  if (x.IsUint64())
    return x.GetUint64();
  if (x.IsInt64())
    fail(path, "must be >= 0, got " + std::to_string(x.GetInt64()));
  else
    expected(path, "an integer", x);
  return std::nullopt;
}

std::optional<millis> loader::duration(const json& x, const std::string& path,
                                       const duration_bounds& b) {
  if (!x.IsString()) {
    expected(path, "a duration string such as \"30s\"", x);
    return std::nullopt;
  }
  auto str = str_of(x);
  auto parsed = parse_duration_detail(str);
  auto invalid = "invalid duration " + in_quotes(str) + ": ";
  switch (parsed.status) {
    case duration_status::ok:
      break;
    case duration_status::syntax:
      fail(path, invalid
                   + "expected a number followed by ms, s, m or h, e.g. "
                     "\"500ms\" or \"1.5s\"");
      return std::nullopt;
    case duration_status::sub_millisecond:
      fail(path, invalid + "must be a whole number of milliseconds");
      return std::nullopt;
    case duration_status::too_large:
      fail(path, invalid + "too large");
      return std::nullopt;
  }
  auto got = ", got " + format_duration(parsed.value);
  if (parsed.value < b.min) {
    fail(path, "must be at least " + format_duration(b.min) + got);
    return std::nullopt;
  }
  if (b.max && parsed.value > *b.max) {
    fail(path, "must be at most " + format_duration(*b.max) + got);
    return std::nullopt;
  }
  return parsed.value;
}

std::optional<std::vector<std::string>>
loader::string_list(const json& x, const std::string& path, const char* what,
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
    std::string problem;
    if (std::find(result.begin(), result.end(), *str) != result.end()) {
      problem = "duplicate " + std::string{what} + " " + in_quotes(*str);
    } else if (known != nullptr
               && std::find(known->begin(), known->end(), *str)
                    == known->end()) {
      problem = "unknown " + std::string{what} + " " + in_quotes(*str);
      std::string best;
      size_t best_distance = 3;
      for (auto& name : *known)
        if (auto d = edit_distance(*str, name); d < best_distance) {
          best = name;
          best_distance = d;
        }
      problem += best.empty() ? " (known: " + comma_list(*known) + ")"
                              : " (did you mean " + in_quotes(best) + "?)";
    }
    if (!problem.empty()) {
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

std::string loader::resolve(const std::string& dir) const {
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

// -- string checks ------------------------------------------------------------

bool non_empty(loader& l, const std::string& path, std::string& value) {
  if (!value.empty())
    return true;
  l.fail(path, "must not be empty");
  return false;
}

bool file_path(loader& l, const std::string& path, std::string& value) {
  if (!non_empty(l, path, value))
    return false;
  value = l.resolve(value);
  return true;
}

bool token_text(loader& l, const std::string& path, std::string& value) {
  if (value.size() >= 16)
    return true;
  l.fail(path, "must be at least 16 characters long");
  return false;
}

bool upper_env_name(loader& l, const std::string& path, std::string& value) {
  auto ok
    = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
        return std::isupper(static_cast<unsigned char>(c))
               || std::isdigit(static_cast<unsigned char>(c)) || c == '_';
      });
  if (ok)
    return true;
  l.fail(path, "expected an environment variable name (A-Z, 0-9, _), got "
                 + in_quotes(value));
  return false;
}

} // namespace dynserv::schema
