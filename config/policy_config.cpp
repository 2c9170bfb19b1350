// The field tables of a pool's `policy`: the type, the guardrails every type
// has, and the keys of the fixed, schedule and http_metric types.
#include <cctype>

#include "config/sections.hpp"
#include "policies/http_metric.hpp"
#include "policies/schedule.hpp"
#include "policies/time_zone.hpp"

namespace dynserv::schema {

namespace {

constexpr const char* kinds[] = {"external", "fixed", "schedule", "http_metric",
                                 "callback"};

std::optional<policy_kind> kind_named(std::string_view name) {
  for (size_t k = 0; k < std::size(kinds); ++k)
    if (name == kinds[k])
      return static_cast<policy_kind>(k);
  return std::nullopt;
}

bool iequals_ascii(std::string_view a, std::string_view b) {
  return a.size() == b.size()
         && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
              return std::tolower(static_cast<unsigned char>(x))
                     == std::tolower(static_cast<unsigned char>(y));
            });
}

// -- schedule windows ---------------------------------------------------------

/// One window of a schedule while it is read.
struct window_input {
  schedule_window window;
  std::optional<int> from;
  std::optional<int> to;
  bool days_ok = false;
};

bool read_day(loader& l, const json& v, const std::string& p,
              window_input& in) {
  auto str = l.string(v, p);
  if (!str)
    return false;
  auto mask = parse_days(*str);
  if (!mask) {
    l.fail(p, "unknown day " + in_quotes(*str)
                + " (use mon, tue, wed, thu, fri, sat, sun, weekdays, "
                  "weekend or daily)");
    return false;
  }
  in.window.days |= *mask;
  return true;
}

void read_days(loader& l, const json& v, const std::string& p,
               window_input& in) {
  if (v.IsString()) {
    in.days_ok = read_day(l, v, p, in);
    return;
  }
  if (!v.IsArray() || v.Empty()) {
    l.expected(p, "a day name or a non-empty array of them", v);
    return;
  }
  in.days_ok = true;
  size_t i = 0;
  for (const auto& d : v.GetArray())
    in.days_ok = read_day(l, d, p + "[" + std::to_string(i++) + "]", in)
                 && in.days_ok;
}

/// A row reading "HH:MM" into `in.*member` (minutes since midnight).
rows<window_input>::row clock_row(std::string_view key,
                                  std::optional<int> window_input::*member) {
  auto read = [member](loader& l, const json& v, const std::string& p,
                       window_input& in) {
    auto str = l.string(v, p);
    if (!str)
      return;
    in.*member = parse_clock(*str);
    if (!(in.*member))
      l.fail(p, "expected a time of day \"HH:MM\" from 00:00 to 24:00, got "
                  + in_quotes(*str));
  };
  return required(rows<window_input>::custom(key, read, "string", "", ""));
}

const table<window_input>& window_table() {
  using row = rows<window_input>;
  static const table<window_input> result{
    required(row::custom("days", read_days, "string or array", "", "")),
    clock_row("from", &window_input::from),
    clock_row("to", &window_input::to),
    required(row::integer(
      "count", [](window_input& in) -> int64_t& { return in.window.count; }, {},
      "")),
  };
  return result;
}

void read_windows(loader& l, const json& x, const std::string& path,
                  schedule_spec& cfg) {
  if (!x.IsArray()) {
    l.expected(path, "an array of windows", x);
    return;
  }
  size_t index = 0;
  for (const auto& item : x.GetArray()) {
    auto item_path = path + "[" + std::to_string(index++) + "]";
    if (!l.object(item, item_path))
      continue;
    window_input in;
    l.walk(item, item_path, window_table(), in);
    auto& [w, from, to, days_ok] = in;
    if (from && *from == 1440)
      l.fail(join(item_path, "from"), "must be before 24:00");
    else if (from && to && *from == *to)
      l.fail(join(item_path, "to"),
             "must differ from \"from\" (use \"00:00\" to \"24:00\" for "
             "a whole day)");
    if (!from || !to || !days_ok)
      continue;
    w.from_minute = *from;
    w.to_minute = *to;
    w.label = format_days(w.days) + " " + format_clock(*from) + "-"
              + format_clock(*to);
    cfg.windows.push_back(std::move(w));
  }
}

// -- the policy types ---------------------------------------------------------

void read_kind(loader& l, const json& v, const std::string& p,
               policy_spec& cfg) {
  auto str = l.string(v, p);
  if (!str)
    return;
  if (auto kind = kind_named(*str))
    cfg.kind = *kind;
  else
    l.fail(p, "unknown policy type " + in_quotes(*str)
                + " (known: external, fixed, schedule, http_metric, "
                  "callback)");
}

const table<policy_spec>& common_table() {
  using row = rows<guardrail_config>;
  static const auto result = [] {
    table<policy_spec> fields{
      required(rows<policy_spec>::custom("type", read_kind, "string", "",
                                         "How the count is decided.")),
    };
    auto guardrails = rows<policy_spec>::lifted(
      table<guardrail_config>{
        row::integer("scale_up_step", &guardrail_config::scale_up_step, {},
                     "Servers above the active count per decision at most; "
                     "0 = no limit."),
        row::integer("max_in_flight", &guardrail_config::max_in_flight, {},
                     "Servers being created at once at most; 0 = no limit."),
        row::duration("scale_down_cooldown",
                      &guardrail_config::scale_down_cooldown, {},
                      "No scale-down until this long after a change."),
        row::duration("stabilization_window",
                      &guardrail_config::stabilization_window, {},
                      "A scale-down goes no lower than the highest "
                      "recommendation within this window."),
        row::flag("dry_run", &guardrail_config::dry_run,
                  "Record decisions, change nothing.", "true or false"),
      },
      &policy_spec::guardrails);
    fields.insert(fields.end(), guardrails.begin(), guardrails.end());
    return fields;
  }();
  return result;
}

const table<policy_spec>& fixed_table() {
  static const table<policy_spec> result{
    required(rows<policy_spec>::integer("count", &policy_spec::fixed_count, {},
                                        "The count.")),
  };
  return result;
}

bool time_zone(loader& l, const std::string& p, std::string& value) {
  std::string why;
  if (load_time_zone(value, &why))
    return true;
  l.fail(p, in_quotes(value) + ": " + why);
  return false;
}

const table<policy_spec>& schedule_table() {
  using row = rows<schedule_spec>;
  auto windows = [](loader& l, const json& v, const std::string& p,
                    schedule_spec& cfg) { read_windows(l, v, p, cfg); };
  static const auto result = rows<policy_spec>::lifted(
    table<schedule_spec>{
      row::text("time_zone", &schedule_spec::time_zone, time_zone,
                "IANA zone name, e.g. \"Europe/Berlin\"."),
      row::integer("default", &schedule_spec::default_count, {},
                   "The count outside every window."),
      required(row::custom("windows", windows, "array", "",
                           "Windows; the first that contains now wins.")),
    },
    &policy_spec::schedule);
  return result;
}

bool metric_url(loader& l, const std::string& p, std::string& value) {
  if (split_url(value))
    return true;
  l.fail(p, "expected an http:// or https:// URL, got " + in_quotes(value));
  return false;
}

bool json_pointer(loader& l, const std::string& p, std::string& value) {
  if (valid_json_pointer(value) && !value.empty())
    return true;
  l.fail(p, "expected a JSON pointer such as \"/wait/redis:default\", got "
              + in_quotes(value));
  return false;
}

void read_headers(loader& l, const json& v, const std::string& p,
                  http_metric_spec& cfg) {
  if (!l.object(v, p))
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
      l.fail(hp, "invalid header name");
      continue;
    }
    auto value = l.string(i->value, hp);
    if (!value)
      continue;
    if (value->find_first_of("\r\n") != std::string::npos) {
      l.fail(hp, "header values must not contain line breaks");
      continue;
    }
    cfg.headers.emplace_back(name, *value);
  }
}

const table<policy_spec>& http_metric_table() {
  using row = rows<http_metric_spec>;
  static const auto result = rows<policy_spec>::lifted(
    table<http_metric_spec>{
      required(row::text("url", &http_metric_spec::url, metric_url,
                         "URL answering JSON.")),
      required(row::text("pointer", &http_metric_spec::pointer, json_pointer,
                         "JSON pointer to a number in the answer.")),
      row::number("per_server", &http_metric_spec::per_server, positive(),
                  "Metric units one server handles."),
      row::integer("offset", &http_metric_spec::offset, any_integer(),
                   "Added to the count; may be negative."),
      row::duration("timeout", &http_metric_spec::timeout, at_least(millis{10}),
                    "Connect and read timeout of one fetch."),
      row::text("token_env", &http_metric_spec::token_env, upper_env_name,
                "Environment variable holding a bearer token."),
      row::text("ca_file", &http_metric_spec::ca_file, file_path,
                "PEM CA bundle for https besides the system's."),
      row::custom("headers", read_headers, "object", "`{}`",
                  "Extra request header fields."),
    },
    &policy_spec::http_metric);
  return result;
}

} // namespace

void read_policy(loader& l, const json& x, const std::string& path,
                 policy_spec& cfg) {
  if (!l.object(x, path))
    return;
  std::optional<policy_kind> kind;
  if (auto i = x.FindMember("type"); i != x.MemberEnd() && i->value.IsString())
    kind = kind_named(str_of(i->value));
  auto fields = common_table();
  auto add = [&](const table<policy_spec>& more) {
    fields.insert(fields.end(), more.begin(), more.end());
  };
  if (kind == policy_kind::fixed)
    add(fixed_table());
  else if (kind == policy_kind::schedule)
    add(schedule_table());
  else if (kind == policy_kind::http_metric)
    add(http_metric_table());
  // With a missing or unknown type, only the common keys are checked.
  l.walk(x, path, fields, cfg, !kind.has_value());
  auto& hm = cfg.http_metric;
  if (kind == policy_kind::http_metric && !hm.token_env.empty())
    for (const auto& [name, value] : hm.headers)
      if (iequals_ascii(name, "Authorization"))
        l.fail(join(join(path, "headers"), name),
               "set either an Authorization header or token_env, not both");
}

void document_policies(std::vector<table_doc>& out) {
  out.push_back(document("### `pools.<name>.policy`", common_table()));
  out.push_back(document("Type `fixed`:", fixed_table()));
  out.push_back(document("Type `schedule`:", schedule_table()));
  out.push_back(document("Type `http_metric`:", http_metric_table()));
}

} // namespace dynserv::schema
