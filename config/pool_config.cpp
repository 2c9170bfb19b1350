// The field tables of `pools`: the count and its range, the provider and its
// server object, rolling reboots, remediation and the circuit breaker.
#include "config/pool_config.hpp"

#include "actors/reboot_rollout.hpp"
#include "config/sections.hpp"
#include "providers/cloud_providers.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace dynserv::schema {

namespace {

pool_config& self(pool_config& cfg) {
  return cfg;
}

void read_provider_name(loader& l, const json& v, const std::string& p,
                        pool_config& cfg) {
  auto str = l.string(v, p);
  if (!str)
    return;
  cfg.provider = *str;
  if (!l.refs.provider_names)
    return; // `providers` is missing, wrong or empty
  auto& names = *l.refs.provider_names;
  if (std::find(names.begin(), names.end(), *str) == names.end())
    l.fail(p, "unknown provider " + in_quotes(*str)
                + " (known: " + comma_list(names) + ")");
}

/// Keeps the `server` object as JSON text for the provider.
void read_server(loader& l, const json& v, const std::string& p,
                 pool_config& cfg) {
  if (!l.object(v, p))
    return;
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer{buf};
  v.Accept(writer);
  cfg.server_spec.assign(buf.GetString(), buf.GetSize());
}

/// A count may be given as a number or a string; a percentage only as a
/// string.
void read_max_unavailable(loader& l, const json& v, const std::string& p,
                          pool_config& cfg) {
  std::string spec;
  if (v.IsInt64() || v.IsUint64()) {
    auto n = l.integer(v, p);
    if (!n)
      return;
    spec = std::to_string(*n);
  } else if (v.IsString()) {
    spec = str_of(v);
  } else {
    l.expected(p, "a count (2) or a percentage (\"25%\")", v);
    return;
  }
  if (auto problem = max_unavailable_problem(spec))
    l.fail(p, *problem);
  else
    cfg.max_unavailable = spec;
}

const table<pool_config>& reboot_table() {
  static const table<pool_config> result{
    rows<pool_config>::custom(
      "max_unavailable", read_max_unavailable, "integer or string",
      as_code(in_quotes(default_max_unavailable)),
      "The most servers a rolling reboot has rebooting at once."),
  };
  return result;
}

const table<remediation_config>& remediation_table() {
  using row = rows<remediation_config>;
  using choices = std::vector<std::pair<std::string_view, remediation_action>>;
  auto actions = choices{{"replace", remediation_action::replace},
                         {"keep", remediation_action::keep}};
  static const table<remediation_config> result{
    row::choice("hanging", &remediation_config::hanging, actions,
                "What happens to a hanging server."),
    row::choice("errored", &remediation_config::errored, actions,
                "What happens to an errored server."),
    row::duration("delay", &remediation_config::delay, {},
                  "Time a server stays hanging or errored before it stops."),
    row::integer("max_attempts", &remediation_config::max_attempts,
                 between(1, 100), "Stops per server before giving up."),
  };
  return result;
}

const table<breaker_config>& breaker_table() {
  using row = rows<breaker_config>;
  static const table<breaker_config> result{
    row::flag("enabled", &breaker_config::enabled,
              "false keeps creating whatever happens."),
    row::integer("window", &breaker_config::window, between(1, 1000),
                 "The most recent create outcomes considered."),
    row::integer("min_creates", &breaker_config::min_creates, between(1, 1000),
                 "Outcomes needed before the breaker may open."),
    row::number("failure_ratio", &breaker_config::failure_ratio,
                {0.0, true, 1.0, false},
                "Opens when at least this share of the window failed."),
    row::duration("backoff_initial", &breaker_config::backoff_initial,
                  at_least(millis{1}), "The first opening."),
    row::duration("backoff_max", &breaker_config::backoff_max,
                  at_least(millis{1}),
                  "The longest opening; at least backoff_initial."),
  };
  return result;
}

void validate_breaker(loader& l, const std::string& path, breaker_config& cfg,
                      const walk_result& given) {
  if (cfg.min_creates > cfg.window)
    l.fail(join(path, "min_creates"), "must be at most window ("
                                        + std::to_string(cfg.window) + "), got "
                                        + std::to_string(cfg.min_creates));
  check_backoff_order(l, path, cfg.backoff_initial, cfg.backoff_max,
                      given.has("backoff_max"));
}

const table<pool_config>& pool_table() {
  using row = rows<pool_config>;
  auto policy = [](loader& l, const json& v, const std::string& p,
                   pool_config& cfg) { read_policy(l, v, p, cfg.policy); };
  static const table<pool_config> result{
    row::custom("policy", policy, "object", "`{\"type\": \"external\"}`",
                "How the count is decided."),
    required(row::custom("provider", read_provider_name, "string", "",
                         "The entry of `providers` that hosts the servers.")),
    // Required without a policy: checked by validate_pool.
    shown_default(row::integer("desired", &pool_config::desired, {},
                               "The pool's declared number of servers."),
                  "**required** without a policy"),
    row::integer("min", &pool_config::min, {},
                 "Lowest count the pool may be set to at run time."),
    shown_default(row::integer("max", &pool_config::max, {},
                               "Highest count the pool may be set to."),
                  "`limits.max_servers`"),
    row::object("reboot", self, reboot_table, nullptr,
                "`{\"max_unavailable\": \"25%\"}`", "Rolling reboots."),
    row::object("remediation", &pool_config::remediation, remediation_table,
                nullptr, "replace both",
                "What happens to hanging and errored servers."),
    row::object("circuit_breaker", &pool_config::breaker, breaker_table,
                validate_breaker, "on",
                "Stops creating when creates keep failing."),
    shown_default(row::duration("max_lifetime", &pool_config::max_lifetime,
                                at_least(millis{std::chrono::minutes{1}}),
                                "Running servers older than this are "
                                "replaced."),
                  "none"),
    row::custom("server", read_server, "object", "`{}`",
                "The pool's servers at its provider, checked by it."),
  };
  return result;
}

/// The provider implementation knows the shape of its `server` object;
/// checks it (also the default `{}`) once the pool's provider is known.
void check_server_spec(loader& l, const std::string& path,
                       const pool_config& cfg, const walk_result& given) {
  auto i = l.refs.provider_types.find(cfg.provider);
  if (i == l.refs.provider_types.end() || !is_cloud_provider_type(i->second)
      || (given.has("server") && !given.valid("server")))
    return;
  auto spec_path = join(path, "server");
  for (auto& [key, problem] : validate_server_spec(i->second, cfg.server_spec))
    l.fail(key.empty() ? spec_path : join(spec_path, key), problem);
}

/// The rules that span keys: `desired` and the range [min, max].
void validate_pool(loader& l, const std::string& path, pool_config& cfg,
                   const walk_result& given, bool has_policy) {
  if (!has_policy && !given.has("desired"))
    l.fail(join(path, "desired"), "missing required key");
  // Valid values only; an invalid one leaves the range checks out.
  auto value_of = [&](const char* key, int64_t pool_config::*member,
                      std::optional<int64_t> fallback) {
    if (!given.has(key))
      return fallback;
    return given.valid(key) ? std::optional<int64_t>{cfg.*member}
                            : std::nullopt;
  };
  auto min = value_of("min", &pool_config::min, int64_t{0});
  auto max = value_of("max", &pool_config::max, l.refs.max_servers);
  // With a policy the count is decided at run time: `desired` is the count
  // until the first decision, default `min`.
  auto desired = value_of("desired", &pool_config::desired,
                          has_policy ? min : std::nullopt);
  check_server_spec(l, path, cfg, given);
  if (desired)
    cfg.desired = *desired;
  if (max)
    cfg.max = *max;
  if (!min || !max)
    return;
  auto max_text = std::to_string(*max);
  if (!given.has("max"))
    max_text += ", from limits.max_servers";
  if (*min > *max) {
    l.fail(join(path, "min"), "must be at most max (" + max_text + "), got "
                                + std::to_string(*min));
    return;
  }
  if (desired && (*desired < *min || *desired > *max))
    l.fail(join(path, "desired"), "must be between min (" + std::to_string(*min)
                                    + ") and max (" + max_text + "), got "
                                    + std::to_string(*desired));
}

void read_pool(loader& l, const json& x, const std::string& path,
               pool_config& cfg) {
  bool has_policy = false;
  if (auto i = x.FindMember("policy");
      i != x.MemberEnd() && i->value.IsObject()) {
    auto t = i->value.FindMember("type");
    has_policy = t != i->value.MemberEnd() && t->value.IsString()
                 && str_of(t->value) != "external";
  }
  auto given = l.walk(x, path, pool_table(), cfg);
  validate_pool(l, path, cfg, given, has_policy);
}

} // namespace

void read_pools(loader& l, const json& x, const std::string& path,
                node_config& cfg) {
  l.read_entries(x, path, "pool", cfg.pools, read_pool);
}

void document_pools(std::vector<table_doc>& out) {
  out.push_back(document("## `pools`", pool_table()));
  document_policies(out);
  out.push_back(document("### `pools.<name>.reboot`", reboot_table()));
  out.push_back(
    document("### `pools.<name>.remediation`", remediation_table()));
  out.push_back(
    document("### `pools.<name>.circuit_breaker`", breaker_table()));
}

} // namespace dynserv::schema

namespace dynserv {

const char* to_string(remediation_action x) {
  return x == remediation_action::replace ? "replace" : "keep";
}

} // namespace dynserv
