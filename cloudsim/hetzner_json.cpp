// The Hetzner Cloud wire format of dynserv-cloudsim.
#include "cloudsim/hetzner_json.hpp"

#include <algorithm>
#include <array>

namespace dynserv::cloudsim {

namespace {

// Ids as the real catalogue has them; unknown names are accepted anyway
// (the simulator checks no catalogue) and show id 0.
constexpr std::array<hetzner_server_type, 8> server_types{{
  {1, "cx11", 1, 2, 20, "x86"},
  {22, "cpx11", 2, 2, 40, "x86"},
  {23, "cpx21", 3, 4, 80, "x86"},
  {24, "cpx31", 4, 8, 160, "x86"},
  {45, "cax11", 2, 4, 40, "arm"},
  {96, "ccx13", 2, 8, 80, "x86"},
  {104, "cx22", 2, 4, 40, "x86"},
  {105, "cx32", 4, 8, 80, "x86"},
}};

constexpr std::array<std::string_view, 9> statuses{"initializing", "starting",
                                                   "running",      "stopping",
                                                   "off",          "deleting",
                                                   "migrating",    "rebuilding",
                                                   "unknown"};

void write_public_net(json_writer& w, const sim_server& s) {
  auto id = parse_int(s.id).value_or(0);
  w.Key("public_net");
  w.StartObject();
  w.Key("ipv4");
  w.StartObject();
  kv(w, "id", id + 500000);
  kv(w, "ip", s.ipv4);
  kv(w, "blocked", false);
  kv(w, "dns_ptr", "static." + s.ipv4 + ".clients.your-server.de");
  w.EndObject();
  w.Key("ipv6");
  w.StartObject();
  kv(w, "id", id + 600000);
  kv(w, "ip", s.ipv6);
  kv(w, "blocked", false);
  kv_empty_array(w, "dns_ptr");
  w.EndObject();
  kv_empty_array(w, "floating_ips");
  kv_empty_array(w, "firewalls");
  w.EndObject();
}

void write_server_type(json_writer& w, const sim_server& s) {
  auto type = hetzner_server_type_by_name(s.plan);
  w.Key("server_type");
  w.StartObject();
  kv(w, "id", type != nullptr ? type->id : int64_t{0});
  kv(w, "name", s.plan);
  kv(w, "description", s.plan);
  kv(w, "cores", s.cores);
  kv(w, "memory", static_cast<double>(s.memory_mb) / 1024.0);
  kv(w, "disk", s.disk_gb);
  kv(w, "storage_type", "local");
  kv(w, "cpu_type", "shared");
  kv(w, "architecture", type != nullptr ? type->architecture : "x86");
  w.EndObject();
}

void write_location_and_image(json_writer& w, const sim_server& s) {
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
}

template <class T>
std::string
wrapped(const char* key, const T& x, void (*write)(json_writer&, const T&)) {
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key(key);
  write(w, x);
  w.EndObject();
  return sb.GetString();
}

} // namespace

const hetzner_server_type* hetzner_server_type_by_name(std::string_view name) {
  for (auto& t : server_types)
    if (t.name == name)
      return &t;
  return nullptr;
}

const hetzner_server_type* hetzner_server_type_by_id(int64_t id) {
  for (auto& t : server_types)
    if (t.id == id)
      return &t;
  return nullptr;
}

bool is_hetzner_server_status(std::string_view status) {
  return std::find(statuses.begin(), statuses.end(), status) != statuses.end();
}

const char* hetzner_action_status(action_status s) {
  switch (s) {
    case action_status::running: return "running";
    case action_status::success: return "success";
    case action_status::error: return "error";
  }
  return "running";
}

void write_hetzner_action(json_writer& w, const sim_action& a) {
  w.StartObject();
  kv(w, "id", a.id);
  kv(w, "command", a.command);
  kv(w, "status", hetzner_action_status(a.status));
  // A failed action keeps the progress it had (hcloud-go's tests show 75).
  kv(w, "progress", a.progress);
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

void write_hetzner_server(json_writer& w, const sim_server& s) {
  w.StartObject();
  kv(w, "id", parse_int(s.id).value_or(0));
  kv(w, "name", s.name);
  kv(w, "status", s.state);
  kv(w, "created", iso8601(s.created_ms));
  write_public_net(w, s);
  kv_empty_array(w, "private_net");
  write_server_type(w, s);
  write_location_and_image(w, s);
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

std::string hetzner_single(const char* key, const sim_server& s) {
  return wrapped(key, s, &write_hetzner_server);
}

std::string hetzner_single(const char* key, const sim_action& a) {
  return wrapped(key, a, &write_hetzner_action);
}

http_response hetzner_error(int status, std::string_view code,
                            std::string_view message) {
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

namespace {

/// `{"error":{code,message,"details":{"fields":[{"name":field,...}]}}}`;
/// `messages` is left out when empty, as uniqueness errors do.
http_response field_error(int status, const char* code,
                          const std::string& message, const std::string& field,
                          const std::string& field_message) {
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key("error");
  w.StartObject();
  kv(w, "code", code);
  kv(w, "message", message);
  w.Key("details");
  w.StartObject();
  w.Key("fields");
  w.StartArray();
  w.StartObject();
  kv(w, "name", field);
  if (!field_message.empty()) {
    w.Key("messages");
    w.StartArray();
    str(w, field_message);
    w.EndArray();
  }
  w.EndObject();
  w.EndArray();
  w.EndObject();
  w.EndObject();
  w.EndObject();
  return json_response(status, sb.GetString());
}

} // namespace

http_response hetzner_invalid_input(const std::string& field,
                                    const std::string& message) {
  // The docs' error table gives invalid_input status 422.
  return field_error(422, "invalid_input",
                     "invalid input in field '" + field + "': " + message,
                     field, message);
}

http_response hetzner_uniqueness_error(const std::string& field,
                                       const std::string& message) {
  return field_error(409, "uniqueness_error", message, field, "");
}

void write_hetzner_meta(json_writer& w, const page_window& page) {
  w.Key("meta");
  w.StartObject();
  w.Key("pagination");
  w.StartObject();
  kv(w, "page", page.page);
  kv(w, "per_page", page.per_page);
  if (page.page > 1)
    kv(w, "previous_page", std::min(page.page - 1, page.last_page));
  else
    kv(w, "previous_page", nullptr);
  if (page.page < page.last_page)
    kv(w, "next_page", page.page + 1);
  else
    kv(w, "next_page", nullptr);
  kv(w, "last_page", page.last_page);
  kv(w, "total_entries", page.total);
  w.EndObject();
  w.EndObject();
}

std::string hetzner_link_header(const std::string& url, const query_params& q,
                                const page_window& page) {
  std::string link;
  auto add = [&](int64_t p, const char* rel) {
    if (!link.empty())
      link += ", ";
    link += '<' + url + '?' + query_with_page(q, p, page.per_page) + ">; rel=\""
            + rel + '"';
  };
  if (page.page > 1)
    add(std::min(page.page - 1, page.last_page), "prev");
  if (page.page < page.last_page)
    add(page.page + 1, "next");
  add(page.last_page, "last");
  return link;
}

} // namespace dynserv::cloudsim
