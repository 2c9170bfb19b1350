// The field lists of messages/record_fields.hpp drive both the stored
// encoding and the API JSON: each document has exactly the keys its list
// names, in list order (the legacy `shown_after` fields aside).
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <type_traits>
#include <vector>

#include "rapidjson/document.h"

#include "api/api_json.hpp"
#include "messages/record_fields.hpp"
#include "storage/snapshot_codec.hpp"

using namespace dynserv;

namespace {

/// The keys of a JSON object, in document order.
std::vector<std::string> keys_of(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  BOOST_REQUIRE_MESSAGE(doc.IsObject(), "not a JSON object: " << json);
  std::vector<std::string> res;
  for (auto i = doc.MemberBegin(); i != doc.MemberEnd(); ++i)
    res.emplace_back(i->name.GetString());
  return res;
}

/// The keys of the stored fields of `x` per its list, nested records
/// flattened under "<key>_".
template <class Record>
void add_stored_keys(const Record& x, const std::string& prefix,
                     std::vector<std::string>& out) {
  for_each_field(x, [&](const field_spec& f, const auto& member) {
    if (!f.is_stored)
      return;
    if constexpr (has_field_list_v<std::decay_t<decltype(member)>>)
      add_stored_keys(member, prefix + f.key + "_", out);
    else
      out.push_back(prefix + f.key);
  });
}

/// The keys the codec writes for `x`: "v", then the stored fields.
template <class Record>
std::vector<std::string> stored_keys(const Record& x) {
  std::vector<std::string> res{"v"};
  add_stored_keys(x, "", res);
  return res;
}

/// The keys the API shows for `x`, per its list, as a sorted set (the
/// order is checked by the byte-exact API tests).
template <class Record>
std::vector<std::string> shown_keys(const Record& x) {
  std::vector<std::string> res;
  for_each_field(x, [&](const field_spec& f, const auto&) {
    if (f.time_key != nullptr)
      res.emplace_back(f.time_key);
    res.emplace_back(f.api_key());
  });
  std::sort(res.begin(), res.end());
  return res;
}

std::vector<std::string> sorted(std::vector<std::string> xs) {
  std::sort(xs.begin(), xs.end());
  return xs;
}

} // namespace

BOOST_AUTO_TEST_SUITE(record_fields)

BOOST_AUTO_TEST_CASE(the_codec_stores_exactly_the_listed_fields_in_order) {
  BOOST_TEST(keys_of(encode(server_record{})) == stored_keys(server_record{}));
  BOOST_TEST(keys_of(encode(pool_record{})) == stored_keys(pool_record{}));
  BOOST_TEST(keys_of(encode(event_record{})) == stored_keys(event_record{}));
  BOOST_TEST(keys_of(encode(decision_record{}))
             == stored_keys(decision_record{}));
  BOOST_TEST(keys_of(encode(webhook_cursor{}))
             == stored_keys(webhook_cursor{}));
}

BOOST_AUTO_TEST_CASE(the_api_shows_exactly_the_listed_fields) {
  BOOST_TEST(sorted(keys_of(server_json(server_record{})))
             == shown_keys(server_record{}));
  BOOST_TEST(sorted(keys_of(event_json(event_record{})))
             == shown_keys(event_record{}));
  BOOST_TEST(sorted(keys_of(decision_json(decision_record{})))
             == shown_keys(decision_record{}));
  BOOST_TEST(sorted(keys_of(rollout_json(rollout_record{})))
             == shown_keys(rollout_record{}));
  BOOST_TEST(sorted(keys_of(breaker_json(breaker_record{})))
             == shown_keys(breaker_record{}));
}

BOOST_AUTO_TEST_CASE(only_shown_fields_are_not_stored) {
  auto stored = stored_keys(server_record{});
  BOOST_TEST(
    (std::find(stored.begin(), stored.end(), "last_error") == stored.end()));
  auto pool = stored_keys(pool_record{});
  BOOST_TEST((std::find(pool.begin(), pool.end(), "breaker_window_creates")
              == pool.end()));
  BOOST_TEST(
    (std::find(pool.begin(), pool.end(), "rollout_waiting") != pool.end()));
}

BOOST_AUTO_TEST_CASE(every_stored_field_survives_a_round_trip) {
  decision_record d;
  d.pool = "p";
  d.at_ms = 7;
  d.wanted = 3;
  d.steps = {{"cap", 5, 3, "why"}};
  d.summary = "s";
  auto back = decode_decision(encode(d));
  BOOST_REQUIRE(back);
  BOOST_TEST(encode(*back) == encode(d));
  pool_record p;
  p.name = "p";
  p.rollout.waiting = {"a"};
  p.breaker.trips = 2;
  auto pool_back = decode_pool(encode(p));
  BOOST_REQUIRE(pool_back);
  BOOST_TEST(encode(*pool_back) == encode(p));
}

BOOST_AUTO_TEST_SUITE_END()
