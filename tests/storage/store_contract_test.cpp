// One contract suite run against every store backend, plus RocksDB specifics.
#define BOOST_TEST_MODULE storage
#include <boost/test/unit_test.hpp>

#include <boost/mpl/list.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "caf/message.hpp"

#include "messages/errors.hpp"
#include "storage/memory_store.hpp"
#include "storage/record_store.hpp"
#include "storage/rocksdb_store.hpp"
#include "storage/snapshot_codec.hpp"

extern char** environ;

namespace boost::test_tools::tt_detail {

/// Prints looked-up values in failed checks.
template <>
struct print_log_value<std::optional<std::string>> {
  void operator()(std::ostream& out, const std::optional<std::string>& x) {
    if (x)
      out << '"' << *x << '"';
    else
      out << "<no value>";
  }
};

} // namespace boost::test_tools::tt_detail

using namespace dynserv;
using namespace std::string_literals;

namespace fs = std::filesystem;

namespace {

// -- helpers ------------------------------------------------------------------

/// Renders the error of `x`, if any. Boost.Test evaluates messages even for
/// passing checks, so this must not touch the error of a value.
template <class T>
std::string error_of(const caf::expected<T>& x) {
  return x ? "no error" : describe(x.error());
}

/// Fails the test case unless `expr` (a `caf::error`) is empty.
#define REQUIRE_OK(expr)                                                       \
  do {                                                                         \
    auto require_ok_err = (expr);                                              \
    BOOST_REQUIRE_MESSAGE(!require_ok_err, describe(require_ok_err));          \
  } while (false)

/// Fails the test case unless `x` (a `caf::expected`) holds a value.
#define REQUIRE_VALUE(x)                                                       \
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(x), error_of(x))

/// Returns the text of a dynserv error.
std::string message_of(const caf::error& err) {
  if (err.context().match_elements<std::string>())
    return err.context().get_as<std::string>(0);
  return caf::to_string(err);
}

/// True if `err` is the dynserv error `code`.
bool has_code(const caf::error& err, ec code) {
  return err.category() == error_category
         && err.code() == static_cast<uint8_t>(code);
}

/// True if the message of `err` contains `text`.
bool mentions(const caf::error& err, const std::string& text) {
  return message_of(err).find(text) != std::string::npos;
}

/// A fresh directory under /tmp, removed with everything in it on destruction.
class temp_dir {
public:
  temp_dir() {
    char buf[] = "/tmp/dynserv-storage-test-XXXXXX";
    if (::mkdtemp(buf) == nullptr)
      throw std::runtime_error("mkdtemp failed");
    path_ = buf;
  }

  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  ~temp_dir() {
    std::error_code err;
    fs::remove_all(path_, err);
  }

  const std::string& path() const {
    return path_;
  }

private:
  std::string path_;
};

/// Reads all entries with `prefix` starting at `start`.
std::vector<std::pair<std::string, std::string>>
scan_all(store& db, std::string_view prefix, std::string_view start) {
  std::vector<std::pair<std::string, std::string>> result;
  auto err = db.scan(prefix, start,
                     [&](std::string_view k, std::string_view v) {
                       result.emplace_back(std::string{k}, std::string{v});
                       return true;
                     });
  BOOST_REQUIRE_MESSAGE(!err, describe(err));
  return result;
}

/// Reads the keys with `prefix` starting at `start`.
std::vector<std::string> scan_keys(store& db, std::string_view prefix,
                                   std::string_view start) {
  std::vector<std::string> result;
  for (auto& entry : scan_all(db, prefix, start))
    result.push_back(entry.first);
  return result;
}

std::vector<std::string> scan_keys(store& db, std::string_view prefix) {
  return scan_keys(db, prefix, prefix);
}

/// Reads one key, failing the test case on errors.
std::optional<std::string> get(store& db, std::string_view key) {
  auto x = db.get(key);
  REQUIRE_VALUE(x);
  return *x;
}

/// Writes one key-value pair.
void put(store& db, std::string key, std::string value) {
  write_batch batch;
  batch.put(std::move(key), std::move(value));
  REQUIRE_OK(db.write(batch));
}

server_record make_server(std::string id, server_status status,
                          int64_t since_ms) {
  server_record x;
  x.id = std::move(id);
  x.name = "dynserv-default-" + x.id;
  x.pool = "default";
  x.provider = "fake";
  x.status = status;
  x.status_since_ms = since_ms;
  x.created_at_ms = 1;
  return x;
}

event_record make_event(uint64_t seq) {
  event_record x;
  x.seq = seq;
  x.at_ms = static_cast<int64_t>(seq) * 10;
  x.reason = "ServerStatusChanged";
  x.pool = "default";
  x.server_id = "srv-" + std::to_string(seq);
  x.from = "starting";
  x.to = "running";
  x.message = "event " + std::to_string(seq);
  return x;
}

std::vector<uint64_t> seqs_of(const std::vector<event_record>& xs) {
  std::vector<uint64_t> result;
  for (auto& x : xs)
    result.push_back(x.seq);
  return result;
}

std::vector<std::string> ids_of(const std::vector<server_record>& xs) {
  std::vector<std::string> result;
  for (auto& x : xs)
    result.push_back(x.id);
  return result;
}

// -- backends -----------------------------------------------------------------

/// Opens a primary RocksDB store in `dir`, failing the test case on errors.
store_ptr open_primary(const std::string& dir) {
  auto x = open_rocksdb_store(dir, rocksdb_open_mode::primary);
  REQUIRE_VALUE(x);
  return std::move(*x);
}

/// Opens a read-only (secondary) RocksDB store in `dir`.
store_ptr open_read_only(const std::string& dir) {
  auto x = open_rocksdb_store(dir, rocksdb_open_mode::read_only);
  REQUIRE_VALUE(x);
  return std::move(*x);
}

} // namespace

// The backends live outside the anonymous namespace so that test case names
// read `put_get_and_erase_single_keys<memory_backend>`.

/// A memory store.
struct memory_backend {
  store_ptr open() {
    return make_memory_store();
  }

  /// The data of a memory store lives exactly as long as the store, so
  /// "reopening" keeps the instance.
  void reopen(store_ptr&) {
    // nop
  }
};

/// A memory store behind a plain `store` that offers nothing beyond the
/// public interface, so `record_store` takes its generic code paths.
struct plain_backend {
  class forwarding_store : public store {
  public:
    caf::error write(const write_batch& batch) override {
      return impl_->write(batch);
    }

    caf::expected<std::optional<std::string>>
    get(std::string_view key) override {
      return impl_->get(key);
    }

    caf::error scan(std::string_view prefix, std::string_view start,
                    const visitor& f) override {
      return impl_->scan(prefix, start, f);
    }

  private:
    store_ptr impl_ = make_memory_store();
  };

  store_ptr open() {
    return std::make_unique<forwarding_store>();
  }

  void reopen(store_ptr&) {
    // nop
  }
};

/// A RocksDB primary in a temp dir.
struct rocksdb_backend {
  temp_dir dir;

  store_ptr open() {
    return open_primary(dir.path());
  }

  /// Closes the DB (releasing its lock) and opens the same directory again.
  void reopen(store_ptr& db) {
    db.reset();
    db = open();
  }
};

using backends
  = boost::mpl::list<memory_backend, plain_backend, rocksdb_backend>;

template <class Backend>
struct contract_fixture {
  Backend backend;
  store_ptr db = backend.open();

  void reopen() {
    backend.reopen(db);
  }
};

// -- contract suite -----------------------------------------------------------

BOOST_AUTO_TEST_SUITE(store_contract)

BOOST_AUTO_TEST_CASE_TEMPLATE(put_get_and_erase_single_keys, Backend,
                              backends) {
  contract_fixture<Backend> fx;
  auto& db = *fx.db;
  BOOST_TEST(!get(db, "k"));
  put(db, "k", "v1");
  BOOST_TEST(get(db, "k") == "v1"s);
  put(db, "k", "v2");
  BOOST_TEST(get(db, "k") == "v2"s);
  // An empty value exists; binary values come back byte for byte.
  put(db, "empty", "");
  BOOST_TEST(get(db, "empty") == ""s);
  auto binary = "a\0b\xff\x01"s;
  put(db, "bin\0key"s, binary);
  BOOST_TEST(get(db, "bin\0key"s) == binary);
  BOOST_TEST(!get(db, "bin"));
  write_batch erase;
  erase.erase("k");
  erase.erase("never-existed");
  REQUIRE_OK(db.write(erase));
  BOOST_TEST(!get(db, "k"));
  BOOST_TEST(get(db, "empty") == ""s);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(batch_applies_all_operations_in_order, Backend,
                              backends) {
  contract_fixture<Backend> fx;
  auto& db = *fx.db;
  put(db, "old", "x");
  write_batch batch;
  batch.put("a", "1");
  batch.put("b", "1");
  batch.erase("a");
  batch.put("c", "1");
  batch.put("c", "2");
  batch.erase("old");
  batch.put("d", "1");
  batch.erase("d");
  batch.put("d", "2");
  REQUIRE_OK(db.write(batch));
  BOOST_TEST(!get(db, "a"));
  BOOST_TEST(get(db, "b") == "1"s);
  BOOST_TEST(get(db, "c") == "2"s);
  BOOST_TEST(get(db, "d") == "2"s);
  BOOST_TEST(!get(db, "old"));
  BOOST_TEST(scan_keys(db, "") == (std::vector<std::string>{"b", "c", "d"}));
  REQUIRE_OK(db.write(write_batch{}));
  BOOST_TEST(scan_keys(db, "").size() == 3u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(scan_visits_prefix_in_key_order, Backend,
                              backends) {
  contract_fixture<Backend> fx;
  auto& db = *fx.db;
  write_batch batch;
  for (auto key : {"b/2", "a", "b0", "b/10", "b", "c", "b/", "b/1", "ba"})
    batch.put(key, "v"s + key);
  batch.put("x\xff\x00"s, "1");
  batch.put("x\xff\xff", "2");
  batch.put("x\xff", "3");
  batch.put("y", "4");
  REQUIRE_OK(db.write(batch));
  BOOST_TEST(scan_keys(db, "b/")
             == (std::vector<std::string>{"b/", "b/1", "b/10", "b/2"}));
  BOOST_TEST(
    scan_keys(db, "b")
    == (std::vector<std::string>{"b", "b/", "b/1", "b/10", "b/2", "b0", "ba"}));
  BOOST_TEST(scan_keys(db, "x\xff")
             == (std::vector<std::string>{"x\xff", "x\xff\x00"s, "x\xff\xff"}));
  BOOST_TEST(scan_keys(db, "").size() == 13u);
  BOOST_TEST(scan_keys(db, "zzz").empty());
  auto entries = scan_all(db, "b/1", "b/1");
  BOOST_REQUIRE_EQUAL(entries.size(), 2u);
  BOOST_TEST(entries[0].second == "vb/1");
  BOOST_TEST(entries[1].second == "vb/10");
  // The visitor stops the scan by returning false.
  std::vector<std::string> seen;
  REQUIRE_OK(db.scan("b/", [&](std::string_view k, std::string_view) {
    seen.emplace_back(k);
    return seen.size() < 2;
  }));
  BOOST_TEST(seen == (std::vector<std::string>{"b/", "b/1"}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(scan_starts_at_start_key, Backend, backends) {
  contract_fixture<Backend> fx;
  auto& db = *fx.db;
  write_batch batch;
  for (auto key : {"a/z", "b/1", "b/10", "b/2", "b/3", "c/1"})
    batch.put(key, "v");
  REQUIRE_OK(db.write(batch));
  using keys = std::vector<std::string>;
  BOOST_TEST(scan_keys(db, "b/", "b/10") == (keys{"b/10", "b/2", "b/3"}));
  // A start key that does not exist starts at the next key.
  BOOST_TEST(scan_keys(db, "b/", "b/15") == (keys{"b/2", "b/3"}));
  // A start key before the prefix starts at the prefix.
  BOOST_TEST(scan_keys(db, "b/", "a") == (keys{"b/1", "b/10", "b/2", "b/3"}));
  BOOST_TEST(scan_keys(db, "b/", "").size() == 4u);
  // A start key after the prefix range visits nothing.
  BOOST_TEST(scan_keys(db, "b/", "b/4").empty());
  BOOST_TEST(scan_keys(db, "b/", "c").empty());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(visitor_may_call_back_into_the_store, Backend,
                              backends) {
  contract_fixture<Backend> fx;
  auto& db = *fx.db;
  put(db, "a/1", "x");
  put(db, "a/2", "y");
  size_t visited = 0;
  REQUIRE_OK(db.scan("a/", [&](std::string_view k, std::string_view v) {
    ++visited;
    auto x = db.get(k);
    return x && *x == std::string{v};
  }));
  BOOST_TEST(visited == 2u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(record_store_round_trips_records, Backend,
                              backends) {
  contract_fixture<Backend> fx;
  record_store records{*fx.db};
  auto a = make_server("a", server_status::running, 100);
  a.provider_id = "4711";
  a.last_error_kind = error_kind::transient;
  a.last_error_message = "timeout";
  auto b = make_server("b", server_status::pending, 200);
  pool_record pool{"default", 3, 2, 300};
  REQUIRE_OK(records.commit({b, a}, {pool}, {make_event(1), make_event(2)}));
  // The layout version lands with the first commit.
  BOOST_TEST(get(*fx.db, "m/schema") == "1"s);
  BOOST_TEST(get(*fx.db, "s/a") == encode(a));
  BOOST_TEST(get(*fx.db, "p/default") == encode(pool));
  BOOST_TEST(get(*fx.db, "e/00000000000000000002") == encode(make_event(2)));
  auto servers = records.load_servers();
  REQUIRE_VALUE(servers);
  BOOST_TEST(ids_of(*servers) == (std::vector<std::string>{"a", "b"}));
  BOOST_TEST(encode(servers->at(0)) == encode(a));
  auto one = records.get_server("a");
  REQUIRE_VALUE(one);
  BOOST_REQUIRE(one->has_value());
  BOOST_TEST(encode(**one) == encode(a));
  auto none = records.get_server("nope");
  REQUIRE_VALUE(none);
  BOOST_TEST(!none->has_value());
  auto pools = records.load_pools();
  REQUIRE_VALUE(pools);
  BOOST_REQUIRE_EQUAL(pools->size(), 1u);
  BOOST_TEST(pools->at(0).name == "default");
  BOOST_TEST(pools->at(0).desired == 3);
  BOOST_TEST(pools->at(0).file_desired == 2);
  BOOST_TEST(pools->at(0).updated_at_ms == 300);
  // A later commit replaces records and keeps the others.
  a.status = server_status::stopping;
  a.previous_status = server_status::running;
  REQUIRE_OK(records.commit({a}, {}, {make_event(3)}));
  one = records.get_server("a");
  REQUIRE_VALUE(one);
  BOOST_REQUIRE(one->has_value());
  BOOST_TEST(((*one)->status == server_status::stopping));
  servers = records.load_servers();
  REQUIRE_VALUE(servers);
  BOOST_TEST(servers->size() == 2u);
  // Empty commits write nothing.
  REQUIRE_OK(records.commit({}, {}, {}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(commit_rejects_incomplete_records_atomically,
                              Backend, backends) {
  contract_fixture<Backend> fx;
  record_store records{*fx.db};
  auto a = make_server("a", server_status::running, 1);
  auto err = records.commit({a}, {}, {make_event(1), make_event(0)});
  BOOST_TEST(has_code(err, ec::invalid_argument));
  err = records.commit({a, make_server("", server_status::running, 1)}, {}, {});
  BOOST_TEST(has_code(err, ec::invalid_argument));
  err = records.commit({a}, {pool_record{}}, {});
  BOOST_TEST(has_code(err, ec::invalid_argument));
  // None of the valid records in the rejected commits was written.
  BOOST_TEST(scan_keys(*fx.db, "").empty());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(events_since_pages_in_seq_order, Backend,
                              backends) {
  contract_fixture<Backend> fx;
  record_store records{*fx.db};
  // 9 < 10 < 100 numerically but not as plain decimal strings.
  std::vector<event_record> events;
  for (uint64_t seq : {100u, 9u, 10u, 1u, 2u, 3u, 11u, 1000u})
    events.push_back(make_event(seq));
  REQUIRE_OK(records.commit({}, {}, events));
  using seqs = std::vector<uint64_t>;
  auto page = records.events_since(0, 3);
  REQUIRE_VALUE(page);
  BOOST_TEST(seqs_of(*page) == (seqs{1, 2, 3}));
  BOOST_TEST(page->at(1).message == "event 2");
  page = records.events_since(3, 3);
  REQUIRE_VALUE(page);
  BOOST_TEST(seqs_of(*page) == (seqs{9, 10, 11}));
  page = records.events_since(11, 3);
  REQUIRE_VALUE(page);
  BOOST_TEST(seqs_of(*page) == (seqs{100, 1000}));
  page = records.events_since(1000, 3);
  REQUIRE_VALUE(page);
  BOOST_TEST(page->empty());
  // after_seq is exclusive even when it names no event.
  page = records.events_since(4, 100);
  REQUIRE_VALUE(page);
  BOOST_TEST(seqs_of(*page) == (seqs{9, 10, 11, 100, 1000}));
  page = records.events_since(0, 0);
  REQUIRE_VALUE(page);
  BOOST_TEST(page->empty());
  page = records.events_since(std::numeric_limits<uint64_t>::max(), 10);
  REQUIRE_VALUE(page);
  BOOST_TEST(page->empty());
  // Servers and pools never show up as events.
  REQUIRE_OK(records.commit({make_server("e", server_status::running, 1)},
                            {pool_record{"f", 1, 1, 1}}, {}));
  page = records.events_since(0, 100);
  REQUIRE_VALUE(page);
  BOOST_TEST(page->size() == 8u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(last_event_seq_finds_the_highest_seq, Backend,
                              backends) {
  contract_fixture<Backend> fx;
  record_store records{*fx.db};
  auto last = records.last_event_seq();
  REQUIRE_VALUE(last);
  BOOST_TEST(*last == 0u);
  // Keys right after the event range must not confuse the lookup.
  put(*fx.db, "e0", "not an event");
  put(*fx.db, "f/x", "not an event");
  put(*fx.db, "\xff", "not an event");
  REQUIRE_OK(
    records.commit({make_server("z", server_status::running, 1)}, {}, {}));
  last = records.last_event_seq();
  REQUIRE_VALUE(last);
  BOOST_TEST(*last == 0u);
  REQUIRE_OK(records.commit({}, {}, {make_event(9), make_event(12)}));
  last = records.last_event_seq();
  REQUIRE_VALUE(last);
  BOOST_TEST(*last == 12u);
  REQUIRE_OK(records.commit({}, {}, {make_event(100)}));
  last = records.last_event_seq();
  REQUIRE_VALUE(last);
  BOOST_TEST(*last == 100u);
  auto max = std::numeric_limits<uint64_t>::max();
  REQUIRE_OK(records.commit({}, {}, {make_event(max)}));
  last = records.last_event_seq();
  REQUIRE_VALUE(last);
  BOOST_TEST(*last == max);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(prune_deleted_erases_old_deleted_servers, Backend,
                              backends) {
  contract_fixture<Backend> fx;
  record_store records{*fx.db};
  REQUIRE_OK(records.commit(
    {
      make_server("old-deleted", server_status::deleted, 100),
      make_server("new-deleted", server_status::deleted, 1000),
      make_server("edge-deleted", server_status::deleted, 500),
      make_server("old-running", server_status::running, 50),
      make_server("old-errored", server_status::errored, 50),
    },
    {}, {make_event(1)}));
  auto pruned = records.prune_deleted(500);
  REQUIRE_VALUE(pruned);
  BOOST_TEST(*pruned == 1u);
  auto servers = records.load_servers();
  REQUIRE_VALUE(servers);
  BOOST_TEST(ids_of(*servers)
             == (std::vector<std::string>{"edge-deleted", "new-deleted",
                                          "old-errored", "old-running"}));
  pruned = records.prune_deleted(500);
  REQUIRE_VALUE(pruned);
  BOOST_TEST(*pruned == 0u);
  pruned = records.prune_deleted(2000);
  REQUIRE_VALUE(pruned);
  BOOST_TEST(*pruned == 2u);
  servers = records.load_servers();
  REQUIRE_VALUE(servers);
  BOOST_TEST(ids_of(*servers)
             == (std::vector<std::string>{"old-errored", "old-running"}));
  // Events stay.
  auto last = records.last_event_seq();
  REQUIRE_VALUE(last);
  BOOST_TEST(*last == 1u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(corrupt_records_fail_loudly_naming_the_key,
                              Backend, backends) {
  contract_fixture<Backend> fx;
  record_store records{*fx.db};
  REQUIRE_OK(records.commit({make_server("a", server_status::running, 1)},
                            {pool_record{"p", 1, 1, 1}}, {make_event(1)}));
  put(*fx.db, "s/b", "{\"v\":1,\"id\":\"b\""); // truncated
  auto servers = records.load_servers();
  BOOST_REQUIRE(!servers);
  BOOST_TEST(has_code(servers.error(), ec::corrupt_record));
  BOOST_TEST(mentions(servers.error(), "'s/b'"));
  auto one = records.get_server("b");
  BOOST_REQUIRE(!one);
  BOOST_TEST(mentions(one.error(), "'s/b'"));
  // Pruning must not erase (or skip) anything it cannot read.
  auto pruned = records.prune_deleted(std::numeric_limits<int64_t>::max());
  BOOST_REQUIRE(!pruned);
  BOOST_TEST(mentions(pruned.error(), "'s/b'"));
  // A record under the wrong key is corrupt as well.
  put(*fx.db, "s/b", encode(make_server("c", server_status::running, 1)));
  servers = records.load_servers();
  BOOST_REQUIRE(!servers);
  BOOST_TEST(mentions(servers.error(), "'s/b'"));
  put(*fx.db, "p/q", "[]");
  auto pools = records.load_pools();
  BOOST_REQUIRE(!pools);
  BOOST_TEST(mentions(pools.error(), "'p/q'"));
  put(*fx.db, "e/00000000000000000002", encode(make_event(3)));
  auto events = records.events_since(0, 10);
  BOOST_REQUIRE(!events);
  BOOST_TEST(mentions(events.error(), "'e/00000000000000000002'"));
  put(*fx.db, "e/99999999999999999999", encode(make_event(4)));
  auto last = records.last_event_seq();
  BOOST_REQUIRE(!last);
  BOOST_TEST(has_code(last.error(), ec::corrupt_record));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(unknown_schema_version_is_rejected, Backend,
                              backends) {
  contract_fixture<Backend> fx;
  put(*fx.db, "m/schema", "2");
  record_store records{*fx.db};
  auto servers = records.load_servers();
  BOOST_REQUIRE(!servers);
  BOOST_TEST(has_code(servers.error(), ec::corrupt_record));
  BOOST_TEST(mentions(servers.error(), "schema '2'"));
  auto err = records.commit({make_server("a", server_status::running, 1)}, {},
                            {});
  BOOST_TEST(has_code(err, ec::corrupt_record));
  BOOST_TEST(!get(*fx.db, "s/a"));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(readers_never_see_half_a_batch, Backend,
                              backends) {
  contract_fixture<Backend> fx;
  auto& db = *fx.db;
  constexpr int rounds = 100;
  std::atomic<bool> done{false};
  caf::error writer_err;
  // Each batch sets both keys to the same value; BOOST_TEST is not
  // thread-safe, so the writer only records its first error.
  std::thread writer{[&] {
    for (int i = 1; i <= rounds && !writer_err; ++i) {
      write_batch batch;
      batch.put("pair/a", std::to_string(i));
      batch.put("pair/b", std::to_string(i));
      writer_err = db.write(batch);
    }
    done = true;
  }};
  // The reader stays off Boost.Test until the writer is joined.
  size_t torn = 0;
  caf::error reader_err;
  do {
    std::vector<std::string> values;
    reader_err = db.scan("pair/", [&](std::string_view, std::string_view v) {
      values.emplace_back(v);
      return true;
    });
    if (!values.empty() && (values.size() != 2 || values[0] != values[1]))
      ++torn;
  } while (!done && !reader_err);
  writer.join();
  BOOST_REQUIRE_MESSAGE(!writer_err, describe(writer_err));
  BOOST_REQUIRE_MESSAGE(!reader_err, describe(reader_err));
  BOOST_TEST(torn == 0u);
  BOOST_TEST(get(db, "pair/a") == std::to_string(rounds));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(reopen_after_close_keeps_data, Backend,
                              backends) {
  contract_fixture<Backend> fx;
  {
    record_store records{*fx.db};
    REQUIRE_OK(records.commit({make_server("a", server_status::running, 1),
                               make_server("b", server_status::stopped, 2)},
                              {pool_record{"default", 2, 2, 3}},
                              {make_event(1), make_event(2)}));
    write_batch batch;
    batch.put("raw", "value");
    batch.erase("s/b");
    REQUIRE_OK(fx.db->write(batch));
  }
  fx.reopen();
  record_store records{*fx.db};
  auto servers = records.load_servers();
  REQUIRE_VALUE(servers);
  BOOST_TEST(ids_of(*servers) == (std::vector<std::string>{"a"}));
  auto pools = records.load_pools();
  REQUIRE_VALUE(pools);
  BOOST_REQUIRE_EQUAL(pools->size(), 1u);
  BOOST_TEST(pools->at(0).desired == 2);
  auto last = records.last_event_seq();
  REQUIRE_VALUE(last);
  BOOST_TEST(*last == 2u);
  BOOST_TEST(get(*fx.db, "raw") == "value"s);
  // The reopened store takes writes.
  REQUIRE_OK(records.commit({}, {}, {make_event(3)}));
  last = records.last_event_seq();
  REQUIRE_VALUE(last);
  BOOST_TEST(*last == 3u);
}

BOOST_AUTO_TEST_CASE(prefix_successor_bounds_every_key_with_the_prefix) {
  using detail::prefix_successor;
  BOOST_TEST(prefix_successor("e/") == "e0"s);
  BOOST_TEST(prefix_successor("a\xff") == "b"s);
  BOOST_TEST(prefix_successor("a\x7f") == "a\x80"s);
  BOOST_TEST(!prefix_successor("\xff\xff"));
  BOOST_TEST(!prefix_successor(""));
}

BOOST_AUTO_TEST_SUITE_END()

// -- RocksDB specifics --------------------------------------------------------

namespace {

/// Runs `storage_lock_holder DIR` with pipes to its stdin and stdout. The
/// destructor closes its stdin, which makes it exit, and reaps it.
class lock_holder_process {
public:
  explicit lock_holder_process(const std::string& dir) {
    int to_child[2];
    int from_child[2];
    if (::pipe2(to_child, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe2 failed");
    if (::pipe2(from_child, O_CLOEXEC) != 0) {
      ::close(to_child[0]);
      ::close(to_child[1]);
      throw std::runtime_error("pipe2 failed");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, to_child[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, from_child[1], STDOUT_FILENO);
    std::string program = DYNSERV_STORAGE_LOCK_HOLDER;
    std::vector<char*> argv{program.data(), const_cast<char*>(dir.c_str()),
                            nullptr};
    auto rc = ::posix_spawn(&pid_, program.c_str(), &actions, nullptr,
                            argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(to_child[0]);
    ::close(from_child[1]);
    to_child_ = to_child[1];
    from_child_ = from_child[0];
    if (rc != 0) {
      pid_ = -1;
      throw std::runtime_error("posix_spawn " + program + " failed");
    }
  }

  lock_holder_process(const lock_holder_process&) = delete;
  lock_holder_process& operator=(const lock_holder_process&) = delete;

  ~lock_holder_process() {
    close_stdin();
    wait();
    if (from_child_ >= 0)
      ::close(from_child_);
  }

  /// Reads one line of the child's output; empty if the child is gone.
  std::string read_line() {
    std::string line;
    char ch = 0;
    while (::read(from_child_, &ch, 1) == 1 && ch != '\n')
      line += ch;
    return line;
  }

  /// Sends one line to the child.
  void send(const std::string& line) {
    auto text = line + "\n";
    BOOST_REQUIRE(::write(to_child_, text.data(), text.size())
                  == static_cast<ssize_t>(text.size()));
  }

  /// Closes the child's stdin and returns its exit code (-1 if it crashed).
  int wait() {
    close_stdin();
    if (pid_ > 0) {
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        // retry
      }
      pid_ = -1;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    return exit_code_;
  }

private:
  void close_stdin() {
    if (to_child_ >= 0) {
      ::close(to_child_);
      to_child_ = -1;
    }
  }

  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
  int exit_code_ = -1;
};

} // namespace

BOOST_AUTO_TEST_SUITE(rocksdb_store_specifics)

BOOST_AUTO_TEST_CASE(read_only_instance_follows_an_open_primary) {
  temp_dir dir;
  auto primary = open_primary(dir.path());
  record_store writer{*primary};
  REQUIRE_OK(writer.commit({make_server("a", server_status::running, 1)},
                           {pool_record{"default", 1, 1, 1}}, {make_event(1)}));
  auto secondary = open_read_only(dir.path());
  record_store reader{*secondary};
  auto servers = reader.load_servers();
  REQUIRE_VALUE(servers);
  BOOST_TEST(ids_of(*servers) == (std::vector<std::string>{"a"}));
  REQUIRE_OK(writer.commit({make_server("b", server_status::starting, 2)}, {},
                           {make_event(2)}));
  REQUIRE_OK(secondary->refresh());
  servers = reader.load_servers();
  REQUIRE_VALUE(servers);
  BOOST_TEST(ids_of(*servers) == (std::vector<std::string>{"a", "b"}));
  auto last = reader.last_event_seq();
  REQUIRE_VALUE(last);
  BOOST_TEST(*last == 2u);
  auto events = reader.events_since(1, 10);
  REQUIRE_VALUE(events);
  BOOST_TEST(seqs_of(*events) == (std::vector<uint64_t>{2}));
  // Refreshing a primary is a no-op.
  REQUIRE_OK(primary->refresh());
}

BOOST_AUTO_TEST_CASE(read_only_instance_refuses_writes) {
  temp_dir dir;
  put(*open_primary(dir.path()), "k", "v");
  auto secondary = open_read_only(dir.path());
  write_batch batch;
  batch.put("k", "w");
  auto err = secondary->write(batch);
  BOOST_TEST(has_code(err, ec::storage_failure));
  BOOST_TEST(mentions(err, "read-only"));
  record_store records{*secondary};
  err = records.commit({make_server("a", server_status::running, 1)}, {}, {});
  BOOST_TEST(has_code(err, ec::storage_failure));
  BOOST_TEST(get(*secondary, "k") == "v"s);
  // The primary is closed; reopening it shows nothing was written.
  BOOST_TEST(get(*open_primary(dir.path()), "k") == "v"s);
}

BOOST_AUTO_TEST_CASE(read_only_open_without_data_fails_clearly) {
  temp_dir dir;
  auto x = open_rocksdb_store(dir.path(), rocksdb_open_mode::read_only);
  BOOST_REQUIRE(!x);
  BOOST_TEST(has_code(x.error(), ec::storage_failure));
  BOOST_TEST(mentions(x.error(), "no dynserv data in " + dir.path()));
  auto missing = dir.path() + "/missing";
  x = open_rocksdb_store(missing, rocksdb_open_mode::read_only);
  BOOST_REQUIRE(!x);
  BOOST_TEST(mentions(x.error(), "no dynserv data in " + missing));
  // The failed open created nothing.
  BOOST_TEST(!fs::exists(missing));
}

BOOST_AUTO_TEST_CASE(second_primary_in_this_process_gets_an_error) {
  temp_dir dir;
  auto first = open_primary(dir.path());
  auto second = open_rocksdb_store(dir.path(), rocksdb_open_mode::primary);
  BOOST_REQUIRE(!second);
  BOOST_TEST(has_code(second.error(), ec::storage_failure));
  BOOST_TEST(mentions(second.error(), "in use by another process"));
  BOOST_TEST(mentions(second.error(), dir.path()));
  // The first instance is unharmed and the lock goes with it.
  put(*first, "k", "v");
  first.reset();
  BOOST_TEST(get(*open_primary(dir.path()), "k") == "v"s);
}

BOOST_AUTO_TEST_CASE(primary_in_another_process_locks_out_only_writers) {
  temp_dir dir;
  put(*open_primary(dir.path()), "k/before", "1");
  lock_holder_process holder{dir.path()};
  BOOST_REQUIRE_EQUAL(holder.read_line(), "ready");
  auto second = open_rocksdb_store(dir.path(), rocksdb_open_mode::primary);
  BOOST_REQUIRE(!second);
  BOOST_TEST(has_code(second.error(), ec::storage_failure));
  BOOST_TEST(mentions(second.error(), "in use by another process"));
  // `dynserv status` reads through a secondary while the node runs.
  auto reader = open_read_only(dir.path());
  BOOST_TEST(get(*reader, "k/before") == "1"s);
  BOOST_TEST(get(*reader, "k/held") == "by-holder"s);
  holder.send("put k/after 2");
  BOOST_REQUIRE_EQUAL(holder.read_line(), "ok");
  REQUIRE_OK(reader->refresh());
  BOOST_TEST(get(*reader, "k/after") == "2"s);
  BOOST_TEST(holder.wait() == 0);
  // With the holder gone, this process may write again.
  auto primary = open_primary(dir.path());
  BOOST_TEST(get(*primary, "k/after") == "2"s);
}

BOOST_AUTO_TEST_CASE(primary_creates_missing_directories) {
  temp_dir dir;
  auto nested = dir.path() + "/a/b/data";
  put(*open_primary(nested), "k", "v");
  BOOST_TEST(get(*open_primary(nested), "k") == "v"s);
}

BOOST_AUTO_TEST_CASE(primary_on_a_file_gets_an_error) {
  temp_dir dir;
  auto file = dir.path() + "/file";
  { std::ofstream{file} << "not a directory"; }
  auto x = open_rocksdb_store(file, rocksdb_open_mode::primary);
  BOOST_REQUIRE(!x);
  BOOST_TEST(has_code(x.error(), ec::storage_failure));
  BOOST_TEST(mentions(x.error(), file));
}

BOOST_AUTO_TEST_SUITE_END()
