// Names of statuses and events.
#include "messages/status.hpp"

namespace dynserv {

namespace {

constexpr const char* status_names[] = {
  "pending", "starting", "running", "rebooting", "stopping",
  "stopped", "deleting", "deleted", "errored",   "hanging",
};

constexpr const char* event_names[] = {
  "start_requested",  "create_accepted",  "found_by_label",
  "missing_by_label", "observed_running", "observed_stopped",
  "observed_gone",    "observed_failed",  "stop_requested",
  "stop_accepted",    "delete_requested", "delete_accepted",
  "reboot_requested", "reboot_accepted",  "failed_permanently",
  "deadline_passed",
};

static_assert(std::size(status_names) == server_status_count);
static_assert(std::size(event_names) == server_event_count);

} // namespace

const char* to_string(server_status x) {
  return status_names[static_cast<size_t>(x)];
}

const char* to_string(server_event x) {
  return event_names[static_cast<size_t>(x)];
}

std::optional<server_status> parse_server_status(std::string_view str) {
  for (size_t i = 0; i < server_status_count; ++i)
    if (str == status_names[i])
      return static_cast<server_status>(i);
  return std::nullopt;
}

bool is_provisioned(server_status x) {
  return x == server_status::starting || x == server_status::running
         || x == server_status::rebooting;
}

bool is_terminal(server_status x) {
  return x == server_status::deleted;
}

bool is_moving(server_status x) {
  return x == server_status::starting || x == server_status::stopping
         || x == server_status::deleting || x == server_status::rebooting;
}

} // namespace dynserv
