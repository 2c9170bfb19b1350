// The snapshot actor: assigns event sequence numbers and group-commits writes.
#include "actors/snapshot_actor.hpp"

#include "caf/typed_event_based_actor.hpp"
#include "spdlog/spdlog.h"

namespace dynserv {

namespace {

using self_ptr = snapshot_actor::stateful_pointer<snapshot_state>;

/// Events returned when a reader asks for "no limit" (0).
constexpr uint32_t default_event_page = 1000;

caf::typed_response_promise<uint64_t>
enqueue(self_ptr self, std::vector<server_record> servers,
        std::vector<pool_record> pools, std::vector<event_record> events,
        std::vector<webhook_cursor> cursors = {},
        std::vector<decision_record> decisions = {}) {
  auto& st = self->state;
  auto promise = self->make_response_promise<uint64_t>();
  st.queue.push_back({std::move(servers), std::move(pools), std::move(events),
                      std::move(cursors), std::move(decisions), promise});
  // The flush message queues behind every put already in the mailbox, so
  // one batch takes all of them (group commit).
  if (!st.flush_scheduled) {
    st.flush_scheduled = true;
    self->send(caf::actor_cast<snapshot_actor>(self), atom::flush_v);
  }
  return promise;
}

void log_event(const event_record& ev) {
  spdlog::info("event seq={} reason={} pool={} server={}{}{} message=\"{}\"",
               ev.seq, ev.reason, ev.pool,
               ev.server_id.empty() ? "-" : ev.server_id,
               ev.from.empty() ? "" : " from=" + ev.from,
               ev.to.empty() ? "" : " to=" + ev.to, ev.message);
}

void flush(self_ptr self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.queue.empty())
    return;
  auto batch = std::move(st.queue);
  st.queue.clear();
  std::vector<server_record> servers;
  std::vector<pool_record> pools;
  std::vector<event_record> events;
  std::vector<webhook_cursor> cursors;
  std::vector<decision_record> decisions;
  auto seq = st.last_seq;
  std::vector<uint64_t> last_seq_of;
  for (auto& w : batch) {
    servers.insert(servers.end(), w.servers.begin(), w.servers.end());
    pools.insert(pools.end(), w.pools.begin(), w.pools.end());
    cursors.insert(cursors.end(), w.cursors.begin(), w.cursors.end());
    decisions.insert(decisions.end(), w.decisions.begin(), w.decisions.end());
    for (auto& ev : w.events) {
      ev.seq = ++seq;
      events.push_back(ev);
    }
    last_seq_of.push_back(seq);
  }
  if (auto err = st.records->commit(servers, pools, events, cursors,
                                    decisions)) {
    spdlog::error("snapshot commit of {} records failed: {}",
                  servers.size() + pools.size(), self->system().render(err));
    for (auto& w : batch)
      w.promise.deliver(err);
    return;
  }
  st.last_seq = seq;
  ++st.commits;
  for (auto& ev : events)
    log_event(ev);
  for (size_t i = 0; i < batch.size(); ++i)
    batch[i].promise.deliver(last_seq_of[i]);
}

/// Opens the records over `backend` and continues the event log after its
/// last stored seq.
void restore_last_seq(self_ptr self, std::shared_ptr<store> backend) {
  auto& st = self->state;
  st.backend = std::move(backend);
  st.records = std::make_unique<record_store>(*st.backend);
  if (auto seq = st.records->last_event_seq()) {
    st.last_seq = *seq;
  } else {
    // Guessing a seq would overwrite stored events: refuse to run instead;
    // every put then fails and no server acts without its snapshot.
    spdlog::critical("cannot read the last event seq: {}",
                     self->system().render(seq.error()));
    self->quit(seq.error());
  }
}

/// Reads see only committed data, so every read flushes first: a reader
/// never misses a put that was acknowledged.
template <class Read>
auto read_committed(self_ptr self, Read read) {
  flush(self);
  return read(*self->state.records);
}

/// The cursor of webhook `name`, with the end of the log (which includes
/// every acknowledged put, as for events).
caf::expected<webhook_cursor> committed_cursor(self_ptr self,
                                               const std::string& name) {
  auto res = read_committed(self, [&](record_store& records) {
    return records.get_cursor(name);
  });
  if (res)
    res->last_seq = self->state.last_seq;
  return res;
}

} // namespace

snapshot_actor::behavior_type
snapshot(snapshot_actor::stateful_pointer<snapshot_state> self,
         std::shared_ptr<store> backend) {
  restore_last_seq(self, std::move(backend));
  return {
    // -- writes: queued for the next group commit --
    [self](atom::put, server_record& rec,
           std::vector<event_record>& events) -> caf::result<uint64_t> {
      return enqueue(self, {std::move(rec)}, {}, std::move(events));
    },
    [self](atom::put, pool_record& rec,
           std::vector<event_record>& events) -> caf::result<uint64_t> {
      return enqueue(self, {}, {std::move(rec)}, std::move(events));
    },
    [self](atom::put,
           std::vector<event_record>& events) -> caf::result<uint64_t> {
      return enqueue(self, {}, {}, std::move(events));
    },
    [self](atom::put, decision_record& rec,
           std::vector<event_record>& events) -> caf::result<uint64_t> {
      return enqueue(self, {}, {}, std::move(events), {}, {std::move(rec)});
    },
    [self](atom::put, webhook_cursor& cursor) -> caf::result<uint64_t> {
      // A put without events is answered with the seq of the last event
      // committed with or before it: the end of the log.
      cursor.found = false;
      cursor.last_seq = 0;
      return enqueue(self, {}, {}, {}, {std::move(cursor)});
    },
    [self](atom::flush) { flush(self); },
    // -- reads and prunes: on committed data only --
    [self](atom::events, uint64_t after,
           uint32_t limit) -> caf::result<std::vector<event_record>> {
      if (limit == 0)
        limit = default_event_page;
      return read_committed(self, [&](record_store& records) {
        return records.events_since(after, limit);
      });
    },
    [self](atom::decisions, const std::string& pool,
           uint32_t limit) -> caf::result<std::vector<decision_record>> {
      return read_committed(self, [&](record_store& records) {
        return records.latest_decisions(pool, limit);
      });
    },
    [self](atom::get) -> caf::result<std::vector<server_record>> {
      return read_committed(self, [](record_store& records) {
        return records.load_servers();
      });
    },
    [self](atom::cursor, const std::string& name)
      -> caf::result<webhook_cursor> { return committed_cursor(self, name); },
    [self](atom::prune, int64_t older_than_ms) -> caf::result<uint64_t> {
      return read_committed(self, [&](record_store& records) {
        return records.prune_deleted(older_than_ms);
      });
    },
    [self](atom::prune, atom::decisions,
           int64_t older_than_ms) -> caf::result<uint64_t> {
      return read_committed(self, [&](record_store& records) {
        return records.prune_decisions(older_than_ms);
      });
    },
  };
}

} // namespace dynserv
