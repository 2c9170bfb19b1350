// Webhooks of a real `dynserv` process, received and verified in this test
// process: a receiver that is down for a while still gets every event, and
// `kill -9` during deliveries loses none (duplicates only across a crash).
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <csignal>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "rapidjson/document.h"

#include "http/http_client.hpp"
#include "tests/fixtures/webhook_receiver.hpp"
#include "tests/integration/harness.hpp"

using namespace dynserv;
using namespace dynserv::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* secret = "integration-webhook-secret-42";

/// The `webhooks` section with one webhook "rx" to `url` from the start.
std::string webhooks_json(const std::string& url) {
  return R"({"rx": {"url": ")" + url + R"(", "secret": ")" + secret
         + R"(", "from": "start", "timeout": "2s",
              "backoff_initial": "50ms", "backoff_max": "400ms"}})";
}

/// The first line of `path` (empty if there is none yet).
std::string first_line(const std::string& path) {
  auto text = read_file(path);
  auto eol = text.find('\n');
  return eol == std::string::npos ? std::string{} : text.substr(0, eol);
}

/// GET `target` of the node's HTTP API with its token; the body, or nullopt
/// (with `error`) unless the answer is 200.
std::optional<std::string> api_get(sandbox& box, const std::string& target,
                                   std::string& error) {
  auto addr = box.http_addr();
  auto token = first_line(box.http_token_path());
  if (addr.empty() || token.empty()) {
    error = "no http.addr or http.token yet";
    return std::nullopt;
  }
  http_client_options opts;
  opts.base_url = "http://" + addr;
  auto client = make_http_client(opts, &error);
  if (!client)
    return std::nullopt;
  http_request req;
  req.method = "GET";
  req.target = target;
  req.headers.emplace_back("Authorization", "Bearer " + token);
  auto res = client->send(req);
  if (!res.ok() || res.response.status != 200) {
    error = "GET " + target + ": "
            + (res.ok() ? res.response.body : res.detail);
    return std::nullopt;
  }
  return res.response.body;
}

/// The seq of the last event in the node's log, read through its HTTP API;
/// nullopt (with `error`) if the API does not answer as documented.
std::optional<uint64_t> log_end(sandbox& box, std::string& error) {
  uint64_t last = 0;
  for (;;) {
    auto body = api_get(
      box, "/v1/events?since=" + std::to_string(last) + "&limit=1000", error);
    if (!body)
      return std::nullopt;
    rapidjson::Document doc;
    doc.Parse(body->c_str());
    if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("last_seq")
        || !doc["last_seq"].IsUint64()) {
      error = "unexpected body " + *body;
      return std::nullopt;
    }
    auto next = doc["last_seq"].GetUint64();
    if (next == last)
      return last;
    last = next;
  }
}

/// `dynservctl webhooks --json` against the node's admin console; its
/// output, or nullopt (with `error`) if it fails.
std::optional<std::string> ctl_webhooks(sandbox& box, std::string& error) {
  auto addr = box.admin_addr();
  if (addr.empty()) {
    error = "no admin.addr yet";
    return std::nullopt;
  }
  auto res
    = run_to_completion({dynservctl_binary(), "--connect", addr, "--token-file",
                         box.admin_token_path(), "webhooks", "--json"},
                        box.dir() + "/ctl-webhooks");
  if (!res.status.exited || res.status.code != 0) {
    error = "dynservctl webhooks: " + res.err;
    return std::nullopt;
  }
  return res.out;
}

/// The entry "rx" of a {"webhooks":[...]} document with one webhook, or
/// what is wrong with the document (in `error`).
bool one_rx_entry(const std::string& json, rapidjson::Document& doc,
                  std::string& error) {
  doc.Parse(json.c_str());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("webhooks")
      || !doc["webhooks"].IsArray() || doc["webhooks"].Size() != 1
      || std::string{doc["webhooks"][0]["name"].GetString()} != "rx") {
    error = "unexpected webhooks document: " + json;
    return false;
  }
  return true;
}

/// Checks the live status of "rx" through both the HTTP API and the
/// console until `check` accepts both (empty string) or 30 s pass.
void require_live_status(
  sandbox& box,
  const std::function<std::string(const rapidjson::Value&)>& check) {
  auto problem = poll_until(30s, [&]() -> std::string {
    std::string error;
    for (auto source : {"api", "ctl"}) {
      auto json = std::string{source} == "api"
                    ? api_get(box, "/v1/webhooks", error)
                    : ctl_webhooks(box, error);
      if (!json)
        return error;
      rapidjson::Document doc;
      if (!one_rx_entry(*json, doc, error))
        return error;
      auto wrong = check(doc["webhooks"][0]);
      if (!wrong.empty())
        return std::string{source} + ": " + wrong + " in " + *json;
    }
    return "";
  });
  BOOST_REQUIRE_MESSAGE(problem.empty(), problem << "\n"
                                                 << box.node_log_tail());
}

/// Seqs in 1..last that no 2xx answer acknowledged, as text (empty if none).
std::string missing(const std::vector<received_hook>& acked, uint64_t last) {
  std::set<uint64_t> seen;
  for (auto& h : acked)
    seen.insert(h.seq);
  std::string result;
  size_t count = 0;
  for (uint64_t seq = 1; seq <= last; ++seq) {
    if (seen.count(seq) == 0 && ++count <= 20)
      result += " " + std::to_string(seq);
  }
  if (count > 20)
    result += " ... (" + std::to_string(count) + " in all)";
  return result;
}

/// Waits until the receiver acknowledged every event of the node's log.
void wait_all_delivered(sandbox& box, webhook_receiver& rx, uint64_t& last) {
  auto problem = poll_until(60s, [&]() -> std::string {
    std::string error;
    auto end = log_end(box, error);
    if (!end)
      return error;
    last = *end;
    auto gap = missing(rx.acknowledged(), last);
    return gap.empty() ? "" : "not delivered yet:" + gap;
  });
  BOOST_REQUIRE_MESSAGE(problem.empty(), problem << "\n"
                                                 << box.node_log_tail());
}

/// Checks signatures, ids and, per phase (one process lifetime), that the
/// acknowledged seqs strictly increase: in order, no duplicate within a
/// run of the node.
void check_deliveries(const std::vector<received_hook>& hooks,
                      const std::string& node) {
  std::map<int, uint64_t> last_in_phase;
  for (auto& h : hooks) {
    BOOST_TEST(h.verified, "signature of " << h.id);
    BOOST_TEST(h.well_formed, "body of " << h.id);
    BOOST_TEST(h.id == node + "-" + std::to_string(h.seq));
    if (h.answered < 200 || h.answered >= 300)
      continue;
    auto& last = last_in_phase[h.phase];
    BOOST_TEST(h.seq > last, "phase " << h.phase << ": seq " << h.seq
                                      << " acknowledged after " << last);
    last = std::max(last, h.seq);
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(webhook_process)

BOOST_AUTO_TEST_CASE(a_receiver_that_was_down_gets_every_event) {
  webhook_receiver rx{secret};
  auto port = rx.port();
  rx.stop();
  sandbox box{"webhook-down"};
  config_spec spec;
  spec.pools = {{"default", 3}};
  spec.http_listen = "127.0.0.1:0";
  spec.webhooks_json = webhooks_json(rx.url("/hook"));
  box.write_config(spec);
  auto node = box.start_node();
  auto problem = wait_converged(box, {{"default", 3}}, 60s);
  BOOST_REQUIRE_MESSAGE(problem.empty(), problem << "\n"
                                                 << box.node_log_tail());
  // The failures are logged without the secret.
  problem = poll_until(30s, [&]() -> std::string {
    auto log = read_file(box.dir() + "/node.out")
               + read_file(box.dir() + "/node.err");
    return log.find("webhook rx: event e2e-1 attempt") != std::string::npos
             ? ""
             : "no failed attempt logged yet";
  });
  BOOST_REQUIRE_MESSAGE(problem.empty(), problem << "\n"
                                                 << box.node_log_tail());
  BOOST_TEST(rx.hooks().empty());
  // While the receiver is down, the API and the console show the failures,
  // the event held back and the next retry; never the path of the URL.
  require_live_status(box, [](const rapidjson::Value& h) -> std::string {
    if (h["failures"].GetUint64() == 0 || h["lag"].GetUint64() == 0
        || h["pending_seq"].GetUint64() != 1 || h["delivered"].GetUint64() != 0)
      return "no failures shown yet";
    std::string error = h["last_error"].GetString();
    std::string url = h["url"].GetString();
    if (error.find("event e2e-1 attempt") == std::string::npos)
      return "unexpected last_error";
    if (url.find("/hook") != std::string::npos
        || url.rfind("http://127.0.0.1:", 0) != 0)
      return "unexpected url";
    return "";
  });
  std::string error;
  BOOST_REQUIRE_MESSAGE(rx.start(port, &error), error);
  uint64_t last = 0;
  wait_all_delivered(box, rx, last);
  // Back up: the lag goes to 0 in both, at the end of the log.
  require_live_status(box, [last](const rapidjson::Value& h) -> std::string {
    if (h["lag"].GetUint64() != 0 || h["cursor"].GetUint64() < last
        || h["pending_seq"].GetUint64() != 0 || h["attempts"].GetUint64() != 0)
      return "lag not 0 yet";
    if (h["delivered"].GetUint64() < last || h["failures"].GetUint64() == 0
        || h["last_success_at_ms"].GetInt64() <= 0)
      return "unexpected counters";
    return "";
  });
  BOOST_TEST(last >= 9u); // 3 servers, several events each
  auto hooks = rx.hooks();
  check_deliveries(hooks, "e2e");
  // Without a crash nothing arrives twice.
  BOOST_TEST(rx.acknowledged().size() == last);
  // `dynserv status` shows the stored cursor reaching the end of the log
  // (the cursor is written just after each 2xx: poll for the last one).
  problem = poll_until(30s, [&]() -> std::string {
    auto res = box.run_cli({"status", "--data-dir", box.data_dir(), "--json"});
    if (!res.status.exited || res.status.code != 0)
      return "dynserv status: " + res.err;
    rapidjson::Document doc;
    doc.Parse(res.out.c_str());
    if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("webhooks")
        || !doc["webhooks"].IsArray() || doc["webhooks"].Size() != 1)
      return "unexpected status: " + res.out;
    const auto& h = doc["webhooks"][0];
    if (std::string{h["name"].GetString()} != "rx"
        || h["last_seq"].GetUint64() != last)
      return "unexpected webhooks entry: " + res.out;
    if (h["cursor"].GetUint64() != last || h["lag"].GetUint64() != 0)
      return "cursor not at the end yet: " + res.out;
    return "";
  });
  BOOST_TEST(problem.empty(), problem);
  BOOST_TEST(signal_and_wait(*node, SIGTERM, 30s));
  auto log = read_file(box.dir() + "/node.out")
             + read_file(box.dir() + "/node.err");
  BOOST_TEST(log.find(secret) == std::string::npos);
  BOOST_TEST(log.find("/hook") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(kill_9_during_deliveries_loses_no_event) {
  webhook_receiver rx{secret};
  // A slow receiver, so that the kills land while requests are in flight.
  rx.set_policy([](const received_hook&, size_t) {
    std::this_thread::sleep_for(5ms);
    return 200;
  });
  sandbox box{"webhook-kill"};
  config_spec spec;
  spec.http_listen = "127.0.0.1:0";
  spec.webhooks_json = webhooks_json(rx.url("/hook"));
  // Desired counts of the rounds: each start scales and so makes events.
  const int64_t desired[] = {6, 1, 8, 2};
  int phase = 0;
  for (auto count : desired) {
    spec.pools = {{"default", count}};
    box.write_config(spec);
    rx.set_phase(phase);
    auto before = rx.hooks().size();
    auto node = box.start_node();
    // Kill after a few deliveries of this run, at a different point each
    // round.
    auto wanted = before + 2 + static_cast<size_t>(phase) * 3;
    auto problem = poll_until(60s, [&]() -> std::string {
      return rx.hooks().size() >= wanted ? "" : "waiting for deliveries";
    });
    BOOST_REQUIRE_MESSAGE(problem.empty(), problem << "\n"
                                                   << box.node_log_tail());
    node->kill_and_reap();
    BOOST_TEST(!node->status().exited);
    ++phase;
  }
  // A last run converges and delivers the rest.
  spec.pools = {{"default", 3}};
  box.write_config(spec);
  rx.set_phase(phase);
  auto node = box.start_node();
  auto problem = wait_converged(box, {{"default", 3}}, 90s);
  BOOST_REQUIRE_MESSAGE(problem.empty(), problem << "\n"
                                                 << box.node_log_tail());
  uint64_t last = 0;
  wait_all_delivered(box, rx, last);
  auto hooks = rx.hooks();
  check_deliveries(hooks, "e2e");
  // Duplicates exist only across crashes: each one's receipts lie in
  // different phases (check_deliveries saw no repeat within a phase).
  std::map<uint64_t, std::set<int>> phases_of;
  size_t acked = 0;
  for (auto& h : rx.acknowledged()) {
    phases_of[h.seq].insert(h.phase);
    ++acked;
  }
  BOOST_TEST(phases_of.size() == last);
  BOOST_TEST_MESSAGE("webhook kill test: " << last << " events, " << acked
                                           << " acknowledged deliveries");
  BOOST_TEST(signal_and_wait(*node, SIGTERM, 30s));
}

BOOST_AUTO_TEST_CASE(a_bad_webhook_url_is_a_config_error) {
  sandbox box{"webhook-config"};
  config_spec spec;
  spec.pools = {{"default", 0}};
  spec.webhooks_json = R"({"rx": {"url": "ftp://example.org/x",
                                  "secret": "0123456789abcdef"}})";
  box.write_config(spec);
  auto res = box.run_cli({"run", "--config", box.config_path()});
  BOOST_TEST(res.status.exited);
  BOOST_TEST(res.status.code == 2);
  BOOST_TEST(res.err.find("dynserv: config error: webhooks.rx.url: "
                          "unsupported scheme \"ftp\"")
               != std::string::npos,
             res.err);
  BOOST_TEST(res.err.find("0123456789abcdef") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
