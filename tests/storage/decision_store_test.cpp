// Policy decisions in the store: codec round trip, keys in time order per
// pool, newest-first reads, pruning; the pool record's paused flag.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "storage/memory_store.hpp"
#include "storage/record_store.hpp"
#include "storage/snapshot_codec.hpp"

using namespace dynserv;

namespace {

decision_record decision(const std::string& pool, int64_t at_ms,
                         int64_t wanted = 5) {
  decision_record d;
  d.pool = pool;
  d.at_ms = at_ms;
  d.policy = "http_metric";
  d.input = "metric \"42\" at /wait/redis:default";
  d.wanted = wanted;
  d.steps = {{"max_servers", 12, 9, "max 9 by limits.max_servers"},
             {"api_budget", 9, 7, "max 7 by the provider's API budget"}};
  d.result = 7;
  d.previous_desired = 3;
  d.active = 3;
  d.starting = 2;
  d.mode = "applied";
  d.applied = true;
  d.action = "creating 4";
  d.summary = "wanted 12; ...";
  return d;
}

} // namespace

BOOST_AUTO_TEST_SUITE(decision_store)

BOOST_AUTO_TEST_CASE(codec_round_trip) {
  auto d = decision("web", 1'700'000'000'000, -1);
  auto back = decode_decision(encode(d));
  BOOST_REQUIRE(back);
  BOOST_TEST(back->pool == d.pool);
  BOOST_TEST(back->at_ms == d.at_ms);
  BOOST_TEST(back->input == d.input);
  BOOST_TEST(back->wanted == -1);
  BOOST_TEST_REQUIRE(back->steps.size() == 2u);
  BOOST_TEST(back->steps[1].name == "api_budget");
  BOOST_TEST(back->steps[1].before == 9);
  BOOST_TEST(back->steps[1].after == 7);
  BOOST_TEST(back->steps[1].why == d.steps[1].why);
  BOOST_TEST(back->mode == "applied");
  BOOST_TEST(back->applied);
  BOOST_TEST(back->action == d.action);
  BOOST_TEST(!decode_decision(R"({"v":1,"at_ms":1})"));
  BOOST_TEST(!decode_decision(R"({"v":1,"pool":"p"})"));
  BOOST_TEST(!decode_decision(R"({"v":1,"pool":"p","at_ms":1,"steps":{}})"));
  BOOST_TEST(!decode_decision(R"({"v":1,"pool":"p","at_ms":1,"steps":[1]})"));
}

BOOST_AUTO_TEST_CASE(pool_records_keep_the_paused_flag) {
  pool_record p;
  p.name = "web";
  p.paused = true;
  auto back = decode_pool(encode(p));
  BOOST_REQUIRE(back);
  BOOST_TEST(back->paused);
  // Records written before the flag existed read as not paused.
  auto old = decode_pool(R"({"v":1,"name":"web","desired":2})");
  BOOST_REQUIRE(old);
  BOOST_TEST(!old->paused);
}

BOOST_AUTO_TEST_CASE(latest_first_per_pool_and_pruning) {
  auto backend = make_memory_store();
  record_store rs{*backend};
  BOOST_TEST(record_store::decision_key("web", 42)
             == "d/web/00000000000000000042");
  std::vector<decision_record> ds;
  // "web2" shares the prefix "web": its decisions must not mix in.
  for (int64_t i = 1; i <= 12; ++i) {
    ds.push_back(decision("web", i * 1000, i));
    ds.push_back(decision("web2", i * 1000 + 500, 100 + i));
  }
  BOOST_REQUIRE(!rs.commit({}, {}, {}, {}, ds));
  auto latest = rs.latest_decisions("web", 3);
  BOOST_REQUIRE(latest);
  BOOST_TEST_REQUIRE(latest->size() == 3u);
  BOOST_TEST((*latest)[0].wanted == 12);
  BOOST_TEST((*latest)[2].wanted == 10);
  BOOST_TEST(rs.latest_decisions("web", 100)->size() == 12u);
  BOOST_TEST(rs.latest_decisions("we", 100)->empty());
  BOOST_TEST(rs.latest_decisions("web", 0)->empty());
  // Prune everything before 6 s: web keeps 6..12, web2 keeps 6.5..12.5.
  auto pruned = rs.prune_decisions(6000);
  BOOST_REQUIRE(pruned);
  BOOST_TEST(*pruned == 10u);
  BOOST_TEST(rs.latest_decisions("web", 100)->size() == 7u);
  BOOST_TEST(rs.latest_decisions("web2", 100)->size() == 7u);
  BOOST_TEST(rs.latest_decisions("web", 100)->back().wanted == 6);
  BOOST_TEST(*rs.prune_decisions(6000) == 0u);
  // A decision without a pool is refused and nothing is written.
  decision_record bad;
  BOOST_TEST(static_cast<bool>(rs.commit({}, {}, {}, {}, {bad})));
}

BOOST_AUTO_TEST_SUITE_END()
