// The simulated Hetzner Cloud API.
#include "cloudsim/hetzner_api.hpp"

#include <algorithm>
#include <array>
#include <map>

#include "cloudsim/label_selector.hpp"
#include "cloudsim/sim_json.hpp"

namespace dynserv::cloudsim {

namespace {

struct server_type {
  std::string_view name;
  int64_t cores;
  double memory_gb;
  int64_t disk_gb;
};

constexpr std::array<server_type, 8> server_types{{
  {"cx11", 1, 2, 20},
  {"cx22", 2, 4, 40},
  {"cx32", 4, 8, 80},
  {"cpx11", 2, 2, 40},
  {"cpx21", 3, 4, 80},
  {"cpx31", 4, 8, 160},
  {"cax11", 2, 4, 40},
  {"ccx13", 2, 8, 80},
}};

constexpr std::array<std::string_view, 9> statuses{"initializing", "starting",
                                                   "running",      "stopping",
                                                   "off",          "deleting",
                                                   "migrating",    "rebuilding",
                                                   "unknown"};

const char* status_name(action_status s) {
  switch (s) {
    case action_status::running: return "running";
    case action_status::success: return "success";
    case action_status::error: return "error";
  }
  return "running";
}

void write_action(json_writer& w, const sim_action& a) {
  w.StartObject();
  kv(w, "id", a.id);
  kv(w, "command", a.command);
  kv(w, "status", status_name(a.status));
  kv(w, "progress", a.status == action_status::running ? 0 : 100);
  kv(w, "started", iso8601(a.started_ms));
  if (a.finished_ms != 0)
    kv(w, "finished", iso8601(a.finished_ms));
  else
    kv(w, "finished", nullptr);
  w.Key("resources");
  w.StartArray();
  w.StartObject();
  kv(w, "id", parse_int(a.server_id).value_or(0));
  kv(w, "type", "server");
  w.EndObject();
  w.EndArray();
  if (a.status == action_status::error) {
    w.Key("error");
    w.StartObject();
    kv(w, "code", a.error_code);
    kv(w, "message", a.error_message);
    w.EndObject();
  } else {
    kv(w, "error", nullptr);
  }
  w.EndObject();
}

void write_server(json_writer& w, const sim_server& s) {
  w.StartObject();
  kv(w, "id", parse_int(s.id).value_or(0));
  kv(w, "name", s.name);
  kv(w, "status", s.state);
  kv(w, "created", iso8601(s.created_ms));
  w.Key("public_net");
  w.StartObject();
  w.Key("ipv4");
  w.StartObject();
  kv(w, "id", parse_int(s.id).value_or(0) + 500000);
  kv(w, "ip", s.ipv4);
  kv(w, "blocked", false);
  kv(w, "dns_ptr", "static." + s.ipv4 + ".clients.your-server.de");
  w.EndObject();
  w.Key("ipv6");
  w.StartObject();
  kv(w, "id", parse_int(s.id).value_or(0) + 600000);
  kv(w, "ip", s.ipv6);
  kv(w, "blocked", false);
  kv_empty_array(w, "dns_ptr");
  w.EndObject();
  kv_empty_array(w, "floating_ips");
  kv_empty_array(w, "firewalls");
  w.EndObject();
  kv_empty_array(w, "private_net");
  w.Key("server_type");
  w.StartObject();
  kv(w, "name", s.plan);
  kv(w, "cores", s.cores);
  kv(w, "memory", static_cast<double>(s.memory_mb) / 1024.0);
  kv(w, "disk", s.disk_gb);
  kv(w, "storage_type", "local");
  kv(w, "cpu_type", "shared");
  w.EndObject();
  w.Key("datacenter");
  w.StartObject();
  kv(w, "name", s.zone + "-dc14");
  w.Key("location");
  w.StartObject();
  kv(w, "name", s.zone);
  kv(w, "network_zone", "eu-central");
  w.EndObject();
  w.EndObject();
  w.Key("location");
  w.StartObject();
  kv(w, "name", s.zone);
  kv(w, "network_zone", "eu-central");
  w.EndObject();
  w.Key("image");
  w.StartObject();
  auto snapshot = parse_int(s.image);
  kv(w, "id", snapshot.value_or(67794396));
  kv(w, "type", snapshot ? "snapshot" : "system");
  if (snapshot)
    kv(w, "name", nullptr);
  else
    kv(w, "name", s.image);
  w.EndObject();
  kv(w, "iso", nullptr);
  kv(w, "rescue_enabled", false);
  kv(w, "locked", s.locked());
  kv(w, "backup_window", nullptr);
  kv(w, "outgoing_traffic", 0);
  kv(w, "ingoing_traffic", 0);
  kv(w, "included_traffic", static_cast<int64_t>(21990232555520));
  w.Key("protection");
  w.StartObject();
  kv(w, "delete", false);
  kv(w, "rebuild", false);
  w.EndObject();
  w.Key("labels");
  w.StartObject();
  for (auto& [k, v] : s.labels)
    kv(w, k.c_str(), v);
  w.EndObject();
  kv_empty_array(w, "volumes");
  kv_empty_array(w, "load_balancers");
  kv(w, "primary_disk_size", s.disk_gb);
  kv(w, "placement_group", nullptr);
  w.EndObject();
}

std::string single(const char* key, const sim_server& s) {
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key(key);
  write_server(w, s);
  w.EndObject();
  return sb.GetString();
}

std::string single(const char* key, const sim_action& a) {
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key(key);
  write_action(w, a);
  w.EndObject();
  return sb.GetString();
}

} // namespace

// -- routing ------------------------------------------------------------------

op_info hetzner_api::classify(std::string_view method, std::string_view path,
                              std::string_view) const {
  op_info out;
  auto seg = split_path(path);
  if (seg.empty())
    return out;
  if (seg[0] == "actions") {
    out.op = "action";
    return out;
  }
  if (seg[0] != "servers")
    return out;
  if (seg.size() == 1) {
    out.op = method == "POST" ? "create" : "list";
  } else if (seg[1] == "actions") {
    out.op = "action";
  } else {
    out.server = seg[1];
    if (seg.size() == 2) {
      out.op = method == "GET"      ? "get"
               : method == "DELETE" ? "delete"
               : method == "PUT"    ? "modify"
                                    : "other";
    } else if (seg.size() == 4 && seg[2] == "actions") {
      out.detail = seg[3];
      if (method == "GET")
        out.op = "action";
      else if (seg[3] == "poweron")
        out.op = "start";
      else if (seg[3] == "poweroff" || seg[3] == "shutdown")
        out.op = "stop";
      else if (seg[3] == "reboot" || seg[3] == "reset")
        out.op = "restart";
    }
  }
  return out;
}

bool hetzner_api::authorized(const http_request& req) const {
  auto token = bearer_token(req);
  return token && same_secret(*token, state_.options.credentials.hetzner_token);
}

void hetzner_api::begin_request() {
  correlation_id_ = state_.rng.hex(16);
}

http_response hetzner_api::handle(const api_call& call) {
  auto& method = call.http.method;
  auto seg = split_path(call.path);
  auto not_found = [&] { return error(404, "not_found", "not found", false); };
  if (seg.empty())
    return not_found();
  if (seg[0] == "actions") {
    if (seg.size() == 2 && method == "GET")
      return get_action(call, seg[1]);
    return not_found();
  }
  if (seg[0] != "servers")
    return not_found();
  if (seg.size() == 1) {
    if (method == "GET")
      return list(call);
    if (method == "POST")
      return create(call);
    return not_found();
  }
  if (seg[1] == "actions" && seg.size() == 3 && method == "GET")
    return get_action(call, seg[2]);
  auto& id = seg[1];
  auto missing = [&] {
    return error(404, "not_found", "server with ID '" + id + "' not found",
                 false);
  };
  if (seg.size() == 2) {
    if (method == "GET")
      return get(call, id);
    auto srv = visible(call, id);
    if (srv == nullptr)
      return method == "DELETE" || method == "PUT" ? missing() : not_found();
    if (method == "DELETE")
      return remove(call, *srv);
    if (method == "PUT")
      return update(call, *srv);
    return not_found();
  }
  if (seg.size() == 4 && seg[2] == "actions") {
    auto srv = visible(call, id);
    if (method == "GET") {
      if (srv == nullptr)
        return missing();
      return get_action(call, seg[3]);
    }
    if (method != "POST")
      return not_found();
    auto& verb = seg[3];
    if (verb != "poweron" && verb != "poweroff" && verb != "shutdown"
        && verb != "reboot" && verb != "reset")
      return not_found();
    if (srv == nullptr)
      return missing();
    return power(call, *srv, verb);
  }
  return not_found();
}

// -- responses ----------------------------------------------------------------

http_response hetzner_api::error(int status, std::string_view code,
                                 std::string_view message, bool) {
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key("error");
  w.StartObject();
  kv(w, "code", code);
  kv(w, "message", message);
  kv(w, "details", nullptr);
  w.EndObject();
  w.EndObject();
  return json_response(status, sb.GetString());
}

http_response hetzner_api::invalid_input(const std::string& field,
                                         const std::string& message) {
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key("error");
  w.StartObject();
  kv(w, "code", "invalid_input");
  kv(w, "message", "invalid input in field '" + field + "': " + message);
  w.Key("details");
  w.StartObject();
  w.Key("fields");
  w.StartArray();
  w.StartObject();
  kv(w, "name", field);
  w.Key("messages");
  w.StartArray();
  str(w, message);
  w.EndArray();
  w.EndObject();
  w.EndArray();
  w.EndObject();
  w.EndObject();
  w.EndObject();
  return json_response(400, sb.GetString());
}

http_response hetzner_api::unauthorized(bool) {
  return error(401, "unauthorized", "unable to authenticate", false);
}

http_response hetzner_api::rate_limited(const rate_decision&) {
  auto limit = static_cast<int64_t>(state_.limits.config().hetzner_capacity);
  return error(429, "rate_limit_exceeded",
               "limit of " + std::to_string(limit)
                 + " requests per hour reached",
               false);
}

http_response hetzner_api::quota(const fault_rule& rule, bool) {
  auto code = rule.code.empty() ? std::string{"resource_limit_exceeded"}
                                : rule.code;
  int status = rule.status;
  std::string msg = rule.message;
  if (code == "resource_limit_exceeded") {
    status = status ? status : 403;
    if (msg.empty())
      msg = "server limit exceeded";
  } else if (code == "unavailable") {
    status = status ? status : 503;
    if (msg.empty())
      msg = "service unavailable";
  } else if (code == "resource_unavailable") {
    // The docs do not give a status for resource_unavailable; clients must
    // key on the code. 412 is what hcloud's placement errors use.
    status = status ? status : 412;
    if (msg.empty())
      msg = "server type not available in this location";
  } else {
    status = status ? status : 403;
    if (msg.empty())
      msg = "limit exceeded";
  }
  return error(status, code, msg, false);
}

http_response hetzner_api::server_error(int status, bool) {
  switch (status) {
    case 500: return error(500, "server_error", "internal server error", false);
    case 502: return error(502, "bad_gateway", "bad gateway", false);
    case 503: return error(503, "unavailable", "service unavailable", false);
    case 504: return error(504, "timeout", "gateway timeout", false);
    default:
      return error(status, status >= 500 ? "server_error" : "invalid_input",
                   std::string{status_text(status)}, false);
  }
}

void hetzner_api::decorate(http_response& res) {
  set_header(res.headers, "X-Correlation-Id", correlation_id_);
  if (!res.body.empty() && !find_header(res.headers, "Content-Type"))
    set_header(res.headers, "Content-Type", "application/json");
}

// -- servers ------------------------------------------------------------------

sim_server* hetzner_api::visible(const api_call& call, const std::string& id) {
  auto srv = state_.inv.find(provider_kind::hetzner, id);
  if (srv == nullptr || srv->visible_at_ms > call.now_ms)
    return nullptr;
  return srv;
}

sim_server hetzner_api::make_server(const std::string& name, int64_t now_ms) {
  auto& rng = state_.rng;
  sim_server s;
  s.provider = provider_kind::hetzner;
  s.id = state_.inv.next_server_id(provider_kind::hetzner);
  s.name = name;
  s.hostname = name;
  s.created_ms = now_ms;
  s.visible_at_ms = now_ms + state_.options.consistency_delay_ms[1];
  s.zone = "fsn1";
  s.plan = "cx22";
  s.cores = 2;
  s.memory_mb = 4096;
  s.disk_gb = 40;
  s.image = "ubuntu-24.04";
  s.ipv4 = rng.ipv4(65, 21);
  s.ipv6 = "2a01:4f8:" + rng.hex(4) + ":" + rng.hex(4) + "::/64";
  return s;
}

sim_server& hetzner_api::precreate(const std::string& name, label_list labels,
                                   const std::string& status, int64_t now_ms) {
  auto s = make_server(name, now_ms);
  s.labels = std::move(labels);
  s.state = status;
  return state_.inv.add(std::move(s));
}

http_response hetzner_api::create(const api_call& call) {
  rapidjson::Document doc;
  if (!parse_json(call.http.body, doc) || !doc.IsObject())
    return error(400, "json_error", "invalid JSON in request body", false);
  auto name = member(doc, "name");
  if (name == nullptr)
    return invalid_input("name", "is required");
  if (!name->IsString() || !is_hostname(name->GetString())
      || name->GetStringLength() > 63)
    return invalid_input("name", "must be a valid hostname");
  auto type = member(doc, "server_type");
  if (type == nullptr)
    return invalid_input("server_type", "is required");
  if (!type->IsString() && !type->IsInt64())
    return invalid_input("server_type", "must be a name or an ID");
  auto image = member(doc, "image");
  if (image == nullptr)
    return invalid_input("image", "is required");
  if (!image->IsString() && !image->IsInt64())
    return invalid_input("image", "must be a name or an ID");
  label_list labels;
  if (auto l = member(doc, "labels")) {
    if (!l->IsObject())
      return invalid_input("labels", "must be an object");
    for (auto& m : l->GetObject()) {
      std::string k{m.name.GetString(), m.name.GetStringLength()};
      if (!m.value.IsString())
        return invalid_input("labels", "values must be strings");
      std::string v{m.value.GetString(), m.value.GetStringLength()};
      if (!is_label_key(k) || k.rfind("hetzner.cloud/", 0) == 0)
        return invalid_input("labels", "invalid label key '" + k + "'");
      if (!is_label_value(v))
        return invalid_input("labels", "invalid label value '" + v + "'");
      labels.emplace_back(std::move(k), std::move(v));
    }
  }
  bool start_after = true;
  if (auto v = member(doc, "start_after_create")) {
    if (!v->IsBool())
      return invalid_input("start_after_create", "must be a boolean");
    start_after = v->GetBool();
  }
  bool has_keys = false;
  if (auto keys = member(doc, "ssh_keys")) {
    if (!keys->IsArray())
      return invalid_input("ssh_keys", "must be a list");
    has_keys = !keys->Empty();
  }
  if (auto ud = get_string(doc, "user_data"); ud && ud->size() > 32768)
    return invalid_input("user_data", "is too long");
  std::string server_name = name->GetString();
  for (auto srv : state_.inv.servers(provider_kind::hetzner))
    if (srv->name == server_name) {
      rapidjson::StringBuffer sb;
      json_writer w{sb};
      w.StartObject();
      w.Key("error");
      w.StartObject();
      kv(w, "code", "uniqueness_error");
      kv(w, "message", "server name is already used");
      w.Key("details");
      w.StartObject();
      w.Key("fields");
      w.StartArray();
      w.StartObject();
      kv(w, "name", "name");
      w.EndObject();
      w.EndArray();
      w.EndObject();
      w.EndObject();
      w.EndObject();
      return json_response(409, sb.GetString());
    }
  auto limit = state_.options.max_servers[index_of(provider_kind::hetzner)];
  if (limit && state_.inv.count(provider_kind::hetzner) >= *limit)
    return error(403, "resource_limit_exceeded", "server limit exceeded",
                 false);
  // Committed from here on.
  auto s = make_server(server_name, call.now_ms);
  s.labels = std::move(labels);
  s.state = "initializing";
  if (type->IsString()) {
    s.plan = type->GetString();
    for (auto& t : server_types)
      if (t.name == s.plan) {
        s.cores = t.cores;
        s.memory_mb = static_cast<int64_t>(t.memory_gb * 1024);
        s.disk_gb = t.disk_gb;
      }
  } else {
    s.plan = "cx22";
  }
  s.image = image->IsString() ? std::string{image->GetString()}
                              : std::to_string(image->GetInt64());
  if (auto loc = get_string(doc, "location"))
    s.zone = *loc;
  // Many servers initializing at once is the "bulk" case of the notes.
  size_t initializing = 0;
  for (auto srv : state_.inv.servers(provider_kind::hetzner))
    if (srv->state == "initializing")
      ++initializing;
  auto& srv = state_.inv.add(std::move(s));
  auto& create_act = state_.inv.start_action(srv, "create_server", call.now_ms);
  auto create_id = create_act.id;
  uint64_t start_id = 0;
  if (start_after)
    start_id = state_.inv.start_action(srv, "start_server", call.now_ms).id;
  if (!call.fx.stuck) {
    auto total = latency::hetzner_create(state_.rng, initializing >= 5);
    sim_step step;
    step.provider = provider_kind::hetzner;
    step.server_id = srv.id;
    step.gen = srv.gen;
    step.at_ms = call.now_ms + total / 2;
    step.action = create_id;
    step.action_ok = !call.fx.action_error;
    if (call.fx.action_error)
      step.state = "off";
    else
      step.state = start_after ? "starting" : "off";
    state_.inv.schedule(step);
    if (start_id != 0) {
      step.action = start_id;
      if (call.fx.action_error) {
        step.state.reset();
      } else {
        step.at_ms = call.now_ms + total;
        step.state = "running";
      }
      state_.inv.schedule(step);
    }
  }
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key("server");
  write_server(w, srv);
  w.Key("action");
  write_action(w, *state_.inv.action(create_id));
  w.Key("next_actions");
  w.StartArray();
  if (start_id != 0)
    write_action(w, *state_.inv.action(start_id));
  w.EndArray();
  if (has_keys)
    kv(w, "root_password", nullptr);
  else
    kv(w, "root_password", state_.rng.hex(16));
  w.EndObject();
  return json_response(201, sb.GetString());
}

http_response hetzner_api::list(const api_call& call) {
  std::optional<label_selector> selector;
  if (auto v = query_value(call.query, "label_selector")) {
    std::string err;
    selector = label_selector::parse(*v, &err);
    if (!selector)
      return invalid_input("label_selector", err);
  }
  auto name = query_value(call.query, "name");
  auto wanted = query_values(call.query, "status");
  for (auto& st : wanted)
    if (std::find(statuses.begin(), statuses.end(), st) == statuses.end())
      return invalid_input("status", "invalid status '" + st + "'");
  std::vector<const sim_server*> items;
  for (auto srv : state_.inv.servers(provider_kind::hetzner)) {
    if (srv->visible_at_ms > call.now_ms)
      continue;
    if (name && srv->name != *name)
      continue;
    if (!wanted.empty()
        && std::find(wanted.begin(), wanted.end(), srv->state) == wanted.end())
      continue;
    if (selector && !selector->matches(srv->labels))
      continue;
    items.push_back(srv);
  }
  if (auto sort = query_value(call.query, "sort")) {
    auto colon = sort->find(':');
    auto field = sort->substr(0, colon);
    auto dir = colon == std::string::npos ? "asc" : sort->substr(colon + 1);
    if ((field != "id" && field != "name" && field != "created")
        || (dir != "asc" && dir != "desc"))
      return invalid_input("sort", "invalid sort '" + *sort + "'");
    std::stable_sort(items.begin(), items.end(), [&](auto a, auto b) {
      if (field == "name")
        return a->name < b->name;
      if (field == "created")
        return a->created_ms < b->created_ms;
      return a->serial < b->serial;
    });
    if (dir == "desc")
      std::reverse(items.begin(), items.end());
  }
  std::string err;
  auto page = paginate(call.query, items.size(), 25, 50, &err);
  if (!page)
    return invalid_input("page", err);
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key("servers");
  w.StartArray();
  for (auto i = page->first; i < page->end; ++i)
    write_server(w, *items[i]);
  w.EndArray();
  w.Key("meta");
  w.StartObject();
  w.Key("pagination");
  w.StartObject();
  kv(w, "page", page->page);
  kv(w, "per_page", page->per_page);
  if (page->page > 1)
    kv(w, "previous_page", std::min(page->page - 1, page->last_page));
  else
    kv(w, "previous_page", nullptr);
  if (page->page < page->last_page)
    kv(w, "next_page", page->page + 1);
  else
    kv(w, "next_page", nullptr);
  kv(w, "last_page", page->last_page);
  kv(w, "total_entries", page->total);
  w.EndObject();
  w.EndObject();
  w.EndObject();
  auto res = json_response(200, sb.GetString());
  std::string link;
  auto add_link = [&](int64_t p, const char* rel) {
    if (!link.empty())
      link += ", ";
    link += '<' + call.base_url + "/servers?"
            + query_with_page(call.query, p, page->per_page) + ">; rel=\"" + rel
            + '"';
  };
  if (page->page > 1)
    add_link(std::min(page->page - 1, page->last_page), "prev");
  if (page->page < page->last_page)
    add_link(page->page + 1, "next");
  add_link(page->last_page, "last");
  set_header(res.headers, "Link", link);
  return res;
}

http_response hetzner_api::get(const api_call& call, const std::string& id) {
  auto srv = visible(call, id);
  if (srv == nullptr)
    return error(404, "not_found", "server with ID '" + id + "' not found",
                 false);
  return json_response(200, single("server", *srv));
}

http_response hetzner_api::update(const api_call& call, sim_server& srv) {
  rapidjson::Document doc;
  if (!parse_json(call.http.body, doc) || !doc.IsObject())
    return error(400, "json_error", "invalid JSON in request body", false);
  if (auto n = member(doc, "name")) {
    if (!n->IsString() || !is_hostname(n->GetString()))
      return invalid_input("name", "must be a valid hostname");
    std::string name = n->GetString();
    for (auto other : state_.inv.servers(provider_kind::hetzner))
      if (other != &srv && other->name == name)
        return error(409, "uniqueness_error", "server name is already used",
                     false);
    srv.name = name;
  }
  if (auto l = member(doc, "labels")) {
    if (!l->IsObject())
      return invalid_input("labels", "must be an object");
    label_list labels;
    for (auto& m : l->GetObject()) {
      std::string k{m.name.GetString(), m.name.GetStringLength()};
      if (!m.value.IsString() || !is_label_key(k)
          || !is_label_value(m.value.GetString()))
        return invalid_input("labels", "invalid label '" + k + "'");
      labels.emplace_back(std::move(k), m.value.GetString());
    }
    srv.labels = std::move(labels);
  }
  return json_response(200, single("server", srv));
}

http_response hetzner_api::remove(const api_call& call, sim_server& srv) {
  if (srv.locked())
    return error(423, "locked",
                 "cannot perform operation because server is locked", false);
  auto& act = state_.inv.start_action(srv, "delete_server", call.now_ms);
  auto id = act.id;
  srv.state = "deleting";
  if (!call.fx.stuck) {
    sim_step step;
    step.provider = provider_kind::hetzner;
    step.server_id = srv.id;
    step.gen = srv.gen;
    step.at_ms = call.now_ms + latency::hetzner_delete(state_.rng);
    step.action = id;
    step.action_ok = !call.fx.action_error;
    if (call.fx.action_error)
      step.state = "off";
    else
      step.remove = true;
    state_.inv.schedule(std::move(step));
  }
  return json_response(200, single("action", *state_.inv.action(id)));
}

http_response hetzner_api::power(const api_call& call, sim_server& srv,
                                 const std::string& verb) {
  if (!call.http.body.empty()) {
    rapidjson::Document doc;
    if (!parse_json(call.http.body, doc) || !doc.IsObject())
      return error(400, "json_error", "invalid JSON in request body", false);
  }
  if (srv.locked())
    return error(423, "locked",
                 "cannot perform operation because server is locked", false);
  static const std::map<std::string, std::string>
    commands{{"poweron", "start_server"},
             {"poweroff", "stop_server"},
             {"shutdown", "shutdown_server"},
             {"reboot", "reboot_server"},
             {"reset", "reset_server"}};
  auto& command = commands.at(verb);
  bool running = srv.state == "running";
  bool off = srv.state == "off";
  // A request that has nothing to do finishes at once.
  if ((verb == "poweron" && running)
      || ((verb == "poweroff" || verb == "shutdown") && off))
    return json_response(201, single("action",
                                     state_.inv.finished_action(srv, command,
                                                                call.now_ms)));
  auto& rng = state_.rng;
  auto id = state_.inv.start_action(srv, command, call.now_ms).id;
  sim_step step;
  step.provider = provider_kind::hetzner;
  step.server_id = srv.id;
  step.gen = srv.gen;
  step.action = id;
  step.action_ok = !call.fx.action_error;
  std::optional<std::string> target;
  int64_t after = 0;
  if (verb == "poweron") {
    srv.state = "starting";
    after = latency::hetzner_poweron(rng);
    target = call.fx.action_error ? "off" : "running";
  } else if (verb == "poweroff") {
    after = latency::hetzner_poweroff(rng);
    if (!call.fx.action_error)
      target = "off";
  } else if (verb == "shutdown") {
    // The action only sends ACPI; the guest halts later, or never.
    after = latency::hetzner_shutdown_action(rng);
    if (!call.fx.action_error && !call.fx.soft_stop_ignored && !call.fx.stuck) {
      sim_step halt = step;
      halt.action = 0;
      halt.at_ms = call.now_ms + after + latency::guest_shutdown(rng);
      halt.state = "off";
      state_.inv.schedule(std::move(halt));
    }
  } else {
    after = latency::hetzner_reboot(rng);
    if (off && !call.fx.action_error)
      target = "running";
  }
  if (!call.fx.stuck) {
    step.at_ms = call.now_ms + after;
    step.state = target;
    state_.inv.schedule(std::move(step));
  }
  return json_response(201, single("action", *state_.inv.action(id)));
}

http_response hetzner_api::get_action(const api_call&, const std::string& id) {
  auto n = parse_int(id);
  auto act = n && *n > 0 ? state_.inv.action(static_cast<uint64_t>(*n))
                         : nullptr;
  if (act == nullptr || act->provider != provider_kind::hetzner)
    return error(404, "not_found", "action with ID '" + id + "' not found",
                 false);
  return json_response(200, single("action", *act));
}

} // namespace dynserv::cloudsim
