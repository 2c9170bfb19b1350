// JSON encodings of pools, servers, events and replies.
#include "api/api_json.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <type_traits>

#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

#include "messages/record_fields.hpp"
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

int64_t count_of(const pool_status& p, size_t i) {
  return i < p.counts.size() ? p.counts[i] : 0;
}

/// Collects the fields of a record as the API shows them (keys, order and
/// presentation from messages/record_fields.hpp) and writes one JSON
/// object.
class shown_fields {
public:
  template <class T>
  void operator()(const field_spec& f, const T& x) {
    entries_.push_back(entry{f.api_key(), f.after_key, members_of(f, x)});
  }

  /// The object: fields in list order, each followed by the fields shown
  /// after it.
  std::string object() const {
    std::string out = "{";
    for (const auto& e : entries_)
      if (e.after == nullptr)
        append(out, e);
    return out + "}";
  }

private:
  struct entry {
    const char* key;
    const char* after;
    /// `"key":value`, with the time member before it if any.
    std::string members;
  };

  void append(std::string& out, const entry& e) const {
    out += (out.size() > 1 ? "," : "") + e.members;
    for (const auto& next : entries_)
      if (next.after != nullptr && std::strcmp(next.after, e.key) == 0)
        append(out, next);
  }

  template <class T>
  static std::string members_of(const field_spec& f, const T& x) {
    rapidjson::StringBuffer buf;
    json_writer w{buf};
    w.StartObject();
    if constexpr (std::is_same_v<T, int64_t>)
      if (f.time_key != nullptr)
        key_value(w, f.time_key,
                  f.time_with_ms ? format_time_ms(x) : format_time(x));
    w.Key(f.api_key());
    value(w, f, x);
    w.EndObject();
    // Without the braces: the members, to join into the record's object.
    return std::string{buf.GetString() + 1, buf.GetSize() - 2};
  }

  static void value(json_writer& w, const field_spec&, const std::string& x) {
    string_value(w, x);
  }

  static void value(json_writer& w, const field_spec& f, int64_t x) {
    if (f.negative_is_null && x < 0)
      w.Null();
    else
      w.Int64(x);
  }

  static void value(json_writer& w, const field_spec&, uint64_t x) {
    w.Uint64(x);
  }

  static void value(json_writer& w, const field_spec&, uint32_t x) {
    w.Uint64(x);
  }

  static void value(json_writer& w, const field_spec&, bool x) {
    w.Bool(x);
  }

  static void value(json_writer& w, const field_spec&, server_status x) {
    string_value(w, to_string(x));
  }

  static void value(json_writer& w, const field_spec&, error_kind x) {
    string_value(w, to_string(x));
  }

  static void value(json_writer& w, const field_spec&,
                    const std::vector<std::string>& xs) {
    w.StartArray();
    for (const auto& x : xs)
      string_value(w, x);
    w.EndArray();
  }

  template <class Record>
  static void
  value(json_writer& w, const field_spec&, const std::vector<Record>& xs) {
    w.StartArray();
    for (const auto& x : xs) {
      shown_fields fields;
      for_each_field(x, fields);
      auto json = fields.object();
      w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
    }
    w.EndArray();
  }

  std::vector<entry> entries_;
};

/// A record as the API shows it.
template <class Record>
std::string shown_json(const Record& x) {
  shown_fields fields;
  for_each_field(x, fields);
  return fields.object();
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
  return shown_json(r);
}

std::string reboot_json(std::string_view pool, const rollout_record& r) {
  // The rollout object with "pool" in front, so that a reply names its pool
  // and the rest reads like the pool object's `rollout`.
  auto rollout = rollout_json(r);
  return "{\"pool\":" + json_string(pool) + "," + rollout.substr(1);
}

std::string breaker_json(const breaker_record& b) {
  return shown_json(b);
}

std::string server_json(const server_record& s) {
  return shown_json(s);
}

std::string event_json(const event_record& ev) {
  return shown_json(ev);
}

std::string decision_json(const decision_record& d) {
  return shown_json(d);
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
