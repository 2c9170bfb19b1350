// The webhook actor: delivers the event log to one HTTP receiver, at least
// once and in order, with a delivery cursor persisted after each 2xx.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "caf/expected.hpp"
#include "caf/fwd.hpp"

#include "actors/actor_context.hpp"
#include "config/node_config.hpp"
#include "http/http_client.hpp"
#include "messages/interfaces.hpp"
#include "providers/backoff.hpp"
#include "webhooks/webhook_message.hpp"

namespace dynserv {

/// How often an idle webhook looks for new events.
constexpr auto default_webhook_poll_interval = millis{250};
/// Events read from the log at a time.
constexpr uint32_t default_webhook_page_size = 100;
/// Factor and jitter of the webhooks' retry backoff.
constexpr double webhook_backoff_multiplier = 2.0;
constexpr double webhook_backoff_jitter = 0.2;

/// Everything one webhook actor needs.
struct webhook_actor_config {
  /// The node name: the first part of event ids.
  std::string node_name;
  /// The webhook's entry of the config file (secret included).
  webhook_config hook;
  /// Reads events, reads and writes the cursor.
  snapshot_actor snapshots;
  /// Wall clock for the timestamp header and the status.
  wall_clock now_ms = system_wall_clock();
  millis poll_interval = default_webhook_poll_interval;
  uint32_t page_size = default_webhook_page_size;
  /// How long to wait for the snapshot actor before retrying.
  millis store_timeout{std::chrono::seconds{30}};
  /// Seed of the backoff jitter.
  uint64_t seed = 0;

  /// Checks the values a config file cannot get wrong after loading (names,
  /// a non-empty secret, positive intervals); returns what is wrong.
  std::optional<std::string> validate() const;
};

/// What the actor is waiting for.
enum class webhook_phase : uint8_t {
  /// Reading the stored cursor (or writing the first one).
  loading,
  /// Reading the next page of events.
  reading,
  /// Delivering the events of `page`, one at a time.
  delivering,
  /// A timer: the next poll or the next attempt.
  waiting,
};

struct webhook_state {
  static inline const char* name = "dynserv.webhook";

  webhook_actor_config cfg;
  std::shared_ptr<http_transport> transport;
  /// The URL's query ("?a=b") or empty: the target of every request.
  std::string target;
  webhook_filter filter;
  std::unique_ptr<backoff> retry_backoff;
  webhook_phase phase = webhook_phase::loading;
  /// What to do when the armed timer fires.
  webhook_phase after_timer = webhook_phase::loading;
  /// Stale timers are ignored (CAF 0.17 cannot cancel a delayed send).
  uint64_t timer_generation = 0;
  /// Events read after the cursor, not yet delivered.
  std::deque<event_record> page;
  /// True while a cursor write is in flight (one at a time).
  bool persisting = false;
  webhook_status status;
};

/// Delivers the event log after the stored cursor of `cfg.hook.name` to
/// `cfg.hook.url` through `transport` (blocking: spawn it detached in
/// production). One event per request, in seq order; the cursor advances
/// only past events answered 2xx (or filtered out) and is written to the
/// store after the answer, so a crash repeats at most the events delivered
/// since the last cursor write. Failures are retried with capped jittered
/// exponential backoff, forever, without skipping.
webhook_actor::behavior_type
webhook(webhook_actor::stateful_pointer<webhook_state> self,
        webhook_actor_config cfg, std::shared_ptr<http_transport> transport);

/// Makes the HTTP client for `hook` (URL, TLS, timeout); the reason on
/// failure names the webhook, never its secret or full URL.
caf::expected<std::shared_ptr<http_transport>>
make_webhook_transport(const webhook_config& hook);

/// Spawns one detached webhook actor per entry of `cfg.webhooks`, reading
/// from `snapshots`; fails (spawning nothing) if a transport cannot be made.
caf::expected<std::map<std::string, webhook_actor>>
start_webhooks(caf::actor_system& sys, const node_config& cfg,
               snapshot_actor snapshots);

} // namespace dynserv
