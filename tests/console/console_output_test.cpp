// Tests of dynservctl's output: text tables and JSON documents of sample
// replies, including the stable JSON keys documented in docs/console.md.
#include "tools/console/console_output.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "rapidjson/document.h"

using namespace dynserv;
using namespace dynserv::console;

namespace {

/// 2023-11-14T22:13:20.123Z
constexpr int64_t t0 = 1700000000123;

server_record make_server(std::string id, std::string pool,
                          server_status status, int64_t created) {
  server_record rec;
  rec.id = std::move(id);
  rec.name = "dynserv-" + pool + "-" + rec.id;
  rec.pool = std::move(pool);
  rec.provider = "sim";
  rec.status = status;
  rec.previous_status = server_status::starting;
  rec.status_since_ms = t0;
  rec.created_at_ms = created;
  rec.provider_id = "sim-" + rec.id;
  rec.provider_created_at_ms = created + 1;
  rec.create_attempts = 1;
  return rec;
}

std::vector<pool_status> sample_pools() {
  pool_status batch;
  batch.name = "batch";
  batch.provider = "sim";
  batch.desired = 2;
  batch.max = 4;
  batch.counts.assign(server_status_count, 0);
  batch.counts[static_cast<size_t>(server_status::running)] = 1;
  batch.counts[static_cast<size_t>(server_status::starting)] = 1;
  batch.servers = {make_server("b2", "batch", server_status::starting, t0 + 5),
                   make_server("b1", "batch", server_status::running, t0)};
  pool_status def;
  def.name = "default";
  def.provider = "sim";
  def.desired = 1;
  def.min = 1;
  def.max = 6;
  def.counts.assign(server_status_count, 0);
  def.counts[static_cast<size_t>(server_status::errored)] = 1;
  auto broken = make_server("d1", "default", server_status::errored, t0);
  broken.last_error_kind = error_kind::permanent;
  broken.last_error_code = "422";
  broken.last_error_message = "quota exceeded";
  def.servers = {broken};
  return {batch, def};
}

rapidjson::Document parse_json(const std::string& text) {
  BOOST_TEST_REQUIRE(!text.empty());
  BOOST_TEST(text.back() == '\n');
  BOOST_TEST(text.find('\n') == text.size() - 1, "one line: " << text);
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  BOOST_TEST_REQUIRE(!doc.HasParseError(), "invalid JSON: " << text);
  return doc;
}

std::vector<std::string> keys_of(const rapidjson::Value& obj) {
  std::vector<std::string> res;
  for (auto i = obj.MemberBegin(); i != obj.MemberEnd(); ++i)
    res.emplace_back(i->name.GetString());
  return res;
}

const std::vector<std::string> server_keys = {
  "id",
  "name",
  "pool",
  "provider",
  "status",
  "previous_status",
  "since",
  "since_ms",
  "created_at_ms",
  "provider_id",
  "provider_created_at_ms",
  "call_accepted",
  "create_attempts",
  "reboot_requested",
  "stop_requested",
  "retries",
  "last_error",
  "last_error_kind",
  "last_error_code",
  "last_error_message",
};

// New keys only ever come at the end: consumers may rely on the order.
const std::vector<std::string> pool_keys = {
  "name",    "provider",        "desired", "min",     "max",    "provisioned",
  "counts",  "policy",          "paused",  "dry_run", "active", "expired",
  "rollout", "circuit_breaker",
};

const std::vector<std::string> rollout_keys = {
  "state",
  "max_unavailable_spec",
  "max_unavailable",
  "started_at_ms",
  "finished_at_ms",
  "total",
  "done",
  "skipped",
  "rebooting",
  "waiting",
};

const std::vector<std::string> breaker_keys = {
  "state",  "open_until_ms",  "backoff_ms",      "trips",
  "reason", "window_creates", "window_failures",
};

/// A rollout of `pool` half way through: 1 done, 1 rebooting, 1 waiting.
rollout_record sample_rollout() {
  rollout_record r;
  r.state = "running";
  r.max_unavailable_spec = "25%";
  r.max_unavailable = 1;
  r.started_at_ms = t0;
  r.total = 3;
  r.done = 1;
  r.rebooting = {"s1"};
  r.waiting = {"s2"};
  return r;
}

const std::vector<std::string> event_keys = {
  "seq", "at", "at_ms", "reason", "pool", "server_id", "from", "to", "message",
};

event_record sample_event(uint64_t seq) {
  event_record ev;
  ev.seq = seq;
  ev.at_ms = t0;
  ev.reason = "ServerStatusChanged";
  ev.pool = "default";
  ev.server_id = "d1";
  ev.from = "starting";
  ev.to = "running";
  return ev;
}

} // namespace

BOOST_AUTO_TEST_SUITE(output_helpers)

BOOST_AUTO_TEST_CASE(times_are_utc_iso_8601) {
  BOOST_TEST(format_time(t0) == "2023-11-14T22:13:20Z");
  BOOST_TEST(format_time_ms(t0) == "2023-11-14T22:13:20.123Z");
  BOOST_TEST(format_time_ms(t0 - 123) == "2023-11-14T22:13:20.000Z");
  BOOST_TEST(format_time(0) == "-");
  BOOST_TEST(format_time_ms(-5) == "-");
}

BOOST_AUTO_TEST_CASE(tables_pad_columns_and_dash_empty_cells) {
  auto text = format_table({"A", "LONGER", "C"}, {{"xxxx", "", "z"}});
  BOOST_TEST(text == "A     LONGER  C\nxxxx  -       z\n");
}

BOOST_AUTO_TEST_CASE(sanitize_escapes_control_characters_only) {
  BOOST_TEST(sanitize("ok \xc3\xa9") == "ok \xc3\xa9");
  BOOST_TEST(sanitize("a\x1b[2Jb\n") == "a\\x1b[2Jb\\x0a");
}

BOOST_AUTO_TEST_CASE(valid_utf8_replaces_broken_sequences) {
  BOOST_TEST(valid_utf8("plain \xc3\xa9 \xf0\x9f\x98\x80")
             == "plain \xc3\xa9 \xf0\x9f\x98\x80");
  BOOST_TEST(valid_utf8("a\xff"
                        "b")
             == "a\xef\xbf\xbd"
                "b");
  BOOST_TEST(valid_utf8("\xc3") == "\xef\xbf\xbd");
  BOOST_TEST(valid_utf8("\xc0\xaf") == "\xef\xbf\xbd\xef\xbf\xbd"); // overlong
  BOOST_TEST(valid_utf8("\xed\xa0\x80")
             == "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); // surrogate
}

BOOST_AUTO_TEST_CASE(select_servers_filters_and_orders) {
  auto pools = sample_pools();
  auto all = select_servers(pools, "", std::nullopt);
  BOOST_TEST_REQUIRE(all.size() == 3u);
  BOOST_TEST(all[0].id == "b1"); // batch, oldest first
  BOOST_TEST(all[1].id == "b2");
  BOOST_TEST(all[2].id == "d1");
  BOOST_TEST(select_servers(pools, "batch", std::nullopt).size() == 2u);
  auto running = select_servers(pools, "", server_status::running);
  BOOST_TEST_REQUIRE(running.size() == 1u);
  BOOST_TEST(running[0].id == "b1");
  BOOST_TEST(select_servers(pools, "default", server_status::running).empty());
}

BOOST_AUTO_TEST_CASE(unknown_pools_are_reported_like_the_node_does) {
  auto pools = sample_pools();
  BOOST_TEST(!unknown_pool_message(pools, "batch").has_value());
  BOOST_TEST(unknown_pool_message(pools, "nope").value_or("")
             == "unknown_pool: unknown pool \"nope\" (known: batch, default)");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(text_output)

BOOST_AUTO_TEST_CASE(pools_table) {
  BOOST_TEST(format_pools(sample_pools(), false)
             == "POOL     PROVIDER  DESIRED  MIN  MAX  PROVISIONED  COUNTS\n"
                "batch    sim       2        0    4    2            "
                "starting=1 running=1\n"
                "default  sim       1        1    6    0            "
                "errored=1\n");
  BOOST_TEST(format_pools({}, false) == "(no pools)\n");
}

BOOST_AUTO_TEST_CASE(pools_table_notes_rollout_breaker_and_expired) {
  auto pools = sample_pools();
  pools[0].rollout = sample_rollout();
  pools[0].rollout.skipped = 2;
  pools[1].breaker.state = "open";
  pools[1].breaker.open_until_ms = t0;
  pools[1].breaker.reason = "4 of the last 5 creates failed or hung";
  pools[1].expired = 2;
  auto text = format_pools(pools, false);
  BOOST_TEST(text
             == "POOL     PROVIDER  DESIRED  MIN  MAX  PROVISIONED  COUNTS\n"
                "batch    sim       2        0    4    2            "
                "starting=1 running=1\n"
                "default  sim       1        1    6    0            "
                "errored=1\n"
                "batch: rolling reboot 1/3 done, 1 rebooting, 2 skipped\n"
                "default: circuit breaker open until 2023-11-14T22:13:20Z (4 "
                "of the last 5 creates failed or hung)\n"
                "default: 2 servers past max_lifetime\n");
  // status prints the same notes between the tables.
  BOOST_TEST(format_status(pools, false).find("max_lifetime\n\nID  ")
             != std::string::npos);
  // Finished rollouts and closed breakers say nothing.
  pools[0].rollout.state = "finished";
  pools[1].breaker.state = "closed";
  pools[1].expired = 0;
  BOOST_TEST(pool_notes(pools[0]).empty());
  BOOST_TEST(pool_notes(pools[1]).empty());
  pools[1].breaker.state = "half_open";
  BOOST_TEST((pool_notes(pools[1])
              == std::vector<std::string>{
                "circuit breaker half_open: one probe create decides (4 of "
                "the last 5 creates failed or hung)"}));
  pools[1].expired = 1;
  BOOST_TEST(pool_notes(pools[1]).back() == "1 server past max_lifetime");
  // The reason comes from the node: no terminal control bytes.
  pools[1].breaker.reason = "evil\x1b[2J";
  BOOST_TEST(format_pools(pools, false).find('\x1b') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(servers_table) {
  auto text = format_servers(select_servers(sample_pools(), "", std::nullopt),
                             false);
  // Exact layout: widths follow the widest cell of each column.
  auto lines = std::vector<std::string>{};
  size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  BOOST_TEST_REQUIRE(lines.size() == 4u);
  BOOST_TEST(lines[0]
             == "ID  NAME                POOL     STATUS    SINCE          "
                "       PROVIDER ID  LAST ERROR");
  BOOST_TEST(lines[1]
             == "b1  dynserv-batch-b1    batch    running   "
                "2023-11-14T22:13:20Z  sim-b1       -");
  BOOST_TEST(lines[3]
             == "d1  dynserv-default-d1  default  errored   "
                "2023-11-14T22:13:20Z  sim-d1       permanent 422 quota "
                "exceeded");
  BOOST_TEST(format_servers({}, false) == "(no servers)\n");
}

BOOST_AUTO_TEST_CASE(status_prints_pools_then_servers) {
  auto text = format_status(sample_pools(), false);
  BOOST_TEST(text.rfind("POOL ", 0) == 0u);
  BOOST_TEST(text.find("\n\nID  ") != std::string::npos);
  BOOST_TEST(format_status({}, false) == "(no pools)\n\n(no servers)\n");
}

BOOST_AUTO_TEST_CASE(one_server_in_detail) {
  auto rec = sample_pools()[1].servers[0];
  rec.stop_requested = true;
  auto text = format_server(rec, false);
  BOOST_TEST(text.rfind("id:               d1\n", 0) == 0u);
  BOOST_TEST(text.find("status:           errored\n") != std::string::npos);
  BOOST_TEST(text.find("requested:        stop\n") != std::string::npos);
  BOOST_TEST(text.find("last error:       permanent 422 quota exceeded\n")
             != std::string::npos);
}

BOOST_AUTO_TEST_CASE(scale_reboot_stop_and_limits) {
  BOOST_TEST(format_scale({"default", 3, 5, ""}, false)
             == "pool default: desired 3 -> 5\n");
  BOOST_TEST(format_scale({"batch", 1, 4, "clamped to 4"}, false)
             == "pool batch: desired 1 -> 4 (clamped to 4)\n");
  auto r = sample_rollout();
  BOOST_TEST(format_rollout("batch", r, false)
             == "pool batch: rolling reboot running, 3 servers, at most 1 at "
                "a time: 1 done, 1 rebooting, 1 waiting, 0 skipped\n");
  r.state = "aborted";
  r.skipped = 1;
  r.waiting.clear();
  BOOST_TEST(format_rollout("batch", r, false)
             == "pool batch: rolling reboot aborted, 3 servers, at most 1 at "
                "a time: 1 done, 1 rebooting, 0 waiting, 1 skipped\n");
  auto rec = make_server("s1", "default", server_status::stopping, t0);
  BOOST_TEST(format_stop(rec, false)
             == "server s1 (dynserv-default-s1, pool default): stopping\n");
  BOOST_TEST(format_limits({10, 7, {"batch", "default"}}, false)
             == "max servers:    10\n"
                "allocated:      7\n"
                "available:      3\n"
                "limited pools:  batch, default\n");
  BOOST_TEST(format_limits({0, 0, {}}, false).find("limited pools:  -\n")
             != std::string::npos);
}

BOOST_AUTO_TEST_CASE(event_lines) {
  BOOST_TEST(format_event_line(sample_event(7), false)
             == "7  2023-11-14T22:13:20.123Z  ServerStatusChanged  "
                "pool=default  server=d1  starting -> running\n");
  event_record limit;
  limit.seq = 8;
  limit.at_ms = t0;
  limit.reason = "ServerLimitHit";
  limit.pool = "batch";
  limit.message = "max_servers 10 reached";
  BOOST_TEST(format_event_line(limit, false)
             == "8  2023-11-14T22:13:20.123Z  ServerLimitHit  pool=batch  "
                "max_servers 10 reached\n");
  BOOST_TEST(format_events({}, 0, false) == "(no events)\n");
  BOOST_TEST(format_events({sample_event(1), sample_event(2)}, 0, false)
             == format_event_line(sample_event(1), false)
                  + format_event_line(sample_event(2), false));
}

BOOST_AUTO_TEST_CASE(text_from_the_node_cannot_control_the_terminal) {
  auto ev = sample_event(1);
  ev.message = "evil\x1b[2J\nsecond line";
  auto line = format_event_line(ev, false);
  BOOST_TEST(line.find('\x1b') == std::string::npos);
  BOOST_TEST(line.find('\n') == line.size() - 1);
}

BOOST_AUTO_TEST_CASE(webhooks_one_line_each) {
  BOOST_TEST(format_webhooks({}, false)
             == "no webhooks (the config has no `webhooks` section)\n");
  webhook_status ok;
  ok.name = "audit";
  ok.url = "https://audit.example.org/...";
  ok.cursor = 12;
  ok.persisted_cursor = 12;
  ok.last_seq = 12;
  ok.delivered = 12;
  ok.last_success_at_ms = t0;
  webhook_status down;
  down.name = "ops";
  down.url = "http://10.0.0.5:8080/...";
  down.cursor = 3;
  down.last_seq = 9;
  down.failures = 4;
  down.attempts = 4;
  down.pending_seq = 4;
  down.last_error = "event n-4 attempt 4 failed: refused\x1b[2J";
  down.next_retry_at_ms = t0;
  auto text = format_webhooks({ok, down}, false);
  BOOST_TEST(
    text
      == "NAME   URL                            CURSOR  LAG  DELIVERED  "
         "FAILURES  NEXT RETRY                LAST ERROR\n"
         "audit  https://audit.example.org/...  12/12   0    12         "
         "0         -                         -\n"
         "ops    http://10.0.0.5:8080/...       3/9     6    0          "
         "4         2023-11-14T22:13:20.123Z  event n-4 attempt 4 "
         "failed: refused\\x1b[2J\n",
    text);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(json_output)

BOOST_AUTO_TEST_CASE(status_has_pools_and_servers_with_stable_keys) {
  auto doc = parse_json(format_status(sample_pools(), true));
  BOOST_TEST((keys_of(doc) == std::vector<std::string>{"pools", "servers"}));
  const auto& pools = doc["pools"];
  BOOST_TEST_REQUIRE(pools.Size() == 2u);
  BOOST_TEST((keys_of(pools[0]) == pool_keys));
  BOOST_TEST(std::string{pools[0]["name"].GetString()} == "batch");
  BOOST_TEST((keys_of(pools[0]["rollout"]) == rollout_keys));
  BOOST_TEST(std::string{pools[0]["rollout"]["state"].GetString()} == "none");
  BOOST_TEST((keys_of(pools[0]["circuit_breaker"]) == breaker_keys));
  BOOST_TEST(std::string{pools[0]["circuit_breaker"]["state"].GetString()}
             == "closed");
  BOOST_TEST(pools[0]["expired"].GetInt64() == 0);
  BOOST_TEST(pools[0]["provisioned"].GetInt64() == 2);
  BOOST_TEST(pools[0]["counts"]["running"].GetInt64() == 1);
  BOOST_TEST(pools[0]["counts"].MemberCount() == server_status_count);
  const auto& servers = doc["servers"];
  BOOST_TEST_REQUIRE(servers.Size() == 3u);
  BOOST_TEST((keys_of(servers[0]) == server_keys));
  BOOST_TEST(std::string{servers[2]["last_error"].GetString()}
             == "permanent 422 quota exceeded");
  BOOST_TEST(std::string{servers[2]["last_error_kind"].GetString()}
             == "permanent");
  BOOST_TEST(servers[0]["since_ms"].GetInt64() == t0);
  BOOST_TEST(std::string{servers[0]["since"].GetString()}
             == "2023-11-14T22:13:20Z");
}

BOOST_AUTO_TEST_CASE(pools_servers_and_server) {
  auto pools = parse_json(format_pools(sample_pools(), true));
  BOOST_TEST((keys_of(pools) == std::vector<std::string>{"pools"}));
  auto servers = parse_json(format_servers({}, true));
  BOOST_TEST((keys_of(servers) == std::vector<std::string>{"servers"}));
  BOOST_TEST(servers["servers"].Size() == 0u);
  auto one = parse_json(format_server(sample_pools()[0].servers[0], true));
  BOOST_TEST((keys_of(one) == server_keys));
  BOOST_TEST(std::string{one["status"].GetString()} == "starting");
  auto stopped = parse_json(format_stop(sample_pools()[0].servers[0], true));
  BOOST_TEST((keys_of(stopped) == server_keys));
}

BOOST_AUTO_TEST_CASE(scale_reboot_and_limits) {
  auto scale = parse_json(format_scale({"batch", 1, 4, "clamped"}, true));
  BOOST_TEST((keys_of(scale)
              == std::vector<std::string>{"pool", "previous_desired", "desired",
                                          "note"}));
  BOOST_TEST(scale["desired"].GetInt64() == 4);
  // The HTTP API's answer: the pool, then the keys of a pool's "rollout".
  auto reboot = parse_json(format_rollout("batch", sample_rollout(), true));
  auto keys = rollout_keys;
  keys.insert(keys.begin(), "pool");
  BOOST_TEST((keys_of(reboot) == keys));
  BOOST_TEST(std::string{reboot["pool"].GetString()} == "batch");
  BOOST_TEST(std::string{reboot["state"].GetString()} == "running");
  BOOST_TEST(std::string{reboot["max_unavailable_spec"].GetString()} == "25%");
  BOOST_TEST(reboot["max_unavailable"].GetInt64() == 1);
  BOOST_TEST(reboot["started_at_ms"].GetInt64() == t0);
  BOOST_TEST(reboot["total"].GetInt64() == 3);
  BOOST_TEST(reboot["done"].GetInt64() == 1);
  BOOST_TEST_REQUIRE(reboot["rebooting"].Size() == 1u);
  BOOST_TEST(std::string{reboot["rebooting"][0].GetString()} == "s1");
  BOOST_TEST_REQUIRE(reboot["waiting"].Size() == 1u);
  BOOST_TEST(std::string{reboot["waiting"][0].GetString()} == "s2");
  auto limits = parse_json(format_limits({10, 7, {"batch"}}, true));
  BOOST_TEST((keys_of(limits)
              == std::vector<std::string>{"max_servers", "allocated",
                                          "available", "limited_pools"}));
  BOOST_TEST(limits["available"].GetInt64() == 3);
  BOOST_TEST(limits["limited_pools"].Size() == 1u);
}

BOOST_AUTO_TEST_CASE(events_document_and_json_lines) {
  auto doc
    = parse_json(format_events({sample_event(4), sample_event(9)}, 2, true));
  BOOST_TEST((keys_of(doc) == std::vector<std::string>{"events", "last_seq"}));
  BOOST_TEST(doc["last_seq"].GetUint64() == 9u);
  BOOST_TEST_REQUIRE(doc["events"].Size() == 2u);
  BOOST_TEST((keys_of(doc["events"][0]) == event_keys));
  BOOST_TEST(std::string{doc["events"][0]["at"].GetString()}
             == "2023-11-14T22:13:20.123Z");
  auto empty = parse_json(format_events({}, 17, true));
  BOOST_TEST(empty["last_seq"].GetUint64() == 17u);
  auto line = parse_json(format_event_line(sample_event(5), true));
  BOOST_TEST((keys_of(line) == event_keys));
  BOOST_TEST(line["seq"].GetUint64() == 5u);
}

BOOST_AUTO_TEST_CASE(json_stays_valid_with_odd_bytes) {
  auto ev = sample_event(1);
  ev.message = "bad \xff utf-8 \x01 and \"quotes\"\n";
  auto doc = parse_json(format_event_line(ev, true));
  BOOST_TEST(std::string{doc["message"].GetString()}
             == "bad \xef\xbf\xbd utf-8 \x01 and \"quotes\"\n");
}

BOOST_AUTO_TEST_CASE(webhooks_as_the_http_api_prints_them) {
  webhook_status ws;
  ws.name = "ops";
  ws.url = "http://10.0.0.5:8080/...";
  ws.cursor = 3;
  ws.last_seq = 9;
  auto doc = parse_json(format_webhooks({ws}, true));
  BOOST_TEST((keys_of(doc) == std::vector<std::string>{"webhooks"}));
  BOOST_TEST_REQUIRE(doc["webhooks"].Size() == 1u);
  BOOST_TEST(doc["webhooks"][0]["lag"].GetUint64() == 6u);
  BOOST_TEST(format_webhooks({ws}, true) == webhooks_json({ws}) + "\n");
  BOOST_TEST(format_webhooks({}, true) == "{\"webhooks\":[]}\n");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(policy_output)

BOOST_AUTO_TEST_CASE(decisions_and_pause) {
  decision_record d;
  d.pool = "workers";
  d.at_ms = t0;
  d.policy = "http_metric";
  d.input = "metric 120 at /wait/redis:default = ceil(120 / 10) = 12";
  d.wanted = 12;
  d.steps = {{"max_servers", 12, 9, "max 9 by limits.max_servers"}};
  d.result = 9;
  d.previous_desired = 3;
  d.active = 3;
  d.starting = 3;
  d.mode = "applied";
  d.applied = true;
  d.action = "creating 6";
  d.summary = "wanted 12; max 9 by limits.max_servers; 3 starting; "
              "creating 6";
  auto text = format_decisions("workers", {d}, false);
  BOOST_TEST(text == format_time(t0) + "  applied  3->9  " + d.summary + "\n");
  BOOST_TEST(format_decisions("w", {}, false)
             == "pool w: no decisions (the pool has no policy, or none was "
                "made yet)\n");
  rapidjson::Document doc;
  auto json = format_decisions("workers", {d}, true);
  doc.Parse(json.c_str());
  BOOST_REQUIRE(!doc.HasParseError());
  BOOST_TEST(doc["pool"].GetString() == std::string{"workers"});
  const auto& x = doc["decisions"][0];
  BOOST_TEST(x["wanted"].GetInt64() == 12);
  BOOST_TEST(x["steps"][0]["why"].GetString()
             == std::string{"max 9 by limits.max_servers"});
  BOOST_TEST(x["summary"].GetString() == d.summary);
  d.wanted = -1;
  doc.Parse(format_decisions("workers", {d}, true).c_str());
  BOOST_TEST(doc["decisions"][0]["wanted"].IsNull());
  pool_status p;
  p.name = "workers";
  p.policy = "http_metric";
  p.paused = true;
  BOOST_TEST(format_pause(p, false)
             == "pool workers: policy paused (decisions are recorded, not "
                "applied)\n");
  p.paused = false;
  BOOST_TEST(format_pause(p, false) == "pool workers: policy resumed\n");
  doc.Parse(format_pause(p, true).c_str());
  BOOST_TEST(!doc["paused"].GetBool());
  BOOST_TEST(doc["policy"].GetString() == std::string{"http_metric"});
}

BOOST_AUTO_TEST_SUITE_END()
