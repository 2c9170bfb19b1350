// The generic machinery of the config loader: a table of fields per config
// struct (key, member, kind, bounds, default, doc line) and the walker that
// reads a JSON object through such a table, collecting every problem.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "config/config_doc.hpp"
#include "config/duration.hpp"
#include "config/node_config.hpp"

namespace dynserv::schema {

using json = rapidjson::Value;

// -- small helpers ------------------------------------------------------------

/// "a.b" from "a" and "b"; only "b" when `path` is empty.
std::string join(const std::string& path, std::string_view key);

/// `str` in double quotes.
std::string in_quotes(std::string_view str);

/// The string value of a JSON string.
std::string str_of(const json& x);

/// Names the JSON type of `x` for "expected ..., got ..." messages.
const char* kind_of(const json& x);

/// Prints a number without trailing zeros ("0.5", "2", "1e+20").
std::string format_number(double x);

/// Edit distance with adjacent transpositions (optimal string alignment).
size_t edit_distance(std::string_view a, std::string_view b);

/// Whether `name` has 1 to 40 characters from a-z, 0-9, '-' and, if
/// `allow_underscore`, '_'.
bool valid_name(std::string_view name, bool allow_underscore);

/// Whether `name` can name an environment variable: letters, digits and
/// '_', not starting with a digit.
bool valid_env_name(std::string_view name);

/// Returns 0 if the file at `path` can be opened and read, else the errno.
int unreadable(const std::string& path);

/// "a, b, c".
std::string comma_list(const std::vector<std::string>& items);

// -- bounds -------------------------------------------------------------------

/// Allowed range of a duration; `max` empty means no upper bound.
struct duration_bounds {
  millis min{0};
  std::optional<millis> max;
};

/// Allowed range of an integer. A `min` of 0 or more also rejects negative
/// values as "must be >= 0" (the domain of a count) before the range check;
/// no `min` accepts any signed value.
struct integer_bounds {
  std::optional<int64_t> min = 0;
  std::optional<int64_t> max;
};

/// Allowed range of a number; each end may be open or closed.
struct number_bounds {
  std::optional<double> min;
  bool min_exclusive = false;
  std::optional<double> max;
  bool max_exclusive = false;
};

/// At least `x`.
constexpr duration_bounds at_least(millis x) {
  return {x, std::nullopt};
}

/// From `lo` to `hi`, both included.
constexpr integer_bounds between(int64_t lo, int64_t hi) {
  return {lo, hi};
}

/// Any signed integer.
constexpr integer_bounds any_integer() {
  return {std::nullopt, std::nullopt};
}

/// [lo, hi].
constexpr number_bounds closed(double lo, double hi) {
  return {lo, false, hi, false};
}

/// From 0 to 1, both included.
constexpr number_bounds unit_interval() {
  return closed(0.0, 1.0);
}

/// Greater than 0.
constexpr number_bounds positive() {
  return {0.0, true, std::nullopt, false};
}

/// At least `lo`.
constexpr number_bounds at_least(double lo) {
  return {lo, false, std::nullopt, false};
}

/// The bounds as a sentence for documentation, e.g. "At least `10ms`.";
/// empty when there are none to mention.
std::string describe(const duration_bounds& b);
std::string describe(const integer_bounds& b);
std::string describe(const number_bounds& b);

// -- the loader ---------------------------------------------------------------

class loader;

/// One key of a JSON object: how to read it into `Config` and how the
/// documentation shows it.
template <class Config>
struct field {
  using reader
    = std::function<void(loader&, const json&, const std::string&, Config&)>;
  std::string_view key;
  bool required = false;
  reader read;
  /// The "type" column of docs/configuration.md.
  std::string type;
  /// The "default" column (Markdown), e.g. `"30s"`, none or **required**.
  std::string default_text;
  /// One line on what the key does (and its bounds).
  std::string doc;
};

/// The keys of one JSON object.
template <class Config>
using table = std::vector<field<Config>>;

/// What a walk found: the keys given and those whose value was rejected.
struct walk_result {
  std::set<std::string> given;
  std::set<std::string> rejected;

  bool has(const std::string& key) const {
    return given.count(key) > 0;
  }

  /// Given and accepted.
  bool valid(const std::string& key) const {
    return has(key) && rejected.count(key) == 0;
  }
};

/// Facts about other sections, looked up before the walk so that it can
/// follow document order.
struct cross_refs {
  /// Keys of `providers` (when it is a non-empty object).
  std::optional<std::vector<std::string>> provider_names;
  /// Types of the entries of `providers` that give a string type.
  std::map<std::string, std::string> provider_types;
  /// `limits.max_servers` when valid.
  std::optional<int64_t> max_servers;
  /// Keys of `pools` (when it is an object).
  std::optional<std::vector<std::string>> pool_names;
};

/// Reads one document: typed readers that report problems with their key
/// path, the table walker, and the facts shared between sections.
class loader {
public:
  explicit loader(std::string base_dir) : base_dir_(std::move(base_dir)) {
    // nop
  }

  void fail(std::string path, std::string problem);

  /// Reports "expected <what>, got <kind of x>".
  void expected(const std::string& path, std::string_view what, const json& x);

  std::vector<config_error> take_errors() {
    return std::move(errors_);
  }

  bool has_errors() const {
    return !errors_.empty();
  }

  // -- typed readers: each returns nullopt after reporting a problem --

  bool object(const json& x, const std::string& path);

  std::optional<std::string> string(const json& x, const std::string& path);

  std::optional<bool> boolean(const json& x, const std::string& path,
                              std::string_view what = "a boolean");

  std::optional<double> number(const json& x, const std::string& path,
                               const number_bounds& b = {});

  /// An integer that fits int64 (any size when `b` has a max).
  std::optional<int64_t> integer(const json& x, const std::string& path,
                                 const integer_bounds& b = {});

  /// An integer from 0 to UINT64_MAX.
  std::optional<uint64_t> unsigned_integer(const json& x,
                                           const std::string& path);

  std::optional<millis> duration(const json& x, const std::string& path,
                                 const duration_bounds& b = {});

  /// An array of distinct strings, each one of `known` (when given); `what`
  /// names one item ("pool").
  std::optional<std::vector<std::string>>
  string_list(const json& x, const std::string& path, const char* what,
              const std::vector<std::string>* known);

  /// `path` resolved against the config file's directory.
  std::string resolve(const std::string& path) const;

  // -- walking tables --

  /// Reads the members of `obj` in document order: known keys go to their
  /// field's reader; unknown keys are errors unless `lenient`; missing
  /// required keys are reported after the members.
  template <class Config>
  walk_result walk(const json& obj, const std::string& path,
                   const table<Config>& fields, Config& cfg,
                   bool lenient = false) {
    walk_result result;
    for (auto i = obj.MemberBegin(); i != obj.MemberEnd(); ++i) {
      auto key = str_of(i->name);
      auto key_path = join(path, key);
      if (!result.given.insert(key).second) {
        fail(key_path, "duplicate key");
        continue;
      }
      auto f = std::find_if(fields.begin(), fields.end(),
                            [&](const auto& x) { return x.key == key; });
      if (f != fields.end()) {
        auto before = errors_.size();
        f->read(*this, i->value, key_path, cfg);
        if (errors_.size() != before)
          result.rejected.insert(key);
      } else if (!lenient) {
        std::vector<std::string_view> keys;
        for (auto& x : fields)
          keys.push_back(x.key);
        unknown_key(key_path, key, keys);
      }
    }
    for (auto& f : fields)
      if (f.required && result.given.count(std::string{f.key}) == 0)
        fail(join(path, f.key), "missing required key");
    return result;
  }

  /// Reads a map section (`providers`, `pools`, `webhooks`): at least one
  /// entry, each named validly, unique, an object, read by `read`.
  template <class Map, class Reader>
  void read_entries(const json& x, const std::string& path, const char* kind,
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
      read(*this, i->value, entry_path, cfg);
    }
  }

  cross_refs refs;

private:
  void unknown_key(const std::string& path, std::string_view key,
                   const std::vector<std::string_view>& known);

  std::string base_dir_;
  std::vector<config_error> errors_;
};

/// `T` in a context that does not deduce it.
template <class T>
struct no_deduce {
  using type = T;
};

/// Copies `x` into `dst` when it has a value.
template <class T, class U>
void store(T& dst, const std::optional<U>& x) {
  if (x)
    dst = static_cast<T>(*x);
}

// -- string checks ------------------------------------------------------------

/// Checks (and may rewrite) a string value; reports and returns false when
/// it is not acceptable.
using string_check
  = std::function<bool(loader&, const std::string& path, std::string& value)>;

/// Rejects "".
bool non_empty(loader& l, const std::string& path, std::string& value);

/// A non-empty path, resolved against the config file's directory.
bool file_path(loader& l, const std::string& path, std::string& value);

/// A token of at least 16 characters.
bool token_text(loader& l, const std::string& path, std::string& value);

/// An environment variable name in upper case (A-Z, 0-9, _).
bool upper_env_name(loader& l, const std::string& path, std::string& value);

// -- rows ---------------------------------------------------------------------

/// Markdown of a default value shown as code, e.g. `"30s"` or `0.5`.
std::string as_code(std::string_view text);

/// The default column of a number: `0.5`, or none.
inline std::string shown_number(double x) {
  return as_code(format_number(x));
}

inline std::string shown_number(const std::optional<double>& x) {
  return x ? shown_number(*x) : "none";
}

/// Reports a `backoff_max` below `backoff_initial` at the key the file
/// gave (the other one may be a default).
void check_backoff_order(loader& l, const std::string& path, millis initial,
                         millis max, bool max_given);

/// Factories of table rows for `Config`. `access` is a member pointer or a
/// function from `Config&` to the member's reference; defaults shown in the
/// documentation come from a default-constructed `Config`.
template <class Config>
struct rows {
  using row = field<Config>;

  template <class Access>
  static auto& member_of(Access access, Config& cfg) {
    return std::invoke(access, cfg);
  }

  template <class Access>
  static auto default_of(Access access) {
    Config defaults{};
    return std::invoke(access, defaults);
  }

  static std::string with_bounds(std::string doc, const std::string& bounds) {
    if (!bounds.empty())
      doc += (doc.empty() ? "" : " ") + bounds;
    return doc;
  }

  template <class Access>
  static row duration(std::string_view key, Access access, duration_bounds b,
                      std::string doc) {
    auto read = [access, b](loader& l, const json& v, const std::string& p,
                            Config& cfg) {
      store(member_of(access, cfg), l.duration(v, p, b));
    };
    auto def = as_code(in_quotes(format_duration(default_of(access))));
    return {key, false, read, "duration", def, with_bounds(doc, describe(b))};
  }

  template <class Access>
  static row integer(std::string_view key, Access access, integer_bounds b,
                     std::string doc) {
    using value_type = std::decay_t<decltype(default_of(access))>;
    auto read = [access, b](loader& l, const json& v, const std::string& p,
                            Config& cfg) {
      if constexpr (std::is_same_v<value_type, uint64_t>) {
        if (!b.max && b.min == int64_t{0}) {
          store(member_of(access, cfg), l.unsigned_integer(v, p));
          return;
        }
      }
      store(member_of(access, cfg), l.integer(v, p, b));
    };
    auto def = as_code(std::to_string(default_of(access)));
    return {key, false, read, "integer", def, with_bounds(doc, describe(b))};
  }

  template <class Access>
  static row number(std::string_view key, Access access, number_bounds b,
                    std::string doc) {
    auto read = [access, b](loader& l, const json& v, const std::string& p,
                            Config& cfg) {
      store(member_of(access, cfg), l.number(v, p, b));
    };
    auto def = shown_number(default_of(access));
    return {key, false, read, "number", def, with_bounds(doc, describe(b))};
  }

  /// A boolean; `what` is the expectation in the error ("true or false").
  template <class Access>
  static row flag(std::string_view key, Access access, std::string doc,
                  std::string_view what = "a boolean") {
    auto read = [access, what](loader& l, const json& v, const std::string& p,
                               Config& cfg) {
      store(member_of(access, cfg), l.boolean(v, p, what));
    };
    auto def = as_code(default_of(access) ? "true" : "false");
    return {key, false, read, "bool", def, std::move(doc)};
  }

  /// A string that `check` accepts (and may rewrite).
  template <class Access>
  static row text(std::string_view key, Access access, string_check check,
                  std::string doc) {
    auto read = [access, check](loader& l, const json& v, const std::string& p,
                                Config& cfg) {
      auto str = l.string(v, p);
      if (str && check(l, p, *str))
        member_of(access, cfg) = std::move(*str);
    };
    std::string def = default_of(access);
    return {key,
            false,
            read,
            "string",
            def.empty() ? "none" : as_code(in_quotes(def)),
            std::move(doc)};
  }

  /// One of a fixed set of spellings, each standing for a value. Without
  /// `problem_prefix` a bad value reads `expected "a", "b" or "c", got "x"`.
  template <class Access, class T>
  static row choice(std::string_view key, Access access,
                    std::vector<std::pair<std::string_view, T>> choices,
                    std::string doc, std::string problem_prefix = {}) {
    if (problem_prefix.empty())
      problem_prefix = "expected " + spellings(choices) + ", got ";
    auto read = [access, choices, problem_prefix](
                  loader& l, const json& v, const std::string& p, Config& cfg) {
      auto str = l.string(v, p);
      if (!str)
        return;
      for (auto& [spelling, value] : choices)
        if (*str == spelling) {
          member_of(access, cfg) = value;
          return;
        }
      l.fail(p, problem_prefix + in_quotes(*str));
    };
    std::string def;
    for (auto& [spelling, value] : choices)
      if (value == default_of(access))
        def = as_code(in_quotes(spelling));
    return {key, false, read, "string", def, std::move(doc)};
  }

  /// A nested object read through `sub()` into `access(cfg)`, then checked
  /// by `validate` (may be null) for rules that span its keys.
  template <class Access, class Sub>
  static row
  object(std::string_view key, Access access, const table<Sub>& (*sub)(),
         void (*validate)(loader&, const std::string&,
                          typename no_deduce<Sub>::type&, const walk_result&),
         std::string default_text, std::string doc) {
    auto read = [access, sub, validate](loader& l, const json& v,
                                        const std::string& p, Config& cfg) {
      if (!l.object(v, p))
        return;
      auto& dst = member_of(access, cfg);
      auto given = l.walk(v, p, sub(), dst);
      if (validate != nullptr)
        validate(l, p, dst, given);
    };
    return {key,           false, read, "object", std::move(default_text),
            std::move(doc)};
  }

  /// An optional nested object (none until given), read through `sub()`.
  template <class Access, class Sub>
  static row optional_object(std::string_view key, Access access,
                             const table<Sub>& (*sub)(), std::string doc) {
    auto read = [access, sub](loader& l, const json& v, const std::string& p,
                              Config& cfg) {
      if (!l.object(v, p))
        return;
      Sub value;
      l.walk(v, p, sub(), value);
      member_of(access, cfg) = std::move(value);
    };
    return {key, false, read, "object", "none", std::move(doc)};
  }

  /// The rows of `sub` read into `access(cfg)`: a table of a member struct
  /// whose keys sit in the same JSON object as the keys of `Config`.
  template <class Access, class Sub>
  static table<Config> lifted(const table<Sub>& sub, Access access) {
    table<Config> result;
    for (auto& f : sub) {
      auto read = [read = f.read, access](loader& l, const json& v,
                                          const std::string& p, Config& cfg) {
        read(l, v, p, member_of(access, cfg));
      };
      result.push_back(
        {f.key, f.required, read, f.type, f.default_text, f.doc});
    }
    return result;
  }

  /// A key read by hand (for shapes no other row has).
  static row custom(std::string_view key, typename row::reader read,
                    std::string type, std::string default_text,
                    std::string doc) {
    return {key,
            false,
            std::move(read),
            std::move(type),
            std::move(default_text),
            std::move(doc)};
  }

  /// `"a", "b" or "c"`.
  template <class T>
  static std::string
  spellings(const std::vector<std::pair<std::string_view, T>>& choices) {
    std::string result;
    for (size_t i = 0; i < choices.size(); ++i) {
      if (i > 0)
        result += i + 1 == choices.size() ? " or " : ", ";
      result += in_quotes(choices[i].first);
    }
    return result;
  }
};

/// Marks `f` as required (its default column then reads **required**).
template <class Config>
field<Config> required(field<Config> f) {
  f.required = true;
  f.default_text = "**required**";
  return f;
}

/// Replaces the default column of `f` (for defaults no value shows).
template <class Config>
field<Config> shown_default(field<Config> f, std::string text) {
  f.default_text = std::move(text);
  return f;
}

/// The documentation of `fields` under `heading`.
template <class Config>
table_doc document(std::string heading, const table<Config>& fields) {
  table_doc result{std::move(heading), {}};
  for (auto& f : fields)
    result.rows.push_back({std::string{f.key}, f.type, f.default_text, f.doc});
  return result;
}

} // namespace dynserv::schema
