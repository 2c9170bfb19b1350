// The circuit breaker of one pool's creates: opens when a configured share
// of recent creates failed or hung, and backs off like cluster-autoscaler.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "config/node_config.hpp"
#include "messages/types.hpp"

namespace dynserv {

/// Closed: creates go out. Open: no creates until `open_until_ms`. Then
/// half-open: one probe create; its success closes the breaker, its
/// failure opens it again for twice as long (at most `backoff_max`).
class circuit_breaker {
public:
  /// What a call changed, for events and metrics.
  enum class change : uint8_t { none, opened, half_opened, closed };

  circuit_breaker(breaker_config cfg, breaker_record persisted);

  /// How many of `wanted` creates may go out now (moves an open breaker
  /// whose backoff has passed to half-open first; check `take_change`).
  int64_t allowed(int64_t now_ms, int64_t wanted);

  /// A create left for the provider (counts the half-open probe).
  void on_create_sent();

  /// A create ended: running (`failed` false), or errored, hanging or gone
  /// while starting (`failed` true).
  change record(bool failed, int64_t now_ms);

  /// The change made by the last `allowed` call, then none.
  change take_change();

  /// Persisted part and window counts, for the pool record and reports.
  const breaker_record& state() const {
    return rec_;
  }

  bool enabled() const {
    return cfg_.enabled;
  }

  /// Creates go out freely: disabled, or enabled and closed.
  bool closed() const {
    return !cfg_.enabled || rec_.state == "closed";
  }

private:
  void open(int64_t now_ms, std::string why);

  breaker_config cfg_;
  breaker_record rec_;
  /// Recent outcomes, newest at the back; true = failed or hung.
  std::deque<bool> window_;
  /// The half-open probe was sent and has not ended yet.
  bool probe_sent_ = false;
  change pending_ = change::none;
};

/// The outcome of a create for the breaker, from a server's status change:
/// true (failed) for starting -> errored, hanging or deleted, false for
/// starting -> running, nullopt when no create ended.
std::optional<bool> create_failed(server_status old_status,
                                  server_status new_status);

/// The event a breaker change raises.
struct breaker_event {
  /// CamelCase reason (messages/events.hpp).
  const char* reason = nullptr;
  std::string message;
};

/// The event of `ch` with the breaker now in `state`; nullopt for none.
std::optional<breaker_event> describe_change(circuit_breaker::change ch,
                                             const breaker_record& state);

} // namespace dynserv
