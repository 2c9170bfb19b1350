// Text and JSON renderings of the admin session's replies.
#include "tools/console/console_output.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "api/api_json.hpp"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace dynserv::console {

namespace {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

// -- JSON building blocks -----------------------------------------------------

void key_uint(json_writer& w, const char* key, uint64_t x) {
  w.Key(key);
  w.Uint64(x);
}

/// Inserts an already encoded JSON value.
void raw(json_writer& w, const std::string& json) {
  w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}

std::string finish(const rapidjson::StringBuffer& buf) {
  return std::string{buf.GetString(), buf.GetSize()} + "\n";
}

/// The last error as `dynserv status` prints it, or empty.
std::string last_error(const server_record& rec) {
  if (rec.last_error_kind == error_kind::none)
    return "";
  return std::string{to_string(rec.last_error_kind)} + " " + rec.last_error_code
         + " " + rec.last_error_message;
}

int64_t count_of(const pool_status& p, size_t i) {
  return i < p.counts.size() ? p.counts[i] : 0;
}

// The objects themselves are shared with the HTTP API (actors/api_json).

void write_pool(json_writer& w, const pool_status& p) {
  raw(w, pool_json(p));
}

void write_server(json_writer& w, const server_record& s) {
  raw(w, server_json(s));
}

void write_event(json_writer& w, const event_record& ev) {
  raw(w, event_json(ev));
}

// -- text building blocks -----------------------------------------------------

std::string counts_text(const pool_status& p) {
  std::string res;
  for (size_t i = 0; i < server_status_count; ++i) {
    auto n = count_of(p, i);
    if (n == 0)
      continue;
    if (!res.empty())
      res += " ";
    res += std::string{to_string(static_cast<server_status>(i))} + "="
           + std::to_string(n);
  }
  return res;
}

/// What needs attention in a pool, one line each under the table: a
/// running rolling reboot, a circuit breaker that is not closed, servers
/// past max_lifetime.
std::string notes_text(const std::vector<pool_status>& pools) {
  std::string res;
  for (const auto& p : pools)
    for (const auto& note : pool_notes(p))
      res += sanitize(p.name) + ": " + note + "\n";
  return res;
}

std::string pools_table(const std::vector<pool_status>& pools) {
  if (pools.empty())
    return "(no pools)\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : pools)
    rows.push_back({sanitize(p.name), sanitize(p.provider),
                    std::to_string(p.desired), std::to_string(p.min),
                    std::to_string(p.max), std::to_string(provisioned_count(p)),
                    counts_text(p)});
  return format_table({"POOL", "PROVIDER", "DESIRED", "MIN", "MAX",
                       "PROVISIONED", "COUNTS"},
                      rows)
         + notes_text(pools);
}

std::string servers_table(const std::vector<server_record>& servers) {
  if (servers.empty())
    return "(no servers)\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : servers)
    rows.push_back({sanitize(s.id), sanitize(s.name), sanitize(s.pool),
                    to_string(s.status), format_time(s.status_since_ms),
                    sanitize(s.provider_id), sanitize(last_error(s))});
  return format_table({"ID", "NAME", "POOL", "STATUS", "SINCE", "PROVIDER ID",
                       "LAST ERROR"},
                      rows);
}

std::string dash_if_empty(std::string str) {
  return str.empty() ? "-" : str;
}

std::string plural(int64_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

} // namespace

// -- helpers ------------------------------------------------------------------

std::string sanitize(std::string_view str) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string res;
  res.reserve(str.size());
  for (auto ch : str) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      res += "\\x";
      res += hex[c >> 4];
      res += hex[c & 0xf];
    } else {
      res += ch;
    }
  }
  return res;
}

std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  auto measure = [&](const std::vector<std::string>& row) {
    if (widths.size() < row.size())
      widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i)
      widths[i] = std::max(widths[i], std::max<size_t>(row[i].size(), 1));
  };
  measure(header);
  for (const auto& row : rows)
    measure(row);
  std::string res;
  auto emit = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      auto cell = row[i].empty() ? std::string{"-"} : row[i];
      line += cell;
      if (i + 1 < row.size())
        line += std::string(widths[i] - cell.size() + 2, ' ');
    }
    res += line + "\n";
  };
  emit(header);
  for (const auto& row : rows)
    emit(row);
  return res;
}

std::optional<std::string>
unknown_pool_message(const std::vector<pool_status>& pools,
                     const std::string& name) {
  std::string known;
  for (const auto& p : pools) {
    if (p.name == name)
      return std::nullopt;
    known += (known.empty() ? "" : ", ") + p.name;
  }
  return "unknown_pool: unknown pool \"" + sanitize(name)
         + "\" (known: " + known + ")";
}

std::vector<std::string> pool_notes(const pool_status& p) {
  std::vector<std::string> res;
  const auto& r = p.rollout;
  if (r.running()) {
    auto line = "rolling reboot " + std::to_string(r.done) + "/"
                + std::to_string(r.total) + " done, "
                + std::to_string(r.rebooting.size()) + " rebooting";
    if (r.skipped > 0)
      line += ", " + std::to_string(r.skipped) + " skipped";
    res.push_back(std::move(line));
  }
  const auto& b = p.breaker;
  if (b.state != "closed") {
    std::string line = "circuit breaker " + sanitize(b.state);
    if (b.open())
      line += " until " + format_time(b.open_until_ms);
    else if (b.state == "half_open")
      line += ": one probe create decides";
    if (!b.reason.empty())
      line += " (" + sanitize(b.reason) + ")";
    res.push_back(std::move(line));
  }
  if (p.expired > 0)
    res.push_back(plural(p.expired, "server") + " past max_lifetime");
  return res;
}

// -- replies ------------------------------------------------------------------

std::string format_status(const std::vector<pool_status>& pools, bool json) {
  auto servers = select_servers(pools, "", std::nullopt);
  if (json) {
    rapidjson::StringBuffer buf;
    json_writer w{buf};
    w.StartObject();
    w.Key("pools");
    w.StartArray();
    for (const auto& p : pools)
      write_pool(w, p);
    w.EndArray();
    w.Key("servers");
    w.StartArray();
    for (const auto& s : servers)
      write_server(w, s);
    w.EndArray();
    w.EndObject();
    return finish(buf);
  }
  return pools_table(pools) + "\n" + servers_table(servers);
}

std::string format_pools(const std::vector<pool_status>& pools, bool json) {
  if (json) {
    rapidjson::StringBuffer buf;
    json_writer w{buf};
    w.StartObject();
    w.Key("pools");
    w.StartArray();
    for (const auto& p : pools)
      write_pool(w, p);
    w.EndArray();
    w.EndObject();
    return finish(buf);
  }
  return pools_table(pools);
}

std::string format_servers(const std::vector<server_record>& servers,
                           bool json) {
  if (json) {
    rapidjson::StringBuffer buf;
    json_writer w{buf};
    w.StartObject();
    w.Key("servers");
    w.StartArray();
    for (const auto& s : servers)
      write_server(w, s);
    w.EndArray();
    w.EndObject();
    return finish(buf);
  }
  return servers_table(servers);
}

std::string format_server(const server_record& s, bool json) {
  if (json) {
    rapidjson::StringBuffer buf;
    json_writer w{buf};
    write_server(w, s);
    return finish(buf);
  }
  std::string requested;
  if (s.reboot_requested)
    requested = "reboot";
  if (s.stop_requested)
    requested += requested.empty() ? "stop" : ", stop";
  std::vector<std::pair<const char*, std::string>> lines = {
    {"id", sanitize(s.id)},
    {"name", sanitize(s.name)},
    {"pool", sanitize(s.pool)},
    {"provider", sanitize(s.provider)},
    {"status", to_string(s.status)},
    {"previous status", to_string(s.previous_status)},
    {"since", format_time(s.status_since_ms)},
    {"created", format_time(s.created_at_ms)},
    {"provider id", sanitize(s.provider_id)},
    {"provider created", format_time(s.provider_created_at_ms)},
    {"create attempts", std::to_string(s.create_attempts)},
    {"call accepted", s.call_accepted ? "yes" : "no"},
    {"retries", std::to_string(s.retries)},
    {"requested", requested},
    {"last error", sanitize(last_error(s))},
  };
  std::string res;
  for (const auto& [key, value] : lines) {
    std::string line = key;
    line += ":";
    line.resize(18, ' ');
    res += line + dash_if_empty(value) + "\n";
  }
  return res;
}

std::string format_scale(const scale_reply& r, bool json) {
  if (json)
    return scale_json(r) + "\n";
  auto res = "pool " + sanitize(r.pool) + ": desired "
             + std::to_string(r.previous_desired) + " -> "
             + std::to_string(r.desired);
  if (!r.note.empty())
    res += " (" + sanitize(r.note) + ")";
  return res + "\n";
}

std::string format_rollout(const std::string& pool, const rollout_record& r,
                           bool json) {
  // The HTTP API answers the same document.
  if (json)
    return reboot_json(pool, r) + "\n";
  return "pool " + sanitize(pool) + ": rolling reboot " + sanitize(r.state)
         + ", " + plural(r.total, "server") + ", at most "
         + std::to_string(r.max_unavailable)
         + " at a time: " + std::to_string(r.done) + " done, "
         + std::to_string(r.rebooting.size()) + " rebooting, "
         + std::to_string(r.waiting.size()) + " waiting, "
         + std::to_string(r.skipped) + " skipped\n";
}

std::string format_stop(const server_record& s, bool json) {
  if (json)
    return format_server(s, true);
  return "server " + sanitize(s.id) + " (" + sanitize(s.name) + ", pool "
         + sanitize(s.pool) + "): " + to_string(s.status) + "\n";
}

std::string format_limits(const limits_info& info, bool json) {
  if (json)
    return limits_json(info) + "\n";
  std::string limited;
  for (const auto& p : info.limited_pools)
    limited += (limited.empty() ? "" : ", ") + sanitize(p);
  return "max servers:    " + std::to_string(info.max_servers) + "\n"
         + "allocated:      " + std::to_string(info.allocated) + "\n"
         + "available:      "
         + std::to_string(
           std::max<int64_t>(info.max_servers - info.allocated, 0))
         + "\n" + "limited pools:  " + dash_if_empty(limited) + "\n";
}

std::string format_webhooks(const std::vector<webhook_status>& hooks,
                            bool json) {
  if (json)
    return webhooks_json(hooks) + "\n";
  if (hooks.empty())
    return "no webhooks (the config has no `webhooks` section)\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& h : hooks)
    rows.push_back({sanitize(h.name), sanitize(h.url),
                    std::to_string(h.cursor) + "/" + std::to_string(h.last_seq),
                    std::to_string(h.lag()), std::to_string(h.delivered),
                    std::to_string(h.failures),
                    format_time_ms(h.next_retry_at_ms),
                    sanitize(h.last_error)});
  return format_table({"NAME", "URL", "CURSOR", "LAG", "DELIVERED", "FAILURES",
                       "NEXT RETRY", "LAST ERROR"},
                      rows);
}

std::string format_decisions(const std::string& pool,
                             const std::vector<decision_record>& decisions,
                             bool json) {
  if (json) {
    std::string body = "{\"pool\":" + json_string(pool) + ",\"decisions\":[";
    for (size_t i = 0; i < decisions.size(); ++i)
      body += (i > 0 ? "," : "") + decision_json(decisions[i]);
    return body + "]}\n";
  }
  if (decisions.empty())
    return "pool " + sanitize(pool)
           + ": no decisions (the pool has no policy, or none was made yet)\n";
  std::string res;
  for (const auto& d : decisions)
    res += format_time(d.at_ms) + "  " + sanitize(d.mode) + "  "
           + std::to_string(d.previous_desired) + "->"
           + std::to_string(d.applied ? d.result : d.previous_desired) + "  "
           + sanitize(d.summary) + "\n";
  return res;
}

std::string format_pause(const pool_status& p, bool json) {
  if (json)
    return pool_json(p) + "\n";
  if (p.policy == "external")
    return "pool " + sanitize(p.name) + ": " + (p.paused ? "paused" : "resumed")
           + " (the pool has no policy; the flag applies once it has one)\n";
  return "pool " + sanitize(p.name) + ": policy "
         + (p.paused ? "paused (decisions are recorded, not applied)"
                     : "resumed")
         + "\n";
}

std::string format_events(const std::vector<event_record>& events,
                          uint64_t since, bool json) {
  if (json) {
    uint64_t last = since;
    rapidjson::StringBuffer buf;
    json_writer w{buf};
    w.StartObject();
    w.Key("events");
    w.StartArray();
    for (const auto& ev : events) {
      write_event(w, ev);
      last = std::max(last, ev.seq);
    }
    w.EndArray();
    key_uint(w, "last_seq", last);
    w.EndObject();
    return finish(buf);
  }
  if (events.empty())
    return "(no events)\n";
  std::string res;
  for (const auto& ev : events)
    res += format_event_line(ev, false);
  return res;
}

std::string format_event_line(const event_record& ev, bool json) {
  if (json) {
    rapidjson::StringBuffer buf;
    json_writer w{buf};
    write_event(w, ev);
    return finish(buf);
  }
  auto res = std::to_string(ev.seq) + "  " + format_time_ms(ev.at_ms) + "  "
             + sanitize(ev.reason);
  if (!ev.pool.empty())
    res += "  pool=" + sanitize(ev.pool);
  if (!ev.server_id.empty())
    res += "  server=" + sanitize(ev.server_id);
  if (!ev.from.empty() || !ev.to.empty())
    res += "  " + dash_if_empty(sanitize(ev.from)) + " -> "
           + dash_if_empty(sanitize(ev.to));
  if (!ev.message.empty())
    res += "  " + sanitize(ev.message);
  return res + "\n";
}

} // namespace dynserv::console
