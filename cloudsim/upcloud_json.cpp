// The UpCloud API 1.3 wire format of dynserv-cloudsim.
#include "cloudsim/upcloud_json.hpp"

namespace dynserv::cloudsim {

namespace {

std::string yes_no(bool x) {
  return x ? "yes" : "no";
}

void write_labels(json_writer& w, const label_list& labels) {
  w.Key("labels");
  w.StartObject();
  w.Key("label");
  w.StartArray();
  for (auto& [k, v] : labels) {
    w.StartObject();
    kv(w, "key", k);
    kv(w, "value", v);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

void write_tags(json_writer& w, const std::vector<std::string>& tags) {
  w.Key("tags");
  w.StartObject();
  w.Key("tag");
  w.StartArray();
  for (auto& t : tags)
    str(w, t);
  w.EndArray();
  w.EndObject();
}

} // namespace

void write_upcloud_common(json_writer& w, const sim_server& s) {
  kv(w, "core_number", std::to_string(s.cores));
  kv(w, "created", s.created_ms / 1000);
  kv(w, "host", s.host);
  kv(w, "hostname", s.hostname);
  write_labels(w, s.labels);
  kv(w, "license", 0);
  kv(w, "memory_amount", std::to_string(s.memory_mb));
  kv(w, "plan", s.plan);
  kv(w, "plan_ipv4_bytes", "0");
  kv(w, "plan_ipv6_bytes", "0");
  kv(w, "progress", s.state == "maintenance" ? "50" : "0");
  kv(w, "server_group", "");
  kv(w, "simple_backup", "no");
  kv(w, "state", s.state);
  write_tags(w, s.tags);
  kv(w, "title", s.name);
  kv(w, "uuid", s.id);
  kv(w, "zone", s.zone);
}

namespace {

void write_ip(json_writer& w, const char* access, const std::string& address,
              const char* family) {
  w.StartObject();
  kv(w, "access", access);
  kv(w, "address", address);
  kv(w, "family", family);
  kv(w, "part_of_plan", std::string{access} == "public" ? "yes" : "no");
  w.EndObject();
}

void write_interface(json_writer& w, int index, const char* type,
                     const std::string& address, const char* family,
                     const std::string& mac) {
  w.StartObject();
  kv(w, "index", index);
  w.Key("ip_addresses");
  w.StartObject();
  w.Key("ip_address");
  w.StartArray();
  w.StartObject();
  kv(w, "address", address);
  kv(w, "family", family);
  kv(w, "floating", "no");
  w.EndObject();
  w.EndArray();
  w.EndObject();
  kv(w, "mac", mac);
  kv(w, "network",
     "03000000-0000-4000-8000-0000000000" + std::to_string(10 + index));
  kv(w, "source_ip_filtering", "yes");
  kv(w, "type", type);
  kv(w, "bootable", "no");
  w.EndObject();
}

/// Writes `storage_devices` of `s`.
void write_storage_devices(json_writer& w, const sim_server& s,
                           inventory& inv) {
  w.Key("storage_devices");
  w.StartObject();
  w.Key("storage_device");
  w.StartArray();
  int index = 0;
  for (auto& uuid : s.storages) {
    auto st = inv.storage(uuid);
    if (st == nullptr)
      continue;
    w.StartObject();
    kv(w, "address", "virtio:" + std::to_string(index));
    kv(w, "boot_disk", index == 0 ? "1" : "0");
    kv(w, "part_of_plan", index == 0 ? "yes" : "no");
    kv(w, "storage", st->uuid);
    kv(w, "storage_size", st->size_gb);
    kv(w, "storage_tier", st->tier);
    kv(w, "storage_title", st->title);
    kv(w, "type", "disk");
    w.EndObject();
    ++index;
  }
  w.EndArray();
  w.EndObject();
}

} // namespace

std::string upcloud_details(const sim_server& s, inventory& inv,
                            const std::string& password) {
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key("server");
  w.StartObject();
  kv(w, "boot_order", "disk");
  write_upcloud_common(w, s);
  kv(w, "firewall", "off");
  w.Key("ip_addresses");
  w.StartObject();
  w.Key("ip_address");
  w.StartArray();
  write_ip(w, "public", s.ipv4, "IPv4");
  write_ip(w, "utility", s.private_ipv4, "IPv4");
  if (!s.ipv6.empty())
    write_ip(w, "public", s.ipv6, "IPv6");
  w.EndArray();
  w.EndObject();
  kv(w, "metadata", yes_no(s.metadata));
  w.Key("networking");
  w.StartObject();
  w.Key("interfaces");
  w.StartObject();
  w.Key("interface");
  w.StartArray();
  auto mac = [&](int i) {
    return "ee:1b:db:" + s.id.substr(2, 2) + ":" + s.id.substr(4, 2) + ":0"
           + std::to_string(i);
  };
  write_interface(w, 1, "public", s.ipv4, "IPv4", mac(1));
  write_interface(w, 2, "utility", s.private_ipv4, "IPv4", mac(2));
  if (!s.ipv6.empty())
    write_interface(w, 3, "public", s.ipv6, "IPv6", mac(3));
  w.EndArray();
  w.EndObject();
  w.EndObject();
  kv(w, "nic_model", "virtio");
  if (!password.empty())
    kv(w, "password", password);
  kv(w, "remote_access_enabled", "no");
  write_storage_devices(w, s, inv);
  kv(w, "timezone", "UTC");
  kv(w, "video_model", "vga");
  w.EndObject();
  w.EndObject();
  return sb.GetString();
}

} // namespace dynserv::cloudsim
