// The embedded local cloud: a provider whose inventory persists in a store.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "caf/expected.hpp"

#include "providers/provider.hpp"
#include "providers/provider_options.hpp"

namespace dynserv {

class store;

/// A provider that simulates a cloud account on the local disk.
///
/// Servers move through the states of a real cloud on an injected clock; a
/// server's state is computed from the timestamps of its last operation, so
/// nothing runs in the background:
///
/// ```
///   create                                 reboot
///     |                              +------------------+
///     v         create_time or       |                  v
///  provisioning --- start_time ---> running <------- rebooting
///     ^                              |      reboot_time
///     | start                        | stop
///     |                              v
///  stopped <------ stop_time ----- stopping
///     |
///     | destroy
///     v
///  deleting ------ delete_time ---> gone (tombstone)
/// ```
///
/// Every duration is divided by `time_scale` and multiplied by a seeded
/// random factor in `[1 - jitter, 1 + jitter]`. Calls that do not fit the
/// current state fail with `error_kind::conflict` (code "409"); unknown or
/// deleted ids fail with `error_kind::not_found` (code "404"). A server that
/// never starts (fault `never_start_rate`) stays provisioning forever but,
/// unlike a regular provisioning server, accepts `destroy`, as a failed build
/// would at a real cloud; otherwise nothing could ever clean it up.
///
/// The inventory, including tombstones of deleted servers, persists through
/// the `store` interface (its own RocksDB store in a directory, or a store it
/// shares) so that it outlives restarts of the node (and `kill -9`). Every
/// mutating call writes before it returns. Not thread-safe: the provider
/// actor makes one call at a time.
class simulated_provider : public provider {
public:
  /// Internal state; defined in the source file.
  struct impl;

  /// Takes over an opened inventory; call `open_simulated_provider` instead.
  explicit simulated_provider(std::unique_ptr<impl> ptr);

  ~simulated_provider() override;

  simulated_provider(const simulated_provider&) = delete;
  simulated_provider& operator=(const simulated_provider&) = delete;

  // -- provider interface -----------------------------------------------------

  /// Returns "simulated".
  std::string type_name() const override;

  /// Lists by labels, deletes only stopped servers, starts stopped servers
  /// and reboots in one call.
  provider_capabilities capabilities() const override;

  /// Creates a server carrying `req.name` and `req.labels`.
  provider_reply create(const create_request& req) override;

  /// Reads one server that is not gone yet.
  provider_reply get(const std::string& provider_id) override;

  /// Lists every server that is not gone yet and carries all of `selector`.
  provider_reply list(const label_map& selector) override;

  /// Stops a running server.
  provider_reply stop(const std::string& provider_id) override;

  /// Starts a stopped server.
  provider_reply start(const std::string& provider_id) override;

  /// Reboots a running server.
  provider_reply reboot(const std::string& provider_id) override;

  /// Deletes a stopped server; succeeds again while it is deleting.
  provider_reply destroy(const std::string& provider_id) override;

  // -- inspection (tests, benchmarks, `dynserv provider-servers`) -------------

  /// Returns every server ever created, in creation order; servers that are
  /// gone show raw state "deleted" (and state `deleting`).
  std::vector<cloud_server> history();

  /// Returns how many servers are not gone yet (what `list({})` returns).
  size_t live_count();

  /// Returns how many calls each operation ("create", "get", "list", "stop",
  /// "start", "reboot", "delete") received since opening, failed ones
  /// included.
  std::map<std::string, uint64_t> call_counts() const;

  /// Returns whether this instance only reads (a RocksDB secondary).
  bool read_only() const;

  /// Returns the directory of the inventory (empty when it lives in a store
  /// given by the caller).
  const std::string& dir() const;

private:
  std::unique_ptr<impl> impl_;
};

/// Opens (or creates) the inventory in `dir` and returns the provider.
/// `now_ms` is the clock, in milliseconds since the epoch. The inventory is a
/// RocksDB store (`open_rocksdb_store`) with keys `server/<id>` and
/// `meta/next_id`, as before the store interface, so existing directories
/// open unchanged. With `read_only`, the store is opened as a RocksDB
/// secondary instance that may run next to the node owning it; every call
/// first catches up with that primary, and mutating calls fail with
/// `error_kind::permanent`. Fault injection is off in read-only mode. Fails
/// with `ec::invalid_config` for bad options and with `ec::storage_failure`
/// or `ec::corrupt_record` when the inventory cannot be opened or read.
caf::expected<std::unique_ptr<simulated_provider>>
open_simulated_provider(const std::string& dir, simulated_options opts,
                        std::function<int64_t()> now_ms,
                        bool read_only = false);

/// Runs the simulated cloud on `inventory`, a store that outlives the
/// provider and may hold other data: its keys are `key_prefix` followed by
/// `server/<id>` and `meta/next_id`. `read_only` refuses changes and calls
/// `store::refresh()` before every read. Fails like the overload above.
caf::expected<std::unique_ptr<simulated_provider>>
open_simulated_provider(store& inventory, std::string key_prefix,
                        simulated_options opts, std::function<int64_t()> now_ms,
                        bool read_only = false);

} // namespace dynserv
