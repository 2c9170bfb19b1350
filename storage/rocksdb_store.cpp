// The RocksDB store backend: a primary writer or a read-only secondary.
#include "storage/rocksdb_store.hpp"

#include <cerrno>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <memory>
#include <system_error>
#include <utility>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/status.h>
#include <rocksdb/write_batch.h>

#include "messages/errors.hpp"
#include "storage/record_store.hpp"

namespace fs = std::filesystem;

namespace dynserv {

namespace {

/// Returns true if `key` begins with `prefix`.
bool starts_with(std::string_view key, std::string_view prefix) {
  return key.substr(0, prefix.size()) == prefix;
}

rocksdb::Slice to_slice(std::string_view x) {
  return {x.data(), x.size()};
}

std::string_view to_view(const rocksdb::Slice& x) {
  return {x.data(), x.size()};
}

/// Builds the error for a failed RocksDB call.
caf::error failure(const std::string& dir, const char* what,
                   const rocksdb::Status& st) {
  return make_error(ec::storage_failure, "rocksdb " + std::string{what} + " in "
                                           + dir + " failed: " + st.ToString());
}

/// Runs `f` and turns any exception into `ec::storage_failure`.
template <class F>
auto guarded(const std::string& dir, const char* what, F f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return make_error(ec::storage_failure, "rocksdb " + std::string{what}
                                             + " in " + dir
                                             + " threw: " + e.what());
  } catch (...) {
    return make_error(ec::storage_failure, "rocksdb " + std::string{what}
                                             + " in " + dir
                                             + " threw an unknown exception");
  }
}

/// True if `st` says that another process (or another instance in this
/// process) holds the directory's LOCK file.
bool is_lock_conflict(const rocksdb::Status& st) {
  if (!st.IsIOError())
    return false;
  // Another process: "While lock file: DIR/LOCK: Resource temporarily
  // unavailable". This process: "lock hold by current process ...".
  auto text = st.ToString();
  return text.find("lock file") != std::string::npos
         || text.find("lock hold") != std::string::npos
         || text.find("/LOCK:") != std::string::npos;
}

/// Creates a fresh, empty directory for a secondary instance's own files.
caf::expected<std::string> make_secondary_dir(const std::string& dir) {
  std::error_code err;
  auto base = fs::temp_directory_path(err);
  if (err)
    base = "/tmp";
  auto pattern = (base / "dynserv-secondary-XXXXXX").string();
  std::vector<char> buf{pattern.begin(), pattern.end()};
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr)
    return make_error(ec::storage_failure,
                      "cannot create a secondary directory for " + dir
                        + " under " + base.string() + ": "
                        + std::generic_category().message(errno));
  return std::string{buf.data()};
}

/// A RocksDB instance; `secondary_dir_` is non-empty for read-only ones.
class rocksdb_store final : public store, public detail::last_key_lookup {
public:
  rocksdb_store(std::string dir, std::unique_ptr<rocksdb::DB> db,
                std::string secondary_dir, bool sync = true)
    : dir_(std::move(dir)),
      db_(std::move(db)),
      secondary_dir_(std::move(secondary_dir)),
      sync_(sync) {
    // nop
  }

  ~rocksdb_store() override {
    try {
      if (db_) {
        db_->Close().PermitUncheckedError();
        db_.reset();
      }
      if (!secondary_dir_.empty()) {
        std::error_code err;
        fs::remove_all(secondary_dir_, err);
      }
    } catch (...) {
      // A destructor must not throw; nothing left to do.
    }
  }

  caf::error write(const write_batch& batch) override {
    return guarded(dir_, "write", [&]() -> caf::error {
      if (read_only())
        return make_error(ec::storage_failure,
                          "cannot write to " + dir_
                            + ": the store is opened read-only");
      if (batch.empty())
        return caf::none;
      rocksdb::WriteBatch wb;
      for (const auto& op : batch.ops) {
        auto st = op.value ? wb.Put(to_slice(op.key), to_slice(*op.value))
                           : wb.Delete(to_slice(op.key));
        if (!st.ok())
          return failure(dir_, "write", st);
      }
      rocksdb::WriteOptions opts;
      opts.sync = sync_;
      if (auto st = db_->Write(opts, &wb); !st.ok())
        return failure(dir_, "write", st);
      return caf::none;
    });
  }

  caf::expected<std::optional<std::string>> get(std::string_view key) override {
    using result_type = caf::expected<std::optional<std::string>>;
    return guarded(dir_, "get", [&]() -> result_type {
      std::string value;
      auto st = db_->Get(rocksdb::ReadOptions{}, to_slice(key), &value);
      if (st.IsNotFound())
        return std::optional<std::string>{};
      if (!st.ok())
        return failure(dir_, "get", st);
      return std::optional<std::string>{std::move(value)};
    });
  }

  caf::error scan(std::string_view prefix, std::string_view start,
                  const visitor& f) override {
    return guarded(dir_, "scan", [&]() -> caf::error {
      // Declared inside the guarded call: the iterator is gone before any
      // other member function could close the DB.
      std::unique_ptr<rocksdb::Iterator> it{
        db_->NewIterator(rocksdb::ReadOptions{})};
      for (it->Seek(to_slice(std::max(prefix, start)));
           it->Valid() && starts_with(to_view(it->key()), prefix); it->Next())
        if (!f(to_view(it->key()), to_view(it->value())))
          return caf::none;
      if (auto st = it->status(); !st.ok())
        return failure(dir_, "scan", st);
      return caf::none;
    });
  }

  caf::error refresh() override {
    return guarded(dir_, "refresh", [&]() -> caf::error {
      if (!read_only())
        return caf::none;
      if (auto st = db_->TryCatchUpWithPrimary(); !st.ok())
        return failure(dir_, "catch-up with primary", st);
      return caf::none;
    });
  }

  caf::expected<std::optional<std::string>>
  last_key(std::string_view prefix) override {
    using result_type = caf::expected<std::optional<std::string>>;
    return guarded(dir_, "last_key", [&]() -> result_type {
      std::unique_ptr<rocksdb::Iterator> it{
        db_->NewIterator(rocksdb::ReadOptions{})};
      if (auto bound = detail::prefix_successor(prefix)) {
        it->Seek(to_slice(*bound));
        if (it->Valid())
          it->Prev();
        else if (it->status().ok())
          it->SeekToLast();
      } else {
        it->SeekToLast();
      }
      if (auto st = it->status(); !st.ok())
        return failure(dir_, "last_key", st);
      if (!it->Valid() || !starts_with(to_view(it->key()), prefix))
        return std::optional<std::string>{};
      return std::optional<std::string>{it->key().ToString()};
    });
  }

private:
  bool read_only() const {
    return !secondary_dir_.empty();
  }

  std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;
  std::string secondary_dir_;
  bool sync_;
};

caf::expected<store_ptr> open_primary(const std::string& dir, bool sync) {
  std::error_code err;
  fs::create_directories(dir, err);
  if (err)
    return make_error(ec::storage_failure,
                      "cannot create data dir " + dir + ": " + err.message());
  rocksdb::Options opts;
  opts.create_if_missing = true;
  // RocksDB's info logs (LOG.old.*) pile up in the data dir otherwise.
  opts.keep_log_file_num = 10;
  rocksdb::DB* raw = nullptr;
  auto st = rocksdb::DB::Open(opts, dir, &raw);
  std::unique_ptr<rocksdb::DB> db{raw};
  if (is_lock_conflict(st))
    return make_error(ec::storage_failure,
                      "data dir " + dir
                        + " is in use by another process (rocksdb: "
                        + st.ToString() + ")");
  if (!st.ok())
    return failure(dir, "open", st);
  return store_ptr{new rocksdb_store(dir, std::move(db), std::string{}, sync)};
}

/// Removes a directory tree when destroyed, unless released.
class dir_remover {
public:
  explicit dir_remover(std::string path) : path_(std::move(path)) {
    // nop
  }

  dir_remover(const dir_remover&) = delete;
  dir_remover& operator=(const dir_remover&) = delete;

  ~dir_remover() {
    if (path_.empty())
      return;
    std::error_code err;
    fs::remove_all(path_, err);
  }

  /// Keeps the directory and returns its path.
  std::string release() {
    return std::exchange(path_, std::string{});
  }

private:
  std::string path_;
};

caf::expected<store_ptr> open_secondary(const std::string& dir) {
  std::error_code err;
  if (!fs::exists(fs::path{dir} / "CURRENT", err))
    return make_error(ec::storage_failure, "no dynserv data in " + dir);
  auto secondary_dir = make_secondary_dir(dir);
  if (!secondary_dir)
    return std::move(secondary_dir.error());
  // Declared before `db`, so the DB closes before its directory goes away.
  dir_remover remover{*secondary_dir};
  rocksdb::Options opts;
  opts.max_open_files = -1; // required for secondary instances
  rocksdb::DB* raw = nullptr;
  auto st = rocksdb::DB::OpenAsSecondary(opts, dir, *secondary_dir, &raw);
  std::unique_ptr<rocksdb::DB> db{raw};
  if (!st.ok())
    return failure(dir, "open (read-only)", st);
  if (st = db->TryCatchUpWithPrimary(); !st.ok())
    return failure(dir, "catch-up with primary", st);
  return store_ptr{new rocksdb_store(dir, std::move(db), remover.release())};
}

} // namespace

const char* to_string(rocksdb_open_mode x) {
  switch (x) {
    case rocksdb_open_mode::primary:
      return "primary";
    case rocksdb_open_mode::read_only:
      return "read_only";
    case rocksdb_open_mode::primary_unsynced:
      return "primary_unsynced";
  }
  return "unknown";
}

caf::expected<store_ptr> open_rocksdb_store(const std::string& dir,
                                            rocksdb_open_mode mode) {
  using result_type = caf::expected<store_ptr>;
  return guarded(dir, "open", [&]() -> result_type {
    switch (mode) {
      case rocksdb_open_mode::primary:
        return open_primary(dir, true);
      case rocksdb_open_mode::read_only:
        return open_secondary(dir);
      case rocksdb_open_mode::primary_unsynced:
        return open_primary(dir, false);
    }
    return make_error(ec::storage_failure, "invalid rocksdb_open_mode");
  });
}

} // namespace dynserv
