// JSON encodings of pools, servers, events and replies.
#include "api/api_json.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

#include "messages/status.hpp"

namespace dynserv {

namespace {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

void string_value(json_writer& w, std::string_view str) {
  auto clean = valid_utf8(str);
  w.String(clean.data(), static_cast<rapidjson::SizeType>(clean.size()));
}

void key_value(json_writer& w, const char* key, std::string_view str) {
  w.Key(key);
  string_value(w, str);
}

void key_int(json_writer& w, const char* key, int64_t x) {
  w.Key(key);
  w.Int64(x);
}

void key_uint(json_writer& w, const char* key, uint64_t x) {
  w.Key(key);
  w.Uint64(x);
}

void key_bool(json_writer& w, const char* key, bool x) {
  w.Key(key);
  w.Bool(x);
}

std::string text_of(const rapidjson::StringBuffer& buf) {
  return std::string{buf.GetString(), buf.GetSize()};
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

} // namespace

std::string format_time(int64_t ms) {
  if (ms <= 0)
    return "-";
  std::time_t secs = ms / 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string format_time_ms(int64_t ms) {
  if (ms <= 0)
    return "-";
  std::time_t secs = ms / 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[48];
  auto n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof(buf) - n, ".%03dZ",
                static_cast<int>(ms % 1000));
  return buf;
}

std::string valid_utf8(std::string_view str) {
  static constexpr const char* replacement = "\xef\xbf\xbd";
  std::string res;
  res.reserve(str.size());
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<unsigned char>(str[k]); };
  while (i < str.size()) {
    auto c = byte(i);
    size_t len = 0;
    uint32_t min = 0;
    if (c < 0x80) {
      res += static_cast<char>(c);
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      len = 2;
      min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      min = 0x10000;
    }
    bool ok = len > 0 && i + len <= str.size();
    uint32_t cp = len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
    for (size_t k = 1; ok && k < len; ++k) {
      if ((byte(i + k) & 0xc0) != 0x80)
        ok = false;
      else
        cp = (cp << 6) | (byte(i + k) & 0x3f);
    }
    // Overlong forms, surrogates and values beyond Unicode are invalid.
    if (ok && (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)))
      ok = false;
    if (ok) {
      res.append(str.substr(i, len));
      i += len;
    } else {
      res += replacement;
      ++i;
    }
  }
  return res;
}

std::string json_string(std::string_view str) {
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  string_value(w, str);
  return text_of(buf);
}

int64_t provisioned_count(const pool_status& p) {
  int64_t res = 0;
  for (size_t i = 0; i < server_status_count; ++i)
    if (is_provisioned(static_cast<server_status>(i)))
      res += count_of(p, i);
  return res;
}

std::vector<server_record> select_servers(const std::vector<pool_status>& pools,
                                          const std::string& pool,
                                          std::optional<server_status> status) {
  std::vector<server_record> res;
  for (const auto& p : pools)
    for (const auto& s : p.servers)
      if ((pool.empty() || s.pool == pool) && (!status || s.status == *status))
        res.push_back(s);
  std::sort(res.begin(), res.end(), [](const auto& a, const auto& b) {
    if (a.pool != b.pool)
      return a.pool < b.pool;
    if (a.created_at_ms != b.created_at_ms)
      return a.created_at_ms < b.created_at_ms;
    return a.id < b.id;
  });
  return res;
}

std::string pool_json(const pool_status& p, bool with_servers) {
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartObject();
  key_value(w, "name", p.name);
  key_value(w, "provider", p.provider);
  key_int(w, "desired", p.desired);
  key_int(w, "min", p.min);
  key_int(w, "max", p.max);
  key_int(w, "provisioned", provisioned_count(p));
  w.Key("counts");
  w.StartObject();
  for (size_t i = 0; i < server_status_count; ++i)
    key_int(w, to_string(static_cast<server_status>(i)), count_of(p, i));
  w.EndObject();
  // Added after the original keys: JSON consumers are promised that new
  // keys only come at the end.
  key_value(w, "policy", p.policy);
  key_bool(w, "paused", p.paused);
  key_bool(w, "dry_run", p.dry_run);
  key_int(w, "active", p.active);
  key_int(w, "expired", p.expired);
  auto rollout = rollout_json(p.rollout);
  w.Key("rollout");
  w.RawValue(rollout.data(), rollout.size(), rapidjson::kObjectType);
  auto breaker = breaker_json(p.breaker);
  w.Key("circuit_breaker");
  w.RawValue(breaker.data(), breaker.size(), rapidjson::kObjectType);
  if (with_servers) {
    w.Key("servers");
    w.StartArray();
    for (const auto& s : select_servers({p}, "", std::nullopt)) {
      auto json = server_json(s);
      w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
    }
    w.EndArray();
  }
  w.EndObject();
  return text_of(buf);
}

std::string rollout_json(const rollout_record& r) {
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartObject();
  key_value(w, "state", r.state);
  key_value(w, "max_unavailable_spec", r.max_unavailable_spec);
  key_int(w, "max_unavailable", r.max_unavailable);
  key_int(w, "started_at_ms", r.started_at_ms);
  key_int(w, "finished_at_ms", r.finished_at_ms);
  key_int(w, "total", r.total);
  key_int(w, "done", r.done);
  key_int(w, "skipped", r.skipped);
  for (auto [key, ids] : {std::pair{"rebooting", &r.rebooting},
                          std::pair{"waiting", &r.waiting}}) {
    w.Key(key);
    w.StartArray();
    for (const auto& id : *ids)
      string_value(w, id);
    w.EndArray();
  }
  w.EndObject();
  return text_of(buf);
}

std::string reboot_json(std::string_view pool, const rollout_record& r) {
  // The rollout object with "pool" in front, so that a reply names its pool
  // and the rest reads like the pool object's `rollout`.
  auto rollout = rollout_json(r);
  return "{\"pool\":" + json_string(pool) + "," + rollout.substr(1);
}

std::string breaker_json(const breaker_record& b) {
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartObject();
  key_value(w, "state", b.state);
  key_int(w, "open_until_ms", b.open_until_ms);
  key_int(w, "backoff_ms", b.backoff_ms);
  key_int(w, "trips", b.trips);
  key_value(w, "reason", b.reason);
  key_int(w, "window_creates", b.window_creates);
  key_int(w, "window_failures", b.window_failures);
  w.EndObject();
  return text_of(buf);
}

std::string server_json(const server_record& s) {
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartObject();
  key_value(w, "id", s.id);
  key_value(w, "name", s.name);
  key_value(w, "pool", s.pool);
  key_value(w, "provider", s.provider);
  key_value(w, "status", to_string(s.status));
  key_value(w, "previous_status", to_string(s.previous_status));
  key_value(w, "since", format_time(s.status_since_ms));
  key_int(w, "since_ms", s.status_since_ms);
  key_int(w, "created_at_ms", s.created_at_ms);
  key_value(w, "provider_id", s.provider_id);
  key_int(w, "provider_created_at_ms", s.provider_created_at_ms);
  key_bool(w, "call_accepted", s.call_accepted);
  key_uint(w, "create_attempts", s.create_attempts);
  key_bool(w, "reboot_requested", s.reboot_requested);
  key_bool(w, "stop_requested", s.stop_requested);
  key_uint(w, "retries", s.retries);
  key_value(w, "last_error", last_error(s));
  key_value(w, "last_error_kind", to_string(s.last_error_kind));
  key_value(w, "last_error_code", s.last_error_code);
  key_value(w, "last_error_message", s.last_error_message);
  w.EndObject();
  return text_of(buf);
}

std::string event_json(const event_record& ev) {
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartObject();
  key_uint(w, "seq", ev.seq);
  key_value(w, "at", format_time_ms(ev.at_ms));
  key_int(w, "at_ms", ev.at_ms);
  key_value(w, "reason", ev.reason);
  key_value(w, "pool", ev.pool);
  key_value(w, "server_id", ev.server_id);
  key_value(w, "from", ev.from);
  key_value(w, "to", ev.to);
  key_value(w, "message", ev.message);
  w.EndObject();
  return text_of(buf);
}

std::string decision_json(const decision_record& d) {
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartObject();
  key_value(w, "pool", d.pool);
  key_value(w, "at", format_time_ms(d.at_ms));
  key_int(w, "at_ms", d.at_ms);
  key_value(w, "policy", d.policy);
  key_value(w, "input", d.input);
  w.Key("wanted");
  if (d.wanted < 0)
    w.Null();
  else
    w.Int64(d.wanted);
  w.Key("steps");
  w.StartArray();
  for (const auto& step : d.steps) {
    w.StartObject();
    key_value(w, "name", step.name);
    key_int(w, "before", step.before);
    key_int(w, "after", step.after);
    key_value(w, "why", step.why);
    w.EndObject();
  }
  w.EndArray();
  key_int(w, "result", d.result);
  key_int(w, "previous_desired", d.previous_desired);
  key_int(w, "active", d.active);
  key_int(w, "starting", d.starting);
  key_value(w, "mode", d.mode);
  key_bool(w, "applied", d.applied);
  key_value(w, "action", d.action);
  key_value(w, "summary", d.summary);
  w.EndObject();
  return text_of(buf);
}

std::string scale_json(const scale_reply& r) {
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartObject();
  key_value(w, "pool", r.pool);
  key_int(w, "previous_desired", r.previous_desired);
  key_int(w, "desired", r.desired);
  key_value(w, "note", r.note);
  w.EndObject();
  return text_of(buf);
}

std::string webhook_json(const webhook_status& ws) {
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartObject();
  key_value(w, "name", ws.name);
  // Already reduced by the webhook actor: no query, no credentials.
  key_value(w, "url", ws.url);
  key_uint(w, "cursor", ws.cursor);
  key_uint(w, "persisted_cursor", ws.persisted_cursor);
  key_uint(w, "last_seq", ws.last_seq);
  key_uint(w, "lag", ws.lag());
  key_uint(w, "delivered", ws.delivered);
  key_uint(w, "failures", ws.failures);
  key_uint(w, "attempts", ws.attempts);
  key_uint(w, "pending_seq", ws.pending_seq);
  key_value(w, "last_error", ws.last_error);
  key_value(w, "next_retry_at", format_time_ms(ws.next_retry_at_ms));
  key_int(w, "next_retry_at_ms", ws.next_retry_at_ms);
  key_value(w, "last_success_at", format_time_ms(ws.last_success_at_ms));
  key_int(w, "last_success_at_ms", ws.last_success_at_ms);
  w.EndObject();
  return text_of(buf);
}

std::string webhooks_json(const std::vector<webhook_status>& hooks) {
  std::string body = "{\"webhooks\":[";
  for (size_t i = 0; i < hooks.size(); ++i)
    body += (i > 0 ? "," : "") + webhook_json(hooks[i]);
  return body + "]}";
}

std::string limits_json(const limits_info& info) {
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartObject();
  key_int(w, "max_servers", info.max_servers);
  key_int(w, "allocated", info.allocated);
  key_int(w, "available",
          std::max<int64_t>(info.max_servers - info.allocated, 0));
  w.Key("limited_pools");
  w.StartArray();
  for (const auto& p : info.limited_pools)
    string_value(w, p);
  w.EndArray();
  w.EndObject();
  return text_of(buf);
}

std::string error_json(std::string_view code, std::string_view message) {
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartObject();
  w.Key("error");
  w.StartObject();
  key_value(w, "code", code);
  key_value(w, "message", message);
  w.EndObject();
  w.EndObject();
  return text_of(buf);
}

} // namespace dynserv
