// Reports printed by `dynserv status` and `dynserv provider-servers`.
#include "tools/node/reports.hpp"

#include <filesystem>
#include <iomanip>
#include <map>
#include <optional>
#include <set>

#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

#include "actors/node.hpp"
#include "api/api_json.hpp"
#include "messages/errors.hpp"
#include "providers/simulated_provider.hpp"
#include "storage/record_store.hpp"
#include "storage/rocksdb_store.hpp"
#include "tools/console/console_output.hpp"

namespace dynserv {

namespace {

using console::format_time;
using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

std::string last_error(const server_record& rec) {
  if (rec.last_error_kind == error_kind::none)
    return "";
  return std::string{to_string(rec.last_error_kind)} + " " + rec.last_error_code
         + " " + rec.last_error_message;
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

/// Per pool: servers by status, the desired count and the stored record
/// (a pool with servers but no record yet has none).
struct pool_summary {
  std::vector<int64_t> counts;
  int64_t desired = 0;
  const pool_record* record = nullptr;

  int64_t provisioned() const {
    int64_t n = 0;
    for (size_t i = 0; i < counts.size(); ++i)
      if (is_provisioned(static_cast<server_status>(i)))
        n += counts[i];
    return n;
  }
};

std::map<std::string, pool_summary> summarize(const loaded_store& loaded) {
  std::map<std::string, pool_summary> pools;
  for (const auto& p : loaded.pools) {
    auto& sum = pools[p.name];
    sum.counts.assign(server_status_count, 0);
    sum.desired = p.desired;
    sum.record = &p;
  }
  for (const auto& s : loaded.servers) {
    auto& c = pools[s.pool].counts;
    c.resize(server_status_count, 0);
    ++c[static_cast<size_t>(s.status)];
  }
  return pools;
}

uint64_t lag_of(const loaded_store& loaded, const webhook_cursor& c) {
  return loaded.last_seq > c.seq ? loaded.last_seq - c.seq : 0;
}

void write_pools_json(json_writer& w,
                      const std::map<std::string, pool_summary>& pools) {
  w.Key("pools");
  w.StartArray();
  for (const auto& [name, sum] : pools) {
    w.StartObject();
    key_value(w, "name", name);
    w.Key("desired");
    w.Int64(sum.desired);
    w.Key("counts");
    w.StartObject();
    for (size_t i = 0; i < server_status_count; ++i) {
      w.Key(to_string(static_cast<server_status>(i)));
      w.Int64(sum.counts[i]);
    }
    w.EndObject();
    w.Key("provisioned");
    w.Int64(sum.provisioned());
    // As stored: the rolling reboot and the circuit breaker.
    if (sum.record) {
      auto rollout = rollout_json(sum.record->rollout);
      w.Key("rollout");
      w.RawValue(rollout.data(), rollout.size(), rapidjson::kObjectType);
      auto breaker = breaker_json(sum.record->breaker);
      w.Key("circuit_breaker");
      w.RawValue(breaker.data(), breaker.size(), rapidjson::kObjectType);
    }
    w.EndObject();
  }
  w.EndArray();
}

void write_status_json(const loaded_store& loaded,
                       const std::map<std::string, pool_summary>& pools,
                       std::ostream& out) {
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartObject();
  write_pools_json(w, pools);
  w.Key("servers");
  w.StartArray();
  for (const auto& s : loaded.servers) {
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
  for (const auto& c : loaded.cursors) {
    w.StartObject();
    key_value(w, "name", c.name);
    w.Key("cursor");
    w.Uint64(c.seq);
    w.Key("last_seq");
    w.Uint64(loaded.last_seq);
    w.Key("lag");
    w.Uint64(lag_of(loaded, c));
    key_value(w, "updated", format_time(c.updated_at_ms));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  out << buf.GetString() << "\n";
}

void write_pools_text(const std::map<std::string, pool_summary>& pools,
                      std::ostream& out) {
  out << "POOL            DESIRED  PROVISIONED  COUNTS\n";
  for (const auto& [name, sum] : pools) {
    std::string per_status;
    for (size_t i = 0; i < server_status_count; ++i)
      if (sum.counts[i] > 0)
        per_status += std::string{to_string(static_cast<server_status>(i))}
                      + "=" + std::to_string(sum.counts[i]) + " ";
    out << std::left << std::setw(16) << name << std::setw(9) << sum.desired
        << std::setw(13) << sum.provisioned() << per_status << "\n";
  }
  // What needs attention, as stored: a rolling reboot under way and a
  // circuit breaker that is not closed.
  for (const auto& [name, sum] : pools) {
    if (!sum.record)
      continue;
    const auto& r = sum.record->rollout;
    if (r.running())
      out << name << ": rolling reboot " << r.done << "/" << r.total
          << " done, " << r.rebooting.size() << " rebooting, "
          << r.waiting.size() << " waiting\n";
    const auto& b = sum.record->breaker;
    if (b.state != "closed")
      out << name << ": circuit breaker " << b.state << " until "
          << format_time(b.open_until_ms) << " (" << b.reason << ")\n";
  }
}

void write_status_text(const loaded_store& loaded,
                       const std::map<std::string, pool_summary>& pools,
                       std::ostream& out) {
  write_pools_text(pools, out);
  out << "\nID                                    NAME                      "
         "POOL        STATUS     SINCE                 PROVIDER ID    "
         "LAST ERROR\n";
  for (const auto& s : loaded.servers)
    out << std::left << std::setw(38) << s.id << std::setw(26) << s.name
        << std::setw(12) << s.pool << std::setw(11) << to_string(s.status)
        << std::setw(22) << format_time(s.status_since_ms) << std::setw(15)
        << (s.provider_id.empty() ? "-" : s.provider_id) << last_error(s)
        << "\n";
  if (loaded.servers.empty())
    out << "(no servers)\n";
  if (!loaded.cursors.empty()) {
    // Cursors as stored: a running node may be a little further already.
    out << "\nWEBHOOK         CURSOR    LAG       UPDATED\n";
    for (const auto& c : loaded.cursors)
      out << std::left << std::setw(16) << c.name << std::setw(10) << c.seq
          << std::setw(10) << lag_of(loaded, c) << format_time(c.updated_at_ms)
          << "\n";
  }
}

/// One server a provider holds with this node's owner label.
struct provider_row {
  std::string account;
  cloud_server srv;
  bool known;
};

/// The servers with this node's owner label that provider `name` holds now
/// (or, with `history`, ever held); nullopt after reporting to `err` (with
/// the exit code in `rc`).
std::optional<std::vector<cloud_server>>
owned_servers(const node_config& cfg, const std::string& name, bool history,
              std::ostream& err, int& rc) {
  auto p = open_provider(cfg, name, system_wall_clock(), true);
  if (!p) {
    err << "dynserv: cannot open provider " << name << ": "
        << describe(p.error()) << "\n";
    rc = 1;
    return std::nullopt;
  }
  std::vector<cloud_server> servers;
  if (history) {
    auto* sim = dynamic_cast<simulated_provider*>(p->get());
    if (!sim) {
      err << "dynserv: --history works only with the simulated provider\n";
      rc = 2;
      return std::nullopt;
    }
    for (auto& s : sim->history())
      if (s.labels.count(labels::owner)
          && s.labels.at(labels::owner) == cfg.name)
        servers.push_back(std::move(s));
    return servers;
  }
  auto reply = (*p)->list({{labels::owner, cfg.name}});
  if (!reply.ok()) {
    err << "dynserv: listing provider " << name
        << " failed: " << reply.error.code << " " << reply.error.message
        << "\n";
    rc = 1;
    return std::nullopt;
  }
  return std::move(reply.servers);
}

void write_rows_json(const std::vector<provider_row>& rows, std::ostream& out) {
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
  auto pools = summarize(*loaded);
  if (json)
    write_status_json(*loaded, pools, out);
  else
    write_status_text(*loaded, pools, out);
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
  std::vector<provider_row> rows;
  for (const auto& [name, pc] : cfg.providers) {
    // A simulated cloud that was never used has no inventory yet: empty.
    if (pc.type == "simulated"
        && !std::filesystem::exists(cfg.data_dir + "/cloud/" + name
                                    + "/CURRENT"))
      continue;
    int rc = 0;
    auto servers = owned_servers(cfg, name, history, err, rc);
    if (!servers)
      return rc;
    for (auto& s : *servers) {
      auto id = s.labels.count(labels::id) ? s.labels.at(labels::id) : "";
      rows.push_back({name, std::move(s), known.count(id) > 0});
    }
  }
  if (json) {
    write_rows_json(rows, out);
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
