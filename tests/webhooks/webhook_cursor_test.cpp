// Webhook cursors in the store: codec, record_store keys and reads, RocksDB
// durability, and the snapshot actor's cursor handlers.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "actors/node.hpp"
#include "actors/snapshot_actor.hpp"
#include "storage/memory_store.hpp"
#include "storage/record_store.hpp"
#include "storage/rocksdb_store.hpp"
#include "storage/snapshot_codec.hpp"
#include "tests/fixtures/deterministic_system.hpp"
#include "tests/fixtures/temp_dir.hpp"

using namespace dynserv;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(webhook_cursor_store)

BOOST_AUTO_TEST_CASE(codec_round_trip_and_errors) {
  webhook_cursor x;
  x.name = "ops";
  x.seq = 17;
  x.updated_at_ms = 1234;
  auto text = encode(x);
  BOOST_TEST(text == R"({"v":1,"name":"ops","seq":17,"updated_at_ms":1234})");
  auto back = decode_webhook_cursor(text);
  BOOST_REQUIRE(back);
  BOOST_TEST(back->name == "ops");
  BOOST_TEST(back->seq == 17u);
  BOOST_TEST(back->updated_at_ms == 1234);
  BOOST_TEST(back->found);
  BOOST_TEST(!decode_webhook_cursor(R"({"v":1,"name":"ops"})"));
  BOOST_TEST(!decode_webhook_cursor(R"({"v":1,"seq":3})"));
  BOOST_TEST(!decode_webhook_cursor(R"({"v":2,"name":"a","seq":3})"));
  BOOST_TEST(!decode_webhook_cursor("not json"));
}

BOOST_AUTO_TEST_CASE(record_store_keeps_cursors_apart_from_events) {
  auto backend = make_memory_store();
  record_store records{*backend};
  BOOST_TEST(record_store::cursor_key("ops") == "w/ops");
  auto none = records.get_cursor("ops");
  BOOST_REQUIRE(none);
  BOOST_TEST(!none->found);
  BOOST_TEST(none->seq == 0u);
  event_record ev;
  ev.seq = 1;
  ev.reason = "ServerRunning";
  webhook_cursor a{"a", 1, 10};
  webhook_cursor b{"b", 0, 10};
  BOOST_TEST(!static_cast<bool>(records.commit({}, {}, {ev}, {a, b})));
  auto got = records.get_cursor("a");
  BOOST_REQUIRE(got);
  BOOST_TEST(got->found);
  BOOST_TEST(got->seq == 1u);
  auto all = records.load_cursors();
  BOOST_REQUIRE(all);
  BOOST_REQUIRE(all->size() == 2u);
  BOOST_TEST((*all)[0].name == "a");
  BOOST_TEST((*all)[1].name == "b");
  // Events and their last seq do not see the cursors.
  auto events = records.events_since(0, 10);
  BOOST_REQUIRE(events);
  BOOST_TEST(events->size() == 1u);
  BOOST_TEST(*records.last_event_seq() == 1u);
  // A cursor without a name is refused and nothing is written.
  webhook_cursor nameless;
  BOOST_TEST(static_cast<bool>(records.commit({}, {}, {}, {nameless})));
  // A record under another name's key is reported as corrupt.
  write_batch batch;
  batch.put("w/c", encode(webhook_cursor{"d", 1, 0}));
  BOOST_TEST(!static_cast<bool>(backend->write(batch)));
  BOOST_TEST(!records.get_cursor("c"));
}

BOOST_AUTO_TEST_CASE(cursors_survive_reopening_rocksdb) {
  test::temp_dir dir;
  {
    auto db = open_rocksdb_store(dir.path, rocksdb_open_mode::primary);
    BOOST_REQUIRE(db);
    record_store records{**db};
    BOOST_TEST(!static_cast<bool>(
      records.commit({}, {}, {}, {webhook_cursor{"ops", 99, 5}})));
  }
  auto db = open_rocksdb_store(dir.path, rocksdb_open_mode::primary);
  BOOST_REQUIRE(db);
  record_store records{**db};
  auto got = records.get_cursor("ops");
  BOOST_REQUIRE(got);
  BOOST_TEST(got->found);
  BOOST_TEST(got->seq == 99u);
}

BOOST_AUTO_TEST_CASE(snapshot_actor_reads_and_writes_cursors) {
  test::quiet_logs quiet{spdlog::level::warn};
  caf::actor_system_config cfg;
  add_dynserv_types(cfg);
  cfg.set("scheduler.max-threads", 2);
  caf::actor_system sys{cfg};
  std::shared_ptr<store> backend = make_memory_store();
  auto snapshots = sys.spawn(snapshot, backend);
  caf::scoped_actor self{sys};
  auto put_events = [&](size_t n) {
    std::vector<event_record> events(n);
    for (auto& ev : events)
      ev.reason = "ServerRunning";
    uint64_t last = 0;
    self->request(snapshots, 5s, atom::put_v, events)
      .receive([&](uint64_t x) { last = x; },
               [&](caf::error& err) { BOOST_FAIL(sys.render(err)); });
    return last;
  };
  auto get = [&](const std::string& name) {
    webhook_cursor result;
    self->request(snapshots, 5s, atom::cursor_v, name)
      .receive([&](webhook_cursor& x) { result = x; },
               [&](caf::error& err) { BOOST_FAIL(sys.render(err)); });
    return result;
  };
  BOOST_TEST(put_events(3) == 3u);
  auto first = get("ops");
  BOOST_TEST(!first.found);
  BOOST_TEST(first.last_seq == 3u);
  uint64_t reply = 0;
  self->request(snapshots, 5s, atom::put_v, webhook_cursor{"ops", 2, 7})
    .receive([&](uint64_t x) { reply = x; },
             [&](caf::error& err) { BOOST_FAIL(sys.render(err)); });
  BOOST_TEST(reply == 3u); // the end of the log
  auto second = get("ops");
  BOOST_TEST(second.found);
  BOOST_TEST(second.seq == 2u);
  BOOST_TEST(second.updated_at_ms == 7);
  BOOST_TEST(second.last_seq == 3u);
  // Events keep their numbering around cursor writes.
  BOOST_TEST(put_events(2) == 5u);
  BOOST_TEST(get("ops").last_seq == 5u);
  caf::anon_send_exit(snapshots, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_SUITE_END()
