// Key layout and typed reads and writes of store records.
#include "storage/record_store.hpp"

#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <deque>
#include <exception>
#include <functional>
#include <limits>
#include <utility>

#include "caf/message.hpp"

#include "messages/errors.hpp"
#include "storage/snapshot_codec.hpp"

namespace dynserv {

namespace {

constexpr std::string_view server_prefix = "s/";
constexpr std::string_view pool_prefix = "p/";
constexpr std::string_view event_prefix = "e/";
constexpr std::string_view decision_prefix = "d/";
constexpr std::string_view cursor_prefix = "w/";
constexpr std::string_view schema_key = "m/schema";
constexpr size_t event_digits = 20;

/// Returns the text of a dynserv error, or CAF's rendering of any other one.
std::string message_of(const caf::error& err) {
  if (err.category() == error_category
      && err.context().match_elements<std::string>())
    return err.context().get_as<std::string>(0);
  return to_string(err);
}

/// Wraps a decode error so that it names the key of the broken record.
caf::error at_key(std::string_view key, const caf::error& err) {
  return make_error(ec::corrupt_record,
                    "record '" + std::string{key} + "': " + message_of(err));
}

/// Parses the seq out of an event key.
caf::expected<uint64_t> parse_event_key(std::string_view key) {
  auto digits = key.substr(std::min(key.size(), event_prefix.size()));
  uint64_t seq = 0;
  auto first = digits.data();
  auto last = digits.data() + digits.size();
  auto [end, err] = std::from_chars(first, last, seq);
  if (key.substr(0, event_prefix.size()) != event_prefix
      || digits.size() != event_digits || err != std::errc{} || end != last)
    return make_error(ec::corrupt_record,
                      "malformed event key '" + std::string{key} + "'");
  return seq;
}

/// Runs `f` and turns any exception (e.g. `std::bad_alloc`) into an error.
template <class F>
auto guarded(const char* what, F f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return make_error(ec::storage_failure,
                      std::string{"record store "} + what + ": " + e.what());
  }
}

/// Decodes every server record; stops at the first broken one.
caf::error for_each_server(
  store& backend,
  const std::function<void(std::string_view, server_record&&)>& f) {
  caf::error decode_err;
  auto err = backend.scan(server_prefix, [&](std::string_view key,
                                             std::string_view value) {
    auto x = decode_server(value);
    if (!x) {
      decode_err = at_key(key, x.error());
      return false;
    }
    if (record_store::server_key(x->id) != key) {
      decode_err = make_error(ec::corrupt_record, "record '" + std::string{key}
                                                    + "' holds server '" + x->id
                                                    + "'");
      return false;
    }
    f(key, std::move(*x));
    return true;
  });
  if (err)
    return err;
  return decode_err;
}

} // namespace

record_store::record_store(store& backend) : backend_(backend) {
  // nop
}

// -- keys ---------------------------------------------------------------------

std::string record_store::server_key(std::string_view id) {
  std::string result{server_prefix};
  result += id;
  return result;
}

std::string record_store::pool_key(std::string_view name) {
  std::string result{pool_prefix};
  result += name;
  return result;
}

std::string record_store::event_key(uint64_t seq) {
  char buf[event_digits + 1];
  std::snprintf(buf, sizeof(buf), "%020" PRIu64, seq);
  std::string result{event_prefix};
  result += buf;
  return result;
}

std::string record_store::decision_key(std::string_view pool, int64_t at_ms) {
  char buf[event_digits + 1];
  std::snprintf(buf, sizeof(buf), "%020" PRId64, std::max<int64_t>(at_ms, 0));
  std::string result{decision_prefix};
  result += pool;
  result += '/';
  result += buf;
  return result;
}

std::string record_store::cursor_key(std::string_view name) {
  std::string result{cursor_prefix};
  result += name;
  return result;
}

// -- writes -------------------------------------------------------------------

caf::error record_store::commit(const std::vector<server_record>& servers,
                                const std::vector<pool_record>& pools,
                                const std::vector<event_record>& events,
                                const std::vector<webhook_cursor>& cursors,
                                const std::vector<decision_record>& decisions) {
  return guarded("commit", [&]() -> caf::error {
    write_batch batch;
    for (const auto& x : servers) {
      if (x.id.empty())
        return make_error(ec::invalid_argument,
                          "cannot store a server record without id");
      batch.put(server_key(x.id), encode(x));
    }
    for (const auto& x : pools) {
      if (x.name.empty())
        return make_error(ec::invalid_argument,
                          "cannot store a pool record without name");
      batch.put(pool_key(x.name), encode(x));
    }
    for (const auto& x : events) {
      if (x.seq == 0)
        return make_error(ec::invalid_argument,
                          "cannot store event '" + x.reason + "' without seq");
      batch.put(event_key(x.seq), encode(x));
    }
    for (const auto& x : cursors) {
      if (x.name.empty())
        return make_error(ec::invalid_argument,
                          "cannot store a webhook cursor without name");
      batch.put(cursor_key(x.name), encode(x));
    }
    for (const auto& x : decisions) {
      if (x.pool.empty())
        return make_error(ec::invalid_argument,
                          "cannot store a decision without pool");
      batch.put(decision_key(x.pool, x.at_ms), encode(x));
    }
    if (batch.empty())
      return caf::none;
    if (auto err = check_schema(&batch))
      return err;
    if (auto err = backend_.write(batch))
      return err;
    schema_checked_ = true;
    return caf::none;
  });
}

caf::expected<size_t> record_store::prune_deleted(int64_t older_than_ms) {
  return guarded("prune_deleted", [&]() -> caf::expected<size_t> {
    if (auto err = check_schema(nullptr))
      return err;
    write_batch batch;
    auto err = for_each_server(backend_,
                               [&](std::string_view key, server_record&& x) {
                                 if (x.status == server_status::deleted
                                     && x.status_since_ms < older_than_ms)
                                   batch.erase(std::string{key});
                               });
    if (err)
      return err;
    if (batch.empty())
      return size_t{0};
    if (auto err = backend_.write(batch))
      return err;
    return batch.ops.size();
  });
}

caf::expected<size_t> record_store::prune_decisions(int64_t older_than_ms) {
  return guarded("prune_decisions", [&]() -> caf::expected<size_t> {
    if (auto err = check_schema(nullptr))
      return err;
    write_batch batch;
    // The time is the key's last 20 digits: no decoding needed.
    auto err = backend_.scan(decision_prefix, [&](std::string_view key,
                                                  std::string_view) {
      if (key.size() < event_digits)
        return true;
      int64_t at_ms = 0;
      auto digits = key.substr(key.size() - event_digits);
      auto [end, ec] = std::from_chars(digits.data(),
                                       digits.data() + digits.size(), at_ms);
      if (ec == std::errc{} && end == digits.data() + digits.size()
          && at_ms < older_than_ms)
        batch.erase(std::string{key});
      return true;
    });
    if (err)
      return err;
    if (batch.empty())
      return size_t{0};
    if (auto err = backend_.write(batch))
      return err;
    return batch.ops.size();
  });
}

// -- reads --------------------------------------------------------------------

caf::expected<std::vector<server_record>> record_store::load_servers() {
  using result_type = caf::expected<std::vector<server_record>>;
  return guarded("load_servers", [&]() -> result_type {
    if (auto err = check_schema(nullptr))
      return err;
    std::vector<server_record> result;
    auto err = for_each_server(backend_,
                               [&](std::string_view, server_record&& x) {
                                 result.push_back(std::move(x));
                               });
    if (err)
      return err;
    return result;
  });
}

caf::expected<std::optional<server_record>>
record_store::get_server(const std::string& id) {
  using result_type = caf::expected<std::optional<server_record>>;
  return guarded("get_server", [&]() -> result_type {
    if (auto err = check_schema(nullptr))
      return err;
    auto key = server_key(id);
    auto value = backend_.get(key);
    if (!value)
      return std::move(value.error());
    if (!*value)
      return std::optional<server_record>{};
    auto x = decode_server(**value);
    if (!x)
      return at_key(key, x.error());
    if (x->id != id)
      return make_error(ec::corrupt_record,
                        "record '" + key + "' holds server '" + x->id + "'");
    return std::optional<server_record>{std::move(*x)};
  });
}

caf::expected<std::vector<pool_record>> record_store::load_pools() {
  using result_type = caf::expected<std::vector<pool_record>>;
  return guarded("load_pools", [&]() -> result_type {
    if (auto err = check_schema(nullptr))
      return err;
    std::vector<pool_record> result;
    caf::error decode_err;
    auto err = backend_.scan(pool_prefix, [&](std::string_view key,
                                              std::string_view value) {
      auto x = decode_pool(value);
      if (!x) {
        decode_err = at_key(key, x.error());
        return false;
      }
      if (pool_key(x->name) != key) {
        decode_err = make_error(ec::corrupt_record,
                                "record '" + std::string{key} + "' holds pool '"
                                  + x->name + "'");
        return false;
      }
      result.push_back(std::move(*x));
      return true;
    });
    if (err)
      return err;
    if (decode_err)
      return decode_err;
    return result;
  });
}

caf::expected<std::vector<event_record>>
record_store::events_since(uint64_t after_seq, size_t limit) {
  using result_type = caf::expected<std::vector<event_record>>;
  return guarded("events_since", [&]() -> result_type {
    if (auto err = check_schema(nullptr))
      return err;
    std::vector<event_record> result;
    if (limit == 0 || after_seq == std::numeric_limits<uint64_t>::max())
      return result;
    caf::error decode_err;
    auto visit = [&](std::string_view key, std::string_view value) {
      auto seq = parse_event_key(key);
      if (!seq) {
        decode_err = std::move(seq.error());
        return false;
      }
      auto x = decode_event(value);
      if (!x) {
        decode_err = at_key(key, x.error());
        return false;
      }
      if (x->seq != *seq) {
        decode_err = make_error(ec::corrupt_record,
                                "record '" + std::string{key} + "' holds event "
                                  + std::to_string(x->seq));
        return false;
      }
      result.push_back(std::move(*x));
      return result.size() < limit;
    };
    auto err = backend_.scan(event_prefix, event_key(after_seq + 1), visit);
    if (err)
      return err;
    if (decode_err)
      return decode_err;
    return result;
  });
}

caf::expected<std::vector<decision_record>>
record_store::latest_decisions(const std::string& pool, size_t limit) {
  using result_type = caf::expected<std::vector<decision_record>>;
  return guarded("latest_decisions", [&]() -> result_type {
    if (auto err = check_schema(nullptr))
      return err;
    std::vector<decision_record> result;
    if (limit == 0)
      return result;
    // Keys sort by time: keep the last `limit` values of a forward scan.
    std::deque<std::pair<std::string, std::string>> last;
    auto prefix = std::string{decision_prefix} + pool + "/";
    auto err = backend_.scan(prefix, [&](std::string_view key,
                                         std::string_view value) {
      last.emplace_back(std::string{key}, std::string{value});
      if (last.size() > limit)
        last.pop_front();
      return true;
    });
    if (err)
      return err;
    for (auto i = last.rbegin(); i != last.rend(); ++i) {
      auto x = decode_decision(i->second);
      if (!x)
        return at_key(i->first, x.error());
      result.push_back(std::move(*x));
    }
    return result;
  });
}

caf::expected<webhook_cursor>
record_store::get_cursor(const std::string& name) {
  return guarded("get_cursor", [&]() -> caf::expected<webhook_cursor> {
    if (auto err = check_schema(nullptr))
      return err;
    auto key = cursor_key(name);
    auto value = backend_.get(key);
    if (!value)
      return std::move(value.error());
    if (!*value) {
      webhook_cursor none;
      none.name = name;
      return none;
    }
    auto x = decode_webhook_cursor(**value);
    if (!x)
      return at_key(key, x.error());
    if (x->name != name)
      return make_error(ec::corrupt_record,
                        "record '" + key + "' holds webhook '" + x->name + "'");
    return std::move(*x);
  });
}

caf::expected<std::vector<webhook_cursor>> record_store::load_cursors() {
  using result_type = caf::expected<std::vector<webhook_cursor>>;
  return guarded("load_cursors", [&]() -> result_type {
    if (auto err = check_schema(nullptr))
      return err;
    std::vector<webhook_cursor> result;
    caf::error decode_err;
    auto err = backend_.scan(cursor_prefix,
                             [&](std::string_view key, std::string_view value) {
                               auto x = decode_webhook_cursor(value);
                               if (!x) {
                                 decode_err = at_key(key, x.error());
                                 return false;
                               }
                               result.push_back(std::move(*x));
                               return true;
                             });
    if (err)
      return err;
    if (decode_err)
      return decode_err;
    return result;
  });
}

caf::expected<uint64_t> record_store::last_event_seq() {
  return guarded("last_event_seq", [&]() -> caf::expected<uint64_t> {
    if (auto err = check_schema(nullptr))
      return err;
    std::optional<std::string> last;
    if (auto lookup = dynamic_cast<detail::last_key_lookup*>(&backend_)) {
      auto key = lookup->last_key(event_prefix);
      if (!key)
        return std::move(key.error());
      last = std::move(*key);
    } else {
      auto err = backend_.scan(event_prefix,
                               [&](std::string_view key, std::string_view) {
                                 last = std::string{key};
                                 return true;
                               });
      if (err)
        return err;
    }
    if (!last)
      return uint64_t{0};
    return parse_event_key(*last);
  });
}

// -- schema -------------------------------------------------------------------

caf::error record_store::check_schema(write_batch* batch) {
  if (schema_checked_)
    return caf::none;
  auto value = backend_.get(schema_key);
  if (!value)
    return std::move(value.error());
  if (!*value) {
    // An empty store: the first commit writes the schema.
    if (batch != nullptr)
      batch->put(std::string{schema_key}, std::to_string(schema_version));
    return caf::none;
  }
  if (**value != std::to_string(schema_version))
    return make_error(ec::corrupt_record,
                      "unsupported storage schema '" + **value
                        + "' in m/schema (this build reads "
                        + std::to_string(schema_version) + ")");
  schema_checked_ = true;
  return caf::none;
}

namespace detail {

last_key_lookup::~last_key_lookup() = default;

std::optional<std::string> prefix_successor(std::string_view prefix) {
  std::string result{prefix};
  while (!result.empty()) {
    if (static_cast<unsigned char>(result.back()) != 0xff) {
      result.back() = static_cast<char>(result.back() + 1);
      return result;
    }
    result.pop_back();
  }
  return std::nullopt;
}

} // namespace detail

} // namespace dynserv
