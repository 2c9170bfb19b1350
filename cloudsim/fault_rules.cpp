// Matching, firing and (de)serializing fault rules.
#include "cloudsim/fault_rules.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace dynserv::cloudsim {

namespace {

constexpr std::array<std::pair<fault_kind, std::string_view>, 13> kind_names{{
  {fault_kind::http_error, "http_error"},
  {fault_kind::drop, "drop"},
  {fault_kind::hang, "hang"},
  {fault_kind::delay, "delay"},
  {fault_kind::lost_response, "lost_response"},
  {fault_kind::stuck, "stuck"},
  {fault_kind::error_state, "error_state"},
  {fault_kind::action_error, "action_error"},
  {fault_kind::soft_stop_ignored, "soft_stop_ignored"},
  {fault_kind::quota, "quota"},
  {fault_kind::unauthorized, "unauthorized"},
  {fault_kind::problem_json, "problem_json"},
  {fault_kind::resource_locked, "resource_locked"},
}};

/// Default delay of `hang`: longer than any sane client timeout.
constexpr int64_t default_hang_ms = 600 * 1000;

bool responds(fault_kind k) {
  return k == fault_kind::http_error || k == fault_kind::drop
         || k == fault_kind::hang || k == fault_kind::quota
         || k == fault_kind::unauthorized || k == fault_kind::resource_locked;
}

bool matches(const fault_rule& r, const fault_target& t) {
  if (r.provider && *r.provider != t.provider)
    return false;
  if (!r.op.empty() && r.op != t.op && r.op != t.detail)
    return false;
  if (!r.method.empty() && !iequals(r.method, t.method))
    return false;
  if (!r.path.empty() && t.path.find(r.path) == std::string::npos)
    return false;
  if (!r.server.empty() && r.server != t.server)
    return false;
  return true;
}

} // namespace

std::string_view to_string(fault_kind x) {
  for (auto& [k, name] : kind_names)
    if (k == x)
      return name;
  return "unknown";
}

std::optional<fault_kind> parse_fault_kind(std::string_view x) {
  for (auto& [k, name] : kind_names)
    if (name == x)
      return k;
  return std::nullopt;
}

uint64_t fault_rules::add(fault_rule rule) {
  rule.id = next_id_++;
  rules_.push_back(std::move(rule));
  return rules_.back().id;
}

bool fault_rules::remove(uint64_t id) {
  auto i = std::find_if(rules_.begin(), rules_.end(),
                        [id](const fault_rule& r) { return r.id == id; });
  if (i == rules_.end())
    return false;
  rules_.erase(i);
  return true;
}

void fault_rules::clear() {
  rules_.clear();
}

fault_effects fault_rules::match(const fault_target& t, sim_random& rng) {
  fault_effects fx;
  for (auto i = rules_.begin(); i != rules_.end();) {
    auto& r = *i;
    if (!matches(r, t) || (responds(r.kind) && fx.respond)
        || !rng.chance(r.probability)) {
      ++i;
      continue;
    }
    ++r.fired;
    fx.fired.push_back(r.id);
    switch (r.kind) {
      case fault_kind::http_error:
      case fault_kind::drop:
      case fault_kind::hang:
      case fault_kind::quota:
      case fault_kind::unauthorized:
      case fault_kind::resource_locked:
        fx.respond = r;
        break;
      case fault_kind::delay:
        fx.extra_delay_ms += r.delay_ms;
        break;
      case fault_kind::lost_response:
        fx.lost_response = true;
        break;
      case fault_kind::stuck:
        fx.stuck = true;
        break;
      case fault_kind::error_state:
        fx.error_state_recover_s = r.recover_after_s;
        break;
      case fault_kind::action_error:
        fx.action_error = true;
        fx.action_error_code = r.code;
        fx.action_error_message = r.message;
        break;
      case fault_kind::soft_stop_ignored:
        fx.soft_stop_ignored = true;
        break;
      case fault_kind::problem_json:
        fx.problem_json = true;
        break;
    }
    if (r.remaining && --*r.remaining <= 0)
      i = rules_.erase(i);
    else
      ++i;
  }
  return fx;
}

// size: one rule's JSON schema read field by field reads best in one place
std::optional<fault_rule> fault_rules::parse(const rapidjson::Value& obj,
                                             std::string* error) {
  auto fail = [&](std::string msg) -> std::optional<fault_rule> {
    if (error != nullptr)
      *error = std::move(msg);
    return std::nullopt;
  };
  if (!obj.IsObject())
    return fail("a fault rule must be a JSON object");
  static constexpr std::array<const char*, 14> known{
    "provider", "op",          "method",   "path",         "server",
    "kind",     "probability", "count",    "status",       "format",
    "code",     "message",     "delay_ms", "recover_after"};
  for (auto& m : obj.GetObject()) {
    std::string_view name{m.name.GetString(), m.name.GetStringLength()};
    if (std::none_of(known.begin(), known.end(),
                     [&](const char* k) { return name == k; }))
      return fail("unknown field \"" + std::string{name} + "\"");
  }
  fault_rule r;
  auto kind = get_string(obj, "kind");
  if (!kind)
    return fail("\"kind\" is required");
  auto k = parse_fault_kind(*kind);
  if (!k)
    return fail("unknown kind \"" + *kind + "\"");
  r.kind = *k;
  if (auto p = get_string(obj, "provider"); p && *p != "any") {
    r.provider = parse_provider(*p);
    if (!r.provider)
      return fail("unknown provider \"" + *p + "\"");
  }
  for (auto [key, field] : {std::pair{"op", &r.op},
                            {"method", &r.method},
                            {"path", &r.path},
                            {"server", &r.server},
                            {"code", &r.code},
                            {"message", &r.message}}) {
    if (auto v = member(obj, key)) {
      if (!v->IsString())
        return fail(std::string{"\""} + key + "\" must be a string");
      *field = v->GetString();
    }
  }
  if (auto v = member(obj, "probability")) {
    if (!v->IsNumber() || v->GetDouble() < 0 || v->GetDouble() > 1)
      return fail("\"probability\" must be a number in [0, 1]");
    r.probability = v->GetDouble();
  }
  if (auto v = member(obj, "count")) {
    if (!v->IsInt64() || v->GetInt64() < 1)
      return fail("\"count\" must be a positive integer");
    r.remaining = v->GetInt64();
  }
  if (auto v = member(obj, "status")) {
    if (!v->IsInt() || v->GetInt() < 400 || v->GetInt() > 599)
      return fail("\"status\" must be an HTTP error status (400-599)");
    r.status = v->GetInt();
  }
  if (auto v = member(obj, "format")) {
    std::string f = v->IsString() ? v->GetString() : "";
    if (f != "json" && f != "html" && f != "problem")
      return fail("\"format\" must be \"json\", \"html\" or \"problem\"");
    r.format = f;
  }
  if (auto v = member(obj, "delay_ms")) {
    if (!v->IsInt64() || v->GetInt64() < 0)
      return fail("\"delay_ms\" must be a non-negative integer");
    r.delay_ms = v->GetInt64();
  } else if (r.kind == fault_kind::hang) {
    r.delay_ms = default_hang_ms;
  }
  if (auto v = member(obj, "recover_after")) {
    if (!v->IsNumber() || v->GetDouble() < 0)
      return fail("\"recover_after\" must be a non-negative number (s)");
    r.recover_after_s = v->GetDouble();
  }
  if (r.kind == fault_kind::http_error && r.status == 0)
    r.status = 503;
  return r;
}

void fault_rules::write(json_writer& w, const fault_rule& r) {
  w.StartObject();
  kv(w, "id", r.id);
  kv(w, "kind", to_string(r.kind));
  if (r.provider)
    kv(w, "provider", to_string(*r.provider));
  else
    kv(w, "provider", "any");
  if (!r.op.empty())
    kv(w, "op", r.op);
  if (!r.method.empty())
    kv(w, "method", r.method);
  if (!r.path.empty())
    kv(w, "path", r.path);
  if (!r.server.empty())
    kv(w, "server", r.server);
  kv(w, "probability", r.probability);
  if (r.remaining)
    kv(w, "remaining", *r.remaining);
  else
    kv(w, "remaining", nullptr);
  if (r.status != 0)
    kv(w, "status", r.status);
  if (r.kind == fault_kind::http_error)
    kv(w, "format", r.format);
  if (!r.code.empty())
    kv(w, "code", r.code);
  if (!r.message.empty())
    kv(w, "message", r.message);
  if (r.delay_ms != 0)
    kv(w, "delay_ms", r.delay_ms);
  if (r.kind == fault_kind::error_state)
    kv(w, "recover_after", r.recover_after_s);
  kv(w, "fired", r.fired);
  w.EndObject();
}

} // namespace dynserv::cloudsim
