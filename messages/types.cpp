// Names of the provider vocabulary enums.
#include "messages/types.hpp"

namespace dynserv {

const char* to_string(error_kind x) {
  switch (x) {
    case error_kind::none:
      return "none";
    case error_kind::transient:
      return "transient";
    case error_kind::rate_limited:
      return "rate_limited";
    case error_kind::conflict:
      return "conflict";
    case error_kind::not_found:
      return "not_found";
    case error_kind::outcome_unknown:
      return "outcome_unknown";
    case error_kind::permanent:
      return "permanent";
  }
  return "unknown";
}

bool is_retryable(error_kind x) {
  return x == error_kind::transient || x == error_kind::rate_limited
         || x == error_kind::conflict;
}

const char* to_string(cloud_state x) {
  switch (x) {
    case cloud_state::provisioning:
      return "provisioning";
    case cloud_state::running:
      return "running";
    case cloud_state::stopping:
      return "stopping";
    case cloud_state::stopped:
      return "stopped";
    case cloud_state::rebooting:
      return "rebooting";
    case cloud_state::deleting:
      return "deleting";
    case cloud_state::error:
      return "error";
    case cloud_state::unknown:
      return "unknown";
    case cloud_state::failed:
      return "failed";
  }
  return "unknown";
}

} // namespace dynserv
