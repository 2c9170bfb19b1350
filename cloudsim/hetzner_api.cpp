// The simulated Hetzner Cloud API.
#include "cloudsim/hetzner_api.hpp"

#include <algorithm>
#include <map>

#include "cloudsim/hetzner_actions.hpp"
#include "cloudsim/hetzner_json.hpp"
#include "cloudsim/label_selector.hpp"
#include "cloudsim/sim_json.hpp"

namespace dynserv::cloudsim {

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
    if (seg.size() == 1 && method == "GET")
      return hetzner_list_actions(state_.inv, call);
    if (seg.size() == 2 && method == "GET")
      return hetzner_get_action(state_.inv, seg[1]);
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
    return hetzner_get_action(state_.inv, seg[2]);
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
      return hetzner_get_action(state_.inv, seg[3]);
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
  return hetzner_error(status, code, message);
}

http_response hetzner_api::unauthorized(bool) {
  return error(401, "unauthorized", "unable to authenticate", false);
}

http_response hetzner_api::rate_limited(const rate_decision&) {
  auto limit = static_cast<int64_t>(state_.limits.config().hetzner_capacity);
  return error(
    429, "rate_limit_exceeded",
    "limit of " + std::to_string(limit) + " requests per hour reached", false);
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
    case 500:
      return error(500, "server_error", "internal server error", false);
    case 502:
      return error(502, "bad_gateway", "bad gateway", false);
    case 503:
      return error(503, "unavailable", "service unavailable", false);
    case 504:
      return error(504, "timeout", "gateway timeout", false);
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

namespace {

/// A checked POST /servers body.
struct create_body {
  std::string name;
  /// Server type name (an id given is resolved through the catalogue).
  std::string type;
  std::string image;
  std::optional<std::string> location;
  label_list labels;
  bool start_after = true;
  bool has_keys = false;
};

/// Reads `labels` of a create or update body into `out`; an error answer
/// otherwise.
std::optional<http_response> read_labels(const rapidjson::Value& l,
                                         label_list& out) {
  if (!l.IsObject())
    return hetzner_invalid_input("labels", "must be an object");
  for (auto& m : l.GetObject()) {
    std::string k{m.name.GetString(), m.name.GetStringLength()};
    if (!m.value.IsString())
      return hetzner_invalid_input("labels", "values must be strings");
    std::string v{m.value.GetString(), m.value.GetStringLength()};
    if (!is_label_key(k) || k.rfind("hetzner.cloud/", 0) == 0)
      return hetzner_invalid_input("labels", "invalid label key '" + k + "'");
    if (!is_label_value(v))
      return hetzner_invalid_input("labels", "invalid label value '" + v + "'");
    out.emplace_back(std::move(k), std::move(v));
  }
  return std::nullopt;
}

/// Reads `server_type`: a name, or an id as a number or a decimal string
/// (hcloud-go's IDOrName). Ids must be in the catalogue; names are taken as
/// given.
std::optional<http_response> read_server_type(const rapidjson::Value* type,
                                              std::string& out) {
  if (type == nullptr)
    return hetzner_invalid_input("server_type", "is required");
  std::optional<int64_t> id;
  if (type->IsInt64())
    id = type->GetInt64();
  else if (type->IsString())
    id = parse_int(type->GetString());
  else
    return hetzner_invalid_input("server_type", "must be a name or an ID");
  if (!id) {
    out = type->GetString();
    if (out.empty())
      return hetzner_invalid_input("server_type", "must not be empty");
    return std::nullopt;
  }
  auto known = hetzner_server_type_by_id(*id);
  if (known == nullptr)
    return hetzner_invalid_input("server_type", "server type with ID '"
                                                  + std::to_string(*id)
                                                  + "' not found");
  out = std::string{known->name};
  return std::nullopt;
}

/// Checks a POST /servers body; an error answer in `*refusal` otherwise.
std::optional<create_body> read_create(const rapidjson::Value& doc,
                                       http_response* refusal) {
  auto fail = [&](http_response res) {
    *refusal = std::move(res);
    return std::nullopt;
  };
  // Removed from the API on 2026-07-01 (hcloud-go v2.45.0 dropped it).
  if (member(doc, "datacenter") != nullptr)
    return fail(hetzner_invalid_input("datacenter",
                                      "datacenter was removed from the "
                                      "API, use location"));
  create_body out;
  auto name = member(doc, "name");
  if (name == nullptr)
    return fail(hetzner_invalid_input("name", "is required"));
  if (!name->IsString() || !is_hostname(name->GetString())
      || name->GetStringLength() > 63)
    return fail(hetzner_invalid_input("name", "must be a valid hostname"));
  out.name = name->GetString();
  if (auto bad = read_server_type(member(doc, "server_type"), out.type))
    return fail(std::move(*bad));
  auto image = member(doc, "image");
  if (image == nullptr)
    return fail(hetzner_invalid_input("image", "is required"));
  if (!image->IsString() && !image->IsInt64())
    return fail(hetzner_invalid_input("image", "must be a name or an ID"));
  out.image = image->IsString() ? std::string{image->GetString()}
                                : std::to_string(image->GetInt64());
  if (auto l = member(doc, "labels"))
    if (auto bad = read_labels(*l, out.labels))
      return fail(std::move(*bad));
  if (auto v = member(doc, "start_after_create")) {
    if (!v->IsBool())
      return fail(
        hetzner_invalid_input("start_after_create", "must be a boolean"));
    out.start_after = v->GetBool();
  }
  if (auto keys = member(doc, "ssh_keys")) {
    if (!keys->IsArray())
      return fail(hetzner_invalid_input("ssh_keys", "must be a list"));
    out.has_keys = !keys->Empty();
  }
  if (auto ud = get_string(doc, "user_data"); ud && ud->size() > 32768)
    return fail(hetzner_invalid_input("user_data", "is too long"));
  out.location = get_string(doc, "location");
  return out;
}

} // namespace

http_response hetzner_api::create(const api_call& call) {
  rapidjson::Document doc;
  if (!parse_json(call.http.body, doc) || !doc.IsObject())
    return error(400, "json_error", "invalid JSON in request body", false);
  http_response refusal;
  auto body = read_create(doc, &refusal);
  if (!body)
    return refusal;
  for (auto srv : state_.inv.servers(provider_kind::hetzner))
    if (srv->name == body->name)
      return hetzner_uniqueness_error("name", "server name is already used");
  auto limit = state_.options.max_servers[index_of(provider_kind::hetzner)];
  if (limit && state_.inv.count(provider_kind::hetzner) >= *limit)
    return error(403, "resource_limit_exceeded", "server limit exceeded",
                 false);
  // Committed from here on.
  auto s = make_server(body->name, call.now_ms);
  s.labels = std::move(body->labels);
  s.state = "initializing";
  s.plan = body->type;
  if (auto t = hetzner_server_type_by_name(s.plan)) {
    s.cores = t->cores;
    s.memory_mb = static_cast<int64_t>(t->memory_gb * 1024);
    s.disk_gb = t->disk_gb;
  }
  s.image = body->image;
  if (body->location)
    s.zone = *body->location;
  // Many servers initializing at once is the "bulk" case of the notes.
  size_t initializing = 0;
  for (auto srv : state_.inv.servers(provider_kind::hetzner))
    if (srv->state == "initializing")
      ++initializing;
  auto& srv = state_.inv.add(std::move(s));
  auto create_id
    = state_.inv.start_action(srv, "create_server", call.now_ms).id;
  uint64_t start_id = 0;
  if (body->start_after)
    start_id = state_.inv.start_action(srv, "start_server", call.now_ms).id;
  if (!call.fx.stuck)
    schedule_create(call, srv, create_id, start_id, initializing >= 5);
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key("server");
  write_hetzner_server(w, srv);
  w.Key("action");
  write_hetzner_action(w, *state_.inv.action(create_id));
  w.Key("next_actions");
  w.StartArray();
  if (start_id != 0)
    write_hetzner_action(w, *state_.inv.action(start_id));
  w.EndArray();
  if (body->has_keys)
    kv(w, "root_password", nullptr);
  else
    kv(w, "root_password", state_.rng.hex(16));
  w.EndObject();
  return json_response(201, sb.GetString());
}

void hetzner_api::schedule_create(const api_call& call, sim_server& srv,
                                  uint64_t create_id, uint64_t start_id,
                                  bool bulk) {
  auto total = latency::hetzner_create(state_.rng, bulk);
  bool fails = call.fx.action_error;
  sim_step step;
  step.provider = provider_kind::hetzner;
  step.server_id = srv.id;
  step.gen = srv.gen;
  // create_server ends halfway; the server then starts (or stays off).
  step.at_ms = call.now_ms + total / 2;
  step.action = create_id;
  step.action_ok = !fails;
  if (fails) {
    // A failed create leaves the server off; start_server fails with it.
    step.error_code = call.fx.action_error_code;
    step.error_message = call.fx.action_error_message;
    step.state = "off";
  } else {
    step.state = start_id != 0 ? "starting" : "off";
  }
  state_.inv.schedule(step);
  if (start_id == 0)
    return;
  step.action = start_id;
  if (fails) {
    step.state.reset();
  } else {
    step.at_ms = call.now_ms + total;
    step.state = "running";
  }
  state_.inv.schedule(std::move(step));
}

http_response hetzner_api::list(const api_call& call) {
  std::optional<label_selector> selector;
  if (auto v = query_value(call.query, "label_selector")) {
    std::string err;
    selector = label_selector::parse(*v, &err);
    if (!selector)
      return hetzner_invalid_input("label_selector", err);
  }
  auto name = query_value(call.query, "name");
  auto wanted = query_values(call.query, "status");
  for (auto& st : wanted)
    if (!is_hetzner_server_status(st))
      return hetzner_invalid_input("status", "invalid status '" + st + "'");
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
      return hetzner_invalid_input("sort", "invalid sort '" + *sort + "'");
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
  return hetzner_list_page(call, "servers", "/servers", items,
                           &write_hetzner_server);
}

http_response hetzner_api::get(const api_call& call, const std::string& id) {
  auto srv = visible(call, id);
  if (srv == nullptr)
    return error(404, "not_found", "server with ID '" + id + "' not found",
                 false);
  return json_response(200, hetzner_single("server", *srv));
}

http_response hetzner_api::update(const api_call& call, sim_server& srv) {
  rapidjson::Document doc;
  if (!parse_json(call.http.body, doc) || !doc.IsObject())
    return error(400, "json_error", "invalid JSON in request body", false);
  if (auto n = member(doc, "name")) {
    if (!n->IsString() || !is_hostname(n->GetString()))
      return hetzner_invalid_input("name", "must be a valid hostname");
    std::string name = n->GetString();
    for (auto other : state_.inv.servers(provider_kind::hetzner))
      if (other != &srv && other->name == name)
        return hetzner_uniqueness_error("name", "server name is already used");
    srv.name = name;
  }
  if (auto l = member(doc, "labels")) {
    label_list labels;
    if (auto bad = read_labels(*l, labels))
      return std::move(*bad);
    srv.labels = std::move(labels);
  }
  return json_response(200, hetzner_single("server", srv));
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
  return json_response(200, hetzner_single("action", *state_.inv.action(id)));
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
  static const std::map<std::string, std::string> commands{
    {"poweron", "start_server"},
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
    return json_response(
      201, hetzner_single("action", state_.inv.finished_action(srv, command,
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
  return json_response(201, hetzner_single("action", *state_.inv.action(id)));
}

} // namespace dynserv::cloudsim
