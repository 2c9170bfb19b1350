// The simulated UpCloud API 1.3.
#include "cloudsim/upcloud_api.hpp"

#include <algorithm>

#include "cloudsim/sim_json.hpp"
#include "cloudsim/upcloud_json.hpp"
#include "cloudsim/upcloud_request.hpp"

namespace dynserv::cloudsim {

// -- routing ------------------------------------------------------------------

op_info upcloud_api::classify(std::string_view method, std::string_view path,
                              std::string_view) const {
  op_info out;
  auto seg = split_path(path);
  if (seg.empty())
    return out;
  if (seg[0] == "account") {
    out.op = "account";
  } else if (seg[0] == "storage") {
    out.op = "storage";
  } else if (seg[0] == "server") {
    if (seg.size() == 1) {
      out.op = method == "POST" ? "create" : "list";
    } else {
      out.server = seg[1];
      if (seg.size() == 2) {
        if (method == "GET")
          out.op = "get";
        else if (method == "DELETE")
          out.op = "delete";
        else if (method == "PUT")
          out.op = "modify";
      } else if (seg.size() == 3) {
        out.op = seg[2];
        if (out.op != "start" && out.op != "stop" && out.op != "restart")
          out.op = "other";
      }
    }
  }
  return out;
}

bool upcloud_api::authorized(const http_request& req) const {
  auto& creds = state_.options.credentials;
  if (auto basic = basic_credentials(req))
    return same_secret(basic->first, creds.upcloud_user)
           && same_secret(basic->second, creds.upcloud_password);
  if (auto token = bearer_token(req))
    return same_secret(*token, creds.upcloud_token);
  return false;
}

http_response upcloud_api::handle(const api_call& call) {
  auto& method = call.http.method;
  auto seg = split_path(call.path);
  auto not_found = [&] {
    return error(404, "NOT_FOUND", "The requested resource was not found.",
                 call.fx.problem_json);
  };
  if (seg.empty())
    return not_found();
  if (seg[0] == "account" && seg.size() == 1 && method == "GET")
    return account(call);
  if (seg[0] == "storage" && seg.size() == 2 && method == "GET")
    return storage(call, seg[1]);
  if (seg[0] != "server")
    return not_found();
  if (seg.size() == 1) {
    if (method == "GET")
      return list(call);
    if (method == "POST")
      return create(call);
    return not_found();
  }
  if (seg.size() > 3)
    return not_found();
  auto& id = seg[1];
  if (!is_uuid(id))
    return bad_request(call, "SERVER_INVALID", "The server UUID is invalid.");
  if (seg.size() == 2 && method == "GET")
    return get(call, id);
  auto srv = state_.inv.find(provider_kind::upcloud, id);
  auto missing = [&] {
    return error(404, "SERVER_NOT_FOUND",
                 "The server " + id + " does not exist.", call.fx.problem_json);
  };
  if (seg.size() == 2) {
    if (method != "DELETE" && method != "PUT")
      return not_found();
    if (srv == nullptr)
      return missing();
    return method == "DELETE" ? remove(call, *srv) : modify(call, *srv);
  }
  auto& verb = seg[2];
  if (method != "POST"
      || (verb != "start" && verb != "stop" && verb != "restart"))
    return not_found();
  if (srv == nullptr)
    return missing();
  if (verb == "start")
    return start(call, *srv);
  if (verb == "stop")
    return stop(call, *srv);
  return restart(call, *srv);
}

// -- responses ----------------------------------------------------------------

http_response upcloud_api::error(int status, std::string_view code,
                                 std::string_view message, bool problem) {
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  if (problem) {
    kv(w, "type",
       "https://developers.upcloud.com/1.3/errors#ERROR_" + std::string{code});
    kv(w, "title", message);
    kv(w, "status", status);
    kv(w, "correlation_id", "01" + state_.rng.hex(24));
  } else {
    w.Key("error");
    w.StartObject();
    kv(w, "error_code", code);
    kv(w, "error_message", message);
    w.EndObject();
  }
  w.EndObject();
  auto res = json_response(status, sb.GetString());
  set_header(res.headers, "Content-Type",
             problem ? "application/problem+json"
                     : "application/json; charset=UTF-8");
  return res;
}

http_response upcloud_api::unauthorized(bool problem) {
  return error(401, "AUTHENTICATION_FAILED",
               "Authentication failed using the given username and password.",
               problem);
}

http_response upcloud_api::rate_limited(const rate_decision& d) {
  auto res = error(429, "TOO_MANY_REQUESTS",
                   "Too many requests. Please retry later.", false);
  set_header(res.headers, "Retry-After", std::to_string(d.retry_after_s));
  return res;
}

http_response upcloud_api::quota(const fault_rule& rule, bool problem) {
  auto code = rule.code.empty() ? std::string{"SERVER_RESOURCES_UNAVAILABLE"}
                                : rule.code;
  int status = rule.status;
  std::string msg = rule.message;
  if (code == "SERVER_RESOURCES_UNAVAILABLE") {
    status = status ? status : 409;
    if (msg.empty())
      msg = "The requested server resources are not available in this zone.";
  } else if (code == "SERVER_CREATING_LIMIT_REACHED") {
    status = status ? status : 409;
    if (msg.empty())
      msg = "Too many servers are being created at the same time.";
  } else if (code == "INSUFFICIENT_CREDITS") {
    status = status ? status : 402;
    if (msg.empty())
      msg = "There are not enough credits to perform the operation.";
  } else if (code.size() > 14
             && code.compare(code.size() - 14, 14, "_LIMIT_REACHED") == 0) {
    status = status ? status : 403;
    if (msg.empty())
      msg = "A resource limit of the account has been reached.";
  } else {
    status = status ? status : 409;
    if (msg.empty())
      msg = "The operation cannot be performed.";
  }
  return error(status, code, msg, problem);
}

http_response upcloud_api::server_error(int status, bool problem) {
  return error(status, status >= 500 ? "SERVICE_ERROR" : "INVALID_REQUEST",
               status >= 500 ? "An internal service error occurred."
                             : std::string{status_text(status)},
               problem);
}

void upcloud_api::decorate(http_response& res) {
  set_header(res.headers, "Server", "Apache");
  if (!res.body.empty() && !find_header(res.headers, "Content-Type"))
    set_header(res.headers, "Content-Type", "application/json; charset=UTF-8");
}

http_response upcloud_api::bad_request(const api_call& call,
                                       std::string_view code,
                                       std::string_view message) {
  return error(400, code, message, call.fx.problem_json);
}

http_response upcloud_api::illegal_state(const api_call& call,
                                         const sim_server& srv) {
  return error(409, "SERVER_STATE_ILLEGAL",
               "The operation is not allowed while the server " + srv.id
                 + " is in state '" + srv.state + "'.",
               call.fx.problem_json);
}

http_response upcloud_api::details(int status, const sim_server& s,
                                   const std::string& password) {
  return json_response(status, upcloud_details(s, state_.inv, password));
}

// -- server lifecycle ---------------------------------------------------------

sim_server upcloud_api::make_server(const std::string& name, int64_t now_ms) {
  auto& rng = state_.rng;
  sim_server s;
  s.provider = provider_kind::upcloud;
  s.id = rng.uuid("00");
  s.name = name;
  s.hostname = name;
  s.created_ms = now_ms;
  s.visible_at_ms = now_ms + state_.options.consistency_delay_ms[0];
  s.zone = "de-fra1";
  s.plan = "1xCPU-1GB";
  s.ipv4 = rng.ipv4(94, 237);
  s.private_ipv4 = rng.ipv4(10, 3);
  s.host = rng.integer(1000000000, 9999999999);
  return s;
}

sim_server& upcloud_api::precreate(const std::string& name, label_list labels,
                                   const std::string& state, int64_t now_ms) {
  auto s = make_server(name, now_ms);
  s.labels = std::move(labels);
  s.state = state;
  sim_storage st;
  st.uuid = state_.rng.uuid("01");
  st.title = name + "-disk";
  st.tier = "maxiops";
  st.zone = s.zone;
  st.size_gb = 25;
  st.server = s.id;
  st.created_ms = now_ms;
  s.storages.push_back(st.uuid);
  state_.inv.add_storage(std::move(st));
  return state_.inv.add(std::move(s));
}

void upcloud_api::enter_error(const api_call& call, sim_server& srv,
                              const std::string& target) {
  if (!call.fx.error_state_recover_s)
    return;
  state_.inv.cancel_steps(srv);
  srv.state = "error";
  sim_step step;
  step.at_ms = call.now_ms
               + static_cast<int64_t>(*call.fx.error_state_recover_s * 1000);
  step.provider = provider_kind::upcloud;
  step.server_id = srv.id;
  step.gen = srv.gen;
  step.state = target;
  state_.inv.schedule(std::move(step));
}

http_response upcloud_api::create(const api_call& call) {
  rapidjson::Document doc;
  if (!parse_json(call.http.body, doc))
    return bad_request(call, "INVALID_REQUEST",
                       "The request body is not valid JSON.");
  upcloud_refusal why;
  auto wrapped = upcloud_unwrap(doc, "server", upcloud_body_kind::create, why);
  auto body = wrapped ? read_upcloud_create(*wrapped, why) : std::nullopt;
  if (!body)
    return bad_request(call, why.code, why.message);
  auto limit = state_.options.max_servers[index_of(provider_kind::upcloud)];
  if (limit && state_.inv.count(provider_kind::upcloud) >= *limit)
    return error(403, "SERVER_CORE_LIMIT_REACHED",
                 "The server core limit of the account has been reached.",
                 call.fx.problem_json);
  // Committed from here on.
  auto s = make_server(body->title, call.now_ms);
  s.hostname = body->hostname;
  s.zone = body->zone;
  s.plan = body->plan;
  s.cores = body->cores;
  s.memory_mb = body->memory_mb;
  s.labels = std::move(body->labels);
  s.metadata = body->metadata;
  s.state = "maintenance";
  if (body->ipv6)
    s.ipv6 = "2a04:3540:1000:310:" + state_.rng.hex(4) + ":" + state_.rng.hex(4)
             + ":" + state_.rng.hex(4) + ":" + state_.rng.hex(4);
  for (auto& disk : body->disks) {
    sim_storage st;
    st.uuid = state_.rng.uuid("01");
    st.title = disk.title;
    st.tier = disk.tier;
    st.zone = body->zone;
    st.size_gb = disk.size_gb;
    st.server = s.id;
    st.created_ms = call.now_ms;
    s.storages.push_back(st.uuid);
    state_.inv.add_storage(std::move(st));
  }
  auto& srv = state_.inv.add(std::move(s));
  if (!call.fx.stuck) {
    sim_step step;
    step.at_ms = call.now_ms + latency::upcloud_create(state_.rng);
    step.provider = provider_kind::upcloud;
    step.server_id = srv.id;
    step.gen = srv.gen;
    step.state = "started";
    state_.inv.schedule(std::move(step));
  }
  auto res = details(
    202, srv, body->create_password ? state_.rng.hex(12) : std::string{});
  enter_error(call, srv, "started");
  return res;
}

http_response upcloud_api::list(const api_call& call) {
  std::vector<std::pair<std::string, std::optional<std::string>>> filters;
  for (auto& f : query_values(call.query, "label")) {
    auto eq = f.find('=');
    if (eq == std::string::npos)
      filters.emplace_back(f, std::nullopt);
    else
      filters.emplace_back(f.substr(0, eq), f.substr(eq + 1));
  }
  int64_t offset = 0;
  int64_t limit = -1;
  if (auto v = query_value(call.query, "offset")) {
    auto n = parse_int(*v);
    if (!n || *n < 0)
      return bad_request(call, "OFFSET_INVALID", "The offset is invalid.");
    offset = *n;
  }
  if (auto v = query_value(call.query, "limit")) {
    auto n = parse_int(*v);
    if (!n || *n < 0)
      return bad_request(call, "LIMIT_INVALID", "The limit is invalid.");
    limit = *n;
  }
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key("servers");
  w.StartObject();
  w.Key("server");
  w.StartArray();
  int64_t index = 0;
  int64_t written = 0;
  for (auto srv : state_.inv.servers(provider_kind::upcloud)) {
    if (srv->visible_at_ms > call.now_ms)
      continue;
    bool ok = std::all_of(filters.begin(), filters.end(), [&](auto& f) {
      return std::any_of(srv->labels.begin(), srv->labels.end(), [&](auto& l) {
        return l.first == f.first && (!f.second || l.second == *f.second);
      });
    });
    if (!ok || index++ < offset)
      continue;
    if (limit >= 0 && written >= limit)
      break;
    ++written;
    w.StartObject();
    write_upcloud_common(w, *srv);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  w.EndObject();
  return json_response(200, sb.GetString());
}

http_response upcloud_api::get(const api_call& call, const std::string& id) {
  auto srv = state_.inv.find(provider_kind::upcloud, id);
  if (srv == nullptr || srv->visible_at_ms > call.now_ms)
    return error(404, "SERVER_NOT_FOUND",
                 "The server " + id + " does not exist.", call.fx.problem_json);
  return details(200, *srv);
}

http_response upcloud_api::modify(const api_call& call, sim_server& srv) {
  rapidjson::Document doc;
  if (!parse_json(call.http.body, doc))
    return bad_request(call, "INVALID_REQUEST",
                       "The request body is not valid JSON.");
  upcloud_refusal why;
  auto body = upcloud_unwrap(doc, "server", upcloud_body_kind::modify, why);
  if (body == nullptr)
    return bad_request(call, why.code, why.message);
  if (srv.state == "maintenance" || srv.state == "error")
    return illegal_state(call, srv);
  auto plan = get_string(*body, "plan");
  if ((plan && *plan != srv.plan) || member(*body, "core_number")
      || member(*body, "memory_amount")) {
    if (srv.state != "stopped")
      return illegal_state(call, srv);
    if (plan) {
      int64_t c = 0;
      int64_t m = 0;
      if (!parse_upcloud_plan(*plan, c, m))
        return bad_request(call, "PLAN_INVALID", "The plan is invalid.");
      srv.plan = *plan;
      srv.cores = c;
      srv.memory_mb = m;
    }
  }
  if (auto t = get_string(*body, "title")) {
    if (t->empty() || t->size() > 255)
      return bad_request(call, "SERVER_TITLE_INVALID",
                         "The server title is invalid.");
    srv.name = *t;
  }
  if (auto h = get_string(*body, "hostname")) {
    if (!is_hostname(*h))
      return bad_request(call, "HOSTNAME_INVALID", "The hostname is invalid.");
    srv.hostname = *h;
  }
  if (auto l = member(*body, "labels")) {
    auto labels = read_upcloud_labels(*l, false, why);
    if (!labels)
      return bad_request(call, why.code, why.message);
    srv.labels = std::move(*labels);
  }
  return details(202, srv);
}

http_response upcloud_api::start(const api_call& call, sim_server& srv) {
  if (!call.http.body.empty()) {
    rapidjson::Document doc;
    if (!parse_json(call.http.body, doc))
      return bad_request(call, "INVALID_REQUEST",
                         "The request body is not valid JSON.");
    upcloud_refusal why;
    if (!upcloud_unwrap(doc, "server", upcloud_body_kind::start, why))
      return bad_request(call, why.code, why.message);
  }
  if (srv.state != "stopped")
    return illegal_state(call, srv);
  state_.inv.cancel_steps(srv);
  // The real API answers "started" at once; a stuck start stays in
  // maintenance instead.
  srv.state = call.fx.stuck ? "maintenance" : "started";
  auto res = details(200, srv);
  enter_error(call, srv, "started");
  return res;
}

http_response upcloud_api::stop(const api_call& call, sim_server& srv) {
  upcloud_stop_options opts;
  if (!call.http.body.empty()) {
    rapidjson::Document doc;
    if (!parse_json(call.http.body, doc))
      return bad_request(call, "INVALID_REQUEST",
                         "The request body is not valid JSON.");
    upcloud_refusal why;
    auto body = upcloud_unwrap(doc, "stop_server", upcloud_body_kind::stop,
                               why);
    auto read = body ? read_upcloud_stop(*body, false, why) : std::nullopt;
    if (!read)
      return bad_request(call, why.code, why.message);
    opts = *read;
  }
  if (srv.state != "started")
    return illegal_state(call, srv);
  if (state_.inv.final_state(srv) == std::optional<std::string>{"stopped"})
    return details(200, srv); // A stop is already under way.
  auto& rng = state_.rng;
  int64_t after = 0;
  if (opts.stop_type == "hard") {
    after = latency::upcloud_hard_stop(rng);
  } else {
    auto guest = latency::guest_shutdown(rng);
    auto timeout_ms = opts.timeout_s * 1000;
    if (call.fx.soft_stop_ignored || guest > timeout_ms)
      // The platform hard-stops once the timeout has passed.
      after = timeout_ms + static_cast<int64_t>(rng.uniform(1000, 5000));
    else
      after = guest;
  }
  if (!call.fx.stuck) {
    sim_step step;
    step.at_ms = call.now_ms + after;
    step.provider = provider_kind::upcloud;
    step.server_id = srv.id;
    step.gen = srv.gen;
    step.state = "stopped";
    state_.inv.schedule(std::move(step));
  }
  // The response still shows "started", as the real API does.
  auto res = details(200, srv);
  enter_error(call, srv, "stopped");
  return res;
}

http_response upcloud_api::restart(const api_call& call, sim_server& srv) {
  rapidjson::Document doc;
  if (!parse_json(call.http.body, doc))
    return bad_request(call, "INVALID_REQUEST",
                       "The request body is not valid JSON.");
  upcloud_refusal why;
  auto body = upcloud_unwrap(doc, "restart_server", upcloud_body_kind::restart,
                             why);
  auto opts = body ? read_upcloud_stop(*body, true, why) : std::nullopt;
  if (!opts)
    return bad_request(call, why.code, why.message);
  if (srv.state != "started")
    return illegal_state(call, srv);
  auto& rng = state_.rng;
  int64_t enter = latency::upcloud_restart_enter(rng);
  if (opts->stop_type == "soft" && call.fx.soft_stop_ignored) {
    if (opts->timeout_action == "ignore")
      return details(200, srv); // The guest ignored it; nothing happens.
    enter = opts->timeout_s * 1000;
  }
  state_.inv.cancel_steps(srv);
  sim_step step;
  step.provider = provider_kind::upcloud;
  step.server_id = srv.id;
  step.gen = srv.gen;
  step.at_ms = call.now_ms + enter;
  step.state = "maintenance";
  state_.inv.schedule(step);
  if (!call.fx.stuck) {
    step.at_ms = call.now_ms + enter + latency::upcloud_restart_done(rng);
    step.state = "started";
    state_.inv.schedule(step);
  }
  auto res = details(200, srv);
  enter_error(call, srv, "started");
  return res;
}

http_response upcloud_api::remove(const api_call& call, sim_server& srv) {
  bool storages = false;
  if (auto v = query_value(call.query, "storages")) {
    if (*v == "1" || *v == "true")
      storages = true;
    else if (*v != "0" && *v != "false")
      return bad_request(call, "STORAGES_INVALID",
                         "The storages parameter is invalid.");
  }
  if (auto v = query_value(call.query, "backups")) {
    if (*v != "keep" && *v != "keep_latest" && *v != "delete")
      return bad_request(call, "BACKUPS_INVALID",
                         "The backups parameter is invalid.");
  }
  if (srv.visible_at_ms > call.now_ms)
    return error(404, "SERVER_NOT_FOUND",
                 "The server " + srv.id + " does not exist.",
                 call.fx.problem_json);
  if (srv.state != "stopped")
    return illegal_state(call, srv);
  auto disks = srv.storages;
  state_.inv.remove(provider_kind::upcloud, srv.id, call.now_ms);
  if (storages)
    for (auto& uuid : disks)
      state_.inv.delete_storage(
        uuid, call.now_ms + latency::upcloud_storage_delete(state_.rng));
  http_response res;
  res.status = 204;
  return res;
}

http_response upcloud_api::account(const api_call&) {
  auto limit = state_.options.max_servers[index_of(provider_kind::upcloud)];
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key("account");
  w.StartObject();
  kv(w, "credits", 10000.0);
  kv(w, "username", state_.options.credentials.upcloud_user);
  w.Key("resource_limits");
  w.StartObject();
  kv(w, "cores", static_cast<int64_t>(limit ? *limit : 100));
  kv(w, "memory", static_cast<int64_t>(307200));
  kv(w, "networks", static_cast<int64_t>(100));
  kv(w, "public_ipv4", static_cast<int64_t>(limit ? *limit : 100));
  kv(w, "public_ipv6", static_cast<int64_t>(100));
  kv(w, "storage_hdd", static_cast<int64_t>(10240));
  kv(w, "storage_maxiops", static_cast<int64_t>(10240));
  kv(w, "storage_ssd", static_cast<int64_t>(10240));
  w.EndObject();
  w.EndObject();
  w.EndObject();
  return json_response(200, sb.GetString());
}

http_response upcloud_api::storage(const api_call& call,
                                   const std::string& id) {
  auto st = state_.inv.storage(id);
  if (st == nullptr)
    return error(404, "STORAGE_NOT_FOUND",
                 "The storage " + id + " does not exist.",
                 call.fx.problem_json);
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key("storage");
  w.StartObject();
  kv(w, "access", "private");
  kv(w, "size", st->size_gb);
  kv(w, "state", st->state);
  kv(w, "tier", st->tier);
  kv(w, "title", st->title);
  kv(w, "type", "normal");
  kv(w, "uuid", st->uuid);
  kv(w, "zone", st->zone);
  w.Key("servers");
  w.StartObject();
  w.Key("server");
  w.StartArray();
  if (!st->server.empty())
    str(w, st->server);
  w.EndArray();
  w.EndObject();
  w.EndObject();
  w.EndObject();
  return json_response(200, sb.GetString());
}

} // namespace dynserv::cloudsim
