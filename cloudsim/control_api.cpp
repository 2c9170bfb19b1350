// The simulator's control API (/_sim/...).
#include "cloudsim/control_api.hpp"

#include <algorithm>
#include <cmath>

#include "cloudsim/digitalocean_api.hpp"
#include "cloudsim/hetzner_api.hpp"
#include "cloudsim/sim_json.hpp"
#include "cloudsim/upcloud_api.hpp"

namespace dynserv::cloudsim {

namespace {

http_response reply(int status, std::string body) {
  auto res = json_response(status, std::move(body));
  set_header(res.headers, "Content-Type", "application/json");
  return res;
}

http_response fail(int status, const std::string& message) {
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  kv(w, "error", message);
  w.EndObject();
  return reply(status, sb.GetString());
}

http_response ok() {
  return reply(200, "{\"ok\":true}");
}

bool valid_state(provider_kind p, const std::string& s) {
  static const std::vector<std::string> upcloud{"started", "stopped",
                                                "maintenance", "error"};
  static const std::vector<std::string> hetzner{
    "initializing", "starting",  "running",    "stopping", "off",
    "deleting",     "migrating", "rebuilding", "unknown"};
  static const std::vector<std::string> digitalocean{"new", "active", "off",
                                                     "archive"};
  auto& v = p == provider_kind::upcloud   ? upcloud
            : p == provider_kind::hetzner ? hetzner
                                          : digitalocean;
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string default_state(provider_kind p) {
  switch (p) {
    case provider_kind::upcloud:
      return "started";
    case provider_kind::hetzner:
      return "running";
    case provider_kind::digitalocean:
      return "active";
  }
  return "running";
}

void write_server(json_writer& w, const sim_server& s, int64_t now_ms) {
  w.StartObject();
  kv(w, "provider", to_string(s.provider));
  kv(w, "id", s.id);
  kv(w, "name", s.name);
  w.Key("labels");
  w.StartObject();
  for (auto& [k, v] : s.labels)
    kv(w, k.c_str(), v);
  w.EndObject();
  w.Key("tags");
  w.StartArray();
  for (auto& t : s.tags)
    str(w, t);
  w.EndArray();
  kv(w, "state", s.state);
  kv(w, "created", s.created_ms / 1000);
  kv(w, "created_ms", s.created_ms);
  kv(w, "locked", s.locked());
  kv(w, "visible", s.visible_at_ms <= now_ms);
  if (s.provider == provider_kind::upcloud) {
    w.Key("storages");
    w.StartArray();
    for (auto& st : s.storages)
      str(w, st);
    w.EndArray();
  }
  w.EndObject();
}

/// Parses the body as a JSON object, or returns the 400 to send.
bool parse_object(const http_request& req, rapidjson::Document& doc,
                  http_response& error) {
  if (!parse_json(req.body.empty() ? std::string_view{"{}"} : req.body, doc)
      || !doc.IsObject()) {
    error = fail(400, "the body must be a JSON object");
    return false;
  }
  return true;
}

} // namespace

http_response control_api::handle(const http_request& req,
                                  const std::string& path,
                                  const query_params& query) {
  auto seg = split_path(path);
  auto& m = req.method;
  if (seg.size() == 1) {
    auto& what = seg[0];
    if (what == "inventory" && m == "GET")
      return inventory(query);
    if (what == "servers" && m == "POST")
      return create_server(req);
    if (what == "servers" && m == "GET")
      return inventory(query);
    if (what == "faults" && m == "GET")
      return faults();
    if (what == "faults" && m == "POST")
      return add_faults(req);
    if (what == "faults" && m == "DELETE") {
      state_.faults.clear();
      return ok();
    }
    if (what == "advance" && m == "POST")
      return advance(req);
    if (what == "time_scale" && (m == "POST" || m == "PUT"))
      return time_scale(req);
    if (what == "clock" && m == "GET")
      return clock();
    if (what == "force_state" && m == "POST")
      return force_state(req);
    if (what == "requests" && m == "GET")
      return requests(query);
    if (what == "budget" && m == "GET")
      return budget();
    if (what == "storages" && m == "GET")
      return storages(query);
    if (what == "rate_limits" && m == "GET")
      return rate_limits();
    if (what == "rate_limits" && m == "PUT")
      return set_rate_limits(req);
    if (what == "consistency_delay" && m == "PUT")
      return consistency_delay(req);
    if (what == "max_servers" && m == "PUT")
      return max_servers(req);
    if (what == "latency" && m == "PUT")
      return latency(req);
    if (what == "health" && m == "GET")
      return ok();
  }
  if (seg.size() == 2 && seg[0] == "faults" && m == "DELETE") {
    auto id = parse_int(seg[1]);
    if (!id || *id < 1 || !state_.faults.remove(static_cast<uint64_t>(*id)))
      return fail(404, "no fault rule " + seg[1]);
    return ok();
  }
  return fail(404, "unknown control endpoint " + m + " /_sim" + path);
}

http_response control_api::inventory(const query_params& query) {
  auto now = state_.clock.now_ms();
  std::optional<provider_kind> only;
  if (auto p = query_value(query, "provider")) {
    only = parse_provider(*p);
    if (!only)
      return fail(400, "unknown provider " + *p);
  }
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  kv(w, "now", now / 1000);
  kv(w, "now_ms", now);
  w.Key("servers");
  w.StartArray();
  for (auto s : state_.inv.all())
    if (!only || s->provider == *only)
      write_server(w, *s, now);
  w.EndArray();
  w.EndObject();
  return reply(200, sb.GetString());
}

http_response control_api::create_server(const http_request& req) {
  rapidjson::Document doc;
  http_response err;
  if (!parse_object(req, doc, err))
    return err;
  auto pname = get_string(doc, "provider");
  auto p = pname ? parse_provider(*pname) : std::nullopt;
  if (!p)
    return fail(400, "\"provider\" must be upcloud, hetzner or digitalocean");
  auto name = get_string(doc, "name");
  if (!name || name->empty())
    return fail(400, "\"name\" is required");
  auto st = get_string(doc, "state").value_or(default_state(*p));
  if (!valid_state(*p, st))
    return fail(400, "state \"" + st + "\" is not a "
                       + std::string{to_string(*p)} + " state");
  label_list labels;
  if (auto l = member(doc, "labels")) {
    if (!l->IsObject())
      return fail(400, "\"labels\" must be an object of strings");
    for (auto& m : l->GetObject()) {
      if (!m.value.IsString())
        return fail(400, "\"labels\" must be an object of strings");
      labels.emplace_back(m.name.GetString(), m.value.GetString());
    }
  }
  std::vector<std::string> tags;
  if (auto t = member(doc, "tags")) {
    if (!t->IsArray())
      return fail(400, "\"tags\" must be a list of strings");
    for (auto& x : t->GetArray()) {
      if (!x.IsString())
        return fail(400, "\"tags\" must be a list of strings");
      tags.emplace_back(x.GetString());
    }
  }
  auto now = state_.clock.now_ms();
  if (auto ago = get_number(doc, "created_ago"); ago && *ago > 0)
    now -= static_cast<int64_t>(*ago * 1000);
  sim_server* srv = nullptr;
  switch (*p) {
    case provider_kind::upcloud:
      srv = &upcloud_.precreate(*name, std::move(labels), st, now);
      srv->tags = std::move(tags);
      break;
    case provider_kind::hetzner:
      for (auto other : state_.inv.servers(provider_kind::hetzner))
        if (other->name == *name)
          return fail(409, "a hetzner server named " + *name + " exists");
      srv = &hetzner_.precreate(*name, std::move(labels), st, now);
      break;
    case provider_kind::digitalocean:
      if (!labels.empty())
        return fail(400, "digitalocean droplets have \"tags\", not labels");
      srv = &digitalocean_.precreate(*name, std::move(tags), st, now);
      break;
  }
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  write_server(w, *srv, state_.clock.now_ms());
  return reply(201, sb.GetString());
}

http_response control_api::faults() {
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key("faults");
  w.StartArray();
  for (auto& r : state_.faults.rules())
    fault_rules::write(w, r);
  w.EndArray();
  w.EndObject();
  return reply(200, sb.GetString());
}

http_response control_api::add_faults(const http_request& req) {
  rapidjson::Document doc;
  if (!parse_json(req.body, doc))
    return fail(400, "the body must be a rule, a list of rules or "
                     "{\"rules\":[...]}");
  const rapidjson::Value* list = &doc;
  if (doc.IsObject() && member(doc, "rules"))
    list = member(doc, "rules");
  std::vector<fault_rule> parsed;
  std::string error;
  if (list->IsArray()) {
    for (auto& x : list->GetArray()) {
      auto r = fault_rules::parse(x, &error);
      if (!r)
        return fail(400, error);
      parsed.push_back(std::move(*r));
    }
  } else {
    auto r = fault_rules::parse(*list, &error);
    if (!r)
      return fail(400, error);
    parsed.push_back(std::move(*r));
  }
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key("ids");
  w.StartArray();
  for (auto& r : parsed)
    w.Uint64(state_.faults.add(std::move(r)));
  w.EndArray();
  w.EndObject();
  return reply(201, sb.GetString());
}

http_response control_api::advance(const http_request& req) {
  rapidjson::Document doc;
  http_response err;
  if (!parse_object(req, doc, err))
    return err;
  auto s = get_number(doc, "seconds");
  if (!s || *s < 0 || *s > 1e9)
    return fail(400, "\"seconds\" must be a non-negative number");
  state_.clock.advance(static_cast<int64_t>(std::llround(*s * 1000)));
  state_.inv.settle(state_.clock.now_ms());
  return clock();
}

http_response control_api::time_scale(const http_request& req) {
  rapidjson::Document doc;
  http_response err;
  if (!parse_object(req, doc, err))
    return err;
  auto f = get_number(doc, "factor");
  if (!f || *f < 0 || *f > 1e6)
    return fail(400, "\"factor\" must be a number in [0, 1000000]");
  state_.inv.settle(state_.clock.now_ms());
  state_.clock.set_scale(*f);
  return clock();
}

http_response control_api::clock() {
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  auto now = state_.clock.now_ms();
  kv(w, "now", now / 1000);
  kv(w, "now_ms", now);
  kv(w, "now_iso", iso8601(now));
  kv(w, "real_ms", state_.clock.real_ms());
  kv(w, "time_scale", state_.clock.scale());
  w.EndObject();
  return reply(200, sb.GetString());
}

http_response control_api::force_state(const http_request& req) {
  rapidjson::Document doc;
  http_response err;
  if (!parse_object(req, doc, err))
    return err;
  auto pname = get_string(doc, "provider");
  auto p = pname ? parse_provider(*pname) : std::nullopt;
  if (!p)
    return fail(400, "\"provider\" must be upcloud, hetzner or digitalocean");
  auto id = member(doc, "id");
  std::string sid;
  if (id && id->IsString())
    sid = id->GetString();
  else if (id && id->IsInt64())
    sid = std::to_string(id->GetInt64());
  else
    return fail(400, "\"id\" is required");
  auto st = get_string(doc, "state");
  if (!st || !valid_state(*p, *st))
    return fail(400,
                "\"state\" must be a " + std::string{to_string(*p)} + " state");
  auto now = state_.clock.now_ms();
  auto srv = state_.inv.find(*p, sid);
  if (srv == nullptr)
    return fail(404, "no " + std::string{to_string(*p)} + " server " + sid);
  state_.inv.cancel_steps(*srv);
  auto running = srv->actions;
  for (auto a : running)
    state_.inv.finish_action(a, true, now);
  srv->state = *st;
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  write_server(w, *srv, now);
  return reply(200, sb.GetString());
}

http_response control_api::requests(const query_params& query) {
  uint64_t since = 0;
  size_t limit = 10000;
  if (auto v = query_value(query, "since")) {
    auto n = parse_int(*v);
    if (!n || *n < 0)
      return fail(400, "since must be a non-negative integer");
    since = static_cast<uint64_t>(*n);
  }
  if (auto v = query_value(query, "limit")) {
    auto n = parse_int(*v);
    if (!n || *n < 1)
      return fail(400, "limit must be a positive integer");
    limit = static_cast<size_t>(std::min<int64_t>(*n, 100000));
  }
  std::optional<provider_kind> only;
  if (auto p = query_value(query, "provider")) {
    only = parse_provider(*p);
    if (!only)
      return fail(400, "unknown provider " + *p);
  }
  auto entries = state_.log.since(since, limit);
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  kv(w, "last_seq", state_.log.last_seq());
  w.Key("requests");
  w.StartArray();
  for (auto& e : entries) {
    if (only && e.provider != *only)
      continue;
    w.StartObject();
    kv(w, "seq", e.seq);
    kv(w, "provider", to_string(e.provider));
    kv(w, "method", e.method);
    kv(w, "path", e.path);
    kv(w, "status", e.status);
    kv(w, "dropped", e.dropped);
    kv(w, "real_ms", e.real_ms);
    kv(w, "virtual_ms", e.virtual_ms);
    w.Key("faults");
    w.StartArray();
    for (auto f : e.faults)
      w.Uint64(f);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return reply(200, sb.GetString());
}

http_response control_api::budget() {
  auto now = state_.clock.real_ms();
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  kv(w, "enabled", state_.limits.config().enabled);
  for (auto p : all_providers) {
    auto b = state_.limits.budget(p, now);
    w.Key(std::string{to_string(p)}.c_str());
    w.StartObject();
    kv(w, "limited", b.limited);
    kv(w, "limit", b.limit);
    kv(w, "remaining", b.remaining);
    kv(w, "reset", b.reset_unix_s);
    if (p == provider_kind::digitalocean) {
      kv(w, "limit_minute", b.limit_minute);
      kv(w, "remaining_minute", b.remaining_minute);
    }
    kv(w, "requests", b.requests);
    kv(w, "rejected", b.rejected);
    w.EndObject();
  }
  w.EndObject();
  return reply(200, sb.GetString());
}

http_response control_api::storages(const query_params& query) {
  bool leaked_only = query_value(query, "leaked").value_or("0") == "1";
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key("storages");
  w.StartArray();
  size_t leaked = 0;
  for (auto st : state_.inv.storages()) {
    // Detached and not being deleted: nobody will ever remove it.
    bool is_leaked = st->server.empty() && st->state != "maintenance";
    leaked += is_leaked ? 1 : 0;
    if (leaked_only && !is_leaked)
      continue;
    w.StartObject();
    kv(w, "uuid", st->uuid);
    kv(w, "title", st->title);
    kv(w, "size", st->size_gb);
    kv(w, "tier", st->tier);
    kv(w, "zone", st->zone);
    kv(w, "state", st->state);
    if (st->server.empty())
      kv(w, "server", nullptr);
    else
      kv(w, "server", st->server);
    kv(w, "leaked", is_leaked);
    w.EndObject();
  }
  w.EndArray();
  kv(w, "leaked", static_cast<uint64_t>(leaked));
  w.EndObject();
  return reply(200, sb.GetString());
}

http_response control_api::rate_limits() {
  auto& c = state_.limits.config();
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  kv(w, "enabled", c.enabled);
  w.Key("hetzner");
  w.StartObject();
  kv(w, "capacity", c.hetzner_capacity);
  kv(w, "refill_per_second", c.hetzner_refill_per_second);
  w.EndObject();
  w.Key("digitalocean");
  w.StartObject();
  kv(w, "per_hour", c.digitalocean_per_hour);
  kv(w, "per_minute", c.digitalocean_per_minute);
  w.EndObject();
  w.Key("upcloud");
  w.StartObject();
  if (c.upcloud_rps)
    kv(w, "rps", *c.upcloud_rps);
  else
    kv(w, "rps", nullptr);
  w.EndObject();
  w.EndObject();
  return reply(200, sb.GetString());
}

http_response control_api::set_rate_limits(const http_request& req) {
  rapidjson::Document doc;
  http_response err;
  if (!parse_object(req, doc, err))
    return err;
  auto c = state_.limits.config();
  if (auto v = member(doc, "enabled")) {
    if (!v->IsBool())
      return fail(400, "\"enabled\" must be a boolean");
    c.enabled = v->GetBool();
  }
  if (auto h = member(doc, "hetzner")) {
    auto cap = get_number(*h, "capacity");
    auto refill = get_number(*h, "refill_per_second");
    if (!h->IsObject() || (member(*h, "capacity") && (!cap || *cap < 0))
        || (member(*h, "refill_per_second") && (!refill || *refill < 0)))
      return fail(400, "\"hetzner\" takes non-negative \"capacity\" and "
                       "\"refill_per_second\"");
    c.hetzner_capacity = cap.value_or(c.hetzner_capacity);
    c.hetzner_refill_per_second = refill.value_or(c.hetzner_refill_per_second);
  }
  if (auto d = member(doc, "digitalocean")) {
    auto hour = get_int(*d, "per_hour");
    auto minute = get_int(*d, "per_minute");
    if (!d->IsObject() || (member(*d, "per_hour") && (!hour || *hour < 0))
        || (member(*d, "per_minute") && (!minute || *minute < 0)))
      return fail(400, "\"digitalocean\" takes non-negative \"per_hour\" and "
                       "\"per_minute\"");
    c.digitalocean_per_hour = hour.value_or(c.digitalocean_per_hour);
    c.digitalocean_per_minute = minute.value_or(c.digitalocean_per_minute);
  }
  if (auto u = member(doc, "upcloud")) {
    if (u->IsNull()) {
      c.upcloud_rps.reset();
    } else {
      auto rps = get_number(*u, "rps");
      auto rps_member = member(*u, "rps");
      if (!u->IsObject()
          || (rps_member && !rps_member->IsNull() && (!rps || *rps < 0)))
        return fail(400, "\"upcloud\" takes \"rps\" (a number, or null/0 for "
                         "no limit)");
      if (!rps || *rps == 0)
        c.upcloud_rps.reset();
      else
        c.upcloud_rps = *rps;
    }
  }
  state_.limits.reconfigure(c, state_.clock.real_ms());
  return rate_limits();
}

http_response control_api::consistency_delay(const http_request& req) {
  rapidjson::Document doc;
  http_response err;
  if (!parse_object(req, doc, err))
    return err;
  auto s = get_number(doc, "seconds");
  if (!s || *s < 0 || *s > 86400)
    return fail(400, "\"seconds\" must be a number in [0, 86400]");
  auto pname = get_string(doc, "provider").value_or("digitalocean");
  auto p = parse_provider(pname);
  if (!p)
    return fail(400, "unknown provider " + pname);
  state_.options.consistency_delay_ms[index_of(*p)]
    = static_cast<int64_t>(std::llround(*s * 1000));
  return ok();
}

http_response control_api::max_servers(const http_request& req) {
  rapidjson::Document doc;
  http_response err;
  if (!parse_object(req, doc, err))
    return err;
  auto pname = get_string(doc, "provider");
  std::vector<provider_kind> targets;
  if (!pname || *pname == "any") {
    targets.assign(all_providers.begin(), all_providers.end());
  } else if (auto p = parse_provider(*pname)) {
    targets.push_back(*p);
  } else {
    return fail(400, "unknown provider " + *pname);
  }
  auto v = member(doc, "max");
  std::optional<size_t> limit;
  if (v != nullptr && !v->IsNull()) {
    if (!v->IsInt64() || v->GetInt64() < 0)
      return fail(400, "\"max\" must be a non-negative integer or null");
    limit = static_cast<size_t>(v->GetInt64());
  } else if (v == nullptr) {
    return fail(400, "\"max\" is required (null = no quota)");
  }
  for (auto p : targets)
    state_.options.max_servers[index_of(p)] = limit;
  return ok();
}

http_response control_api::latency(const http_request& req) {
  rapidjson::Document doc;
  http_response err;
  if (!parse_object(req, doc, err))
    return err;
  auto v = member(doc, "enabled");
  if (v == nullptr || !v->IsBool())
    return fail(400, "\"enabled\" must be a boolean");
  state_.options.response_latency = v->GetBool();
  return ok();
}

} // namespace dynserv::cloudsim
