// Remediation of one pool: which hanging and errored servers to stop (so
// that the pool replaces them) and when to give up (pure planner).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "actors/pool_children.hpp"
#include "config/node_config.hpp"

namespace dynserv {

/// One thing remediation decided about a troubled server.
struct remediation_step {
  enum class kind : uint8_t {
    /// Stop and delete the server; the pool replaces it.
    stop,
    /// `max_attempts` stops did not help: leave it for an operator (once).
    give_up,
  };
  kind what = kind::stop;
  std::string id;
  /// Hanging or errored.
  server_status status = server_status::hanging;
  /// The event text.
  std::string message;
};

/// Plans remediation per `remediation_config` and remembers the stops it
/// planned per server since the node started.
class pool_remediation {
public:
  explicit pool_remediation(remediation_config cfg) : cfg_(cfg) {
    // nop
  }

  /// What to do now about `children`'s troubled servers: each is stopped
  /// once it has been hanging or errored for `delay` (unless its action is
  /// `keep` or a stop is already on its way), at most `max_attempts` times;
  /// then it gets one give-up. Planned stops count as attempts.
  std::vector<remediation_step> plan(const pool_children& children,
                                     int64_t now_ms);

  /// The server is gone: forget its attempts.
  void forget(const std::string& id);

  /// Stops planned for `id` so far.
  uint32_t attempts(const std::string& id) const;

private:
  remediation_config cfg_;
  std::map<std::string, uint32_t> attempts_;
  /// Servers whose give-up was planned.
  std::set<std::string> gave_up_;
};

} // namespace dynserv
