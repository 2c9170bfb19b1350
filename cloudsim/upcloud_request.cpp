// Reading and checking UpCloud API 1.3 request bodies for dynserv-cloudsim.
#include "cloudsim/upcloud_request.hpp"

#include <algorithm>
#include <cctype>

#include "cloudsim/provider_api.hpp"
#include "cloudsim/sim_json.hpp"

namespace dynserv::cloudsim {

namespace {

/// Attributes UpCloud accepts inside {"server":{...}} on create.
constexpr std::string_view create_attributes[] = {"zone",
                                                  "title",
                                                  "hostname",
                                                  "plan",
                                                  "core_number",
                                                  "memory_amount",
                                                  "metadata",
                                                  "labels",
                                                  "login_user",
                                                  "user_data",
                                                  "password_delivery",
                                                  "remote_access_enabled",
                                                  "remote_access_type",
                                                  "remote_access_password",
                                                  "storage_devices",
                                                  "networking",
                                                  "server_group",
                                                  "simple_backup",
                                                  "timezone",
                                                  "firewall",
                                                  "nic_model",
                                                  "boot_order",
                                                  "host",
                                                  "avoid_host",
                                                  "video_model",
                                                  "tags"};

/// Attributes accepted by PUT /server/{uuid}.
constexpr std::string_view modify_attributes[]
  = {"title",       "hostname",      "labels",   "plan",
     "core_number", "memory_amount", "metadata", "firewall",
     "boot_order",  "nic_model",     "timezone", "simple_backup"};

constexpr std::string_view start_attributes[] = {"host", "avoid_host",
                                                 "start_type"};

constexpr std::string_view stop_attributes[] = {"stop_type", "timeout"};

constexpr std::string_view restart_attributes[] = {"stop_type", "timeout",
                                                   "timeout_action", "host"};

template <size_t N>
bool known(const std::string_view (&names)[N], std::string_view x) {
  return std::find(std::begin(names), std::end(names), x) != std::end(names);
}

bool allowed(upcloud_body_kind kind, std::string_view name) {
  switch (kind) {
    case upcloud_body_kind::create:
      return known(create_attributes, name);
    case upcloud_body_kind::modify:
      return known(modify_attributes, name);
    case upcloud_body_kind::start:
      return known(start_attributes, name);
    case upcloud_body_kind::stop:
      return known(stop_attributes, name);
    case upcloud_body_kind::restart:
      return known(restart_attributes, name);
  }
  return false;
}

bool is_zone(std::string_view x) {
  // e.g. de-fra1, fi-hel2, us-nyc1, sg-sin1
  if (x.size() < 6 || x.size() > 10 || x[2] != '-')
    return false;
  return std::all_of(x.begin(), x.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c))
           || std::isdigit(static_cast<unsigned char>(c)) || c == '-';
  });
}

bool is_label_key(std::string_view k) {
  if (k.empty() || k.size() > 64 || k.front() == '_')
    return false;
  return std::all_of(k.begin(), k.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'
           || c == '.' || c == ':' || c == '/';
  });
}

bool is_label_value(std::string_view v) {
  return v.size() <= 255 && std::none_of(v.begin(), v.end(), [](char c) {
           return static_cast<unsigned char>(c) < 0x20;
         });
}

/// Sets `why` and returns an empty result of any optional type.
struct refuse {
  upcloud_refusal& why;

  std::nullopt_t operator()(std::string code, std::string message) const {
    why = {std::move(code), std::move(message)};
    return std::nullopt;
  }
};

/// `core_number` and `memory_amount` of a custom plan.
bool read_custom_size(const rapidjson::Value& body, upcloud_create_body& out,
                      upcloud_refusal& why) {
  auto c = get_int(body, "core_number");
  auto m = get_int(body, "memory_amount");
  if (!c || *c < 1) {
    why = {"CORE_NUMBER_INVALID", "The core number is invalid."};
    return false;
  }
  if (!m || *m < 512) {
    why = {"MEMORY_AMOUNT_INVALID", "The memory amount is invalid."};
    return false;
  }
  out.cores = *c;
  out.memory_mb = *m;
  return true;
}

/// `plan`, or `core_number` and `memory_amount` without a plan.
bool read_size(const rapidjson::Value& body, upcloud_create_body& out,
               upcloud_refusal& why) {
  if (auto p = member(body, "plan")) {
    if (!p->IsString()) {
      why = {"PLAN_INVALID", "The plan is invalid."};
      return false;
    }
    out.plan = p->GetString();
    if (out.plan == "custom")
      return read_custom_size(body, out, why);
    if (!parse_upcloud_plan(out.plan, out.cores, out.memory_mb)) {
      why = {"PLAN_INVALID", "The plan is invalid."};
      return false;
    }
    return true;
  }
  if (member(body, "core_number") || member(body, "memory_amount")) {
    out.plan = "custom";
    return read_custom_size(body, out, why);
  }
  return true;
}

/// `storage_devices.storage_device`: at least one clone, create or attach.
bool read_disks(const rapidjson::Value& body, upcloud_create_body& out,
                upcloud_refusal& why) {
  auto devices_obj = member(body, "storage_devices");
  auto devices = devices_obj ? member(*devices_obj, "storage_device") : nullptr;
  if (devices == nullptr || !devices->IsArray() || devices->Empty()) {
    why = {"STORAGE_DEVICES_MISSING", "The storage devices are missing."};
    return false;
  }
  for (auto& d : devices->GetArray()) {
    auto action = get_string(d, "action");
    if (!action
        || (*action != "clone" && *action != "create" && *action != "attach")) {
      why = {"STORAGE_DEVICE_INVALID", "The storage device action is invalid."};
      return false;
    }
    if (*action != "create" && !get_string(d, "storage")) {
      why = {"STORAGE_MISSING", "The storage to " + *action + " is missing."};
      return false;
    }
    auto size = get_int(d, "size");
    if (*action == "create" && (!size || *size < 1)) {
      why = {"SIZE_INVALID", "The storage size is invalid."};
      return false;
    }
    upcloud_disk disk;
    disk.title
      = get_string(d, "title")
          .value_or(out.title + "-disk" + std::to_string(out.disks.size()));
    disk.tier = get_string(d, "tier").value_or("maxiops");
    disk.size_gb = size.value_or(25);
    out.disks.push_back(std::move(disk));
  }
  return true;
}

/// `zone`, `title` and `hostname`, all required.
bool read_names(const rapidjson::Value& body, upcloud_create_body& out,
                upcloud_refusal& why) {
  auto zone = get_string(body, "zone");
  if (!zone || zone->empty()) {
    why = {"ZONE_MISSING", "The zone is missing."};
    return false;
  }
  if (!is_zone(*zone)) {
    why = {"ZONE_INVALID", "The zone is invalid."};
    return false;
  }
  auto title = get_string(body, "title");
  if (!title || title->empty()) {
    why = {"SERVER_TITLE_MISSING", "The server title is missing."};
    return false;
  }
  if (title->size() > 255) {
    why = {"SERVER_TITLE_INVALID", "The server title is invalid."};
    return false;
  }
  auto hostname = get_string(body, "hostname");
  if (!hostname || hostname->empty()) {
    why = {"HOSTNAME_MISSING", "The hostname is missing."};
    return false;
  }
  if (!is_hostname(*hostname)) {
    why = {"HOSTNAME_INVALID", "The hostname is invalid."};
    return false;
  }
  out.zone = *zone;
  out.title = *title;
  out.hostname = *hostname;
  return true;
}

} // namespace

const rapidjson::Value* upcloud_unwrap(const rapidjson::Value& doc,
                                       const char* key, upcloud_body_kind kind,
                                       upcloud_refusal& why) {
  auto body = member(doc, key);
  if (!doc.IsObject() || doc.MemberCount() != 1 || body == nullptr
      || !body->IsObject()) {
    why = {"INVALID_REQUEST",
           "The request body must be {\"" + std::string{key} + "\":{...}}."};
    return nullptr;
  }
  for (auto& m : body->GetObject()) {
    std::string_view name{m.name.GetString(), m.name.GetStringLength()};
    if (!allowed(kind, name)) {
      why = {"INVALID_REQUEST",
             "Attribute '" + std::string{name} + "' is not allowed."};
      return nullptr;
    }
  }
  return body;
}

std::optional<upcloud_create_body>
read_upcloud_create(const rapidjson::Value& body, upcloud_refusal& why) {
  upcloud_create_body out;
  if (!read_names(body, out, why) || !read_size(body, out, why))
    return std::nullopt;
  if (auto l = member(body, "labels")) {
    auto labels = read_upcloud_labels(*l, true, why);
    if (!labels)
      return std::nullopt;
    out.labels = std::move(*labels);
  }
  if (!read_disks(body, out, why))
    return std::nullopt;
  if (auto lu = member(body, "login_user"))
    out.create_password = get_bool(*lu, "create_password").value_or(false);
  out.metadata = get_bool(body, "metadata").value_or(false);
  if (auto net = member(body, "networking"))
    out.ipv6 = to_json(*net).find("IPv6") != std::string::npos;
  return out;
}

std::optional<upcloud_stop_options>
read_upcloud_stop(const rapidjson::Value& body, bool restart,
                  upcloud_refusal& why) {
  refuse fail{why};
  upcloud_stop_options out;
  if (member(body, "stop_type")) {
    auto t = get_string(body, "stop_type");
    if (!t || (*t != "soft" && *t != "hard"))
      return fail("STOP_TYPE_INVALID", "The stop type is invalid.");
    out.stop_type = *t;
  }
  if (member(body, "timeout")) {
    auto t = get_int(body, "timeout");
    if (!t || *t < 1 || *t > 3600)
      return fail("TIMEOUT_INVALID", "The timeout is invalid.");
    out.timeout_s = *t;
  }
  if (restart && member(body, "timeout_action")) {
    auto t = get_string(body, "timeout_action");
    if (!t || (*t != "destroy" && *t != "ignore"))
      return fail("TIMEOUT_ACTION_INVALID", "The timeout action is invalid.");
    out.timeout_action = *t;
  }
  return out;
}

std::optional<label_list> read_upcloud_labels(const rapidjson::Value& labels,
                                              bool unique,
                                              upcloud_refusal& why) {
  refuse fail{why};
  auto list = member(labels, "label");
  // Create accepts `{}` but nothing beside "label"; modify needs the list.
  bool wrapped = unique ? labels.IsObject() && labels.MemberCount() <= 1
                            && (list == nullptr || list->IsArray())
                        : list != nullptr && list->IsArray();
  if (!wrapped)
    return fail("INVALID_REQUEST",
                "labels must be {\"label\":[{\"key\",\"value\"}]}.");
  label_list out;
  if (list == nullptr)
    return out;
  for (auto& item : list->GetArray()) {
    auto k = get_string(item, "key");
    auto v = get_string(item, "value");
    if (!k || !is_label_key(*k))
      return fail("INVALID_LABEL_KEY", "A label key is invalid.");
    if (!v || !is_label_value(*v))
      return fail("INVALID_LABEL_VALUE", "A label value is invalid.");
    if (unique)
      for (auto& [existing, ignored] : out)
        if (existing == *k)
          return fail("DUPLICATE_LABEL_KEYS", "Label keys must be unique.");
    out.emplace_back(*k, *v);
  }
  return out;
}

bool parse_upcloud_plan(std::string_view plan, int64_t& cores,
                        int64_t& memory_mb) {
  if (plan.rfind("DEV-", 0) == 0)
    plan.remove_prefix(4);
  if (plan.rfind("HIMEM-", 0) == 0 || plan.rfind("HICPU-", 0) == 0)
    plan.remove_prefix(6);
  auto x = plan.find("xCPU-");
  if (x == std::string_view::npos || plan.size() < x + 8
      || plan.substr(plan.size() - 2) != "GB")
    return false;
  auto c = parse_int(plan.substr(0, x));
  auto m = parse_int(plan.substr(x + 5, plan.size() - x - 7));
  if (!c || !m || *c < 1 || *m < 1)
    return false;
  cores = *c;
  memory_mb = *m * 1024;
  return true;
}

} // namespace dynserv::cloudsim
