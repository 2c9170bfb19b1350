// Reading and checking UpCloud API 1.3 request bodies for dynserv-cloudsim:
// wrapper keys, allowed attributes, plans, zones, labels and the create body.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "cloudsim/inventory.hpp"

namespace dynserv::cloudsim {

/// Why UpCloud refuses a body: its error code and message (status 400).
struct upcloud_refusal {
  std::string code;
  std::string message;
};

/// One storage device of a create body.
struct upcloud_disk {
  std::string title;
  std::string tier;
  int64_t size_gb = 25;
};

/// A checked `POST /server` body.
struct upcloud_create_body {
  std::string zone;
  std::string title;
  std::string hostname;
  std::string plan = "1xCPU-1GB";
  int64_t cores = 1;
  int64_t memory_mb = 1024;
  label_list labels;
  std::vector<upcloud_disk> disks;
  bool create_password = false;
  bool metadata = false;
  /// The networking asks for an IPv6 address.
  bool ipv6 = false;
};

/// Which attributes a wrapped body may carry.
enum class upcloud_body_kind { create, modify, start, stop, restart };

/// `stop_server` / `restart_server` options.
struct upcloud_stop_options {
  std::string stop_type = "soft";
  int64_t timeout_s = 60;
  /// Restart only: what happens when a soft stop times out.
  std::string timeout_action = "ignore";
};

/// Returns the object inside `{"<key>":{...}}` if `doc` is exactly that and
/// every attribute is allowed for `kind`; nullptr with the reason otherwise.
const rapidjson::Value* upcloud_unwrap(const rapidjson::Value& doc,
                                       const char* key, upcloud_body_kind kind,
                                       upcloud_refusal& why);

/// Checks the inside of a create body.
std::optional<upcloud_create_body>
read_upcloud_create(const rapidjson::Value& body, upcloud_refusal& why);

/// Checks the inside of a `stop_server` or (`restart`) `restart_server`
/// body.
std::optional<upcloud_stop_options>
read_upcloud_stop(const rapidjson::Value& body, bool restart,
                  upcloud_refusal& why);

/// Reads `{"label":[{"key","value"}]}`; nullopt with the reason otherwise.
/// `unique` refuses duplicate keys (create does, modify does not check).
std::optional<label_list> read_upcloud_labels(const rapidjson::Value& labels,
                                              bool unique,
                                              upcloud_refusal& why);

/// Parses "2xCPU-4GB" (optionally "DEV-", "HIMEM-", "HICPU-") into cores
/// and MiB.
bool parse_upcloud_plan(std::string_view plan, int64_t& cores,
                        int64_t& memory_mb);

} // namespace dynserv::cloudsim
