// Loads the JSON configuration file: the top-level table, the small
// sections (node, limits, timing, policy, orphans) and the public entry points.
#include "config/node_config.hpp"

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include <rapidjson/error/en.h>

#include "config/sections.hpp"

namespace dynserv {

namespace schema {

namespace {

constexpr const char* orphan_actions[] = {"delete", "adopt", "report"};

/// The whole config struct; sections whose keys sit in `node_config` itself
/// (node, limits, policy) are read through it.
node_config& self(node_config& cfg) {
  return cfg;
}

timing_config& self_timing(timing_config& cfg) {
  return cfg;
}

bool node_name(loader& l, const std::string& path, std::string& value) {
  if (valid_name(value, false))
    return true;
  l.fail(path, "invalid name " + in_quotes(value)
                 + ": use 1 to 40 characters from a-z, 0-9 and '-'");
  return false;
}

// -- tables -------------------------------------------------------------------

using node_rows = rows<node_config>;

const table<node_config>& node_table() {
  using row = node_rows;
  static const table<node_config> result{
    row::text("name", &node_config::name, node_name,
              "Name of this node; the value of its dynserv-owner label."),
    required(row::text("data_dir", &node_config::data_dir, file_path,
                       "Directory of the node's store, relative to the "
                       "config file.")),
    row::duration("reconcile_interval", &node_config::reconcile_interval,
                  at_least(min_poll_interval),
                  "How often each pool compares its servers with its count."),
    row::choice(
      "log_level", &node_config::log_level,
      std::vector<std::pair<std::string_view, std::string>>{{"trace", "trace"},
                                                            {"debug", "debug"},
                                                            {"info", "info"},
                                                            {"warn", "warn"},
                                                            {"error", "error"},
                                                            {"off", "off"}},
      "Least severe log level written.",
      "must be one of trace, debug, info, warn, error, off; got "),
    row::duration("deleted_retention", &node_config::deleted_retention, {},
                  "How long records of deleted servers are kept."),
  };
  return result;
}

const table<node_config>& limits_table() {
  static const table<node_config> result{
    required(node_rows::integer("max_servers", &node_config::max_servers, {},
                                "Node-wide cap on servers that exist.")),
  };
  return result;
}

const table<timing_config>& hanging_table() {
  using row = rows<timing_config>;
  static const table<timing_config> result{
    row::duration("starting", &timing_config::hanging_starting,
                  at_least(millis{1}), "Deadline of the `starting` state."),
    row::duration("stopping", &timing_config::hanging_stopping,
                  at_least(millis{1}), "Deadline of the `stopping` state."),
    row::duration("deleting", &timing_config::hanging_deleting,
                  at_least(millis{1}), "Deadline of the `deleting` state."),
    row::duration("rebooting", &timing_config::hanging_rebooting,
                  at_least(millis{1}), "Deadline of the `rebooting` state."),
  };
  return result;
}

const table<timing_config>& timing_table() {
  using row = rows<timing_config>;
  static const table<timing_config> result{
    row::duration("poll_interval", &timing_config::poll_interval,
                  at_least(min_poll_interval),
                  "How often each provider actor polls its account."),
    row::duration("backoff_initial", &timing_config::backoff_initial,
                  at_least(millis{1}),
                  "Delay before the first retry of a failed provider call."),
    row::duration("backoff_max", &timing_config::backoff_max,
                  at_least(millis{1}),
                  "Upper bound of the retry delay; at least backoff_initial."),
    row::number("backoff_multiplier", &timing_config::backoff_multiplier,
                at_least(1.0), "Factor applied to the delay per failure."),
    row::number("backoff_jitter", &timing_config::backoff_jitter,
                unit_interval(), "Random spread of each retry delay."),
    row::duration("call_timeout", &timing_config::call_timeout,
                  at_least(millis{1}),
                  "How long a server waits for its provider actor."),
    row::object("hanging_after", self_timing, hanging_table, nullptr,
                "see below", "Per-state deadlines."),
  };
  return result;
}

void validate_timing(loader& l, const std::string& path, timing_config& t,
                     const walk_result& given) {
  // The other key may be a default: name the one the file gave.
  if (given.has("backoff_max")) {
    if (given.valid("backoff_max") && t.backoff_max < t.backoff_initial)
      l.fail(join(path, "backoff_max"), "must be at least backoff_initial ("
                                          + format_duration(t.backoff_initial)
                                          + "), got "
                                          + format_duration(t.backoff_max));
  } else if (given.valid("backoff_initial")
             && t.backoff_initial > t.backoff_max) {
    l.fail(join(path, "backoff_initial"),
           "must be at most backoff_max (" + format_duration(t.backoff_max)
             + ", the default), got " + format_duration(t.backoff_initial));
  }
}

const table<node_config>& policy_defaults_table() {
  static const table<node_config> result{
    node_rows::duration("interval", &node_config::policy_interval,
                        at_least(min_poll_interval),
                        "How often each pool's policy is evaluated."),
    node_rows::duration("decision_retention", &node_config::decision_retention,
                        {}, "How long decision records are kept."),
  };
  return result;
}

const table<orphans_config>& orphans_table() {
  using row = rows<orphans_config>;
  static const table<orphans_config> result{
    row::choice("action", &orphans_config::action,
                std::vector<std::pair<std::string_view, orphan_action>>{
                  {"delete", orphan_action::destroy},
                  {"adopt", orphan_action::adopt},
                  {"report", orphan_action::report}},
                "What the sweeper does with an orphan."),
    row::duration("grace", &orphans_config::grace, {},
                  "An orphan is acted on once seen at least this long ago."),
    row::duration("sweep_interval", &orphans_config::sweep_interval,
                  at_least(min_sweep_interval), "Time between sweeps."),
  };
  return result;
}

/// The top level: one row per section.
const table<node_config>& root_table() {
  using row = node_rows;
  auto custom
    = [](std::string_view key,
         void (*read)(loader&, const json&, const std::string&, node_config&)) {
        return row::custom(key, read, "object", "", "");
      };
  static const table<node_config> result{
    required(row::object("node", self, node_table, nullptr, "", "")),
    required(row::object("limits", self, limits_table, nullptr, "", "")),
    row::object("timing", &node_config::timing, timing_table, validate_timing,
                "", ""),
    row::object("admin", &node_config::admin, admin_table, validate_admin, "",
                ""),
    row::object("http", &node_config::http, http_table, validate_http, "", ""),
    row::object("policy", self, policy_defaults_table, nullptr, "", ""),
    row::object("orphans", &node_config::orphans, orphans_table, nullptr, "",
                ""),
    required(custom("providers", read_providers)),
    required(custom("pools", read_pools)),
    custom("webhooks", read_webhooks),
  };
  return result;
}

/// Pools refer to providers and default to limits.max_servers, webhooks
/// refer to pools: look these up first so that the walk can follow
/// document order.
void collect_refs(const json& root, cross_refs& refs) {
  if (auto i = root.FindMember("providers"); i != root.MemberEnd()
                                             && i->value.IsObject()
                                             && i->value.MemberCount() > 0) {
    refs.provider_names.emplace();
    for (auto j = i->value.MemberBegin(); j != i->value.MemberEnd(); ++j) {
      refs.provider_names->push_back(str_of(j->name));
      if (!j->value.IsObject())
        continue;
      auto t = j->value.FindMember("type");
      if (t != j->value.MemberEnd() && t->value.IsString())
        refs.provider_types[str_of(j->name)] = str_of(t->value);
    }
  }
  if (auto i = root.FindMember("pools");
      i != root.MemberEnd() && i->value.IsObject()) {
    refs.pool_names.emplace();
    for (auto j = i->value.MemberBegin(); j != i->value.MemberEnd(); ++j)
      refs.pool_names->push_back(str_of(j->name));
  }
  if (auto i = root.FindMember("limits");
      i != root.MemberEnd() && i->value.IsObject()) {
    auto j = i->value.FindMember("max_servers");
    if (j != i->value.MemberEnd() && j->value.IsInt64()
        && j->value.GetInt64() >= 0)
      refs.max_servers = j->value.GetInt64();
  }
}

config_result check(const json& root, const std::string& base_dir) {
  loader l{base_dir};
  if (!root.IsObject()) {
    l.expected("", "an object at the top level", root);
    return {std::nullopt, l.take_errors()};
  }
  collect_refs(root, l.refs);
  node_config cfg;
  l.walk(root, "", root_table(), cfg);
  if (l.has_errors())
    return {std::nullopt, l.take_errors()};
  return {std::move(cfg), {}};
}

} // namespace

void document_node(std::vector<table_doc>& out) {
  out.push_back(document("## `node`", node_table()));
  out.push_back(document("## `limits`", limits_table()));
  out.push_back(document("## `timing`", timing_table()));
  out.push_back(document("### `timing.hanging_after`", hanging_table()));
}

void document_policy_defaults(std::vector<table_doc>& out) {
  out.push_back(document("## `policy`", policy_defaults_table()));
}

void document_orphans(std::vector<table_doc>& out) {
  out.push_back(document("## `orphans`", orphans_table()));
}

} // namespace schema

// -- public API ---------------------------------------------------------------

const char* to_string(orphan_action x) {
  return schema::orphan_actions[static_cast<size_t>(x)];
}

std::string config_error::to_string() const {
  if (path.empty())
    return problem;
  return path + ": " + problem;
}

namespace {

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

} // namespace

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
  return schema::check(doc, base_dir);
}

config_result load_config_file(const std::string& path) {
  auto fail = [&](int err) {
    auto reason = std::generic_category().message(err);
    return config_result{
      std::nullopt,
      {config_error{"",
                    "cannot read " + schema::in_quotes(path) + ": " + reason}}};
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

} // namespace dynserv
