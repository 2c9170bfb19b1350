// Tests of the versioned JSON record codec.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "caf/message.hpp"

#include "messages/errors.hpp"
#include "storage/snapshot_codec.hpp"

using namespace dynserv;
using namespace std::string_literals;

namespace {

/// Returns the text of a dynserv error.
std::string message_of(const caf::error& err) {
  if (err.context().match_elements<std::string>())
    return err.context().get_as<std::string>(0);
  return caf::to_string(err);
}

/// Renders the error of `x`, if any. Boost.Test evaluates messages even for
/// passing checks, so this must not touch the error of a value.
template <class T>
std::string error_of(const caf::expected<T>& x) {
  return x ? "no error" : describe(x.error());
}

/// Checks that decoding failed with `ec::corrupt_record` and that the message
/// contains `text`.
template <class T>
void check_corrupt(const caf::expected<T>& x, const std::string& text = "") {
  BOOST_REQUIRE(!x);
  BOOST_TEST((x.error().category() == error_category));
  BOOST_TEST(x.error().code() == static_cast<uint8_t>(ec::corrupt_record));
  BOOST_TEST(message_of(x.error()).find(text) != std::string::npos,
             "'" << message_of(x.error()) << "' should mention '" << text
                 << "'");
}

/// A string with every awkward byte: quotes, escapes, control characters, NUL,
/// UTF-8 and bytes that are not valid UTF-8.
const std::string nasty = "q\"b\\s/\n\t\x01\0 \xc3\xa4 \xe2\x82\xac \xff\xfe"s;

server_record full_server() {
  server_record x;
  x.id = "3f8e0c1a-9b7d-4e2f-a1c3-5d6e7f809a1b";
  x.name = "dynserv-default-3f8e0c1a";
  x.pool = "default";
  x.provider = "hetzner-main";
  x.status = server_status::hanging;
  x.previous_status = server_status::rebooting;
  x.status_since_ms = std::numeric_limits<int64_t>::max();
  x.created_at_ms = std::numeric_limits<int64_t>::min();
  x.provider_id = "4711";
  x.call_accepted = true;
  x.create_attempts = std::numeric_limits<uint32_t>::max();
  x.reboot_requested = true;
  x.stop_requested = true;
  x.retries = 7;
  x.last_error_kind = error_kind::outcome_unknown;
  x.last_error_code = "429";
  x.last_error_message = nasty;
  return x;
}

void check_equal(const server_record& x, const server_record& y) {
  BOOST_TEST(x.id == y.id);
  BOOST_TEST(x.name == y.name);
  BOOST_TEST(x.pool == y.pool);
  BOOST_TEST(x.provider == y.provider);
  BOOST_TEST((x.status == y.status));
  BOOST_TEST((x.previous_status == y.previous_status));
  BOOST_TEST(x.status_since_ms == y.status_since_ms);
  BOOST_TEST(x.created_at_ms == y.created_at_ms);
  BOOST_TEST(x.provider_id == y.provider_id);
  BOOST_TEST(x.call_accepted == y.call_accepted);
  BOOST_TEST(x.create_attempts == y.create_attempts);
  BOOST_TEST(x.reboot_requested == y.reboot_requested);
  BOOST_TEST(x.stop_requested == y.stop_requested);
  BOOST_TEST(x.retries == y.retries);
  BOOST_TEST((x.last_error_kind == y.last_error_kind));
  BOOST_TEST(x.last_error_code == y.last_error_code);
  BOOST_TEST(x.last_error_message == y.last_error_message);
}

void check_equal(const event_record& x, const event_record& y) {
  BOOST_TEST(x.seq == y.seq);
  BOOST_TEST(x.at_ms == y.at_ms);
  BOOST_TEST(x.reason == y.reason);
  BOOST_TEST(x.pool == y.pool);
  BOOST_TEST(x.server_id == y.server_id);
  BOOST_TEST(x.from == y.from);
  BOOST_TEST(x.to == y.to);
  BOOST_TEST(x.message == y.message);
}

const char* minimal_server = R"({"v":1,"id":"a","status":"running"})";

} // namespace

BOOST_AUTO_TEST_SUITE(snapshot_codec)

BOOST_AUTO_TEST_CASE(server_record_round_trips_every_field) {
  auto x = full_server();
  auto y = decode_server(encode(x));
  BOOST_REQUIRE_MESSAGE(y, error_of(y));
  check_equal(x, *y);
  // Defaults round-trip as well.
  y = decode_server(encode(server_record{}));
  BOOST_REQUIRE(y);
  check_equal(server_record{}, *y);
}

BOOST_AUTO_TEST_CASE(every_status_and_error_kind_round_trips) {
  for (size_t i = 0; i < server_status_count; ++i) {
    auto x = full_server();
    x.status = static_cast<server_status>(i);
    x.previous_status = static_cast<server_status>(server_status_count - 1 - i);
    x.last_error_kind = static_cast<error_kind>(i % 7);
    auto y = decode_server(encode(x));
    BOOST_REQUIRE(y);
    check_equal(x, *y);
  }
}

BOOST_AUTO_TEST_CASE(pool_record_round_trips_every_field) {
  pool_record x{nasty, std::numeric_limits<int64_t>::max(),
                std::numeric_limits<int64_t>::min(), 1700000000000};
  auto y = decode_pool(encode(x));
  BOOST_REQUIRE_MESSAGE(y, error_of(y));
  BOOST_TEST(y->name == x.name);
  BOOST_TEST(y->desired == x.desired);
  BOOST_TEST(y->file_desired == x.file_desired);
  BOOST_TEST(y->updated_at_ms == x.updated_at_ms);
}

BOOST_AUTO_TEST_CASE(event_record_round_trips_every_field) {
  event_record x{std::numeric_limits<uint64_t>::max(),
                 -5,
                 "ServerStatusChanged",
                 "default",
                 "srv-1",
                 "starting",
                 "running",
                 nasty};
  auto y = decode_event(encode(x));
  BOOST_REQUIRE_MESSAGE(y, error_of(y));
  check_equal(x, *y);
}

BOOST_AUTO_TEST_CASE(encoding_is_versioned_json_with_snake_case_names) {
  server_record x;
  x.id = "a";
  x.status = server_status::running;
  x.last_error_kind = error_kind::rate_limited;
  auto json = encode(x);
  for (auto part :
       {R"({"v":1,)", R"("id":"a")", R"("status":"running")",
        R"("previous_status":"pending")", R"("last_error_kind":"rate_limited")",
        R"("status_since_ms":0)", R"("call_accepted":false)",
        R"("create_attempts":0)", R"("last_error_message":"")"})
    BOOST_TEST(json.find(part) != std::string::npos,
               json << " should contain " << part);
  BOOST_TEST(encode(pool_record{"p", 2, -1, 3})
             == R"({"v":1,"name":"p","desired":2,"file_desired":-1,)"
                R"("updated_at_ms":3,"paused":false,"rollout_state":"none",)"
                R"("rollout_max_unavailable_spec":"",)"
                R"("rollout_max_unavailable":1,"rollout_started_at_ms":0,)"
                R"("rollout_finished_at_ms":0,"rollout_waiting":[],)"
                R"("rollout_rebooting":[],"rollout_total":0,"rollout_done":0,)"
                R"("rollout_skipped":0,"breaker_state":"closed",)"
                R"("breaker_open_until_ms":0,"breaker_backoff_ms":0,)"
                R"("breaker_trips":0,"breaker_reason":""})");
  BOOST_TEST(encode(event_record{5, 6, "R", "p", "s", "a", "b", "m"})
             == R"({"v":1,"seq":5,"at_ms":6,"reason":"R","pool":"p",)"
                R"("server_id":"s","from":"a","to":"b","message":"m"})");
}

BOOST_AUTO_TEST_CASE(a_pool_record_keeps_its_rollout_and_breaker) {
  pool_record x{"p", 4, 4, 9};
  x.rollout.state = "running";
  x.rollout.max_unavailable_spec = "25%";
  x.rollout.max_unavailable = 2;
  x.rollout.started_at_ms = 11;
  x.rollout.waiting = {"a", "b"};
  x.rollout.rebooting = {"c"};
  x.rollout.total = 4;
  x.rollout.done = 1;
  x.breaker.state = "open";
  x.breaker.open_until_ms = 300'011;
  x.breaker.backoff_ms = 300'000;
  x.breaker.trips = 2;
  x.breaker.reason = "3 of the last 4 creates failed or hung";
  auto y = decode_pool(encode(x));
  BOOST_REQUIRE_MESSAGE(y, error_of(y));
  BOOST_TEST(y->rollout.state == "running");
  BOOST_TEST(y->rollout.max_unavailable_spec == "25%");
  BOOST_TEST(y->rollout.max_unavailable == 2);
  BOOST_TEST(y->rollout.started_at_ms == 11);
  BOOST_TEST(y->rollout.waiting == x.rollout.waiting,
             boost::test_tools::per_element());
  BOOST_TEST(y->rollout.rebooting == x.rollout.rebooting,
             boost::test_tools::per_element());
  BOOST_TEST(y->rollout.total == 4);
  BOOST_TEST(y->rollout.done == 1);
  BOOST_TEST(y->breaker.state == "open");
  BOOST_TEST(y->breaker.open_until_ms == 300'011);
  BOOST_TEST(y->breaker.backoff_ms == 300'000);
  BOOST_TEST(y->breaker.trips == 2);
  BOOST_TEST(y->breaker.reason == x.breaker.reason);
  // Written before rollouts existed: none and closed.
  auto old = decode_pool(R"({"v":1,"name":"p","desired":2})");
  BOOST_REQUIRE_MESSAGE(old, error_of(old));
  BOOST_TEST(old->rollout.state == "none");
  BOOST_TEST(old->breaker.state == "closed");
  auto bad = decode_pool(R"({"v":1,"name":"p","rollout_waiting":[1]})");
  BOOST_TEST(!bad);
}

BOOST_AUTO_TEST_CASE(stored_version_1_records_stay_readable) {
  // A record as version 1 writes it; this must decode forever.
  auto y = decode_server(
    R"({"v":1,"id":"x","name":"n","pool":"p","provider":"f",)"
    R"("status":"stopping","previous_status":"running",)"
    R"("status_since_ms":10,"created_at_ms":5,"provider_id":"42",)"
    R"("call_accepted":true,"create_attempts":1,"reboot_requested":false,)"
    R"("stop_requested":true,"retries":2,"last_error_kind":"conflict",)"
    R"("last_error_code":"409","last_error_message":"busy"})");
  BOOST_REQUIRE_MESSAGE(y, error_of(y));
  BOOST_TEST(y->id == "x");
  BOOST_TEST(y->provider == "f");
  BOOST_TEST((y->status == server_status::stopping));
  BOOST_TEST((y->previous_status == server_status::running));
  BOOST_TEST(y->status_since_ms == 10);
  BOOST_TEST(y->created_at_ms == 5);
  BOOST_TEST(y->provider_id == "42");
  BOOST_TEST(y->call_accepted);
  BOOST_TEST(y->create_attempts == 1u);
  BOOST_TEST(!y->reboot_requested);
  BOOST_TEST(y->stop_requested);
  BOOST_TEST(y->retries == 2u);
  BOOST_TEST((y->last_error_kind == error_kind::conflict));
  BOOST_TEST(y->last_error_code == "409");
  BOOST_TEST(y->last_error_message == "busy");
}

BOOST_AUTO_TEST_CASE(missing_optional_fields_take_defaults) {
  auto y = decode_server(minimal_server);
  BOOST_REQUIRE_MESSAGE(y, error_of(y));
  server_record expected;
  expected.id = "a";
  expected.status = server_status::running;
  check_equal(expected, *y);
  auto p = decode_pool(R"({"v":1,"name":"p"})");
  BOOST_REQUIRE(p);
  BOOST_TEST(p->desired == 0);
  BOOST_TEST(p->file_desired == -1);
  auto e = decode_event(R"({"v":1,"seq":3})");
  BOOST_REQUIRE(e);
  check_equal(event_record{3, 0, "", "", "", "", "", ""}, *e);
}

BOOST_AUTO_TEST_CASE(unknown_fields_are_ignored) {
  auto y = decode_server(
    R"({"v":1,"id":"a","status":"running","zone":{"x":[1,2,null]}})");
  BOOST_REQUIRE_MESSAGE(y, error_of(y));
  BOOST_TEST(y->id == "a");
}

BOOST_AUTO_TEST_CASE(missing_required_fields_are_corrupt) {
  check_corrupt(decode_server(R"({"v":1,"status":"running"})"), "'id'");
  check_corrupt(decode_server(R"({"v":1,"id":"a"})"), "'status'");
  check_corrupt(decode_pool(R"({"v":1,"desired":3})"), "'name'");
  check_corrupt(decode_event(R"({"v":1,"reason":"R"})"), "'seq'");
  check_corrupt(decode_server(R"({"id":"a","status":"running"})"), "version");
}

BOOST_AUTO_TEST_CASE(unknown_version_is_corrupt_and_named) {
  check_corrupt(decode_server(R"({"v":2,"id":"a","status":"running"})"),
                "version 2");
  check_corrupt(decode_pool(R"({"v":0,"name":"p"})"), "version 0");
  check_corrupt(decode_event(R"({"v":-1,"seq":1})"), "version -1");
  check_corrupt(decode_server(R"({"v":"1","id":"a","status":"running"})"),
                "'v'");
  check_corrupt(decode_server(R"({"v":1.0,"id":"a","status":"running"})"),
                "'v'");
  check_corrupt(decode_server(R"({"v":99999999999,"id":"a"})"), "'v'");
}

BOOST_AUTO_TEST_CASE(malformed_json_is_corrupt_with_offset) {
  check_corrupt(decode_server(R"({"v":1,"id":"a")"), "offset 15");
  check_corrupt(decode_server(""), "offset 0");
  check_corrupt(decode_server("{\"v\":1,\"id\":\"a\0\"}"s), "offset");
  check_corrupt(decode_server(std::string{minimal_server} + " x"), "offset");
  check_corrupt(decode_pool("nul"), "offset");
  check_corrupt(decode_event("{\"v\":1,\"seq\":"), "offset");
  for (auto json : {"null", "[]", "42", "\"str\"", "true"}) {
    check_corrupt(decode_server(json), "not a JSON object");
    check_corrupt(decode_pool(json), "not a JSON object");
    check_corrupt(decode_event(json), "not a JSON object");
  }
}

BOOST_AUTO_TEST_CASE(fields_of_the_wrong_type_are_corrupt) {
  auto with = [](const std::string& member) {
    return R"({"v":1,"id":"a","status":"running",)" + member + "}";
  };
  check_corrupt(decode_server(R"({"v":1,"id":null,"status":"running"})"),
                "'id'");
  check_corrupt(decode_server(R"({"v":1,"id":"a","status":3})"), "'status'");
  check_corrupt(decode_server(R"({"v":1,"id":"a","status":"sleeping"})"),
                "sleeping");
  check_corrupt(decode_server(with(R"("previous_status":"new")")),
                "'previous_status'");
  check_corrupt(decode_server(with(R"("retries":-1)")), "'retries'");
  check_corrupt(decode_server(with(R"("retries":"3")")), "'retries'");
  check_corrupt(decode_server(with(R"("create_attempts":4294967296)")),
                "'create_attempts'");
  check_corrupt(decode_server(with(R"("status_since_ms":1.5)")),
                "'status_since_ms'");
  check_corrupt(decode_server(with(R"("created_at_ms":18446744073709551615)")),
                "'created_at_ms'");
  check_corrupt(decode_server(with(R"("call_accepted":1)")), "'call_accepted'");
  check_corrupt(decode_server(with(R"("last_error_kind":"boom")")), "boom");
  check_corrupt(decode_server(with(R"("last_error_kind":null)")),
                "'last_error_kind'");
  check_corrupt(decode_server(with(R"("name":["x"])")), "'name'");
  check_corrupt(decode_pool(R"({"v":1,"name":"p","desired":"2"})"),
                "'desired'");
  check_corrupt(decode_event(R"({"v":1,"seq":-1})"), "'seq'");
  check_corrupt(decode_event(R"({"v":1,"seq":1,"message":{}})"), "'message'");
}

BOOST_AUTO_TEST_CASE(garbage_never_crashes_the_decoders) {
  // Every prefix of a valid record and many byte flips of it, plus random
  // bytes, either decode or fail with corrupt_record.
  std::vector<std::string> inputs;
  auto valid = encode(full_server());
  for (size_t n = 0; n < valid.size(); ++n)
    inputs.push_back(valid.substr(0, n));
  std::minstd_rand rng{42}; // fixed seed: the test is deterministic
  std::uniform_int_distribution<int> byte{0, 255};
  for (int i = 0; i < 2000; ++i) {
    auto mutated = valid;
    auto pos = static_cast<size_t>(rng() % mutated.size());
    mutated[pos] = static_cast<char>(byte(rng));
    inputs.push_back(std::move(mutated));
    std::string random(static_cast<size_t>(rng() % 64), '\0');
    for (auto& ch : random)
      ch = static_cast<char>(byte(rng));
    inputs.push_back(std::move(random));
  }
  size_t decoded = 0;
  for (auto& input : inputs) {
    auto check = [&](const auto& x) {
      if (x)
        ++decoded;
      else
        BOOST_CHECK(x.error().code()
                    == static_cast<uint8_t>(ec::corrupt_record));
    };
    check(decode_server(input));
    check(decode_pool(input));
    check(decode_event(input));
  }
  // Flips inside string values still decode, so some inputs must pass.
  BOOST_TEST(decoded > 0u);
}

BOOST_AUTO_TEST_SUITE_END()
