// Reports printed by `dynserv status` and `dynserv provider-servers`.
#include "tools/node/reports.hpp"

#include <filesystem>
#include <iomanip>
#include <map>
#include <set>

#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

#include "api/api_json.hpp"
#include "actors/node.hpp"
#include "messages/errors.hpp"
#include "tools/console/console_output.hpp"
#include "providers/simulated_provider.hpp"
#include "storage/record_store.hpp"
#include "storage/rocksdb_store.hpp"

namespace dynserv {

namespace {

using console::format_time;
using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

std::string last_error(const server_record& rec) {
  if (rec.last_error_kind == error_kind::none)
    return "";
  return std::string{to_string(rec.last_error_kind)} + " "
         + rec.last_error_code + " " + rec.last_error_message;
}

void key_value(json_writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

struct loaded_store {
  std::vector<pool_record> pools;
  std::vector<server_record> servers;
  /// Delivery cursors of webhooks, and the end of the event log.
  std::vector<webhook_cursor> cursors;
  uint64_t last_seq = 0;
};

caf::expected<loaded_store> load_store(const std::string& data_dir) {
  auto db = open_rocksdb_store(data_dir + "/store",
                               rocksdb_open_mode::read_only);
  if (!db)
    return db.error();
  record_store records{**db};
  loaded_store res;
  auto pools = records.load_pools();
  if (!pools)
    return pools.error();
  auto servers = records.load_servers();
  if (!servers)
    return servers.error();
  auto cursors = records.load_cursors();
  if (!cursors)
    return cursors.error();
  auto last_seq = records.last_event_seq();
  if (!last_seq)
    return last_seq.error();
  res.pools = std::move(*pools);
  res.servers = std::move(*servers);
  res.cursors = std::move(*cursors);
  res.last_seq = *last_seq;
  return res;
}

} // namespace

int print_status(const std::string& data_dir, bool json, std::ostream& out,
                 std::ostream& err) {
  auto loaded = load_store(data_dir);
  if (!loaded) {
    err << "dynserv: cannot read the store: " << describe(loaded.error())
        << "\n";
    return 1;
  }
  std::map<std::string, std::vector<int64_t>> counts;
  for (const auto& p : loaded->pools)
    counts[p.name].assign(server_status_count, 0);
  for (const auto& s : loaded->servers) {
    auto& c = counts[s.pool];
    c.resize(server_status_count, 0);
    ++c[static_cast<size_t>(s.status)];
  }
  std::map<std::string, int64_t> desired;
  std::map<std::string, const pool_record*> records;
  for (const auto& p : loaded->pools) {
    desired[p.name] = p.desired;
    records[p.name] = &p;
  }
  if (json) {
    rapidjson::StringBuffer buf;
    json_writer w{buf};
    w.StartObject();
    w.Key("pools");
    w.StartArray();
    for (const auto& [name, c] : counts) {
      w.StartObject();
      key_value(w, "name", name);
      w.Key("desired");
      w.Int64(desired.count(name) ? desired[name] : 0);
      int64_t provisioned = 0;
      w.Key("counts");
      w.StartObject();
      for (size_t i = 0; i < server_status_count; ++i) {
        auto st = static_cast<server_status>(i);
        w.Key(to_string(st));
        w.Int64(c[i]);
        if (is_provisioned(st))
          provisioned += c[i];
      }
      w.EndObject();
      w.Key("provisioned");
      w.Int64(provisioned);
      // As stored: the rolling reboot and the circuit breaker (a pool with
      // servers but no record yet has neither).
      if (auto i = records.find(name); i != records.end()) {
        auto rollout = rollout_json(i->second->rollout);
        w.Key("rollout");
        w.RawValue(rollout.data(), rollout.size(), rapidjson::kObjectType);
        auto breaker = breaker_json(i->second->breaker);
        w.Key("circuit_breaker");
        w.RawValue(breaker.data(), breaker.size(), rapidjson::kObjectType);
      }
      w.EndObject();
    }
    w.EndArray();
    w.Key("servers");
    w.StartArray();
    for (const auto& s : loaded->servers) {
      w.StartObject();
      key_value(w, "id", s.id);
      key_value(w, "name", s.name);
      key_value(w, "pool", s.pool);
      key_value(w, "provider", s.provider);
      key_value(w, "status", to_string(s.status));
      key_value(w, "since", format_time(s.status_since_ms));
      w.Key("since_ms");
      w.Int64(s.status_since_ms);
      key_value(w, "provider_id", s.provider_id);
      key_value(w, "last_error", last_error(s));
      w.EndObject();
    }
    w.EndArray();
    w.Key("webhooks");
    w.StartArray();
    for (const auto& c : loaded->cursors) {
      w.StartObject();
      key_value(w, "name", c.name);
      w.Key("cursor");
      w.Uint64(c.seq);
      w.Key("last_seq");
      w.Uint64(loaded->last_seq);
      w.Key("lag");
      w.Uint64(loaded->last_seq > c.seq ? loaded->last_seq - c.seq : 0);
      key_value(w, "updated", format_time(c.updated_at_ms));
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    out << buf.GetString() << "\n";
    return 0;
  }
  out << "POOL            DESIRED  PROVISIONED  COUNTS\n";
  for (const auto& [name, c] : counts) {
    int64_t provisioned = 0;
    std::string per_status;
    for (size_t i = 0; i < server_status_count; ++i) {
      auto st = static_cast<server_status>(i);
      if (is_provisioned(st))
        provisioned += c[i];
      if (c[i] > 0)
        per_status += std::string{to_string(st)} + "=" + std::to_string(c[i])
                      + " ";
    }
    out << std::left << std::setw(16) << name << std::setw(9)
        << (desired.count(name) ? desired[name] : 0) << std::setw(13)
        << provisioned << per_status << "\n";
  }
  // What needs attention, as stored: a rolling reboot under way and a
  // circuit breaker that is not closed.
  for (const auto& [name, rec] : records) {
    const auto& r = rec->rollout;
    if (r.running())
      out << name << ": rolling reboot " << r.done << "/" << r.total
          << " done, " << r.rebooting.size() << " rebooting, "
          << r.waiting.size() << " waiting\n";
    const auto& b = rec->breaker;
    if (b.state != "closed")
      out << name << ": circuit breaker " << b.state << " until "
          << format_time(b.open_until_ms) << " (" << b.reason << ")\n";
  }
  out << "\nID                                    NAME                      "
         "POOL        STATUS     SINCE                 PROVIDER ID    "
         "LAST ERROR\n";
  for (const auto& s : loaded->servers)
    out << std::left << std::setw(38) << s.id << std::setw(26) << s.name
        << std::setw(12) << s.pool << std::setw(11) << to_string(s.status)
        << std::setw(22) << format_time(s.status_since_ms) << std::setw(15)
        << (s.provider_id.empty() ? "-" : s.provider_id) << last_error(s)
        << "\n";
  if (loaded->servers.empty())
    out << "(no servers)\n";
  if (!loaded->cursors.empty()) {
    // Cursors as stored: a running node may be a little further already.
    out << "\nWEBHOOK         CURSOR    LAG       UPDATED\n";
    for (const auto& c : loaded->cursors)
      out << std::left << std::setw(16) << c.name << std::setw(10) << c.seq
          << std::setw(10)
          << (loaded->last_seq > c.seq ? loaded->last_seq - c.seq : 0)
          << format_time(c.updated_at_ms) << "\n";
  }
  return 0;
}

int print_provider_servers(const node_config& cfg, bool json, bool history,
                           std::ostream& out, std::ostream& err) {
  // The store may not exist yet (node never started): then nothing is known.
  std::set<std::string> known;
  if (auto loaded = load_store(cfg.data_dir)) {
    for (const auto& s : loaded->servers)
      if (s.status != server_status::deleted)
        known.insert(s.id);
  }
  struct row {
    std::string account;
    cloud_server srv;
    bool known;
  };
  std::vector<row> rows;
  for (const auto& [name, pc] : cfg.providers) {
    // A simulated cloud that was never used has no inventory yet: empty.
    if (pc.type == "simulated"
        && !std::filesystem::exists(cfg.data_dir + "/cloud/" + name
                                    + "/CURRENT"))
      continue;
    auto p = open_provider(cfg, name, system_wall_clock(), true);
    if (!p) {
      err << "dynserv: cannot open provider " << name << ": "
          << describe(p.error()) << "\n";
      return 1;
    }
    std::vector<cloud_server> servers;
    if (history) {
      auto* sim = dynamic_cast<simulated_provider*>(p->get());
      if (!sim) {
        err << "dynserv: --history works only with the simulated provider\n";
        return 2;
      }
      for (auto& s : sim->history())
        if (s.labels.count(labels::owner)
            && s.labels.at(labels::owner) == cfg.name)
          servers.push_back(std::move(s));
    } else {
      auto reply = (*p)->list({{labels::owner, cfg.name}});
      if (!reply.ok()) {
        err << "dynserv: listing provider " << name << " failed: "
            << reply.error.code << " " << reply.error.message << "\n";
        return 1;
      }
      servers = std::move(reply.servers);
    }
    for (auto& s : servers) {
      auto id = s.labels.count(labels::id) ? s.labels.at(labels::id) : "";
      rows.push_back({name, std::move(s), known.count(id) > 0});
    }
  }
  if (json) {
    rapidjson::StringBuffer buf;
    json_writer w{buf};
    w.StartObject();
    w.Key("servers");
    w.StartArray();
    for (const auto& r : rows) {
      w.StartObject();
      key_value(w, "provider", r.account);
      key_value(w, "provider_id", r.srv.provider_id);
      key_value(w, "name", r.srv.name);
      key_value(w, "state", r.srv.raw_state);
      auto label = [&](const char* key) {
        auto i = r.srv.labels.find(key);
        return i == r.srv.labels.end() ? std::string{} : i->second;
      };
      key_value(w, "dynserv_id", label(labels::id));
      key_value(w, "pool", label(labels::pool));
      w.Key("known");
      w.Bool(r.known);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    out << buf.GetString() << "\n";
    return 0;
  }
  out << "PROVIDER    PROVIDER ID    NAME                      STATE        "
         "KNOWN\n";
  for (const auto& r : rows)
    out << std::left << std::setw(12) << r.account << std::setw(15)
        << r.srv.provider_id << std::setw(26) << r.srv.name << std::setw(13)
        << r.srv.raw_state << (r.known ? "yes" : "NO (orphan)") << "\n";
  if (rows.empty())
    out << "(no servers with owner label " << cfg.name << ")\n";
  return 0;
}

} // namespace dynserv
