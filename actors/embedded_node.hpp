// A dynserv node inside a C++ program: start it from a config, decide pool
// counts with a callback (the original package's determineServerCount), read
// decisions, stop it. CAF stays out of this header.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/actor_context.hpp"
#include "config/node_config.hpp"
#include "messages/types.hpp"

namespace dynserv {

/// How an embedded node runs.
struct embedded_options {
  /// Callbacks by pool name. A pool with a callback and no policy (or an
  /// `external` one) gets a `callback` policy; the guardrails of its
  /// `policy` object apply as for any policy.
  std::map<std::string, count_callback> callbacks;
  /// Scheduler threads of the node's actor system.
  size_t threads = 2;
};

/// A running node with its own actor system. Thread-safe; every call blocks
/// until the node answers (or 30 s pass).
class embedded_node {
public:
  /// Opens the store under `cfg.data_dir`, restores the servers and starts
  /// the actors. Returns nullptr with the reason in `*error` on failure.
  static std::unique_ptr<embedded_node>
  start(node_config cfg, embedded_options opts, std::string* error);

  /// Stops the node (servers in transition resume on the next start).
  ~embedded_node();

  embedded_node(const embedded_node&) = delete;
  embedded_node& operator=(const embedded_node&) = delete;

  /// Sets a pool's desired count; false with the reason in `*error`.
  bool ensure(const std::string& pool, int64_t n, std::string* error);

  /// Evaluates a pool's policy now; the decision, or nullopt with the
  /// reason in `*error`.
  std::optional<decision_record> evaluate(const std::string& pool,
                                          std::string* error);

  /// The newest `limit` decisions of a pool, newest first (empty on error).
  std::vector<decision_record> decisions(const std::string& pool,
                                         uint32_t limit = 20);

  /// Every pool with its servers (empty on error).
  std::vector<pool_status> status();

  /// Stops the node now; later calls fail. Idempotent.
  void stop();

  struct impl;

private:
  explicit embedded_node(std::unique_ptr<impl> ptr);

  std::unique_ptr<impl> impl_;
};

} // namespace dynserv
