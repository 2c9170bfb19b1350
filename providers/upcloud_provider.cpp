// The UpCloud provider: API 1.3 over an `http_transport`.
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

enum class op { create, get, list, stop, start, reboot, destroy };

/// Error body in either format: legacy `{"error":{"error_code",
/// "error_message"}}` or RFC 7807 problem+json `{"type":"...#ERROR_X",
/// "title"}`.
struct api_error {
  bool parsed = false;
  std::string code;
  std::string message;
};

api_error parse_error_body(const std::string& body) {
  api_error result;
  rapidjson::Document doc;
  if (!parse_json(body, doc) || !doc.IsObject())
    return result;
  if (auto err = member(&doc, "error"); err != nullptr && err->IsObject()) {
    auto code = as_string(member(err, "error_code"));
    if (!code || code->empty())
      return result;
    result.parsed = true;
    result.code = std::move(*code);
    result.message = as_string(member(err, "error_message")).value_or("");
    return result;
  }
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
provider_error classify(const http_response& rsp, op call, int64_t now_ms) {
  auto body = parse_error_body(rsp.body);
  auto status = rsp.status;
  auto code = body.parsed ? body.code : std::to_string(status);
  auto message = body.parsed ? body.message
                             : "HTTP " + std::to_string(status) + ": "
                                 + excerpt(rsp.body);
  if (status == 429)
    return make_error(error_kind::rate_limited, code, message,
                      rate_limit_wait(rsp, now_ms, false, 1000));
  if (status >= 500 || status == 408)
    return make_error(error_kind::transient, code, message);
  // Credentials, billing and quota (SERVER_CORE_LIMIT_REACHED, ...): only
  // an operator can fix them, whatever the body looks like.
  if (status == 401 || status == 402 || status == 403)
    return make_error(error_kind::permanent, code, message);
  // Other client errors count as UpCloud's answer only with its error body;
  // anything else (an HTML page of a proxy) may go away by itself.
  if (!body.parsed)
    return bad_response(status, "no UpCloud error body", rsp.body);
  if (status == 404) {
    if (body.code == "SERVER_NOT_FOUND" && call != op::create
        && call != op::list)
      return make_error(error_kind::not_found, code, message);
    // A create naming a storage or zone that does not exist will not work
    // on retry either.
    if (call == op::create)
      return make_error(error_kind::permanent, code, message);
    return make_error(error_kind::transient, code, message);
  }
  if (status == 409) {
    // Capacity and concurrency limits clear up by themselves.
    if (body.code == "SERVER_CREATING_LIMIT_REACHED"
        || body.code == "SERVER_RESOURCES_UNAVAILABLE")
      return make_error(error_kind::transient, code, message);
    return make_error(error_kind::conflict, code, message);
  }
  return make_error(error_kind::permanent, code, message);
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

std::optional<cloud_server> parse_server(const rapidjson::Value* x) {
  auto uuid = as_string(member(x, "uuid"));
  if (!uuid || uuid->empty())
    return std::nullopt;
  cloud_server result;
  result.provider_id = std::move(*uuid);
  result.name = as_string(member(x, "title")).value_or("");
  result.labels = parse_labels(member(x, "labels"));
  result.raw_state = as_string(member(x, "state")).value_or("");
  result.state = map_upcloud_state(result.raw_state);
  if (auto created = as_int(member(x, "created")); created && *created > 0)
    result.created_at_ms = *created * 1000;
  return result;
}

std::string server_path(const std::string& uuid) {
  return "/server/" + url_encode(uuid);
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
    problems.emplace_back("template",
                          has("template")
                            ? "give either template or storage_devices"
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
std::string create_body(const create_request& req, spec_problems& problems) {
  rapidjson::Document spec;
  if (!parse_spec(req.spec, spec, problems))
    return {};
  check(spec, problems);
  if (!problems.empty())
    return {};
  rapidjson::Document doc;
  doc.SetObject();
  auto& alloc = doc.GetAllocator();
  auto str = [&](const std::string& x) {
    return rapidjson::Value{x.c_str(),
                            static_cast<rapidjson::SizeType>(x.size()), alloc};
  };
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
  if (raw == "started")
    return cloud_state::running;
  if (raw == "stopped")
    return cloud_state::stopped;
  // Create, start, restart and platform maintenance all pass through it.
  if (raw == "maintenance")
    return cloud_state::provisioning;
  // Not terminal: UpCloud recovers such servers by itself.
  if (raw == "error")
    return cloud_state::error;
  return cloud_state::unknown;
}

std::vector<std::pair<std::string, std::string>>
validate_upcloud_spec(const std::string& spec_json) {
  spec_problems problems;
  rapidjson::Document spec;
  if (parse_spec(spec_json, spec, problems))
    check(spec, problems);
  return problems;
}

// -- state --------------------------------------------------------------------

struct upcloud_provider::impl {
  upcloud_options opts;
  api_client api;

  /// A restart that was accepted and not yet seen through.
  struct reboot_watch {
    int64_t sent_ms = 0;
    bool saw_maintenance = false;
  };

  std::map<std::string, reboot_watch> reboots;

  impl(upcloud_options o, std::unique_ptr<http_transport> transport,
       clock_fn clock)
      : opts(std::move(o)),
        api(std::move(transport),
            !opts.api.token.empty()
              ? bearer_auth(opts.api.token)
              : basic_auth(opts.api.username, opts.api.password),
            std::move(clock)) {
    // nop
  }

  /// Sends a request and maps everything but a 2xx answer to an error.
  /// Returns true on a 2xx answer and stores it in `rsp`.
  bool exchange(provider_reply& reply, op call, std::string_view method,
                std::string target, std::string body, http_response& rsp) {
    auto result = api.send(reply, method, std::move(target), std::move(body));
    if (!result.ok()) {
      reply.error = transport_error(result, call == op::create);
      return false;
    }
    rsp = std::move(result.response);
    if (rsp.status < 200 || rsp.status >= 300) {
      reply.error = classify(rsp, call, api.now_ms());
      return false;
    }
    return true;
  }

  /// Applies what we know about restarts in flight to a server read.
  void watch(cloud_server& srv) {
    auto i = reboots.find(srv.provider_id);
    if (i == reboots.end())
      return;
    auto& w = i->second;
    if (srv.raw_state == "maintenance") {
      w.saw_maintenance = true;
      srv.state = cloud_state::rebooting;
    } else if (srv.raw_state == "started" && !w.saw_maintenance
               && api.now_ms() - w.sent_ms < reboot_settle_ms) {
      srv.state = cloud_state::rebooting;
    } else {
      reboots.erase(i);
    }
  }

  /// A state-changing POST whose answer only needs to be a 2xx.
  provider_reply action(op call, const std::string& uuid, const char* verb,
                        std::string body) {
    auto reply = fresh_reply();
    http_response rsp;
    if (!exchange(reply, call, "POST", server_path(uuid) + "/" + verb,
                  std::move(body), rsp))
      return reply;
    rapidjson::Document doc;
    if (parse_json(rsp.body, doc))
      if (auto srv = parse_server(member(&doc, "server")))
        reply.servers.push_back(std::move(*srv));
    return reply;
  }
};

upcloud_provider::upcloud_provider(upcloud_options opts,
                                   std::unique_ptr<http_transport> transport,
                                   std::function<int64_t()> now_ms)
    : impl_(std::make_unique<impl>(std::move(opts), std::move(transport),
                                   std::move(now_ms))) {
  // nop
}

upcloud_provider::~upcloud_provider() = default;

std::string upcloud_provider::type_name() const {
  return "upcloud";
}

provider_capabilities upcloud_provider::capabilities() const {
  provider_capabilities result;
  result.list_by_labels = true;
  result.delete_running = false;
  result.start_stopped = true;
  result.reboot = true;
  return result;
}

provider_reply upcloud_provider::create(const create_request& req) {
  auto reply = fresh_reply();
  spec_problems problems;
  auto body = create_body(req, problems);
  if (!problems.empty())
    return fail(std::move(reply), invalid_spec(problems));
  http_response rsp;
  if (!impl_->exchange(reply, op::create, "POST", "/server", std::move(body),
                       rsp))
    return reply;
  rapidjson::Document doc;
  std::optional<cloud_server> srv;
  if (parse_json(rsp.body, doc))
    srv = parse_server(member(&doc, "server"));
  if (!srv)
    // The server exists but we cannot tell which: look it up by label.
    return fail(std::move(reply),
                unreadable_create_answer(rsp.status,
                                         "no server in the create answer",
                                         rsp.body));
  if (srv->labels.empty())
    srv->labels = req.labels;
  reply.servers.push_back(std::move(*srv));
  return reply;
}

provider_reply upcloud_provider::get(const std::string& provider_id) {
  auto reply = fresh_reply();
  http_response rsp;
  if (!impl_->exchange(reply, op::get, "GET", server_path(provider_id), {},
                       rsp))
    return reply;
  rapidjson::Document doc;
  if (!parse_json(rsp.body, doc))
    return fail(std::move(reply),
                bad_response(rsp.status, "not JSON", rsp.body));
  auto srv = parse_server(member(&doc, "server"));
  if (!srv)
    return fail(std::move(reply),
                bad_response(rsp.status, "no server with a uuid", rsp.body));
  impl_->watch(*srv);
  reply.servers.push_back(std::move(*srv));
  return reply;
}

provider_reply upcloud_provider::list(const label_map& selector) {
  auto reply = fresh_reply();
  std::string target = "/server";
  auto sep = '?';
  for (const auto& [key, value] : selector) {
    target += sep;
    target += "label=" + url_encode(key + "=" + value);
    sep = '&';
  }
  http_response rsp;
  if (!impl_->exchange(reply, op::list, "GET", std::move(target), {}, rsp))
    return reply;
  rapidjson::Document doc;
  if (!parse_json(rsp.body, doc))
    return fail(std::move(reply),
                bad_response(rsp.status, "not JSON", rsp.body));
  auto servers = member(&doc, "servers");
  if (servers == nullptr || !servers->IsObject())
    return fail(std::move(reply),
                bad_response(rsp.status, "no servers object", rsp.body));
  auto items = member(servers, "server");
  // An empty account may come without the inner list.
  if (items == nullptr)
    return reply;
  if (!items->IsArray())
    return fail(std::move(reply),
                bad_response(rsp.status, "servers.server is not a list",
                             rsp.body));
  for (const auto& item : items->GetArray()) {
    auto srv = parse_server(&item);
    // Items without an id cannot be addressed; the provider actor falls back
    // to a get for any of its servers that is missing here.
    if (!srv || !has_labels(srv->labels, selector))
      continue;
    impl_->watch(*srv);
    reply.servers.push_back(std::move(*srv));
  }
  return reply;
}

provider_reply upcloud_provider::stop(const std::string& provider_id) {
  auto secs = std::max<int64_t>(1, (impl_->opts.stop_timeout.count() + 999)
                                     / 1000);
  std::string body = R"({"stop_server":{"stop_type":"soft","timeout":")"
                     + std::to_string(secs) + "\"}}";
  return impl_->action(op::stop, provider_id, "stop", std::move(body));
}

provider_reply upcloud_provider::start(const std::string& provider_id) {
  return impl_->action(op::start, provider_id, "start", R"({"server":{}})");
}

provider_reply upcloud_provider::reboot(const std::string& provider_id) {
  std::string body = R"({"restart_server":{"stop_type":"soft","timeout":")";
  body += restart_timeout_s;
  body += R"(","timeout_action":"destroy"}})";
  auto reply = impl_->action(op::reboot, provider_id, "restart",
                             std::move(body));
  if (reply.ok()) {
    impl_->reboots[provider_id] = {impl_->api.now_ms(), false};
    for (auto& srv : reply.servers)
      impl_->watch(srv);
  }
  return reply;
}

provider_reply upcloud_provider::destroy(const std::string& provider_id) {
  auto reply = fresh_reply();
  http_response rsp;
  if (impl_->exchange(reply, op::destroy, "DELETE",
                      server_path(provider_id) + "?storages=1&backups=delete",
                      {}, rsp)
      || reply.error.kind == error_kind::not_found)
    impl_->reboots.erase(provider_id);
  return reply;
}

} // namespace dynserv
