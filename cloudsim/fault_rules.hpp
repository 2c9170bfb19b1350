// Fault injection: rules that match requests (provider, operation, method,
// path, server) and fire by probability and/or count.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "cloudsim/latency_model.hpp"
#include "cloudsim/sim_json.hpp"
#include "cloudsim/sim_types.hpp"

namespace dynserv::cloudsim {

/// What a fired rule does.
enum class fault_kind {
  /// Answer `status` (500/502/503/504 or any 4xx/5xx) with a JSON, HTML or
  /// problem+json body instead of processing the request.
  http_error,
  /// Close the connection without processing the request.
  drop,
  /// Do not process the request; close the connection after `delay_ms`
  /// (default 10 min, past any client timeout).
  hang,
  /// Process the request normally but answer `delay_ms` later.
  delay,
  /// Process the request (a create is committed) but close the connection
  /// instead of answering.
  lost_response,
  /// The server this request creates or moves never leaves its transitional
  /// state (maintenance / initializing / starting / new); its action, if any,
  /// runs forever.
  stuck,
  /// UpCloud: after this request the server is in state `error` and reaches
  /// its intended state `recover_after` virtual seconds later.
  error_state,
  /// Hetzner/DigitalOcean: the action started by this request ends in
  /// `error`/`errored`; the server does not change state (a failed create
  /// leaves it `off`). At Hetzner the action's error carries `code` and
  /// `message` (default `action_failed`, "Action failed").
  action_error,
  /// The guest ignores the ACPI request of this soft stop / shutdown /
  /// soft restart (UpCloud hard-stops at the timeout; Hetzner and
  /// DigitalOcean stay running).
  soft_stop_ignored,
  /// A provider quota/capacity error (`code`, with the provider's status).
  quota,
  /// 401 as if the token had been revoked.
  unauthorized,
  /// UpCloud: error bodies of this request use RFC 7807 problem+json.
  problem_json,
  /// Hetzner: 423 `resource_locked` (the resource is locked by Hetzner and
  /// the caller should contact support; not the `locked` of a running
  /// action). `status`, `message` override.
  resource_locked,
};

std::string_view to_string(fault_kind x);
std::optional<fault_kind> parse_fault_kind(std::string_view x);

/// One rule. Empty match fields match anything.
struct fault_rule {
  uint64_t id = 0;
  std::optional<provider_kind> provider;
  /// Operation: create, get, list, start, stop, restart, delete, modify,
  /// action (action lookups), account, or a provider-specific detail such as
  /// shutdown, poweroff, power_cycle.
  std::string op;
  std::string method;
  /// Substring of the provider-relative path, e.g. "/servers/10000001".
  std::string path;
  /// Exact server id of the request's target.
  std::string server;
  fault_kind kind = fault_kind::http_error;
  double probability = 1.0;
  /// Fires this many more times, then the rule is removed; none = forever.
  std::optional<int64_t> remaining;
  int status = 0;
  /// http_error body: "json", "html" or "problem" (UpCloud problem+json).
  std::string format = "json";
  std::string code;
  std::string message;
  int64_t delay_ms = 0;
  double recover_after_s = 60;
  uint64_t fired = 0;
};

/// The request properties rules match on.
struct fault_target {
  provider_kind provider = provider_kind::upcloud;
  std::string op;
  std::string detail;
  std::string method;
  std::string path;
  std::string server;
};

/// The combined effect of every rule that fired for one request.
struct fault_effects {
  /// A rule that replaces processing (http_error, drop, hang, quota,
  /// unauthorized); at most one fires per request.
  std::optional<fault_rule> respond;
  bool lost_response = false;
  bool stuck = false;
  bool action_error = false;
  /// The failed action's error; empty for the provider's default.
  std::string action_error_code;
  std::string action_error_message;
  bool soft_stop_ignored = false;
  bool problem_json = false;
  std::optional<double> error_state_recover_s;
  int64_t extra_delay_ms = 0;
  /// Ids of the rules that fired, for the request log.
  std::vector<uint64_t> fired;
};

/// The rule set; not thread-safe (the core locks).
class fault_rules {
public:
  /// Adds a rule and returns its id.
  uint64_t add(fault_rule rule);

  /// Removes one rule; false if unknown.
  bool remove(uint64_t id);

  void clear();

  const std::vector<fault_rule>& rules() const {
    return rules_;
  }

  /// Evaluates every rule against `t` in insertion order.
  fault_effects match(const fault_target& t, sim_random& rng);

  /// Parses one rule object of POST /_sim/faults; nullopt with a message in
  /// `*error` if it is malformed.
  static std::optional<fault_rule> parse(const rapidjson::Value& obj,
                                         std::string* error);

  /// Writes `rule` as the JSON object GET /_sim/faults shows.
  static void write(json_writer& w, const fault_rule& rule);

private:
  std::vector<fault_rule> rules_;
  uint64_t next_id_ = 1;
};

} // namespace dynserv::cloudsim
