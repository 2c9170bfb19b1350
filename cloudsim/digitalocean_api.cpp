// The simulated DigitalOcean API v2.
#include "cloudsim/digitalocean_api.hpp"

#include <algorithm>
#include <cctype>

#include "cloudsim/sim_json.hpp"

namespace dynserv::cloudsim {

namespace {

constexpr std::string_view action_types[]
  = {"power_on", "power_off", "shutdown", "reboot", "power_cycle"};

const char* status_name(action_status s) {
  switch (s) {
    case action_status::running:
      return "in-progress";
    case action_status::success:
      return "completed";
    case action_status::error:
      return "errored";
  }
  return "in-progress";
}

bool is_tag(std::string_view t) {
  return !t.empty() && t.size() <= 255
         && std::all_of(t.begin(), t.end(), [](char c) {
              return std::isalnum(static_cast<unsigned char>(c)) || c == '_'
                     || c == '-' || c == ':';
            });
}

bool lower_equal(std::string_view a, std::string_view b) {
  return iequals(a, b);
}

void write_region(json_writer& w, const std::string& slug) {
  w.Key("region");
  w.StartObject();
  kv(w, "name", slug);
  kv(w, "slug", slug);
  kv_empty_array(w, "features");
  kv(w, "available", true);
  kv_empty_array(w, "sizes");
  w.EndObject();
}

void write_action(json_writer& w, const sim_action& a) {
  w.StartObject();
  kv(w, "id", a.id);
  kv(w, "status", status_name(a.status));
  kv(w, "type", a.command);
  kv(w, "started_at", iso8601_z(a.started_ms));
  if (a.finished_ms != 0)
    kv(w, "completed_at", iso8601_z(a.finished_ms));
  else
    kv(w, "completed_at", nullptr);
  kv(w, "resource_id", parse_int(a.server_id).value_or(0));
  kv(w, "resource_type", "droplet");
  write_region(w, a.region);
  kv(w, "region_slug", a.region);
  w.EndObject();
}

void write_droplet(json_writer& w, const sim_server& s) {
  w.StartObject();
  kv(w, "id", parse_int(s.id).value_or(0));
  kv(w, "name", s.name);
  kv(w, "memory", s.memory_mb);
  kv(w, "vcpus", s.cores);
  kv(w, "disk", s.disk_gb);
  kv(w, "locked", s.locked());
  kv(w, "status", s.state);
  kv(w, "kernel", nullptr);
  kv(w, "created_at", iso8601_z(s.created_ms));
  w.Key("features");
  w.StartArray();
  str(w, "droplet_agent");
  w.EndArray();
  kv_empty_array(w, "backup_ids");
  kv(w, "next_backup_window", nullptr);
  kv_empty_array(w, "snapshot_ids");
  w.Key("image");
  w.StartObject();
  auto snapshot = parse_int(s.image);
  kv(w, "id", snapshot.value_or(129211873));
  kv(w, "name", s.image);
  kv(w, "distribution", "Ubuntu");
  if (snapshot)
    kv(w, "slug", nullptr);
  else
    kv(w, "slug", s.image);
  kv(w, "public", !snapshot);
  kv(w, "type", snapshot ? "snapshot" : "base");
  w.EndObject();
  kv_empty_array(w, "volume_ids");
  w.Key("size");
  w.StartObject();
  kv(w, "slug", s.plan);
  kv(w, "memory", s.memory_mb);
  kv(w, "vcpus", s.cores);
  kv(w, "disk", s.disk_gb);
  w.EndObject();
  kv(w, "size_slug", s.plan);
  w.Key("networks");
  w.StartObject();
  w.Key("v4");
  w.StartArray();
  // The public address shows up only once the droplet has booted.
  if (s.state != "new") {
    w.StartObject();
    kv(w, "ip_address", s.ipv4);
    kv(w, "netmask", "255.255.240.0");
    kv(w, "gateway", s.ipv4.substr(0, s.ipv4.rfind('.')) + ".1");
    kv(w, "type", "public");
    w.EndObject();
    w.StartObject();
    kv(w, "ip_address", s.private_ipv4);
    kv(w, "netmask", "255.255.240.0");
    kv(w, "gateway", "");
    kv(w, "type", "private");
    w.EndObject();
  }
  w.EndArray();
  kv_empty_array(w, "v6");
  w.EndObject();
  write_region(w, s.zone);
  w.Key("tags");
  w.StartArray();
  for (auto& t : s.tags)
    str(w, t);
  w.EndArray();
  kv(w, "vpc_uuid", "5a4981aa-9653-4bd1-bef5-d6bff52042e4");
  w.EndObject();
}

std::string single(const char* key, const sim_server& s) {
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key(key);
  write_droplet(w, s);
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

/// Reads "s-2vcpu-4gb" style slugs.
void apply_size(sim_server& s, const std::string& slug) {
  s.plan = slug;
  auto v = slug.find("vcpu-");
  auto g = slug.rfind("gb");
  if (slug.rfind("s-", 0) == 0 && v != std::string::npos
      && g != std::string::npos && g > v + 5) {
    auto c = parse_int(slug.substr(2, v - 2));
    auto m = parse_int(slug.substr(v + 5, g - v - 5));
    if (c && m && *c > 0 && *m > 0) {
      s.cores = *c;
      s.memory_mb = *m * 1024;
      s.disk_gb = *m * 25;
    }
  }
}

} // namespace

// -- routing ------------------------------------------------------------------

op_info digitalocean_api::classify(std::string_view method,
                                   std::string_view path,
                                   std::string_view body) const {
  op_info out;
  auto seg = split_path(path);
  if (seg.empty())
    return out;
  if (seg[0] == "actions") {
    out.op = "action";
  } else if (seg[0] == "account") {
    out.op = "account";
  } else if (seg[0] == "droplets") {
    if (seg.size() == 1) {
      out.op = method == "POST"     ? "create"
               : method == "DELETE" ? "delete"
                                    : "list";
    } else if (seg[1] == "actions") {
      out.op = "bulk_action";
    } else {
      out.server = seg[1];
      if (seg.size() == 2)
        out.op = method == "GET"      ? "get"
                 : method == "DELETE" ? "delete"
                                      : "other";
      else if (seg.size() >= 3 && seg[2] == "actions")
        out.op = method == "GET" ? "action" : "droplet_action";
    }
  }
  if (out.op == "droplet_action" || out.op == "bulk_action") {
    rapidjson::Document doc;
    if (parse_json(body, doc))
      if (auto type = get_string(doc, "type")) {
        out.detail = *type;
        if (*type == "power_on")
          out.op = "start";
        else if (*type == "power_off" || *type == "shutdown")
          out.op = "stop";
        else if (*type == "reboot" || *type == "power_cycle")
          out.op = "restart";
      }
  }
  return out;
}

bool digitalocean_api::authorized(const http_request& req) const {
  auto token = bearer_token(req);
  return token
         && same_secret(*token, state_.options.credentials.digitalocean_token);
}

void digitalocean_api::begin_request() {
  auto& rng = state_.rng;
  request_id_ = rng.uuid(rng.hex(2));
}

http_response digitalocean_api::handle(const api_call& call) {
  auto& method = call.http.method;
  auto seg = split_path(call.path);
  auto not_found = [&] {
    return error(404, "not_found",
                 "The resource you were accessing could not be found.", false);
  };
  if (seg.empty())
    return not_found();
  if (seg[0] == "account" && seg.size() == 1 && method == "GET")
    return account(call);
  if (seg[0] == "actions" && seg.size() == 2 && method == "GET")
    return get_action(call, seg[1]);
  if (seg[0] != "droplets")
    return not_found();
  if (seg.size() == 1) {
    if (method == "GET")
      return list(call);
    if (method == "POST")
      return create(call);
    if (method == "DELETE")
      return remove_tagged(call);
    return not_found();
  }
  if (seg[1] == "actions" && seg.size() == 2 && method == "POST")
    return act_tagged(call);
  auto srv = visible(call, seg[1]);
  if (seg.size() == 2) {
    if (method == "GET")
      return get(call, seg[1]);
    if (method == "DELETE")
      return srv ? remove(call, *srv) : not_found();
    return not_found();
  }
  if (seg[2] != "actions" || seg.size() > 4)
    return not_found();
  if (srv == nullptr)
    return not_found();
  if (seg.size() == 3 && method == "POST")
    return act(call, *srv);
  if (seg.size() == 4 && method == "GET")
    return get_action(call, seg[3]);
  return not_found();
}

// -- responses ----------------------------------------------------------------

http_response digitalocean_api::error(int status, std::string_view code,
                                      std::string_view message, bool) {
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  kv(w, "id", code);
  kv(w, "message", message);
  kv(w, "request_id", request_id_);
  w.EndObject();
  return json_response(status, sb.GetString());
}

http_response digitalocean_api::unauthorized(bool) {
  return error(401, "unauthorized", "Unable to authenticate you.", false);
}

http_response digitalocean_api::rate_limited(const rate_decision& d) {
  auto res = error(429, "too_many_requests", "API Rate limit exceeded.", false);
  if (d.burst)
    set_header(res.headers, "retry-after", std::to_string(d.retry_after_s));
  return res;
}

http_response digitalocean_api::quota(const fault_rule& rule, bool) {
  auto status = rule.status ? rule.status : 422;
  auto code = rule.code.empty() ? std::string{"unprocessable_entity"}
                                : rule.code;
  auto msg = rule.message.empty()
               ? std::string{"creating this/these droplet(s) will exceed your "
                             "droplet limit"}
               : rule.message;
  return error(status, code, msg, false);
}

http_response digitalocean_api::server_error(int status, bool) {
  if (status >= 500)
    return error(status, "server_error",
                 "Server was unable to give you a response.", false);
  return error(status, "bad_request", std::string{status_text(status)}, false);
}

void digitalocean_api::decorate(http_response& res) {
  set_header(res.headers, "x-request-id", request_id_);
  if (!res.body.empty() && !find_header(res.headers, "Content-Type"))
    set_header(res.headers, "Content-Type", "application/json; charset=utf-8");
}

// -- droplets -----------------------------------------------------------------

sim_server* digitalocean_api::visible(const api_call& call,
                                      const std::string& id) {
  auto srv = state_.inv.find(provider_kind::digitalocean, id);
  if (srv == nullptr || srv->visible_at_ms > call.now_ms)
    return nullptr;
  return srv;
}

sim_server digitalocean_api::make_server(const std::string& name,
                                         int64_t now_ms) {
  auto& rng = state_.rng;
  sim_server s;
  s.provider = provider_kind::digitalocean;
  s.id = state_.inv.next_server_id(provider_kind::digitalocean);
  s.name = name;
  s.hostname = name;
  s.created_ms = now_ms;
  s.visible_at_ms = now_ms + state_.options.consistency_delay_ms[2];
  s.zone = "fra1";
  s.image = "ubuntu-24-04-x64";
  s.ipv4 = rng.ipv4(164, 90);
  s.private_ipv4 = rng.ipv4(10, 114);
  apply_size(s, "s-1vcpu-1gb");
  return s;
}

sim_server& digitalocean_api::precreate(const std::string& name,
                                        std::vector<std::string> tags,
                                        const std::string& status,
                                        int64_t now_ms) {
  auto s = make_server(name, now_ms);
  s.visible_at_ms = now_ms;
  s.tags = std::move(tags);
  s.state = status;
  return state_.inv.add(std::move(s));
}

namespace {

/// A checked POST /droplets body.
struct droplet_create_body {
  std::vector<std::string> names;
  /// `names` was given (the answer then lists `droplets`).
  bool multiple = false;
  std::string region;
  std::string size;
  std::string image;
  /// The image is a snapshot id (slow creates).
  bool snapshot = false;
  std::vector<std::string> tags;
};

/// `name`, or `names` (up to 10); the problem text otherwise.
std::optional<std::string> read_names(const rapidjson::Value& doc,
                                      droplet_create_body& out) {
  if (auto n = member(doc, "names")) {
    if (!n->IsArray() || n->Empty())
      return "names must be a non-empty list";
    if (n->Size() > 10)
      return "You may only create up to 10 droplets at a time.";
    for (auto& x : n->GetArray()) {
      if (!x.IsString() || !is_hostname(x.GetString()))
        return "Name is invalid";
      out.names.emplace_back(x.GetString());
    }
    out.multiple = true;
  } else if (auto n = member(doc, "name")) {
    if (!n->IsString() || !is_hostname(n->GetString()))
      return "Name is invalid";
    out.names.emplace_back(n->GetString());
  } else {
    return "Name is required";
  }
  return std::nullopt;
}

/// Checks a POST /droplets body; the 422 message otherwise.
std::optional<std::string> read_create(const rapidjson::Value& doc,
                                       droplet_create_body& out) {
  if (auto problem = read_names(doc, out))
    return problem;
  auto region = get_string(doc, "region");
  if (!region || region->empty())
    return "Region is required";
  out.region = *region;
  auto size = get_string(doc, "size");
  if (!size || size->empty())
    return "Size is required";
  out.size = *size;
  auto image = member(doc, "image");
  if (image == nullptr || !(image->IsString() || image->IsInt64()))
    return "Image is required";
  out.snapshot = image->IsInt64();
  out.image = out.snapshot ? std::to_string(image->GetInt64())
                           : std::string{image->GetString()};
  if (auto t = member(doc, "tags"); t && !t->IsNull()) {
    if (!t->IsArray())
      return "tags must be a list of strings";
    for (auto& x : t->GetArray()) {
      if (!x.IsString() || !is_tag(x.GetString()))
        return "Tag names must only contain letters, numbers, colons, dashes "
               "and underscores";
      out.tags.emplace_back(x.GetString());
    }
  }
  if (auto ud = get_string(doc, "user_data"); ud && ud->size() > 65536)
    return "user_data is too long";
  return std::nullopt;
}

} // namespace

http_response digitalocean_api::create(const api_call& call) {
  rapidjson::Document doc;
  if (!parse_json(call.http.body, doc) || !doc.IsObject())
    return error(400, "bad_request", "The request body is not valid JSON.",
                 false);
  droplet_create_body body;
  if (auto problem = read_create(doc, body))
    return error(422, "unprocessable_entity", *problem, false);
  auto limit
    = state_.options.max_servers[index_of(provider_kind::digitalocean)];
  if (limit
      && state_.inv.count(provider_kind::digitalocean) + body.names.size()
           > *limit)
    return error(422, "unprocessable_entity",
                 "creating this/these droplet(s) will exceed your droplet "
                 "limit",
                 false);
  std::vector<std::pair<std::string, uint64_t>> created;
  for (auto& name : body.names) {
    auto s = make_server(name, call.now_ms);
    s.state = "new";
    s.zone = body.region;
    apply_size(s, body.size);
    s.image = body.image;
    s.tags = body.tags;
    auto& srv = state_.inv.add(std::move(s));
    auto id = state_.inv.start_action(srv, "create", call.now_ms).id;
    if (!call.fx.stuck) {
      sim_step step;
      step.provider = provider_kind::digitalocean;
      step.server_id = srv.id;
      step.gen = srv.gen;
      step.at_ms = call.now_ms
                   + latency::digitalocean_create(state_.rng, body.snapshot);
      step.action = id;
      // A failed create errors its action and leaves the droplet off.
      step.action_ok = !call.fx.action_error;
      step.state = call.fx.action_error ? "off" : "active";
      state_.inv.schedule(std::move(step));
    }
    created.emplace_back(srv.id, id);
  }
  return json_response(202, create_answer(call, created, body.multiple));
}

std::string digitalocean_api::create_answer(
  const api_call& call,
  const std::vector<std::pair<std::string, uint64_t>>& created, bool multiple) {
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  if (!multiple) {
    w.Key("droplet");
    write_droplet(w, *state_.inv.find(provider_kind::digitalocean,
                                      created[0].first));
  } else {
    w.Key("droplets");
    w.StartArray();
    for (auto& [sid, aid] : created)
      write_droplet(w, *state_.inv.find(provider_kind::digitalocean, sid));
    w.EndArray();
  }
  w.Key("links");
  w.StartObject();
  w.Key("actions");
  w.StartArray();
  for (auto& [sid, aid] : created) {
    w.StartObject();
    kv(w, "id", aid);
    kv(w, "rel", "create");
    kv(w, "href", call.base_url + "/actions/" + std::to_string(aid));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  w.EndObject();
  return sb.GetString();
}

http_response digitalocean_api::list(const api_call& call) {
  auto tag = query_value(call.query, "tag_name");
  auto name = query_value(call.query, "name");
  if (tag && name)
    return error(400, "bad_request", "name and tag_name cannot be combined",
                 false);
  std::vector<const sim_server*> items;
  for (auto srv : state_.inv.servers(provider_kind::digitalocean)) {
    if (srv->visible_at_ms > call.now_ms)
      continue;
    if (tag
        && std::find(srv->tags.begin(), srv->tags.end(), *tag)
             == srv->tags.end())
      continue;
    if (name && !lower_equal(srv->name, *name))
      continue;
    items.push_back(srv);
  }
  std::string err;
  auto page = paginate(call.query, items.size(), 20, 200, &err);
  if (!page)
    return error(400, "bad_request", err, false);
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key("droplets");
  w.StartArray();
  for (auto i = page->first; i < page->end; ++i)
    write_droplet(w, *items[i]);
  w.EndArray();
  w.Key("links");
  w.StartObject();
  if (page->last_page > 1) {
    w.Key("pages");
    w.StartObject();
    auto url = [&](int64_t p) {
      return call.base_url + "/droplets?"
             + query_with_page(call.query, p, page->per_page);
    };
    if (page->page > 1) {
      kv(w, "first", url(1));
      kv(w, "prev", url(std::min(page->page - 1, page->last_page)));
    }
    if (page->page < page->last_page) {
      kv(w, "next", url(page->page + 1));
      kv(w, "last", url(page->last_page));
    }
    w.EndObject();
  }
  w.EndObject();
  w.Key("meta");
  w.StartObject();
  kv(w, "total", page->total);
  w.EndObject();
  w.EndObject();
  return json_response(200, sb.GetString());
}

http_response digitalocean_api::get(const api_call& call,
                                    const std::string& id) {
  auto srv = visible(call, id);
  if (srv == nullptr)
    return error(404, "not_found",
                 "The resource you were accessing could not be found.", false);
  return json_response(200, single("droplet", *srv));
}

http_response digitalocean_api::remove(const api_call& call, sim_server& srv) {
  state_.inv.remove(provider_kind::digitalocean, srv.id, call.now_ms);
  http_response res;
  res.status = 204;
  return res;
}

http_response digitalocean_api::remove_tagged(const api_call& call) {
  auto tag = query_value(call.query, "tag_name");
  if (!tag || tag->empty())
    return error(400, "bad_request", "tag_name is required", false);
  std::vector<std::string> ids;
  for (auto srv : state_.inv.servers(provider_kind::digitalocean))
    if (srv->visible_at_ms <= call.now_ms
        && std::find(srv->tags.begin(), srv->tags.end(), *tag)
             != srv->tags.end())
      ids.push_back(srv->id);
  for (auto& id : ids)
    state_.inv.remove(provider_kind::digitalocean, id, call.now_ms);
  http_response res;
  res.status = 204;
  return res;
}

std::optional<uint64_t>
digitalocean_api::start(const api_call& call, sim_server& srv,
                        const std::string& type, http_response* refusal) {
  if (srv.locked()) {
    *refusal = error(422, "unprocessable_entity",
                     "Droplet already has a pending event.", false);
    return std::nullopt;
  }
  bool active = srv.state == "active";
  bool off = srv.state == "off";
  if ((type == "power_on" && active)
      || ((type == "power_off" || type == "shutdown") && off))
    return state_.inv.finished_action(srv, type, call.now_ms).id;
  auto id = state_.inv.start_action(srv, type, call.now_ms).id;
  if (call.fx.stuck)
    return id;
  sim_step step;
  step.provider = provider_kind::digitalocean;
  step.server_id = srv.id;
  step.gen = srv.gen;
  step.at_ms = call.now_ms + latency::digitalocean_action(state_.rng);
  step.action = id;
  step.action_ok = !call.fx.action_error;
  bool graceful = type == "shutdown" || type == "reboot";
  if (graceful && call.fx.soft_stop_ignored) {
    // The guest never reacts: the action errors and nothing changes.
    step.action_ok = false;
  } else if (!call.fx.action_error) {
    if (type == "power_off" || type == "shutdown")
      step.state = "off";
    else
      step.state = "active";
  }
  state_.inv.schedule(std::move(step));
  return id;
}

http_response digitalocean_api::act(const api_call& call, sim_server& srv) {
  rapidjson::Document doc;
  if (!parse_json(call.http.body, doc) || !doc.IsObject())
    return error(400, "bad_request", "The request body is not valid JSON.",
                 false);
  auto type = get_string(doc, "type");
  if (!type
      || std::find(std::begin(action_types), std::end(action_types), *type)
           == std::end(action_types))
    return error(422, "unprocessable_entity",
                 "Type is invalid or not supported by the simulator", false);
  http_response refusal;
  auto id = start(call, srv, *type, &refusal);
  if (!id)
    return refusal;
  return json_response(201, single("action", *state_.inv.action(*id)));
}

http_response digitalocean_api::act_tagged(const api_call& call) {
  auto tag = query_value(call.query, "tag_name");
  if (!tag || tag->empty())
    return error(400, "bad_request", "tag_name is required", false);
  rapidjson::Document doc;
  if (!parse_json(call.http.body, doc) || !doc.IsObject())
    return error(400, "bad_request", "The request body is not valid JSON.",
                 false);
  auto type = get_string(doc, "type");
  if (!type
      || std::find(std::begin(action_types), std::end(action_types), *type)
           == std::end(action_types))
    return error(422, "unprocessable_entity",
                 "Type is invalid or not supported by the simulator", false);
  std::vector<uint64_t> ids;
  for (auto srv : state_.inv.servers(provider_kind::digitalocean)) {
    if (srv->visible_at_ms > call.now_ms
        || std::find(srv->tags.begin(), srv->tags.end(), *tag)
             == srv->tags.end())
      continue;
    http_response refusal;
    if (auto id = start(call, *srv, *type, &refusal))
      ids.push_back(*id);
  }
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key("actions");
  w.StartArray();
  for (auto id : ids)
    write_action(w, *state_.inv.action(id));
  w.EndArray();
  w.EndObject();
  return json_response(201, sb.GetString());
}

http_response digitalocean_api::get_action(const api_call&,
                                           const std::string& id) {
  auto n = parse_int(id);
  auto a = n && *n > 0 ? state_.inv.action(static_cast<uint64_t>(*n)) : nullptr;
  if (a == nullptr || a->provider != provider_kind::digitalocean)
    return error(404, "not_found",
                 "The resource you were accessing could not be found.", false);
  return json_response(200, single("action", *a));
}

http_response digitalocean_api::account(const api_call&) {
  auto limit
    = state_.options.max_servers[index_of(provider_kind::digitalocean)];
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key("account");
  w.StartObject();
  kv(w, "droplet_limit", static_cast<int64_t>(limit ? *limit : 25));
  kv(w, "floating_ip_limit", 3);
  kv(w, "email", "sim@example.com");
  kv(w, "uuid", "b6fr89dbf6d9156cace5f3c78dc9851d957381ef");
  kv(w, "email_verified", true);
  kv(w, "status", "active");
  kv(w, "status_message", "");
  w.EndObject();
  w.EndObject();
  return json_response(200, sb.GetString());
}

} // namespace dynserv::cloudsim
