// End-to-end harness: sandboxes, generated configs, parsed reports, polling.
#include "tests/integration/harness.hpp"

#include <algorithm>
#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace dynserv::test {

namespace fs = std::filesystem;

namespace {

/// Pause between two polls of the reporting commands.
constexpr auto poll_pause = millis{100};

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_string(json_writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

/// Reads string member `key` of `obj` into `out`; false if absent or not a
/// string.
bool get(const rapidjson::Value& obj, const char* key, std::string& out) {
  auto i = obj.FindMember(key);
  if (i == obj.MemberEnd() || !i->value.IsString())
    return false;
  out.assign(i->value.GetString(), i->value.GetStringLength());
  return true;
}

bool get(const rapidjson::Value& obj, const char* key, int64_t& out) {
  auto i = obj.FindMember(key);
  if (i == obj.MemberEnd() || !i->value.IsInt64())
    return false;
  out = i->value.GetInt64();
  return true;
}

bool get(const rapidjson::Value& obj, const char* key, bool& out) {
  auto i = obj.FindMember(key);
  if (i == obj.MemberEnd() || !i->value.IsBool())
    return false;
  out = i->value.GetBool();
  return true;
}

/// Parses `json` and returns the array member `key` of its top-level object.
const rapidjson::Value* top_array(rapidjson::Document& doc,
                                  const std::string& json, const char* key,
                                  std::string& error) {
  doc.Parse(json.c_str(), json.size());
  if (doc.HasParseError()) {
    error = "not JSON: " + json;
    return nullptr;
  }
  if (!doc.IsObject()) {
    error = "top level is not an object: " + json;
    return nullptr;
  }
  auto i = doc.FindMember(key);
  if (i == doc.MemberEnd() || !i->value.IsArray()) {
    error = std::string{"no array \""} + key + "\": " + json;
    return nullptr;
  }
  return &i->value;
}

std::string join(const std::set<std::string>& xs) {
  std::string res;
  for (const auto& x : xs)
    res += (res.empty() ? "" : ", ") + x;
  return "{" + res + "}";
}

std::string tail(const std::string& text, size_t max_chars) {
  if (text.size() <= max_chars)
    return text;
  return "..." + text.substr(text.size() - max_chars);
}

/// Returns whether the test case that is running has failed so far.
bool current_test_failed() {
  namespace utf = boost::unit_test;
  auto id = utf::framework::current_test_case().p_id;
  return !utf::results_collector.results(id).passed();
}

} // namespace

const std::string& dynserv_binary() {
  static const std::string path = DYNSERV_BINARY;
  return path;
}

const std::string& dynservctl_binary() {
#ifdef DYNSERVCTL_BINARY
  static const std::string path = DYNSERVCTL_BINARY;
#else
  static const std::string path;
#endif
  return path;
}

// -- configuration
// -------------------------------------------------------------

std::string to_json(const config_spec& spec) {
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartObject();
  w.Key("node");
  w.StartObject();
  write_string(w, "name", spec.node_name);
  write_string(w, "data_dir", spec.data_dir);
  write_string(w, "reconcile_interval", spec.reconcile_interval);
  write_string(w, "log_level", spec.log_level);
  w.EndObject();
  w.Key("limits");
  w.StartObject();
  w.Key("max_servers");
  w.Int64(spec.max_servers);
  w.EndObject();
  w.Key("admin");
  w.StartObject();
  write_string(w, "listen", spec.admin_listen);
  if (!spec.admin_token_env.empty())
    write_string(w, "token_env", spec.admin_token_env);
  if (spec.admin_tls) {
    w.Key("tls");
    w.StartObject();
    write_string(w, "certificate", spec.admin_tls->certificate);
    write_string(w, "key", spec.admin_tls->key);
    if (!spec.admin_tls->cafile.empty())
      write_string(w, "cafile", spec.admin_tls->cafile);
    w.EndObject();
  }
  w.EndObject();
  w.Key("http");
  w.StartObject();
  write_string(w, "listen", spec.http_listen);
  w.EndObject();
  w.Key("timing");
  w.StartObject();
  write_string(w, "poll_interval", "100ms");
  write_string(w, "backoff_initial", "50ms");
  write_string(w, "backoff_max", "500ms");
  w.EndObject();
  w.Key("providers");
  w.StartObject();
  w.Key("sim");
  w.StartObject();
  write_string(w, "type", "simulated");
  write_string(w, "create_time", "300ms");
  write_string(w, "start_time", "200ms");
  write_string(w, "stop_time", "200ms");
  write_string(w, "delete_time", "200ms");
  write_string(w, "reboot_time", spec.sim_reboot_time);
  w.Key("jitter");
  w.Double(0.3);
  w.Key("seed");
  w.Uint64(spec.sim_seed);
  if (spec.lost_create_response_rate > 0 || !spec.error_rate.empty()) {
    w.Key("faults");
    w.StartObject();
    w.Key("lost_create_response_rate");
    w.Double(spec.lost_create_response_rate);
    w.Key("error_rate");
    w.StartObject();
    for (const auto& [op, rate] : spec.error_rate) {
      w.Key(op.c_str());
      w.Double(rate);
    }
    w.EndObject();
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
  w.Key("pools");
  w.StartObject();
  for (const auto& p : spec.pools) {
    w.Key(p.name.c_str());
    w.StartObject();
    write_string(w, "provider", "sim");
    w.Key("desired");
    w.Int64(p.desired);
    if (auto i = spec.pool_max.find(p.name); i != spec.pool_max.end()) {
      w.Key("max");
      w.Int64(i->second);
    }
    w.EndObject();
  }
  w.EndObject();
  if (!spec.webhooks_json.empty()) {
    w.Key("webhooks");
    w.RawValue(spec.webhooks_json.data(), spec.webhooks_json.size(),
               rapidjson::kObjectType);
  }
  w.EndObject();
  return buf.GetString();
}

// -- reports
// -------------------------------------------------------------------

const store_pool* status_report::pool(const std::string& name) const {
  for (const auto& p : pools)
    if (p.name == name)
      return &p;
  return nullptr;
}

const store_server* status_report::server(const std::string& id) const {
  for (const auto& s : servers)
    if (s.id == id)
      return &s;
  return nullptr;
}

std::set<std::string> status_report::ids(const std::string& pool,
                                         const std::string& status) const {
  std::set<std::string> res;
  for (const auto& s : servers)
    if ((pool.empty() || s.pool == pool) && s.status == status)
      res.insert(s.id);
  return res;
}

std::set<std::string> status_report::all_ids() const {
  std::set<std::string> res;
  for (const auto& s : servers)
    res.insert(s.id);
  return res;
}

std::vector<cloud_row> cloud_report::live() const {
  std::vector<cloud_row> res;
  for (const auto& r : servers)
    if (r.state != "deleted")
      res.push_back(r);
  return res;
}

std::vector<cloud_row> cloud_report::live(const std::string& pool) const {
  std::vector<cloud_row> res;
  for (const auto& r : servers)
    if (r.state != "deleted" && r.pool == pool)
      res.push_back(r);
  return res;
}

std::optional<status_report> parse_status(const std::string& json,
                                          std::string& error) {
  rapidjson::Document doc;
  auto pools = top_array(doc, json, "pools", error);
  if (pools == nullptr)
    return std::nullopt;
  status_report res;
  for (const auto& p : pools->GetArray()) {
    store_pool pool;
    if (!p.IsObject() || !get(p, "name", pool.name)
        || !get(p, "desired", pool.desired)
        || !get(p, "provisioned", pool.provisioned) || !p.HasMember("counts")
        || !p["counts"].IsObject()) {
      error = "malformed pool entry: " + json;
      return std::nullopt;
    }
    for (const auto& kvp : p["counts"].GetObject()) {
      if (!kvp.value.IsInt64()) {
        error = "malformed counts: " + json;
        return std::nullopt;
      }
      pool.counts[kvp.name.GetString()] = kvp.value.GetInt64();
    }
    if (p.HasMember("rollout") && p.HasMember("circuit_breaker")) {
      const auto& r = p["rollout"];
      const auto& b = p["circuit_breaker"];
      if (!get(r, "state", pool.rollout_state)
          || !get(r, "done", pool.rollout_done)
          || !get(b, "state", pool.breaker_state)
          || !get(b, "trips", pool.breaker_trips)) {
        error = "malformed rollout or circuit_breaker: " + json;
        return std::nullopt;
      }
    }
    res.pools.push_back(std::move(pool));
  }
  auto i = doc.FindMember("servers");
  if (i == doc.MemberEnd() || !i->value.IsArray()) {
    error = "no array \"servers\": " + json;
    return std::nullopt;
  }
  for (const auto& s : i->value.GetArray()) {
    store_server srv;
    if (!s.IsObject() || !get(s, "id", srv.id) || !get(s, "name", srv.name)
        || !get(s, "pool", srv.pool) || !get(s, "provider", srv.provider)
        || !get(s, "status", srv.status) || !get(s, "since_ms", srv.since_ms)
        || !get(s, "provider_id", srv.provider_id)
        || !get(s, "last_error", srv.last_error)) {
      error = "malformed server entry: " + json;
      return std::nullopt;
    }
    res.servers.push_back(std::move(srv));
  }
  return res;
}

std::optional<cloud_report> parse_cloud(const std::string& json,
                                        std::string& error) {
  rapidjson::Document doc;
  auto servers = top_array(doc, json, "servers", error);
  if (servers == nullptr)
    return std::nullopt;
  cloud_report res;
  for (const auto& s : servers->GetArray()) {
    cloud_row row;
    if (!s.IsObject() || !get(s, "provider", row.provider)
        || !get(s, "provider_id", row.provider_id) || !get(s, "name", row.name)
        || !get(s, "state", row.state) || !get(s, "dynserv_id", row.dynserv_id)
        || !get(s, "pool", row.pool) || !get(s, "known", row.known)) {
      error = "malformed server entry: " + json;
      return std::nullopt;
    }
    res.servers.push_back(std::move(row));
  }
  return res;
}

std::string convergence_problem(const status_report& status,
                                const cloud_report& cloud,
                                const std::map<std::string, int64_t>& desired) {
  std::ostringstream out;
  for (const auto& [pool, n] : desired) {
    auto p = status.pool(pool);
    if (p == nullptr) {
      out << "pool " << pool << " missing in status; ";
      continue;
    }
    if (p->desired != n)
      out << "pool " << pool << " desired " << p->desired << " != " << n
          << "; ";
    auto running = status.ids(pool, "running");
    if (static_cast<int64_t>(running.size()) != n)
      out << "pool " << pool << " has " << running.size()
          << " running in the store, want " << n << "; ";
    if (p->provisioned != n)
      out << "pool " << pool << " provisioned " << p->provisioned << "; ";
    auto live = cloud.live(pool);
    std::set<std::string> live_ids;
    for (const auto& r : live) {
      live_ids.insert(r.dynserv_id);
      if (!r.known)
        out << "cloud server " << r.provider_id << " (" << r.dynserv_id
            << ") is not known to the store; ";
      if (r.state != "running")
        out << "cloud server " << r.provider_id << " is " << r.state << "; ";
      auto s = status.server(r.dynserv_id);
      if (s != nullptr && s->provider_id != r.provider_id)
        out << "store has provider id " << s->provider_id << " for "
            << r.dynserv_id << ", cloud " << r.provider_id << "; ";
    }
    if (static_cast<int64_t>(live.size()) != n)
      out << "pool " << pool << " has " << live.size()
          << " live servers at the cloud, want " << n << "; ";
    if (live_ids != running)
      out << "pool " << pool << " running in store " << join(running)
          << " != live at cloud " << join(live_ids) << "; ";
  }
  for (const auto& s : status.servers) {
    if (s.status != "running" && s.status != "deleted")
      out << "server " << s.id << " is " << s.status
          << (s.last_error.empty() ? "" : " (" + s.last_error + ")") << "; ";
    if (!desired.count(s.pool))
      out << "server " << s.id << " of unexpected pool " << s.pool << "; ";
  }
  for (const auto& r : cloud.live())
    if (!desired.count(r.pool))
      out << "cloud server " << r.provider_id << " of unexpected pool "
          << r.pool << "; ";
  return out.str();
}

std::vector<std::string> duplicate_ids(const cloud_report& history) {
  std::map<std::string, int> seen;
  for (const auto& r : history.servers)
    ++seen[r.dynserv_id];
  std::vector<std::string> res;
  for (const auto& [id, n] : seen)
    if (n > 1)
      res.push_back(id + " (x" + std::to_string(n) + ")");
  return res;
}

// -- sandbox
// -------------------------------------------------------------------

sandbox::sandbox(const std::string& label) {
  auto base = fs::temp_directory_path() / ("dynserv-e2e-" + label + "-XXXXXX");
  auto pattern = base.string();
  if (mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error("mkdtemp " + pattern + ": "
                             + std::strerror(errno));
  dir_ = pattern;
}

sandbox::~sandbox() {
  if (std::uncaught_exceptions() > 0 || current_test_failed()) {
    std::cerr << "kept the directory of the failed test: " << dir_ << "\n";
    return;
  }
  if (auto keep = std::getenv("DYNSERV_E2E_KEEP"); keep != nullptr && *keep) {
    std::cerr << "kept (DYNSERV_E2E_KEEP): " << dir_ << "\n";
    return;
  }
  std::error_code err;
  fs::remove_all(dir_, err);
}

void sandbox::write_config(config_spec spec) {
  if (spec.data_dir.empty())
    spec.data_dir = data_dir();
  write_config_text(to_json(spec));
}

void sandbox::write_config_text(const std::string& text) {
  auto tmp = config_path() + ".tmp";
  {
    std::ofstream out{tmp, std::ios::trunc};
    out << text;
    if (!out)
      throw std::runtime_error("cannot write " + tmp);
  }
  fs::rename(tmp, config_path());
}

std::unique_ptr<child_process> sandbox::start_node() {
  return std::make_unique<child_process>(
    std::vector<std::string>{dynserv_binary(), "run", "--config",
                             config_path()},
    dir_ + "/node.out", dir_ + "/node.err");
}

run_result sandbox::run_cli(const std::vector<std::string>& args) {
  std::vector<std::string> argv{dynserv_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  // Alternate between two scratch names; each run truncates its own.
  auto prefix = dir_ + "/cli" + std::to_string(cli_runs_++ % 2);
  return run_to_completion(argv, prefix);
}

std::optional<status_report> sandbox::status(std::string& error) {
  auto res = run_cli({"status", "--data-dir", data_dir(), "--json"});
  if (!res.status.exited || res.status.code != 0) {
    error = "dynserv status: " + res.status.to_string() + ": " + res.err;
    return std::nullopt;
  }
  return parse_status(res.out, error);
}

std::optional<cloud_report> sandbox::cloud(bool history, std::string& error) {
  std::vector<std::string> args{"provider-servers", "--config", config_path(),
                                "--json"};
  if (history)
    args.emplace_back("--history");
  auto res = run_cli(args);
  if (!res.status.exited || res.status.code != 0) {
    error = "dynserv provider-servers: " + res.status.to_string() + ": "
            + res.err;
    return std::nullopt;
  }
  return parse_cloud(res.out, error);
}

std::string sandbox::admin_addr() const {
  // The node writes the file without a rename: wait for the whole line.
  auto text = read_file(admin_addr_path());
  auto eol = text.find('\n');
  if (eol == std::string::npos)
    return "";
  return text.substr(0, eol);
}

std::string sandbox::http_addr() const {
  auto text = read_file(http_addr_path());
  auto eol = text.find('\n');
  if (eol == std::string::npos)
    return "";
  return text.substr(0, eol);
}

std::string sandbox::node_log_tail(size_t max_chars) const {
  return "--- node stdout ---\n"
         + tail(read_file(dir_ + "/node.out"), max_chars)
         + "\n--- node stderr ---\n"
         + tail(read_file(dir_ + "/node.err"), max_chars);
}

// -- waiting
// -------------------------------------------------------------------

std::string poll_until(millis timeout,
                       const std::function<std::string()>& check) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto problem = check();
    if (problem.empty())
      return problem;
    if (std::chrono::steady_clock::now() >= deadline)
      return problem;
    sleep_for(poll_pause);
  }
}

std::string wait_converged(sandbox& box,
                           const std::map<std::string, int64_t>& desired,
                           millis timeout) {
  return poll_until(timeout, [&]() -> std::string {
    std::string error;
    auto status = box.status(error);
    if (!status)
      return error;
    auto cloud = box.cloud(false, error);
    if (!cloud)
      return error;
    return convergence_problem(*status, *cloud, desired);
  });
}

bool signal_and_wait(child_process& node, int sig, millis timeout) {
  node.send_signal(sig);
  return node.wait_for(timeout);
}

} // namespace dynserv::test
