// Coalesced writes of one pool record: one write in flight at a time, the
// changes and events made meanwhile go out together with the next.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "caf/error.hpp"

#include "messages/types.hpp"

namespace dynserv {

/// Batches the writes of a pool record. A rollout of 10,000 servers would
/// otherwise write its waiting list once per finished reboot. The caller
/// does the writing: `start` hands it the batch to write (with the record as
/// it is then, so it includes every change made before), `finish` reports
/// how the write ended and runs the batch's callbacks.
class pool_record_writer {
public:
  using done_fn = std::function<void()>;
  using failed_fn = std::function<void(const caf::error&)>;

  /// The events and callbacks of one write.
  struct batch {
    std::vector<event_record> events;
    std::vector<done_fn> done;
    std::vector<failed_fn> failed;
  };

  /// Adds `events` to the next write; `done` runs once it is durable,
  /// `failed` if it fails (either may be empty).
  void add(std::vector<event_record> events, done_fn done = {},
           failed_fn failed = {});

  /// The batch to write now, or null while a write is in flight or nothing
  /// was added since the last one. It stays in flight until `finish`.
  const batch* start();

  /// The write in flight ended (`err` null on success): runs its callbacks.
  /// A callback may add to the next write; call `start` afterwards.
  void finish(const caf::error* err);

  bool in_flight() const {
    return in_flight_.has_value();
  }

private:
  std::optional<batch> in_flight_;
  batch next_;
  bool next_due_ = false;
};

} // namespace dynserv
