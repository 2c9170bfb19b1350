// The field tables of `providers`: the keys every account has, the keys of
// the HTTP clouds and of exec, credentials, and the default rate limits.
#include "config/provider_config.hpp"

#include <algorithm>
#include <cstdlib>
#include <system_error>

#include "config/sections.hpp"
#include "providers/cloud_providers.hpp"

namespace dynserv {

namespace schema {

namespace {

constexpr const char* provider_types[] = {"simulated", "upcloud", "hetzner",
                                          "digitalocean", "exec"};

/// One entry of `providers` while it is read: the config and what only
/// the checks after the walk need.
struct provider_input {
  provider_config cfg;
  /// `rate_limit` keys that were given and valid.
  std::optional<double> requests_per_second;
  std::optional<double> burst;
  /// Credential keys (key -> value or variable name), checked together
  /// after the walk; an invalid one is recorded as "".
  std::map<std::string, std::string> credentials;
};

using provider_rows = rows<provider_input>;

bool known_type(std::string_view type) {
  return std::find(std::begin(provider_types), std::end(provider_types), type)
         != std::end(provider_types);
}

void read_type(loader& l, const json& v, const std::string& p,
               provider_input& in) {
  auto str = l.string(v, p);
  if (!str)
    return;
  if (known_type(*str)) {
    in.cfg.type = *str;
    return;
  }
  std::vector<std::string> known{std::begin(provider_types),
                                 std::end(provider_types)};
  l.fail(p, "unknown provider type " + in_quotes(*str)
              + " (known: " + comma_list(known) + ")");
}

const table<provider_input>& rate_limit_table() {
  using row = provider_rows;
  static const table<provider_input> result{
    shown_default(row::number("requests_per_second",
                              &provider_input::requests_per_second, positive(),
                              "Tokens added per second."),
                  "`10`, or the type's published rate"),
    shown_default(row::number("burst", &provider_input::burst, at_least(1.0),
                              "Bucket size."),
                  "`20`, or the type's published burst"),
    row::number(
      "reserve",
      [](provider_input& in) -> double& { return in.cfg.budget_reserve; },
      {0.0, false, 1.0, true},
      "Share of the provider's own budget left to others."),
  };
  return result;
}

provider_input& self(provider_input& in) {
  return in;
}

/// The keys of every entry, whatever its type.
const table<provider_input>& common_table() {
  using row = provider_rows;
  static const table<provider_input> result{
    required(
      row::custom("type", read_type, "string", "", "The implementation.")),
    row::object("rate_limit", self, rate_limit_table, nullptr, "see below",
                "Token bucket of the account's API requests."),
  };
  return result;
}

/// A credential value: recorded even when invalid (as ""), so that it does
/// not count as missing as well.
provider_rows::row secret_row(std::string_view key, std::string doc) {
  auto read = [key](loader& l, const json& v, const std::string& p,
                    provider_input& in) {
    auto& dst = in.credentials[std::string{key}];
    auto str = l.string(v, p);
    if (str && non_empty(l, p, *str))
      dst = *str;
  };
  return provider_rows::custom(key, read, "string", "none", std::move(doc));
}

/// The name of the environment variable that holds a credential.
provider_rows::row env_row(std::string_view key, std::string doc) {
  auto read = [key](loader& l, const json& v, const std::string& p,
                    provider_input& in) {
    auto& dst = in.credentials[std::string{key}];
    auto str = l.string(v, p);
    if (!str)
      return;
    if (valid_env_name(*str))
      dst = *str;
    else
      l.fail(p, "expected an environment variable name (letters, digits "
                "and _, not starting with a digit), got "
                  + in_quotes(*str));
  };
  return provider_rows::custom(key, read, "string", "none", std::move(doc));
}

bool url_with_scheme(loader& l, const std::string& p, std::string& value) {
  if (value.rfind("https://", 0) == 0 || value.rfind("http://", 0) == 0)
    return true;
  l.fail(p, "expected a URL starting with https:// or http://, got "
              + in_quotes(value));
  return false;
}

/// A CA file that must be readable now.
bool readable_file(loader& l, const std::string& p, std::string& value) {
  if (!file_path(l, p, value))
    return false;
  if (auto err = unreadable(value)) {
    l.fail(p, "cannot read " + in_quotes(value) + ": "
                + std::generic_category().message(err));
    return false;
  }
  return true;
}

http_client_options& http_of(provider_input& in) {
  return in.cfg.api.http;
}

/// Keys of the HTTP clouds; with `upcloud`, also user and password.
table<provider_input> make_http_table(bool upcloud) {
  using row = provider_rows;
  using http_row = rows<http_client_options>;
  auto result = row::lifted(
    table<http_client_options>{
      shown_default(http_row::text("base_url", &http_client_options::base_url,
                                   url_with_scheme, "Base URL of the API."),
                    "the public API"),
      http_row::text("ca_file", &http_client_options::ca_file, readable_file,
                     "PEM file of extra CA certificates."),
      http_row::flag("tls_verify", &http_client_options::tls_verify,
                     "Check certificates and host names."),
      http_row::duration("connect_timeout",
                         &http_client_options::connect_timeout,
                         at_least(millis{1}), "DNS, TCP and TLS handshake."),
      http_row::duration("read_timeout", &http_client_options::read_timeout,
                         at_least(millis{1}),
                         "Writing a request and reading its response."),
    },
    http_of);
  auto more = table<provider_input>{
    row::duration(
      "stop_timeout",
      [](provider_input& in) -> millis& { return in.cfg.stop_timeout; },
      at_least(millis{1000}), "How long a soft stop may take."),
    secret_row("token", "API token (Bearer)."),
    env_row("token_env", "Environment variable that holds the token."),
  };
  if (upcloud) {
    more.push_back(secret_row("username", "UpCloud only: API user."));
    more.push_back(env_row("username_env",
                           "UpCloud only: variable that holds the API user."));
    more.push_back(secret_row("password", "UpCloud only: the password."));
    more.push_back(env_row("password_env",
                           "UpCloud only: variable that holds the password."));
  }
  result.insert(result.end(), more.begin(), more.end());
  return result;
}

/// Reads the command: relative paths are relative to the config file.
void read_command(loader& l, const json& v, const std::string& p,
                  exec_options& exec) {
  if (!v.IsArray()) {
    l.expected(p, "a non-empty array of strings", v);
    return;
  }
  if (v.Empty()) {
    l.fail(p, "must not be empty");
    return;
  }
  std::vector<std::string> argv;
  bool ok = true;
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
    auto elem_path = p + "[" + std::to_string(i) + "]";
    auto str = l.string(v[i], elem_path);
    if (!str || !non_empty(l, elem_path, *str))
      ok = false;
    else if (str->find('/') != std::string::npos && str->front() != '/'
             && str->front() != '-')
      argv.push_back(l.resolve(*str));
    else
      argv.push_back(*str);
  }
  if (ok)
    exec.command = std::move(argv);
}

void read_env(loader& l, const json& v, const std::string& p,
              exec_options& exec) {
  if (!l.object(v, p))
    return;
  std::set<std::string> seen;
  for (auto i = v.MemberBegin(); i != v.MemberEnd(); ++i) {
    auto key = str_of(i->name);
    auto key_path = join(p, key);
    if (!seen.insert(key).second) {
      l.fail(key_path, "duplicate key");
      continue;
    }
    if (!valid_env_name(key)) {
      l.fail(key_path, "invalid environment variable name: use letters, "
                       "digits and _, not starting with a digit");
      continue;
    }
    if (auto str = l.string(i->value, key_path))
      exec.env[key] = *str;
  }
}

const table<exec_options>& exec_table() {
  using row = rows<exec_options>;
  static const table<exec_options> result{
    required(row::custom("command", read_command, "array of strings", "",
                         "The command and its arguments.")),
    row::duration("timeout", &exec_options::timeout, at_least(millis{1}),
                  "A run that takes longer is killed."),
    row::custom("env", read_env, "object of strings", "`{}`",
                "Extra environment variables for the command."),
  };
  return result;
}

simulated_options& simulated_of(provider_input& in) {
  return in.cfg.simulated;
}

exec_options& exec_of(provider_input& in) {
  return in.cfg.exec;
}

/// The keys of entries of `type` besides the common ones.
const table<provider_input>& type_table(std::string_view type) {
  static const auto simulated = provider_rows::lifted(simulated_table(),
                                                      simulated_of);
  static const auto exec = provider_rows::lifted(exec_table(), exec_of);
  static const auto upcloud = make_http_table(true);
  static const auto other_clouds = make_http_table(false);
  if (type == "simulated")
    return simulated;
  if (type == "exec")
    return exec;
  return type == "upcloud" ? upcloud : other_clouds;
}

/// The fields of an entry: the common ones, those of its type, or with the
/// type missing those of every type, read by nobody: they are tolerated,
/// since the user probably meant one of them.
table<provider_input> fields_for(const std::optional<std::string>& type) {
  auto result = common_table();
  auto has = [&](std::string_view key) {
    return std::any_of(result.begin(), result.end(),
                       [&](auto& f) { return f.key == key; });
  };
  if (type && known_type(*type)) {
    auto& more = type_table(*type);
    result.insert(result.end(), more.begin(), more.end());
  } else if (!type) {
    for (auto t : provider_types)
      for (auto& f : type_table(t))
        if (!has(f.key))
          result.push_back(provider_rows::custom(
            f.key,
            [](loader&, const json&, const std::string&, provider_input&) {},
            "", "", ""));
  }
  return result;
}

/// Resolves `key` or `key_env` into `dst`; reports both or an unset
/// variable (by name: the value is a secret).
void take_credential(loader& l, const std::string& path, provider_input& in,
                     const std::string& key, std::string& dst) {
  auto& given = in.credentials;
  auto env_key = key + "_env";
  if (given.count(key) > 0 && given.count(env_key) > 0) {
    l.fail(join(path, key),
           "set either " + key + " or " + env_key + ", not both");
    return;
  }
  if (given.count(key) > 0) {
    dst = given[key];
    return;
  }
  auto i = given.find(env_key);
  if (i == given.end() || i->second.empty())
    return; // not given, or invalid and reported
  auto value = std::getenv(i->second.c_str());
  if (value == nullptr)
    l.fail(join(path, env_key),
           "environment variable " + i->second + " is not set");
  else if (*value == '\0')
    l.fail(join(path, env_key),
           "environment variable " + i->second + " is empty");
  else
    dst = value;
}

/// Each account needs exactly one way of logging in.
void check_credentials(loader& l, const std::string& path, provider_input& in) {
  auto given = [&](const char* key) { return in.credentials.count(key) > 0; };
  auto& api = in.cfg.api;
  bool token = given("token") || given("token_env");
  bool user = given("username") || given("username_env");
  bool password = given("password") || given("password_env");
  if (in.cfg.type != "upcloud") {
    if (!token)
      l.fail(join(path, "token"),
             "missing credentials: set token or token_env");
    take_credential(l, path, in, "token", api.token);
    return;
  }
  if (token && (user || password)) {
    l.fail(join(path, "token"), "set either token/token_env or "
                                "username and password, not both");
    return;
  }
  if (token) {
    take_credential(l, path, in, "token", api.token);
    return;
  }
  if (!user && !password) {
    l.fail(join(path, "token"), "missing credentials: set token or "
                                "token_env, or username and password (or "
                                "their _env keys)");
    return;
  }
  if (!user)
    l.fail(join(path, "username"),
           "missing: set username or username_env (password is set)");
  if (!password)
    l.fail(join(path, "password"),
           "missing: set password or password_env (username is set)");
  take_credential(l, path, in, "username", api.username);
  take_credential(l, path, in, "password", api.password);
}

void read_provider(loader& l, const json& x, const std::string& path,
                   provider_config& cfg) {
  // The type decides which other keys exist: look it up first. With an
  // unknown type nothing but the common keys is checked, since that type's
  // keys are unknown.
  std::optional<std::string> type;
  if (auto i = x.FindMember("type"); i != x.MemberEnd() && i->value.IsString())
    type = str_of(i->value);
  provider_input in;
  in.cfg = std::move(cfg);
  if (type && is_cloud_provider_type(*type))
    in.cfg.api.http.base_url = default_base_url(*type);
  auto given = l.walk(x, path, fields_for(type), in,
                      type && !known_type(*type));
  if (type && known_type(*type)) {
    if (*type != "simulated" && *type != "exec")
      check_credentials(l, path, in);
    // A real cloud is never unlimited: its published limit is the default
    // of the keys left out, scaled by the reserve.
    auto defaults = default_rate_limit(*type, in.cfg.budget_reserve);
    if (given.has("rate_limit") || defaults) {
      auto base = defaults.value_or(rate_limit_options{});
      in.cfg.rate_limit = rate_limit_options{
        in.requests_per_second.value_or(base.requests_per_second),
        in.burst.value_or(base.burst)};
    }
  }
  cfg = std::move(in.cfg);
}

} // namespace

void read_providers(loader& l, const json& x, const std::string& path,
                    node_config& cfg) {
  l.read_entries(x, path, "provider", cfg.providers, read_provider);
}

void document_providers(std::vector<table_doc>& out) {
  out.push_back(document("## `providers`", common_table()));
  out.push_back(
    document("### `providers.<name>.rate_limit`", rate_limit_table()));
  out.push_back(document("### Types `upcloud`, `hetzner` and `digitalocean`",
                         type_table("upcloud")));
  out.push_back(document("### Type `exec`", exec_table()));
}

} // namespace schema

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

} // namespace dynserv
