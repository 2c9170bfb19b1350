// The RocksDB store backend (RocksDB headers stay in the .cpp file).
#pragma once

#include <string>

#include "caf/expected.hpp"

#include "storage/store.hpp"

namespace dynserv {

/// How `open_rocksdb_store` opens a data directory.
enum class rocksdb_open_mode {
  /// The single writer: creates the database if missing and holds the
  /// directory's lock until closed.
  primary,
  /// A RocksDB secondary instance for readers such as `dynserv status`: works
  /// while a primary holds the lock, never writes and catches up with the
  /// primary on open and on every `refresh()`.
  read_only,
  /// Like `primary`, but writes are not fsynced: they survive kill -9 of the
  /// process (the WAL reaches the OS) but not a power cut. For the embedded
  /// simulated cloud, where speed matters more.
  primary_unsynced,
};

/// Returns the lower-case name of `x`, e.g. "primary".
const char* to_string(rocksdb_open_mode x);

/// Opens the RocksDB database in `dir`. Every write of a primary instance is
/// one synced (`primary_unsynced`: unsynced) `rocksdb::WriteBatch`. Fails with
/// `ec::storage_failure` when another primary holds `dir`, when `dir` holds no
/// database (read-only mode) or when RocksDB reports any other error. Closing
/// the returned store (by destroying it) releases the lock.
caf::expected<store_ptr> open_rocksdb_store(const std::string& dir,
                                            rocksdb_open_mode mode);

} // namespace dynserv
