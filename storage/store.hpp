// The key-value store interface every storage backend implements.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "caf/error.hpp"
#include "caf/expected.hpp"

namespace dynserv {

/// A set of puts and erases applied atomically.
struct write_batch {
  struct op {
    std::string key;
    /// Empty optional: erase the key.
    std::optional<std::string> value;
  };
  std::vector<op> ops;

  void put(std::string key, std::string value) {
    ops.push_back({std::move(key), std::move(value)});
  }

  void erase(std::string key) {
    ops.push_back({std::move(key), std::nullopt});
  }

  bool empty() const {
    return ops.empty();
  }
};

/// Ordered key-value storage. Implementations never throw: failures come back
/// as `caf::error` with `ec::storage_failure`.
class store {
public:
  /// Called for each entry of a scan; returning false stops the scan.
  using visitor
    = std::function<bool(std::string_view key, std::string_view value)>;

  virtual ~store();

  /// Applies `batch` atomically. When this returns without error the batch is
  /// durable (synced to disk for persistent backends).
  virtual caf::error write(const write_batch& batch) = 0;

  /// Reads one key; an empty optional means the key does not exist.
  virtual caf::expected<std::optional<std::string>> get(std::string_view key)
    = 0;

  /// Visits all keys >= `start` that begin with `prefix`, in key order.
  virtual caf::error
  scan(std::string_view prefix, std::string_view start, const visitor& f)
    = 0;

  /// Visits all keys that begin with `prefix`, in key order.
  caf::error scan(std::string_view prefix, const visitor& f) {
    return scan(prefix, prefix, f);
  }

  /// Refreshes the view of a read-only or secondary instance (no-op for
  /// primary instances).
  virtual caf::error refresh() {
    return caf::none;
  }
};

using store_ptr = std::unique_ptr<store>;

} // namespace dynserv
