// The UpCloud provider: API 1.3's dialect of the REST cloud core.
#include "providers/upcloud_provider.hpp"

#include <algorithm>
#include <map>

#include <rapidjson/document.h>

#include "http/http_client.hpp"
#include "providers/http_provider_support.hpp"

namespace dynserv {

using namespace http_support;

namespace {

/// After a restart was accepted, UpCloud may still report `started` for a
/// few seconds before it switches to `maintenance`. Within this window a
/// `started` server that was not seen in maintenance yet is reported as
/// rebooting, so the restart is not mistaken for done (the original
/// package's reboot race).
constexpr int64_t reboot_settle_ms = 20'000;

/// Timeout of the soft part of a restart; UpCloud then hard-restarts.
constexpr const char* restart_timeout_s = "60";

/// Error body in either format: legacy `{"error":{"error_code",
/// "error_message"}}` or RFC 7807 problem+json `{"type":"...#ERROR_X",
/// "title"}`.
rest_error_body parse_error_body(const std::string& body) {
  auto result = read_error_body(body, "error", "error_code", "error_message");
  rapidjson::Document doc;
  if (result.parsed || !parse_json(body, doc) || !doc.IsObject())
    return result;
  auto type = as_string(member(&doc, "type"));
  if (!type)
    return result;
  auto hash = type->rfind('#');
  if (hash == std::string::npos || hash + 1 == type->size())
    return result;
  result.code = type->substr(hash + 1);
  // The SDK maps "#ERROR_X" to code "X".
  if (result.code.compare(0, 6, "ERROR_") == 0)
    result.code.erase(0, 6);
  result.parsed = !result.code.empty();
  result.message = as_string(member(&doc, "title")).value_or("");
  if (auto detail = as_string(member(&doc, "detail")))
    result.message += (result.message.empty() ? "" : ": ") + *detail;
  return result;
}

/// Maps an HTTP error answer (status >= 300).
provider_error classify_answer(const http_response& rsp, rest_op call,
                               int64_t now_ms) {
  auto body = parse_error_body(rsp.body);
  // No documented rate limit; a 429 is honoured like anywhere else. Billing
  // (402) and quota (403: SERVER_CORE_LIMIT_REACHED, ...) need an operator.
  // A create naming a storage or zone that does not exist will not work on
  // retry either.
  if (auto err = classify_common(rsp, body, call,
                                 {"UpCloud", rsp.status == 429, false, true,
                                  "SERVER_NOT_FOUND", true},
                                 now_ms))
    return *err;
  auto status = rsp.status;
  if (status == 409) {
    // Capacity and concurrency limits clear up by themselves.
    if (body.code == "SERVER_CREATING_LIMIT_REACHED"
        || body.code == "SERVER_RESOURCES_UNAVAILABLE")
      return make_error(error_kind::transient, body.code, body.message);
    return make_error(error_kind::conflict, body.code, body.message);
  }
  return make_error(error_kind::permanent, body.code, body.message);
}

/// The label list in either shape: `{"label":[...]}` or a bare array.
label_map parse_labels(const rapidjson::Value* x) {
  label_map result;
  if (x != nullptr && x->IsObject())
    x = member(x, "label");
  if (x == nullptr || !x->IsArray())
    return result;
  for (const auto& item : x->GetArray()) {
    auto key = as_string(member(&item, "key"));
    auto value = as_string(member(&item, "value"));
    if (key && value)
      result.emplace(std::move(*key), std::move(*value));
  }
  return result;
}

/// The server's labels, `{"label":[...]}` or a bare array.
label_map labels_of(const rapidjson::Value* srv) {
  return parse_labels(member(srv, "labels"));
}

/// UpCloud's uuid is a string; `created` is in unix seconds.
std::optional<cloud_server> read_server(const rapidjson::Value* x) {
  static constexpr server_fields fields{
    "uuid",    true, "title",           "state",
    "created", true, map_upcloud_state, labels_of};
  return read_server_fields(x, fields);
}

// -- create body --------------------------------------------------------------

const std::initializer_list<spec_key> spec_keys = {
  {"zone", spec_type::string, true},
  {"plan", spec_type::string},
  {"core_number", spec_type::integer},
  {"memory_amount", spec_type::integer},
  {"template", spec_type::string},
  {"disk_size", spec_type::integer},
  {"disk_tier", spec_type::string},
  {"storage_devices", spec_type::array},
  {"hostname", spec_type::string},
  {"metadata", spec_type::yes_no},
  {"user_data", spec_type::string},
  {"ssh_keys", spec_type::string_array},
  {"login_user", spec_type::object},
  {"networking", spec_type::object},
  {"labels", spec_type::string_map},
  {"server_group", spec_type::string},
  {"timezone", spec_type::string},
  {"firewall", spec_type::string},
  {"nic_model", spec_type::string},
  {"password_delivery", spec_type::string},
  {"remote_access_enabled", spec_type::yes_no},
  {"simple_backup", spec_type::string},
};

/// Keys copied verbatim into the `server` object.
constexpr const char* passthrough_keys[] = {
  "hostname", "user_data", "networking",        "server_group", "timezone",
  "firewall", "nic_model", "password_delivery", "login_user",   "simple_backup",
};

void check(const rapidjson::Value& spec, spec_problems& problems) {
  check_spec(spec, spec_keys, {"title", "name"}, problems);
  auto has = [&](const char* key) { return member(&spec, key) != nullptr; };
  if (!has("plan") && !(has("core_number") && has("memory_amount")))
    problems.emplace_back("plan", "missing (or give core_number and "
                                  "memory_amount)");
  if (has("template") == has("storage_devices"))
    problems.emplace_back(
      "template", has("template") ? "give either template or storage_devices"
                                  : "missing (or give storage_devices)");
  if (!has("template") && (has("disk_size") || has("disk_tier")))
    problems.emplace_back(has("disk_size") ? "disk_size" : "disk_tier",
                          "only allowed with template");
  if (has("ssh_keys") && has("login_user"))
    problems.emplace_back("ssh_keys", "give either ssh_keys or login_user");
  if (auto devices = member(&spec, "storage_devices");
      devices != nullptr && devices->IsArray()) {
    for (rapidjson::SizeType i = 0; i < devices->Size(); ++i)
      if (!(*devices)[i].IsObject())
        problems.emplace_back("storage_devices[" + std::to_string(i) + "]",
                              "expected an object");
  }
}

/// Builds the `POST /server` body; problems go to `problems`.
std::string build_create_body(const create_request& req,
                              spec_problems& problems) {
  rapidjson::Document spec;
  if (!read_checked_spec(req.spec, check, spec, problems))
    return {};
  rapidjson::Document doc;
  doc.SetObject();
  auto& alloc = doc.GetAllocator();
  auto str = [&](const std::string& x) { return json_string(x, alloc); };
  auto yes_no = [](const rapidjson::Value& x) {
    if (x.IsBool())
      return x.GetBool() ? "yes" : "no";
    return x.GetString(); // validated: "yes" or "no"
  };
  rapidjson::Value srv{rapidjson::kObjectType};
  srv.AddMember("zone", rapidjson::Value{spec["zone"], alloc}, alloc);
  srv.AddMember("title", str(req.name), alloc);
  if (!spec.HasMember("hostname"))
    srv.AddMember("hostname", str(req.name), alloc);
  if (auto plan = member(&spec, "plan"))
    srv.AddMember("plan", rapidjson::Value{*plan, alloc}, alloc);
  // UpCloud wants numbers as strings.
  for (auto key : {"core_number", "memory_amount"})
    if (auto n = as_int(member(&spec, key)))
      srv.AddMember(rapidjson::StringRef(key), str(std::to_string(*n)), alloc);
  for (auto key : passthrough_keys)
    if (auto x = member(&spec, key))
      srv.AddMember(rapidjson::StringRef(key), rapidjson::Value{*x, alloc},
                    alloc);
  for (auto key : {"metadata", "remote_access_enabled"})
    if (auto x = member(&spec, key))
      srv.AddMember(rapidjson::StringRef(key), rapidjson::StringRef(yes_no(*x)),
                    alloc);
  if (auto keys = member(&spec, "ssh_keys")) {
    rapidjson::Value login{rapidjson::kObjectType};
    login.AddMember("username", "root", alloc);
    login.AddMember("create_password", "no", alloc);
    rapidjson::Value wrapped{rapidjson::kObjectType};
    wrapped.AddMember("ssh_key", rapidjson::Value{*keys, alloc}, alloc);
    login.AddMember("ssh_keys", wrapped, alloc);
    srv.AddMember("login_user", login, alloc);
  }
  rapidjson::Value devices{rapidjson::kArrayType};
  if (auto tmpl = member(&spec, "template")) {
    rapidjson::Value disk{rapidjson::kObjectType};
    disk.AddMember("action", "clone", alloc);
    disk.AddMember("storage", rapidjson::Value{*tmpl, alloc}, alloc);
    disk.AddMember("title", str(req.name + "-disk"), alloc);
    if (auto size = member(&spec, "disk_size"))
      disk.AddMember("size", rapidjson::Value{*size, alloc}, alloc);
    if (auto tier = member(&spec, "disk_tier"))
      disk.AddMember("tier", rapidjson::Value{*tier, alloc}, alloc);
    devices.PushBack(disk, alloc);
  } else {
    devices.CopyFrom(spec["storage_devices"], alloc);
  }
  rapidjson::Value storage{rapidjson::kObjectType};
  storage.AddMember("storage_device", devices, alloc);
  srv.AddMember("storage_devices", storage, alloc);
  // The spec's own labels first, dynserv's win.
  auto all = as_label_object(member(&spec, "labels"));
  for (const auto& [key, value] : req.labels)
    all[key] = value;
  rapidjson::Value list{rapidjson::kArrayType};
  for (const auto& [key, value] : all) {
    rapidjson::Value item{rapidjson::kObjectType};
    item.AddMember("key", str(key), alloc);
    item.AddMember("value", str(value), alloc);
    list.PushBack(item, alloc);
  }
  rapidjson::Value labels{rapidjson::kObjectType};
  labels.AddMember("label", list, alloc);
  srv.AddMember("labels", labels, alloc);
  doc.AddMember("server", srv, alloc);
  return to_json(doc);
}

} // namespace

cloud_state map_upcloud_state(std::string_view raw) {
  // Create, start, restart and platform maintenance all pass through
  // maintenance. `error` is not terminal: UpCloud recovers such servers by
  // itself.
  static constexpr auto error = cloud_state::error;
  return state_from(raw, {{"started", cloud_state::running},
                          {"stopped", cloud_state::stopped},
                          {"maintenance", cloud_state::provisioning},
                          {"error", error}});
}

std::vector<std::pair<std::string, std::string>>
validate_upcloud_spec(const std::string& spec_json) {
  return validate_spec(spec_json, check);
}

// -- the dialect --------------------------------------------------------------

namespace {

/// UpCloud: servers carry labels, a list is one filtered request, answers
/// to state changes carry the server, and stops are soft with a hard stop
/// by UpCloud itself after the timeout.
class upcloud_dialect : public rest_cloud_dialect {
public:
  // `delete_running` is false: UpCloud deletes only stopped servers.
  explicit upcloud_dialect(upcloud_options opts)
    : rest_cloud_dialect({"upcloud",
                          {true, false, true, true},
                          "/server",
                          "server",
                          {"stop", "stop", "start", "restart"},
                          !opts.api.token.empty()
                            ? bearer_auth(opts.api.token)
                            : basic_auth(opts.api.username, opts.api.password),
                          build_create_body,
                          read_server,
                          classify_answer}),
      opts_(std::move(opts)) {
    // nop
  }

  /// The disks go along; UpCloud deletes only stopped servers.
  std::string delete_target(const std::string& id) const override {
    return server_path(id) + "?storages=1&backups=delete";
  }

  rest_request power_request(const std::string& id,
                             action_kind kind) const override {
    auto target = server_path(id) + "/" + power_word(kind);
    if (kind == action_kind::start)
      return {"POST", target, R"({"server":{}})"};
    if (kind == action_kind::reboot)
      return {"POST", target,
              std::string{R"({"restart_server":{"stop_type":"soft",)"}
                + R"("timeout":")" + restart_timeout_s
                + R"(","timeout_action":"destroy"}})"};
    auto secs = std::max<int64_t>(1, (opts_.stop_timeout.count() + 999) / 1000);
    return {"POST", target,
            std::string{R"({"stop_server":{"stop_type":")"}
              + (kind == action_kind::soft_stop ? "soft" : "hard")
              + R"(","timeout":")" + std::to_string(secs) + "\"}}"};
  }

  std::string list_target(const label_map& selector, int64_t) const override {
    std::string result = "/server";
    auto sep = '?';
    for (const auto& [key, value] : selector) {
      result += sep;
      result += "label=" + url_encode(key + "=" + value);
      sep = '&';
    }
    return result;
  }

  /// One page: `{"servers":{"server":[...]}}`; an empty account may come
  /// without the inner list.
  rest_page read_page(const rapidjson::Value& doc, int64_t) const override {
    rest_page result;
    auto servers = member(&doc, "servers");
    if (servers == nullptr || !servers->IsObject()) {
      result.problem = "no servers object";
      return result;
    }
    result.items = member(servers, "server");
    if (result.items != nullptr && !result.items->IsArray()) {
      result.items = nullptr;
      result.problem = "servers.server is not a list";
    }
    return result;
  }

  void powered(rest_session& session, provider_reply& reply,
               const std::string& id, action_kind kind,
               const rapidjson::Value* doc) override {
    if (auto srv = read_server(member(doc, "server")))
      reply.servers.push_back(std::move(*srv));
    if (kind != action_kind::reboot)
      return;
    reboots_[id] = {session.now_ms(), false};
    for (auto& srv : reply.servers)
      watch(session, srv);
  }

  void forget(const std::string& id) override {
    reboots_.erase(id);
  }

  provider_error refresh(rest_session& session, provider_reply&,
                         cloud_server& srv) override {
    watch(session, srv);
    return {};
  }

  void refresh_listed(rest_session& session, provider_reply&,
                      std::vector<cloud_server>& servers) override {
    for (auto& srv : servers)
      watch(session, srv);
  }

private:
  /// A restart that was accepted and not yet seen through.
  struct reboot_watch {
    int64_t sent_ms = 0;
    bool saw_maintenance = false;
  };

  /// Applies what we know about restarts in flight to a server read.
  void watch(rest_session& session, cloud_server& srv) {
    auto i = reboots_.find(srv.provider_id);
    if (i == reboots_.end())
      return;
    auto& w = i->second;
    if (srv.raw_state == "maintenance") {
      w.saw_maintenance = true;
      srv.state = cloud_state::rebooting;
    } else if (srv.raw_state == "started" && !w.saw_maintenance
               && session.now_ms() - w.sent_ms < reboot_settle_ms) {
      srv.state = cloud_state::rebooting;
    } else {
      reboots_.erase(i);
    }
  }

  upcloud_options opts_;
  std::map<std::string, reboot_watch> reboots_;
};

} // namespace

upcloud_provider::upcloud_provider(upcloud_options opts,
                                   std::unique_ptr<http_transport> transport,
                                   std::function<int64_t()> now_ms)
  : rest_cloud_provider(std::make_unique<upcloud_dialect>(std::move(opts)),
                        std::move(transport), std::move(now_ms)) {
  // nop
}

} // namespace dynserv
