// The webhook actor on a real actor system against a real HTTP receiver on
// loopback port 0: order, signatures, filters, the cursor (advanced only
// after 2xx), retries with backoff on 5xx, refused connections and
// timeouts, restarts from the stored cursor, and the status.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "actors/node.hpp"
#include "actors/snapshot_actor.hpp"
#include "actors/webhook_actor.hpp"
#include "storage/memory_store.hpp"
#include "storage/record_store.hpp"
#include "tests/fixtures/deterministic_system.hpp"
#include "tests/fixtures/webhook_receiver.hpp"

using namespace dynserv;
using namespace dynserv::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* hook_secret = "webhook-test-secret-0123";

/// Polls `pred` every 5 ms until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout = 20s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

event_record make_event(const std::string& reason, const std::string& pool,
                        const std::string& server = "srv") {
  event_record ev;
  ev.at_ms = 1'700'000'000'000;
  ev.reason = reason;
  ev.pool = pool;
  ev.server_id = server;
  ev.message = "test";
  return ev;
}

std::vector<uint64_t> seqs_of(const std::vector<received_hook>& hooks) {
  std::vector<uint64_t> result;
  for (auto& h : hooks)
    result.push_back(h.seq);
  return result;
}

std::vector<uint64_t> range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> result;
  for (auto i = first; i <= last; ++i)
    result.push_back(i);
  return result;
}

struct hook_fixture {
  /// Failures are logged as warnings on purpose; DYNSERV_TEST_LOG shows them.
  quiet_logs quiet{spdlog::level::err};
  caf::actor_system_config cfg;
  caf::actor_system sys;
  std::shared_ptr<store> backend;
  snapshot_actor snapshots;
  std::vector<webhook_actor> spawned;
  caf::scoped_actor self;

  static caf::actor_system_config& init(caf::actor_system_config& c) {
    add_dynserv_types(c);
    c.set("scheduler.max-threads", 2);
    return c;
  }

  hook_fixture() : sys(init(cfg)), backend(make_memory_store()), self(sys) {
    snapshots = sys.spawn(snapshot, backend);
  }

  ~hook_fixture() {
    for (auto& hdl : spawned)
      caf::anon_send_exit(hdl, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(snapshots, caf::exit_reason::user_shutdown);
  }

  /// Appends events to the log; returns the last seq.
  uint64_t put(std::vector<event_record> events) {
    uint64_t last = 0;
    self->request(snapshots, 10s, atom::put_v, std::move(events))
      .receive([&](uint64_t x) { last = x; },
               [&](caf::error& err) { BOOST_FAIL(sys.render(err)); });
    return last;
  }

  /// Appends `n` ServerRunning events of pool "web".
  uint64_t put_running(size_t n) {
    std::vector<event_record> events;
    for (size_t i = 0; i < n; ++i)
      events.push_back(make_event("ServerRunning", "web"));
    return put(std::move(events));
  }

  webhook_config hook_config(const std::string& url,
                             const std::string& name = "h") {
    webhook_config h;
    h.name = name;
    h.url = url;
    h.secret = hook_secret;
    h.timeout = 2s;
    h.backoff_initial = 20ms;
    h.backoff_max = 200ms;
    h.from_start = true;
    return h;
  }

  webhook_actor spawn_hook(const webhook_config& h) {
    auto transport = make_webhook_transport(h);
    if (!transport)
      BOOST_FAIL(sys.render(transport.error()));
    webhook_actor_config wac;
    wac.node_name = "n1";
    wac.hook = h;
    wac.snapshots = snapshots;
    wac.poll_interval = 10ms;
    wac.page_size = 4; // several pages in most tests
    wac.seed = 7;
    auto hdl = sys.spawn<caf::detached>(webhook, wac, *transport);
    spawned.push_back(hdl);
    return hdl;
  }

  webhook_status status(const webhook_actor& hdl) {
    webhook_status result;
    self->request(hdl, 10s, atom::status_v)
      .receive([&](webhook_status& x) { result = x; },
               [&](caf::error& err) { BOOST_FAIL(sys.render(err)); });
    return result;
  }

  /// The cursor as stored (0 when there is none).
  uint64_t stored_cursor(const std::string& name = "h") {
    record_store records{*backend};
    auto cur = records.get_cursor(name);
    BOOST_REQUIRE(cur);
    return cur->found ? cur->seq : 0;
  }

  bool has_stored_cursor(const std::string& name = "h") {
    record_store records{*backend};
    auto cur = records.get_cursor(name);
    return cur && cur->found;
  }

  /// Stops `hdl` and waits until it is gone.
  void stop_hook(const webhook_actor& hdl) {
    self->monitor(hdl);
    caf::anon_send_exit(hdl, caf::exit_reason::user_shutdown);
    self->receive([](const caf::down_msg&) {},
                  caf::after(std::chrono::seconds{30}) >>
                    [] { BOOST_FAIL("webhook actor did not stop"); });
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(webhook_actor_suite, hook_fixture)

BOOST_AUTO_TEST_CASE(delivers_every_event_in_order_signed) {
  webhook_receiver rx{hook_secret};
  put_running(10);
  auto hook = hook_config(rx.url("/in?tenant=a"));
  auto hdl = spawn_hook(hook);
  BOOST_REQUIRE(eventually([&] { return rx.hooks().size() >= 10; }));
  put_running(3);
  BOOST_REQUIRE(eventually([&] { return stored_cursor() == 13; }));
  auto got = rx.hooks();
  BOOST_TEST(seqs_of(got) == range(1, 13));
  for (auto& h : got) {
    BOOST_TEST(h.verified, "signature of " << h.id);
    BOOST_TEST(h.well_formed, "body of " << h.id);
    BOOST_TEST(h.id == "n1-" + std::to_string(h.seq));
    BOOST_TEST(h.attempt == 1u);
    BOOST_TEST(h.target == "/in?tenant=a");
  }
  auto st = status(hdl);
  BOOST_TEST(st.cursor == 13u);
  BOOST_TEST(st.persisted_cursor == 13u);
  BOOST_TEST(st.last_seq == 13u);
  BOOST_TEST(st.lag() == 0u);
  BOOST_TEST(st.delivered == 13u);
  BOOST_TEST(st.failures == 0u);
  BOOST_TEST(st.url
             == "http://127.0.0.1:" + std::to_string(rx.port()) + "/...");
}

BOOST_AUTO_TEST_CASE(a_receiver_with_the_wrong_secret_rejects_everything) {
  // The receiver's check can fail: with another secret nothing verifies.
  webhook_receiver rx{"some-other-secret-000"};
  put_running(2);
  spawn_hook(hook_config(rx.url()));
  BOOST_REQUIRE(eventually([&] { return rx.hooks().size() >= 2; }));
  for (auto& h : rx.hooks())
    BOOST_TEST(!h.verified);
}

BOOST_AUTO_TEST_CASE(new_webhook_starts_at_the_end_of_the_log) {
  webhook_receiver rx{hook_secret};
  put_running(3);
  auto hook = hook_config(rx.url());
  hook.from_start = false;
  auto hdl = spawn_hook(hook);
  // The starting point is stored before anything is sent.
  BOOST_REQUIRE(eventually([&] { return has_stored_cursor(); }));
  BOOST_TEST(stored_cursor() == 3u);
  put_running(2);
  BOOST_REQUIRE(eventually([&] { return stored_cursor() == 5; }));
  BOOST_TEST(seqs_of(rx.hooks()) == (std::vector<uint64_t>{4, 5}));
  BOOST_TEST(status(hdl).delivered == 2u);
}

BOOST_AUTO_TEST_CASE(cursor_advances_only_after_2xx_and_retries_back_off) {
  webhook_receiver rx{hook_secret};
  // Every request fails (500, 503, 404, 302, ...) until the test says so.
  auto healthy = std::make_shared<std::atomic<bool>>(false);
  rx.set_policy([healthy](const received_hook&, size_t n) {
    static const int answers[] = {500, 503, 404, 302};
    return *healthy ? 200 : answers[n % 4];
  });
  put_running(3);
  auto hook = hook_config(rx.url());
  hook.backoff_initial = 50ms;
  hook.backoff_max = 10s;
  auto hdl = spawn_hook(hook);
  BOOST_REQUIRE(eventually([&] { return rx.hooks().size() >= 4; }));
  // While event 1 fails, the cursor stays where it was, in memory and
  // in the store, and the status says why and when the next attempt is.
  auto failing = status(hdl);
  BOOST_TEST(failing.cursor == 0u);
  BOOST_TEST(stored_cursor() == 0u);
  BOOST_TEST(failing.pending_seq == 1u);
  BOOST_TEST(failing.failures >= 4u);
  BOOST_TEST(failing.attempts >= 4u);
  BOOST_TEST(failing.next_retry_at_ms > 0);
  BOOST_TEST(failing.last_error.find("event n1-1 attempt") != std::string::npos,
             failing.last_error);
  BOOST_TEST(failing.last_error.find("failed: HTTP ") != std::string::npos,
             failing.last_error);
  BOOST_TEST(failing.lag() == 3u);
  *healthy = true;
  BOOST_REQUIRE(eventually([&] { return stored_cursor() == 3; }));
  auto got = rx.hooks();
  BOOST_REQUIRE(got.size() >= 7u);
  auto tries = got.size() - 2; // attempts at event 1, the last one answered
  std::vector<uint64_t> expected(tries, 1);
  expected.push_back(2);
  expected.push_back(3);
  BOOST_TEST(seqs_of(got) == expected);
  for (size_t i = 0; i < tries; ++i)
    BOOST_TEST(got[i].attempt == i + 1);
  BOOST_TEST(got[tries].attempt == 1u);
  // Delays grow: 50, 100, 200 ms, each at least 80 % of it (the jitter).
  for (size_t i = 1; i < 4; ++i) {
    auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(
      got[i].at - got[i - 1].at);
    auto base = 50 << (i - 1);
    BOOST_TEST(gap.count() >= base * 8 / 10,
               "gap " << i << ": " << gap.count() << "ms");
  }
  auto recovered = status(hdl);
  BOOST_TEST(recovered.failures == tries - 1);
  BOOST_TEST(recovered.attempts == 0u);
  BOOST_TEST(recovered.next_retry_at_ms == 0);
  BOOST_TEST(recovered.pending_seq == 0u);
  BOOST_TEST(recovered.delivered == 3u);
}

BOOST_AUTO_TEST_CASE(refused_connections_are_retried_until_the_receiver_is_up) {
  webhook_receiver rx{hook_secret};
  auto port = rx.port();
  rx.stop();
  put_running(5);
  auto hdl = spawn_hook(hook_config(rx.url()));
  BOOST_REQUIRE(eventually([&] { return status(hdl).failures >= 3; }));
  auto st = status(hdl);
  BOOST_TEST(st.cursor == 0u);
  BOOST_TEST(st.last_error.find("connect") != std::string::npos, st.last_error);
  BOOST_TEST(st.next_retry_at_ms > 0);
  std::string error;
  BOOST_REQUIRE_MESSAGE(rx.start(port, &error), error);
  BOOST_REQUIRE(eventually([&] { return stored_cursor() == 5; }));
  BOOST_TEST(seqs_of(rx.hooks()) == range(1, 5));
}

BOOST_AUTO_TEST_CASE(timeouts_are_retried_without_skipping) {
  webhook_receiver rx{hook_secret};
  // The first request of event 2 gets no answer: the sender times out.
  rx.set_policy([](const received_hook& h, size_t n) {
    return h.seq == 2 && n == 1 ? 0 : 200;
  });
  put_running(4);
  auto hook = hook_config(rx.url());
  hook.timeout = 300ms;
  auto hdl = spawn_hook(hook);
  BOOST_REQUIRE(eventually([&] { return stored_cursor() == 4; }));
  // Event 2 arrived twice (the first outcome was unknown to the sender).
  BOOST_TEST(seqs_of(rx.hooks()) == (std::vector<uint64_t>{1, 2, 2, 3, 4}));
  auto st = status(hdl);
  BOOST_TEST(st.failures == 1u);
  BOOST_TEST(st.last_error.find("lost") != std::string::npos, st.last_error);
}

BOOST_AUTO_TEST_CASE(dropped_connections_are_retried) {
  webhook_receiver rx{hook_secret};
  rx.set_policy(
    [](const received_hook&, size_t n) { return n < 2 ? -1 : 200; });
  put_running(2);
  spawn_hook(hook_config(rx.url()));
  BOOST_REQUIRE(eventually([&] { return stored_cursor() == 2; }));
  auto acked = seqs_of(rx.acknowledged());
  BOOST_TEST(acked == range(1, 2));
}

BOOST_AUTO_TEST_CASE(filters_pick_events_and_the_cursor_passes_the_rest) {
  webhook_receiver rx{hook_secret};
  put({make_event("ServerCreating", "web"), make_event("ServerRunning", "web"),
       make_event("ServerRunning", "batch"), make_event("ServerErrored", "web"),
       make_event("DesiredCountChanged", "web", ""),
       make_event("ServerRunning", "web"), make_event("ServerDeleted", "web")});
  auto hook = hook_config(rx.url());
  hook.events = {"ServerRunning", "ServerErrored"};
  hook.pools = {"web"};
  auto hdl = spawn_hook(hook);
  // The last event is filtered out, yet the stored cursor reaches it.
  BOOST_REQUIRE(eventually([&] { return stored_cursor() == 7; }));
  BOOST_TEST(seqs_of(rx.hooks()) == (std::vector<uint64_t>{2, 4, 6}));
  for (auto& h : rx.hooks()) {
    BOOST_TEST(h.pool == "web");
    BOOST_TEST((h.reason == "ServerRunning" || h.reason == "ServerErrored"));
  }
  auto st = status(hdl);
  BOOST_TEST(st.delivered == 3u);
  BOOST_TEST(st.lag() == 0u);
}

BOOST_AUTO_TEST_CASE(a_restarted_webhook_resumes_after_the_stored_cursor) {
  webhook_receiver rx{hook_secret};
  put_running(3);
  auto hook = hook_config(rx.url());
  auto first = spawn_hook(hook);
  BOOST_REQUIRE(eventually([&] { return stored_cursor() == 3; }));
  stop_hook(first);
  put_running(2);
  // from_start does not matter once a cursor exists.
  auto second = spawn_hook(hook);
  BOOST_REQUIRE(eventually([&] { return stored_cursor() == 5; }));
  BOOST_TEST(seqs_of(rx.hooks()) == range(1, 5));
  BOOST_TEST(status(second).delivered == 2u);
}

BOOST_AUTO_TEST_CASE(an_older_stored_cursor_repeats_events_never_skips) {
  // What a crash between a 2xx and the cursor write looks like: the stored
  // cursor lags behind what the receiver has; the events in between come
  // again (at least once), none is missing.
  webhook_receiver rx{hook_secret};
  put_running(4);
  {
    record_store records{*backend};
    BOOST_REQUIRE(!static_cast<bool>(
      records.commit({}, {}, {}, {webhook_cursor{"h", 2, 0}})));
  }
  spawn_hook(hook_config(rx.url()));
  BOOST_REQUIRE(eventually([&] { return stored_cursor() == 4; }));
  BOOST_TEST(seqs_of(rx.hooks()) == range(3, 4));
}

BOOST_AUTO_TEST_CASE(two_webhooks_keep_separate_cursors) {
  webhook_receiver good{hook_secret};
  webhook_receiver bad{hook_secret};
  bad.set_policy([](const received_hook&, size_t) { return 503; });
  put_running(3);
  auto a = spawn_hook(hook_config(good.url(), "good"));
  auto b = spawn_hook(hook_config(bad.url(), "bad"));
  BOOST_REQUIRE(eventually([&] { return stored_cursor("good") == 3; }));
  BOOST_REQUIRE(eventually([&] { return status(b).failures >= 2; }));
  BOOST_TEST(stored_cursor("bad") == 0u);
  BOOST_TEST(status(b).lag() == 3u);
  BOOST_TEST(status(a).lag() == 0u);
  // Only event 1 was tried at the failing receiver.
  for (auto& h : bad.hooks())
    BOOST_TEST(h.seq == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
