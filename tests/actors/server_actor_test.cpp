// One server actor against mocks of its snapshot, provider and pool actors:
// ordering of persists and provider calls, late answers, stale timers.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "actors/server_actor.hpp"
#include "tests/fixtures/deterministic_system.hpp"
#include "tests/fixtures/mocks.hpp"
#include "tests/fixtures/node_fixture.hpp"

using namespace dynserv;
using namespace dynserv::test;

namespace {

using ss = server_status;

struct server_fixture : deterministic_system {
  std::shared_ptr<snapshot_log> snaps = std::make_shared<snapshot_log>();
  std::shared_ptr<provider_log> calls = std::make_shared<provider_log>();
  std::shared_ptr<pool_log> reports = std::make_shared<pool_log>();
  snapshot_actor snapshots;
  provider_actor provider;
  pool_actor pool;
  actor_context_ptr ctx;
  server_actor aut;

  server_fixture() {
    snapshots = sys.spawn(mock_snapshots, snaps);
    provider = sys.spawn(mock_provider, calls);
    pool = sys.spawn(mock_pool, reports);
    for (auto hdl : {caf::actor_cast<caf::actor>(snapshots),
                     caf::actor_cast<caf::actor>(provider),
                     caf::actor_cast<caf::actor>(pool)})
      tracked.push_back(hdl);
    auto c = std::make_shared<actor_context>();
    c->node_name = "test-node";
    c->timing = test_node_config("").timing;
    c->now_ms = clock();
    c->seed = 1;
    ctx = c;
    run();
  }

  ~server_fixture() override {
    // Answered or not, held promises must not outlive the actors.
    snaps->held.clear();
    calls->calls.clear();
  }

  /// A fresh record in `status`.
  server_record make_record(ss status = ss::pending) {
    server_record rec;
    rec.id = "00000000-0000-4000-8000-000000000001";
    rec.name = "dynserv-web-00000000";
    rec.pool = "web";
    rec.provider = "sim";
    rec.status = status;
    rec.created_at_ms = now_ms();
    rec.status_since_ms = now_ms();
    return rec;
  }

  void spawn_server(server_record rec) {
    aut = sys.spawn(server, std::move(rec), ctx, snapshots, provider, pool);
    tracked.push_back(caf::actor_cast<caf::actor>(aut));
    run();
  }

  server_state& st() {
    return state_of<server_actor, server_state>(aut);
  }

  /// Answers the oldest unanswered call of `op` with `reply`.
  void answer(const std::string& op, provider_reply reply) {
    auto unmatched = calls->unmatched;
    calls->answers.emplace_back(op, std::move(reply));
    caf::anon_send(provider, atom::drain_v);
    run();
    BOOST_REQUIRE_MESSAGE(calls->unmatched == unmatched,
                          "no unanswered " << op << " call");
  }

  /// Answers every put the snapshot mock holds.
  void ack_puts() {
    caf::anon_send(snapshots, atom::flush_v);
    run();
  }

  static provider_reply with_server(std::string pid, cloud_state state) {
    cloud_server srv;
    srv.provider_id = std::move(pid);
    srv.state = state;
    provider_reply reply;
    reply.servers.push_back(std::move(srv));
    return reply;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(server_actor_tests, server_fixture)

BOOST_AUTO_TEST_CASE(the_create_call_waits_for_the_starting_snapshot) {
  snaps->auto_ack = false;
  spawn_server(make_record());
  caf::anon_send(aut, atom::start_v);
  run();
  BOOST_TEST_REQUIRE(snaps->puts.size() == 1u);
  BOOST_TEST((snaps->puts[0].status == ss::starting));
  BOOST_TEST(snaps->puts[0].create_attempts == 1u);
  BOOST_TEST(calls->count("create") == 0u);
  BOOST_TEST(reports->records.empty()); // the pool hears only durable news
  ack_puts();
  BOOST_TEST(calls->count("create") == 1u);
  BOOST_TEST_REQUIRE(reports->records.size() == 1u);
  BOOST_TEST((reports->records[0].status == ss::starting));
}

BOOST_AUTO_TEST_CASE(a_create_answer_after_the_status_changed_is_kept) {
  spawn_server(make_record());
  caf::anon_send(aut, atom::start_v);
  run();
  BOOST_TEST_REQUIRE(calls->count("create") == 1u);
  // The deadline passes while the create is in flight.
  caf::anon_send(aut, atom::deadline_v, st().deadline_gen);
  run();
  BOOST_TEST_REQUIRE((snaps->puts.back().status == ss::hanging));
  answer("create", with_server("p-1", cloud_state::provisioning));
  // The provider id is persisted, so the server can still be cleaned up.
  BOOST_TEST((snaps->puts.back().status == ss::hanging));
  BOOST_TEST(snaps->puts.back().provider_id == "p-1");
  BOOST_TEST(st().rec.provider_id == "p-1");
}

BOOST_AUTO_TEST_CASE(a_restored_unknown_create_is_looked_up_and_adopted) {
  auto rec = make_record(ss::starting);
  rec.create_attempts = 1; // sent before a crash, answer unknown
  spawn_server(rec);
  BOOST_TEST(calls->count("create") == 0u);
  BOOST_TEST_REQUIRE(calls->count("lookup") == 1u);
  answer("lookup", with_server("p-7", cloud_state::provisioning));
  BOOST_TEST(snaps->puts.back().provider_id == "p-7");
  BOOST_TEST(snaps->puts.back().call_accepted);
  BOOST_TEST_REQUIRE(calls->count("observe") == 1u);
  answer("observe", with_server("p-7", cloud_state::running));
  BOOST_TEST((snaps->puts.back().status == ss::running));
  BOOST_TEST((reports->records.back().status == ss::running));
  BOOST_TEST(calls->count("create") == 0u);
}

BOOST_AUTO_TEST_CASE(a_restored_unknown_create_that_never_happened_creates) {
  auto rec = make_record(ss::starting);
  rec.create_attempts = 1;
  spawn_server(rec);
  answer("lookup", provider_reply{});
  BOOST_TEST(calls->count("create") == 1u);
  BOOST_TEST(snaps->puts.back().create_attempts == 2u);
}

BOOST_AUTO_TEST_CASE(a_create_dropped_unsent_from_the_queue_is_plain_retried) {
  // The provider actor answers a create that waited past the call timeout
  // in its rate-limit queue with transient "queued": it was never sent.
  provider_reply queued;
  queued.error = {error_kind::transient, "queued",
                  "create waited past the call timeout in the rate-limit "
                  "queue; not sent",
                  0};
  spawn_server(make_record());
  caf::anon_send(aut, atom::start_v);
  run();
  BOOST_TEST_REQUIRE(calls->count("create") == 1u);
  // Persisted before the call: a crash until the queue expiry restarts in
  // starting with one attempt, which leads to a lookup (see
  // a_restored_unknown_create_is_looked_up_and_adopted).
  BOOST_TEST((snaps->puts.back().status == ss::starting));
  BOOST_TEST(snaps->puts.back().create_attempts == 1u);
  auto puts = snaps->puts.size();
  answer("create", queued);
  // The attempt is uncounted, durably, and no lookup follows.
  BOOST_TEST_REQUIRE(snaps->puts.size() == puts + 1);
  BOOST_TEST(snaps->puts.back().create_attempts == 0u);
  BOOST_TEST((snaps->puts.back().status == ss::starting));
  BOOST_TEST(st().rec.last_error_code == "queued");
  BOOST_TEST(calls->count("lookup") == 0u);
  BOOST_TEST(calls->count("create") == 1u);
  // After the backoff: a new create, counted and persisted before it is sent.
  snaps->auto_ack = false;
  advance(ctx->timing.backoff_initial);
  BOOST_TEST(calls->count("create") == 1u);
  BOOST_TEST_REQUIRE(snaps->puts.size() == puts + 2);
  BOOST_TEST(snaps->puts.back().create_attempts == 1u);
  ack_puts();
  BOOST_TEST(calls->count("create") == 2u);
  BOOST_TEST(calls->count("lookup") == 0u);
  snaps->auto_ack = true;
  answer("create", with_server("p-1", cloud_state::provisioning));
  BOOST_TEST(snaps->puts.back().provider_id == "p-1");
  BOOST_TEST(snaps->puts.back().call_accepted);
  BOOST_TEST(snaps->puts.back().create_attempts == 1u);
  BOOST_TEST(calls->count("lookup") == 0u);
}

BOOST_AUTO_TEST_CASE(a_queued_create_after_an_unknown_one_is_not_looked_up) {
  provider_reply queued;
  queued.error = {error_kind::transient, "queued", "not sent", 0};
  auto rec = make_record(ss::starting);
  rec.create_attempts = 1; // sent before a crash, answer unknown
  spawn_server(rec);
  answer("lookup", provider_reply{});
  BOOST_TEST_REQUIRE(calls->count("create") == 1u);
  BOOST_TEST(snaps->puts.back().create_attempts == 2u);
  answer("create", queued);
  BOOST_TEST(snaps->puts.back().create_attempts == 1u);
  // The earlier attempt was resolved by the lookup; this one never left.
  advance(ctx->timing.backoff_initial);
  BOOST_TEST(calls->count("lookup") == 1u);
  BOOST_TEST_REQUIRE(calls->count("create") == 2u);
  BOOST_TEST(snaps->puts.back().create_attempts == 2u);
  // Any other transient create failure still leads to a lookup.
  provider_reply down;
  down.error = {error_kind::transient, "503", "down", 0};
  answer("create", down);
  advance(ctx->timing.backoff_initial * 2);
  BOOST_TEST(calls->count("lookup") == 2u);
  BOOST_TEST(calls->count("create") == 2u);
}

BOOST_AUTO_TEST_CASE(stale_retry_timers_are_ignored) {
  auto rec = make_record(ss::starting);
  rec.create_attempts = 1;
  spawn_server(rec);
  answer("lookup",
         provider_reply{{error_kind::transient, "503", "down", 0}, {}});
  BOOST_TEST_REQUIRE(st().retry_armed);
  auto gen = st().retry_gen;
  caf::anon_send(aut, atom::retry_v, gen - 1);
  run();
  BOOST_TEST(calls->count("lookup") == 1u);
  advance(ctx->timing.backoff_initial);
  BOOST_TEST(calls->count("lookup") == 2u);
}

BOOST_AUTO_TEST_CASE(commands_that_the_table_rejects_fail_with_an_error) {
  spawn_server(make_record());
  auto res = ask<server_record>(aut, atom::reboot_v);
  BOOST_TEST_REQUIRE(!res);
  BOOST_TEST(is_error(res.error(), ec::invalid_transition),
             render(res.error()));
  BOOST_TEST(snaps->puts.empty());
  // A stop cancels a pending server without any provider call.
  auto stopped = ask<server_record>(aut, atom::stop_v);
  BOOST_REQUIRE_MESSAGE(stopped, outcome(stopped));
  BOOST_TEST_REQUIRE(!snaps->puts.empty());
  BOOST_TEST((snaps->puts.back().status == ss::deleted));
  BOOST_TEST(calls->calls.empty());
}

BOOST_AUTO_TEST_CASE(start_is_ignored_unless_pending) {
  quiet_logs quiet;
  auto rec = make_record(ss::running);
  rec.provider_id = "p-1";
  spawn_server(rec);
  auto puts = snaps->puts.size();
  caf::anon_send(aut, atom::start_v);
  run();
  BOOST_TEST(snaps->puts.size() == puts);
  BOOST_TEST(calls->calls.empty());
  BOOST_TEST((st().rec.status == ss::running));
}

BOOST_AUTO_TEST_CASE(a_create_that_failed_at_the_cloud_errors_within_the_poll) {
  spawn_server(make_record());
  caf::anon_send(aut, atom::start_v);
  run();
  answer("create", with_server("p-1", cloud_state::provisioning));
  BOOST_TEST_REQUIRE(calls->count("observe") == 1u);
  snaps->auto_ack = false;
  auto puts = snaps->puts.size();
  auto heard = reports->records.size();
  auto failed = with_server("p-1", cloud_state::failed);
  failed.servers[0].failure = {error_kind::permanent, "create_failed",
                               "image 4711 not found", 0};
  answer("observe", failed);
  // The very next write is errored, with the provider's words.
  BOOST_TEST_REQUIRE(snaps->puts.size() == puts + 1);
  const auto& rec = snaps->puts.back();
  BOOST_TEST((rec.status == ss::errored));
  BOOST_TEST((rec.previous_status == ss::starting));
  BOOST_TEST((rec.last_error_kind == error_kind::permanent));
  BOOST_TEST(rec.last_error_code == "create_failed");
  BOOST_TEST(rec.last_error_message == "image 4711 not found");
  BOOST_TEST(rec.provider_id == "p-1"); // remediation can delete it
  // Nothing happens before that write is durable: the pool has not heard.
  BOOST_TEST(reports->records.size() == heard);
  ack_puts();
  BOOST_TEST_REQUIRE(reports->records.size() == heard + 1);
  BOOST_TEST((reports->records.back().status == ss::errored));
  BOOST_TEST(reports->records.back().last_error_code == "create_failed");
  auto errored = std::find_if(snaps->events.begin(), snaps->events.end(),
                              [](const event_record& ev) {
                                return ev.reason == "ServerErrored";
                              });
  BOOST_TEST_REQUIRE((errored != snaps->events.end()));
  BOOST_TEST(errored->message.find("create_failed") != std::string::npos,
             errored->message);
  BOOST_TEST(errored->message.find("image 4711 not found") != std::string::npos,
             errored->message);
  // An errored server polls no more, and its starting deadline is void.
  advance(ctx->timing.hanging_starting + ctx->timing.poll_interval);
  BOOST_TEST(calls->calls.size() == 2u); // create, observe
  BOOST_TEST((st().rec.status == ss::errored));
  BOOST_TEST(snaps->puts.size() == puts + 1);
}

BOOST_AUTO_TEST_CASE(a_create_answered_as_already_failed_errors_at_once) {
  spawn_server(make_record());
  caf::anon_send(aut, atom::start_v);
  run();
  auto failed = with_server("p-1", cloud_state::failed);
  failed.servers[0].failure = {error_kind::permanent, "create_failed",
                               "no capacity", 0};
  answer("create", failed);
  BOOST_TEST((snaps->puts.back().status == ss::errored));
  BOOST_TEST(snaps->puts.back().provider_id == "p-1");
  BOOST_TEST(snaps->puts.back().last_error_message == "no capacity");
  BOOST_TEST(calls->count("observe") == 0u);
}

BOOST_AUTO_TEST_CASE(a_recoverable_error_state_keeps_the_server_starting) {
  // UpCloud's `error` may clear by itself: the server keeps polling.
  spawn_server(make_record());
  caf::anon_send(aut, atom::start_v);
  run();
  answer("create", with_server("p-1", cloud_state::provisioning));
  auto puts = snaps->puts.size();
  answer("observe", with_server("p-1", cloud_state::error));
  BOOST_TEST((st().rec.status == ss::starting));
  BOOST_TEST(snaps->puts.size() == puts);
  BOOST_TEST_REQUIRE(calls->count("observe") == 2u);
  answer("observe", with_server("p-1", cloud_state::running));
  BOOST_TEST((snaps->puts.back().status == ss::running));
}

BOOST_AUTO_TEST_SUITE_END()
