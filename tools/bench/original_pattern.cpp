// Replays the original package's per-server polling on a frozen simulator.
#include "tools/bench/original_pattern.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "rapidjson/document.h"

#include "cloudsim/cloud_sim.hpp"
#include "tools/bench/sim_transport.hpp"

namespace dynserv {

namespace {

/// The original's VerifyServer*Job period: `release(20)`.
constexpr int64_t poll_period_ms = 20'000;

/// Give up after this much virtual time (the original gives up after 10
/// minutes per step; we keep counting to see the whole lifecycle).
constexpr int64_t give_up_ms = int64_t{2} * 3600 * 1000;

/// Wire details of one provider for the calls the original makes.
struct wire {
  std::string prefix;
  std::string authorization;
  /// Collection path ("/server", "/servers", "/droplets").
  std::string collection;
  /// Key of the server object in single-server answers.
  std::string object_key;
  std::string running;
  std::string stopped;

  std::string create_body(int64_t i) const;
  http_request stop(const std::string& id) const;
  std::string remove_target(const std::string& id) const;
};

std::string wire::create_body(int64_t i) const {
  auto name = "dynamic-server-default-" + std::to_string(i + 1);
  if (collection == "/server")
    // The package's documented UpCloud configuration.
    return R"({"server":{"zone":"de-fra1","title":")" + name
           + R"(","hostname":")" + name
           + R"(","plan":"2xCPU-4GB","storage_devices":{"storage_device":[)"
             R"({"action":"clone","storage":"01000000-0000-4000-8000-000020060100",)"
             R"("title":")"
           + name + R"(-disk","size":25,"tier":"maxiops"}]}}})";
  if (collection == "/servers")
    return R"({"name":")" + name
           + R"(","server_type":"cx22","image":"debian-12","location":"fsn1"})";
  return R"({"name":")" + name
         + R"(","region":"fra1","size":"s-1vcpu-1gb","image":"debian-12-x64"})";
}

http_request wire::stop(const std::string& id) const {
  http_request req;
  req.method = "POST";
  if (collection == "/server") {
    req.target = "/server/" + id + "/stop";
    req.body = R"({"stop_server":{"stop_type":"soft","timeout":"60"}})";
  } else if (collection == "/servers") {
    req.target = "/servers/" + id + "/actions/shutdown";
    req.body = "{}";
  } else {
    req.target = "/droplets/" + id + "/actions";
    req.body = R"({"type":"shutdown"})";
  }
  return req;
}

std::string wire::remove_target(const std::string& id) const {
  if (collection == "/server")
    return "/server/" + id + "?storages=1&backups=delete";
  return collection + "/" + id;
}

bool make_wire(const std::string& provider, wire& w) {
  if (provider == "upcloud") {
    // HTTP Basic "dynserv:secret", the simulator's default credentials.
    w = {"/upcloud/1.3", "Basic ZHluc2VydjpzZWNyZXQ=",
         "/server",      "server",
         "started",      "stopped"};
    return true;
  }
  if (provider == "hetzner") {
    w = {"/hetzner/v1", "Bearer test-token", "/servers",
         "server",      "running",           "off"};
    return true;
  }
  if (provider == "digitalocean") {
    w = {"/digitalocean/v2", "Bearer test-token",
         "/droplets",        "droplet",
         "active",           "off"};
    return true;
  }
  return false;
}

/// Reads `key.field` of a JSON answer as a string (numbers are printed).
std::string field_of(const std::string& body, const std::string& key,
                     const char* field) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject())
    return {};
  auto obj = doc.FindMember(key.c_str());
  if (obj == doc.MemberEnd() || !obj->value.IsObject())
    return {};
  auto f = obj->value.FindMember(field);
  if (f == obj->value.MemberEnd())
    return {};
  if (f->value.IsString())
    return f->value.GetString();
  if (f->value.IsInt64())
    return std::to_string(f->value.GetInt64());
  return {};
}

enum class stage { starting, running, stopping, deleting, gone };

struct tracked {
  std::string id;
  stage at = stage::starting;
  int64_t next_ms = 0;
  int64_t since_ms = 0;
};

bool ok(const http_response& r) {
  return r.status >= 200 && r.status < 300;
}

/// One replay: the original's jobs against a frozen simulator, counting
/// every request in `res`.
class replay {
public:
  replay(wire w, int64_t servers, uint64_t seed, original_pattern_result& res)
    : w_(std::move(w)), res_(res), fleet_(static_cast<size_t>(servers)) {
    cloudsim::sim_options opts;
    opts.seed = seed;
    opts.time_scale = 0; // frozen: only advance_to moves virtual time
    opts.rate_limits.enabled = false;
    opts.response_latency = false;
    opts.request_log_capacity = 16;
    sim_ = std::make_shared<cloudsim::cloud_sim>(opts);
    transport_.emplace(sim_, w_.prefix);
    state_field_ = w_.collection == "/server" ? "state" : "status";
  }

  /// ensure(N): N x StartServerAction (count, then CreateServerJob), each
  /// followed by a VerifyServerStartedJob that runs at once and every 20 s.
  bool bring_up() {
    for (size_t i = 0; i < fleet_.size(); ++i) {
      auto& s = fleet_[i];
      send("count", "GET", w_.collection);
      auto r = send("create", "POST", w_.collection,
                    w_.create_body(static_cast<int64_t>(i)));
      if (!ok(r))
        ++res_.unexpected;
      s.id = field_of(r.body, w_.object_key,
                      w_.collection == "/server" ? "uuid" : "id");
      s.next_ms = now_;
      s.since_ms = now_;
    }
    auto start = now_;
    bool up = run_jobs([&](tracked& s, uint64_t& gets) {
      auto r = get(s, gets);
      if (ok(r)
          && field_of(r.body, w_.object_key, state_field_) == w_.running) {
        s.at = stage::running;
        polled_ms_ += static_cast<double>(now_ - s.since_ms);
        return;
      }
      if (!ok(r))
        ++res_.unexpected;
      s.next_ms = now_ + poll_period_ms;
    });
    res_.up_s = static_cast<double>(now_ - start) / 1000.0;
    return up;
  }

  /// decrease(N): StopServerJob, then VerifyServerStoppedJob at once and
  /// every 20 s; when stopped, DeleteServerJob and VerifyServerDeletedJob
  /// likewise.
  bool tear_down() {
    auto start = now_;
    for (auto& s : fleet_) {
      auto req = w_.stop(s.id);
      if (!ok(send("stop", "POST", req.target, req.body)))
        ++res_.unexpected;
      s.at = stage::stopping;
      s.next_ms = now_;
      s.since_ms = now_;
    }
    bool down = run_jobs([&](tracked& s, uint64_t& gets) {
      auto r = get(s, gets);
      if (s.at == stage::stopping) {
        if (ok(r)
            && field_of(r.body, w_.object_key, state_field_) == w_.stopped) {
          if (!ok(send("delete", "DELETE", w_.remove_target(s.id))))
            ++res_.unexpected;
          s.at = stage::deleting;
          s.next_ms = now_; // the verify job runs at once
          return;
        }
      } else if (r.status == 404) {
        s.at = stage::gone;
        polled_ms_ += static_cast<double>(now_ - s.since_ms);
        return;
      }
      if (!ok(r))
        ++res_.unexpected;
      s.next_ms = now_ + poll_period_ms;
    });
    res_.down_s = static_cast<double>(now_ - start) / 1000.0;
    return down;
  }

  /// The most requests in any sliding minute, and the polled time per server.
  void summarize() {
    // `times_` is sorted: virtual time only moves forward.
    size_t first = 0;
    for (size_t i = 0; i < times_.size(); ++i) {
      while (times_[i] - times_[first] >= 60'000)
        ++first;
      res_.peak_per_minute = std::max<uint64_t>(res_.peak_per_minute,
                                                i - first + 1);
    }
    if (!fleet_.empty())
      res_.polled_s = polled_ms_ / 1000.0 / static_cast<double>(fleet_.size());
  }

private:
  void advance_to(int64_t t) {
    if (t > now_)
      sim_->with_state(
        [&](cloudsim::sim_state& s) { s.clock.advance(t - now_); });
    now_ = std::max(now_, t);
  }

  http_response send(const char* op, std::string method, std::string target,
                     std::string body = {}) {
    http_request req;
    req.method = std::move(method);
    req.target = std::move(target);
    req.body = std::move(body);
    req.headers = {{"Authorization", w_.authorization},
                   {"Accept", "application/json"}};
    if (!req.body.empty())
      req.headers.emplace_back("Content-Type", "application/json");
    ++res_.requests[op];
    ++res_.total;
    times_.push_back(now_);
    auto r = transport_->send(req);
    return r.ok() ? r.response : http_response{};
  }

  http_response get(tracked& s, uint64_t& gets) {
    ++gets;
    return send("get", "GET", w_.collection + "/" + s.id);
  }

  /// Runs the verify jobs until no server is starting, stopping or
  /// deleting; false if that takes longer than `give_up_ms`.
  template <class Step>
  bool run_jobs(Step&& step) {
    std::map<int64_t, uint64_t> gets_at;
    auto busy = [](const tracked& s) {
      return s.at != stage::running && s.at != stage::gone;
    };
    for (;;) {
      auto next = std::numeric_limits<int64_t>::max();
      for (const auto& s : fleet_)
        if (busy(s))
          next = std::min(next, s.next_ms);
      if (next == std::numeric_limits<int64_t>::max())
        break;
      if (next > give_up_ms)
        return false;
      advance_to(next);
      for (auto& s : fleet_)
        if (busy(s) && s.next_ms == now_)
          step(s, gets_at[now_]);
    }
    for (const auto& [t, n] : gets_at)
      res_.peak_gets_per_tick = std::max(res_.peak_gets_per_tick, n);
    return true;
  }

  wire w_;
  original_pattern_result& res_;
  std::vector<tracked> fleet_;
  std::shared_ptr<cloudsim::cloud_sim> sim_;
  std::optional<sim_transport> transport_;
  const char* state_field_ = "status";
  int64_t now_ = 0;
  /// Virtual time of every request, in order.
  std::vector<int64_t> times_;
  double polled_ms_ = 0;
};

} // namespace

original_pattern_result run_original_pattern(const std::string& provider,
                                             int64_t servers, uint64_t seed) {
  original_pattern_result res;
  res.servers = servers;
  wire w;
  if (!make_wire(provider, w))
    return res;
  replay run{std::move(w), servers, seed, res};
  if (!run.bring_up())
    return res;
  res.finished = run.tear_down();
  run.summarize();
  return res;
}

} // namespace dynserv
