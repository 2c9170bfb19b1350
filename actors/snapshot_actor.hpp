// The snapshot actor: the only writer to the store, with group commit.
#pragma once

#include <memory>
#include <vector>

#include "caf/typed_response_promise.hpp"

#include "messages/interfaces.hpp"
#include "storage/record_store.hpp"
#include "storage/store.hpp"

namespace dynserv {

/// One put waiting for the next group commit.
struct pending_write {
  std::vector<server_record> servers;
  std::vector<pool_record> pools;
  std::vector<event_record> events;
  std::vector<webhook_cursor> cursors;
  std::vector<decision_record> decisions;
  caf::typed_response_promise<uint64_t> promise;
};

struct snapshot_state {
  static inline const char* name = "dynserv.snapshot";

  std::shared_ptr<store> backend;
  std::unique_ptr<record_store> records;
  /// Seq of the last committed event.
  uint64_t last_seq = 0;
  std::vector<pending_write> queue;
  bool flush_scheduled = false;
  /// Number of batches committed (a batch holds one or more puts).
  uint64_t commits = 0;
};

/// Spawns the snapshot actor over `backend`. Puts that arrive while a batch
/// is being written are committed together in the next batch (one synced
/// write), and each put is answered only once its batch is durable.
snapshot_actor::behavior_type
snapshot(snapshot_actor::stateful_pointer<snapshot_state> self,
         std::shared_ptr<store> backend);

} // namespace dynserv
