// The provider actor alone: batched polling, the token bucket, priorities
// and Retry-After, over a scripted front of the simulated cloud.
#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>
#include <vector>

#include "actors/provider_actor.hpp"
#include "tests/fixtures/node_fixture.hpp"

using namespace dynserv;
using namespace dynserv::test;

namespace {

struct provider_fixture : deterministic_system {
  temp_dir tmp{"dynserv-provider-actor-test"};
  std::shared_ptr<simulated_provider> cloud;
  std::shared_ptr<scripted_provider> fake;
  provider_actor hdl;

  provider_fixture() {
    auto res = open_simulated_provider(tmp.path + "/cloud",
                                       exact_simulated_options(), clock());
    BOOST_REQUIRE_MESSAGE(res, outcome(res));
    cloud = std::move(*res);
    fake = std::make_shared<scripted_provider>(cloud, clock());
  }

  ~provider_fixture() override {
    if (hdl)
      caf::anon_send_exit(hdl, caf::exit_reason::kill);
    flush_all();
    fake.reset();
    cloud.reset();
  }

  void spawn_actor(rate_limit_options limits = {}, double reserve = 0.1,
                   double refill = 0.0) {
    provider_actor_config cfg;
    cfg.account = "sim";
    cfg.owner = "test-node";
    cfg.rate_limit = limits;
    cfg.budget_reserve = reserve;
    cfg.budget_refill_per_second = refill;
    cfg.wall_now = clock();
    cfg.poll_interval = 1s;
    hdl = sys.spawn(provider_worker, cfg,
                    std::static_pointer_cast<provider>(fake));
    run();
  }

  provider_actor_state& actor_state() {
    return state_of<provider_actor, provider_actor_state>(hdl);
  }

  /// Creates a server at the cloud directly (not through the actor).
  std::string make_server(const std::string& id) {
    create_request req{id, "srv-" + id, "web",
                       label_map{{labels::owner, "test-node"},
                                 {labels::id, id},
                                 {labels::pool, "web"}}};
    auto reply = cloud->create(req);
    BOOST_REQUIRE(reply.ok());
    return reply.servers.at(0).provider_id;
  }

  create_request request_for(const std::string& id) {
    return {id, "srv-" + id, "web",
            label_map{{labels::owner, "test-node"}, {labels::id, id}}};
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(provider_actor_tests, provider_fixture)

BOOST_AUTO_TEST_CASE(observes_of_one_tick_share_one_list_call) {
  spawn_actor();
  std::vector<std::string> pids;
  std::vector<answer<provider_reply>> answers;
  for (auto id : {"a", "b", "c"}) {
    pids.push_back(make_server(id));
    answers.push_back(request<provider_reply>(hdl, atom::observe_v,
                                              std::string{id}, pids.back()));
  }
  for (auto& x : answers)
    BOOST_TEST(!x->has_value());
  BOOST_TEST(fake->count("list") == 0u);
  advance(1s);
  for (size_t i = 0; i < answers.size(); ++i) {
    BOOST_TEST_REQUIRE(answers[i]->has_value());
    auto& reply = **answers[i];
    BOOST_TEST_REQUIRE(static_cast<bool>(reply));
    BOOST_TEST_REQUIRE(reply->ok());
    BOOST_TEST_REQUIRE(reply->servers.size() == 1u);
    BOOST_TEST(reply->servers[0].provider_id == pids[i]);
    BOOST_TEST((reply->servers[0].state == cloud_state::provisioning));
  }
  BOOST_TEST(fake->count("list") == 1u);
  BOOST_TEST(fake->count("get") == 0u);
  BOOST_TEST(actor_state().stats.poll_rounds == 1u);
  BOOST_TEST(actor_state().stats.observations == 3u);
  // No observers, no polling.
  elapse(10s);
  BOOST_TEST(fake->count("list") == 1u);
}

BOOST_AUTO_TEST_CASE(a_server_missing_from_the_list_is_read_directly) {
  spawn_actor();
  auto pid = make_server("a");
  auto ghost = request<provider_reply>(
    hdl, atom::observe_v, std::string{"ghost"}, std::string{"sim-99999999"});
  auto known = request<provider_reply>(hdl, atom::observe_v, std::string{"a"},
                                       pid);
  advance(1s);
  BOOST_TEST_REQUIRE(ghost->has_value());
  BOOST_TEST_REQUIRE(static_cast<bool>(**ghost));
  BOOST_TEST(((**ghost)->error.kind == error_kind::not_found));
  BOOST_TEST_REQUIRE(known->has_value());
  BOOST_TEST((**known)->ok());
  BOOST_TEST(fake->count("list") == 1u);
  BOOST_TEST(fake->count("get") == 1u);
}

BOOST_AUTO_TEST_CASE(a_failed_list_fails_every_observer_of_that_tick) {
  spawn_actor();
  auto a = request<provider_reply>(hdl, atom::observe_v, std::string{"a"},
                                   make_server("a"));
  auto b = request<provider_reply>(hdl, atom::observe_v, std::string{"b"},
                                   make_server("b"));
  fake->fail_next("list", {error_kind::transient, "503", "down", 0});
  advance(1s);
  for (auto& x : {a, b}) {
    BOOST_TEST_REQUIRE(x->has_value());
    BOOST_TEST_REQUIRE(static_cast<bool>(**x));
    BOOST_TEST(((**x)->error.kind == error_kind::transient));
  }
  BOOST_TEST(fake->count("list") == 1u);
}

BOOST_AUTO_TEST_CASE(calls_over_the_rate_limit_wait_for_tokens) {
  spawn_actor({1.0, 1.0});
  std::vector<answer<provider_reply>> answers;
  for (auto id : {"a", "b", "c"})
    answers.push_back(
      request<provider_reply>(hdl, atom::create_v, request_for(id)));
  auto answered = [&] {
    size_t n = 0;
    for (auto& x : answers)
      n += x->has_value() ? 1 : 0;
    return n;
  };
  BOOST_TEST(answered() == 1u);
  advance(1s);
  BOOST_TEST(answered() == 2u);
  advance(1s);
  BOOST_TEST(answered() == 3u);
  auto times = fake->times_of("create");
  BOOST_TEST_REQUIRE(times.size() == 3u);
  BOOST_TEST(times[1] - times[0] == 1000);
  BOOST_TEST(times[2] - times[1] == 1000);
  BOOST_TEST(actor_state().stats.throttled >= 1u);
}

BOOST_AUTO_TEST_CASE(throttled_deletes_and_stops_go_before_creates) {
  spawn_actor({1.0, 1.0});
  auto first = request<provider_reply>(hdl, atom::get_v, std::string{"x"});
  BOOST_TEST(first->has_value()); // took the only token
  auto create = request<provider_reply>(hdl, atom::create_v, request_for("a"));
  auto stop = request<provider_reply>(hdl, atom::stop_v, std::string{"y"});
  auto destroy = request<provider_reply>(hdl, atom::destroy_v,
                                         std::string{"z"});
  elapse(3s);
  BOOST_TEST(create->has_value());
  BOOST_TEST(stop->has_value());
  BOOST_TEST(destroy->has_value());
  std::vector<std::string> order;
  for (const auto& c : fake->calls())
    order.push_back(c.op);
  std::vector<std::string> want{"get", "delete", "stop", "create"};
  BOOST_TEST(order == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(retry_after_pauses_the_whole_account) {
  spawn_actor();
  fake->fail_next("create",
                  {error_kind::rate_limited, "429", "slow down", 5000});
  auto t0 = now_ms();
  auto first = request<provider_reply>(hdl, atom::create_v, request_for("a"));
  BOOST_TEST_REQUIRE(first->has_value());
  BOOST_TEST(((**first)->error.kind == error_kind::rate_limited));
  auto second = request<provider_reply>(hdl, atom::create_v, request_for("b"));
  BOOST_TEST(!second->has_value());
  elapse(4s);
  BOOST_TEST(!second->has_value());
  elapse(2s);
  BOOST_TEST_REQUIRE(second->has_value());
  BOOST_TEST((**second)->ok());
  BOOST_TEST(fake->times_of("create").at(1) - t0 >= 5000);
}

BOOST_AUTO_TEST_CASE(every_request_of_a_call_is_charged_to_the_bucket) {
  spawn_actor({1.0, 5.0});
  // A paginated list: one token before the call, four more after it.
  fake->report_requests("list", 5);
  auto list = request<provider_reply>(hdl, atom::list_v);
  BOOST_TEST_REQUIRE(list->has_value());
  BOOST_TEST(actor_state().stats.calls["list"] == 1u);
  BOOST_TEST(actor_state().stats.requests["list"] == 5u);
  // The bucket (5) is empty now: the next call waits a full second.
  auto get = request<provider_reply>(hdl, atom::get_v, std::string{"x"});
  BOOST_TEST(!get->has_value());
  advance(999ms);
  BOOST_TEST(!get->has_value());
  advance(1ms);
  BOOST_TEST(get->has_value());
  BOOST_TEST(fake->times_of("get").at(0) - fake->times_of("list").at(0)
             == 1000);
}

BOOST_AUTO_TEST_CASE(a_call_that_overdraws_the_bucket_delays_later_calls) {
  spawn_actor({1.0, 2.0});
  fake->report_requests("list", 4); // 2 - 1 - 3 = -2 tokens
  auto list = request<provider_reply>(hdl, atom::list_v);
  BOOST_TEST_REQUIRE(list->has_value());
  auto get = request<provider_reply>(hdl, atom::get_v, std::string{"x"});
  elapse(2s, 100ms);
  BOOST_TEST(!get->has_value());
  elapse(1s, 100ms);
  BOOST_TEST(get->has_value());
  BOOST_TEST(fake->times_of("get").at(0) - fake->times_of("list").at(0)
             == 3000);
}

BOOST_AUTO_TEST_CASE(the_budget_reserve_pauses_creates_but_lets_deletes_out) {
  spawn_actor({100.0, 100.0}, 0.1);
  auto reset_at = now_ms() + 60'000;
  // 10 of 100 left: at the reserve (10 %), until the reset in a minute.
  int64_t remaining = 10;
  fake->report_budget([&] { return rate_budget{100, remaining, reset_at}; });
  auto first = request<provider_reply>(hdl, atom::get_v, std::string{"x"});
  BOOST_TEST_REQUIRE(first->has_value());
  BOOST_TEST(actor_state().stats.budget_pauses == 1u);
  BOOST_TEST(actor_state().stats.last_budget.remaining == 10);
  BOOST_TEST(actor_state().stats.last_budget.limit == 100);
  BOOST_TEST(actor_state().stats.last_budget_at_ms == now_ms());
  auto create = request<provider_reply>(hdl, atom::create_v, request_for("a"));
  auto get = request<provider_reply>(hdl, atom::get_v, std::string{"y"});
  auto destroy = request<provider_reply>(hdl, atom::destroy_v,
                                         std::string{"z"});
  auto stop = request<provider_reply>(hdl, atom::stop_v, std::string{"w"});
  BOOST_TEST(destroy->has_value());
  BOOST_TEST(stop->has_value());
  BOOST_TEST(!create->has_value());
  BOOST_TEST(!get->has_value());
  elapse(59s);
  BOOST_TEST(!create->has_value());
  // The budget is back after the reset.
  remaining = 100;
  elapse(1s);
  BOOST_TEST(create->has_value());
  BOOST_TEST(get->has_value());
  BOOST_TEST(fake->times_of("create").at(0) - reset_at == 0);
  BOOST_TEST(actor_state().stats.budget_pauses == 1u);
}

BOOST_AUTO_TEST_CASE(an_exhausted_budget_holds_deletes_too) {
  spawn_actor({100.0, 100.0}, 0.1);
  auto reset_at = now_ms() + 30'000;
  int64_t remaining = 0;
  fake->report_budget([&] { return rate_budget{100, remaining, reset_at}; });
  auto first = request<provider_reply>(hdl, atom::get_v, std::string{"x"});
  BOOST_TEST_REQUIRE(first->has_value());
  auto destroy = request<provider_reply>(hdl, atom::destroy_v,
                                         std::string{"z"});
  BOOST_TEST(!destroy->has_value());
  remaining = 50;
  elapse(30s);
  BOOST_TEST(destroy->has_value());
  BOOST_TEST(fake->times_of("delete").at(0) == reset_at);
}

BOOST_AUTO_TEST_CASE(the_published_refill_shortens_the_pause) {
  // Hetzner-like: the reset says "full in an hour", but 1 request/s comes
  // back, so 10 % of 100 plus one is free again after 6 s from 5 left.
  spawn_actor({100.0, 100.0}, 0.1, 1.0);
  int64_t remaining = 5;
  auto reset_at = now_ms() + 3'600'000;
  fake->report_budget([&] { return rate_budget{100, remaining, reset_at}; });
  auto first = request<provider_reply>(hdl, atom::get_v, std::string{"x"});
  BOOST_TEST_REQUIRE(first->has_value());
  auto t0 = now_ms();
  auto create = request<provider_reply>(hdl, atom::create_v, request_for("a"));
  remaining = 11;
  elapse(5s);
  BOOST_TEST(!create->has_value());
  elapse(1s);
  BOOST_TEST(create->has_value());
  BOOST_TEST(fake->times_of("create").at(0) - t0 == 6000);
}

BOOST_AUTO_TEST_CASE(a_budget_above_the_reserve_pauses_nothing) {
  spawn_actor({100.0, 100.0}, 0.1);
  fake->report_budget([&] { return rate_budget{100, 11, now_ms() + 60'000}; });
  for (auto id : {"a", "b", "c"}) {
    auto reply = request<provider_reply>(hdl, atom::create_v, request_for(id));
    BOOST_TEST(reply->has_value());
  }
  BOOST_TEST(actor_state().stats.budget_pauses == 0u);
}

BOOST_AUTO_TEST_CASE(rate_limited_replies_are_counted) {
  spawn_actor();
  fake->fail_next("get", {error_kind::rate_limited, "429", "slow down", 0});
  auto reply = request<provider_reply>(hdl, atom::get_v, std::string{"x"});
  BOOST_TEST_REQUIRE(reply->has_value());
  BOOST_TEST(actor_state().stats.rate_limited == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
