// The std::map-based store backend.
#include "storage/memory_store.hpp"

#include <algorithm>
#include <exception>
#include <map>
#include <mutex>
#include <utility>

#include "messages/errors.hpp"
#include "storage/record_store.hpp"

namespace dynserv {

namespace {

/// Returns true if `key` begins with `prefix`.
bool starts_with(std::string_view key, std::string_view prefix) {
  return key.substr(0, prefix.size()) == prefix;
}

/// Runs `f` and turns any exception into `ec::storage_failure`.
template <class F>
auto guarded(const char* what, F f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return make_error(ec::storage_failure,
                      std::string{"memory store "} + what + ": " + e.what());
  } catch (...) {
    return make_error(ec::storage_failure, std::string{"memory store "} + what
                                             + ": unknown exception");
  }
}

/// A sorted map guarded by one mutex.
class memory_store final : public store, public detail::last_key_lookup {
public:
  using map_type = std::map<std::string, std::string, std::less<>>;

  caf::error write(const write_batch& batch) override {
    return guarded("write", [&]() -> caf::error {
      std::lock_guard<std::mutex> guard{mtx_};
      // Phase 1 allocates everything the batch needs and may throw; `data_`
      // stays untouched. The last operation on a key decides its fate.
      std::map<std::string_view, std::optional<std::string>> effect;
      for (const auto& op : batch.ops)
        effect.insert_or_assign(op.key, op.value);
      map_type fresh;
      for (auto& [key, value] : effect)
        if (value && data_.count(key) == 0)
          fresh.emplace(std::string{key}, std::move(*value));
      // Phase 2 only moves strings and relinks nodes, which does not throw.
      for (auto& [key, value] : effect) {
        if (!value) {
          if (auto i = data_.find(key); i != data_.end())
            data_.erase(i);
        } else if (auto i = data_.find(key); i != data_.end()) {
          i->second = std::move(*value);
        } else {
          data_.insert(fresh.extract(fresh.find(key)));
        }
      }
      return caf::none;
    });
  }

  caf::expected<std::optional<std::string>> get(std::string_view key) override {
    using result_type = caf::expected<std::optional<std::string>>;
    return guarded("get", [&]() -> result_type {
      std::lock_guard<std::mutex> guard{mtx_};
      auto i = data_.find(key);
      if (i == data_.end())
        return std::optional<std::string>{};
      return std::optional<std::string>{i->second};
    });
  }

  caf::error scan(std::string_view prefix, std::string_view start,
                  const visitor& f) override {
    return guarded("scan", [&]() -> caf::error {
      std::vector<std::pair<std::string, std::string>> entries;
      {
        std::lock_guard<std::mutex> guard{mtx_};
        for (auto i = data_.lower_bound(std::max(prefix, start));
             i != data_.end() && starts_with(i->first, prefix); ++i)
          entries.emplace_back(i->first, i->second);
      }
      for (const auto& [key, value] : entries)
        if (!f(key, value))
          break;
      return caf::none;
    });
  }

  caf::expected<std::optional<std::string>>
  last_key(std::string_view prefix) override {
    using result_type = caf::expected<std::optional<std::string>>;
    return guarded("last_key", [&]() -> result_type {
      std::lock_guard<std::mutex> guard{mtx_};
      auto i = data_.end();
      if (auto bound = detail::prefix_successor(prefix))
        i = data_.lower_bound(*bound);
      if (i == data_.begin())
        return std::optional<std::string>{};
      --i;
      if (!starts_with(i->first, prefix))
        return std::optional<std::string>{};
      return std::optional<std::string>{i->first};
    });
  }

private:
  std::mutex mtx_;
  map_type data_;
};

} // namespace

store_ptr make_memory_store() {
  return std::make_unique<memory_store>();
}

} // namespace dynserv
