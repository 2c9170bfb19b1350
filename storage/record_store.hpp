// Typed access to servers, pools and events on top of any store backend.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "caf/error.hpp"
#include "caf/expected.hpp"

#include "messages/types.hpp"
#include "storage/store.hpp"

namespace dynserv {

/// Stores server, pool and event records in a `store` it does not own.
///
/// Key layout: `s/<server id>`, `p/<pool name>`, `e/<seq>` with the sequence
/// number as 20-digit zero-padded decimal (so key order is seq order),
/// `d/<pool name>/<at_ms>` for policy decisions (at_ms 20-digit zero-padded,
/// so key order is time order per pool), `w/<webhook name>` for webhook
/// delivery cursors and `m/schema` for the layout version.
///
/// The event log is the webhooks' outbox: nothing erases `e/` keys. Should
/// events ever be pruned, only those at or below the lowest `w/` cursor of
/// a configured webhook may go (docs/webhooks.md). Values use `snapshot_codec`.
/// Every function is safe to call from several threads if the store is.
class record_store {
public:
  /// The layout version written to `m/schema`.
  static constexpr int schema_version = 1;

  /// Wraps `backend`, which must outlive this object.
  explicit record_store(store& backend);

  // -- keys -------------------------------------------------------------------

  /// Returns `s/<id>`.
  static std::string server_key(std::string_view id);

  /// Returns `p/<name>`.
  static std::string pool_key(std::string_view name);

  /// Returns `e/<seq>` with `seq` zero-padded to 20 digits.
  static std::string event_key(uint64_t seq);

  /// Returns `d/<pool>/<at_ms>` with `at_ms` zero-padded to 20 digits
  /// (negative times count as 0).
  static std::string decision_key(std::string_view pool, int64_t at_ms);
  /// Returns `w/<name>`.
  static std::string cursor_key(std::string_view name);

  // -- writes -----------------------------------------------------------------

  /// Writes all records in one atomic, durable batch (plus `m/schema` on the
  /// first commit to an empty store). Events must have a non-zero `seq`;
  /// servers a non-empty `id`, pools and cursors a non-empty `name`, else
  /// the call fails with `ec::invalid_argument` and writes nothing.
  caf::error commit(const std::vector<server_record>& servers,
                    const std::vector<pool_record>& pools,
                    const std::vector<event_record>& events,
                    const std::vector<webhook_cursor>& cursors = {},
                    const std::vector<decision_record>& decisions = {});

  /// Erases the decisions (of every pool) made before `older_than_ms`;
  /// returns their count.
  caf::expected<size_t> prune_decisions(int64_t older_than_ms);

  /// Erases the records of servers that are `deleted` since before
  /// `older_than_ms` (ms since the epoch) in one batch; returns their count.
  caf::expected<size_t> prune_deleted(int64_t older_than_ms);

  // -- reads ------------------------------------------------------------------

  /// Returns all server records in id order. A record that fails to decode
  /// fails the whole call with an error that names its key.
  caf::expected<std::vector<server_record>> load_servers();

  /// Returns one server record, or an empty optional if there is none.
  caf::expected<std::optional<server_record>> get_server(const std::string& id);

  /// Returns all pool records in name order.
  caf::expected<std::vector<pool_record>> load_pools();

  /// Returns up to `limit` events with a seq greater than `after_seq`, in
  /// ascending seq order. A `limit` of 0 returns nothing.
  caf::expected<std::vector<event_record>> events_since(uint64_t after_seq,
                                                        size_t limit);

  /// Returns the `limit` newest decisions of `pool`, newest first.
  caf::expected<std::vector<decision_record>>
  latest_decisions(const std::string& pool, size_t limit);
  /// Returns the cursor of webhook `name` (`found` false if none is stored).
  caf::expected<webhook_cursor> get_cursor(const std::string& name);

  /// Returns every stored webhook cursor in name order.
  caf::expected<std::vector<webhook_cursor>> load_cursors();

  /// Returns the highest event seq, or 0 if there are no events.
  caf::expected<uint64_t> last_event_seq();

private:
  /// Checks `m/schema` (once it exists). A non-null `batch` also receives
  /// `m/schema` when the store has none yet.
  caf::error check_schema(write_batch* batch);

  store& backend_;
  std::atomic<bool> schema_checked_{false};
};

namespace detail {

/// An optional capability of store backends: finding the greatest key with a
/// given prefix in one seek. `record_store` uses it for `last_event_seq` when
/// the backend has it and falls back to a forward scan otherwise.
class last_key_lookup {
public:
  virtual ~last_key_lookup();

  /// Returns the greatest key that begins with `prefix`, if any.
  virtual caf::expected<std::optional<std::string>>
  last_key(std::string_view prefix) = 0;
};

/// Returns the smallest string greater than every string that begins with
/// `prefix`, or an empty optional if there is none (`prefix` is empty or all
/// `0xff` bytes).
std::optional<std::string> prefix_successor(std::string_view prefix);

} // namespace detail

} // namespace dynserv
