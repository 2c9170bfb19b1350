// JSON encoding and decoding of store records with RapidJSON.
#include "storage/snapshot_codec.hpp"

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "messages/errors.hpp"

namespace dynserv {

namespace {

// -- encoding -----------------------------------------------------------------

/// Writes the members of one flat JSON object.
class object_writer {
public:
  object_writer() : writer_(buf_) {
    writer_.StartObject();
    add("v", static_cast<int64_t>(snapshot_codec_version));
  }

  void add(const char* key, const std::string& x) {
    writer_.Key(key);
    writer_.String(x.data(), static_cast<rapidjson::SizeType>(x.size()));
  }

  void add(const char* key, int64_t x) {
    writer_.Key(key);
    writer_.Int64(x);
  }

  void add(const char* key, uint64_t x) {
    writer_.Key(key);
    writer_.Uint64(x);
  }

  void add(const char* key, uint32_t x) {
    writer_.Key(key);
    writer_.Uint(x);
  }

  void add(const char* key, bool x) {
    writer_.Key(key);
    writer_.Bool(x);
  }

  void add(const char* key, const char* x) {
    writer_.Key(key);
    writer_.String(x);
  }

  void add(const char* key, const std::vector<std::string>& xs) {
    writer_.Key(key);
    writer_.StartArray();
    for (const auto& x : xs)
      writer_.String(x.data(), static_cast<rapidjson::SizeType>(x.size()));
    writer_.EndArray();
  }

  /// Writes `key` followed by the raw JSON text `json`.
  void add_raw(const char* key, const std::string& json) {
    writer_.Key(key);
    writer_.RawValue(json.data(), json.size(), rapidjson::kArrayType);
  }

  std::string finish() {
    writer_.EndObject();
    return {buf_.GetString(), buf_.GetSize()};
  }

private:
  rapidjson::StringBuffer buf_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

// -- decoding -----------------------------------------------------------------

constexpr error_kind all_error_kinds[] = {
  error_kind::none,      error_kind::transient, error_kind::rate_limited,
  error_kind::conflict,  error_kind::not_found, error_kind::outcome_unknown,
  error_kind::permanent,
};

/// Parses an error kind name as printed by `to_string`.
std::optional<error_kind> parse_error_kind(std::string_view str) {
  for (auto x : all_error_kinds)
    if (str == to_string(x))
      return x;
  return std::nullopt;
}

/// Whether a missing field is an error.
enum class presence { optional, required };

/// Reads the members of one JSON object into record fields, remembering the
/// first problem. Missing optional fields leave the target untouched.
class object_reader {
public:
  object_reader(const rapidjson::Value& obj, const char* what)
      : obj_(obj), what_(what) {
    // nop
  }

  void read(const char* key, std::string& x, presence p = presence::optional) {
    if (auto val = find(key, p)) {
      if (val->IsString())
        x.assign(val->GetString(), val->GetStringLength());
      else
        fail(key, "must be a string");
    }
  }

  void read(const char* key, int64_t& x) {
    if (auto val = find(key, presence::optional)) {
      if (val->IsInt64())
        x = val->GetInt64();
      else
        fail(key, "must be a 64-bit integer");
    }
  }

  void read(const char* key, uint64_t& x, presence p = presence::optional) {
    if (auto val = find(key, p)) {
      if (val->IsUint64())
        x = val->GetUint64();
      else
        fail(key, "must be an unsigned 64-bit integer");
    }
  }

  void read(const char* key, uint32_t& x) {
    if (auto val = find(key, presence::optional)) {
      if (val->IsUint())
        x = val->GetUint();
      else
        fail(key, "must be an unsigned 32-bit integer");
    }
  }

  void read(const char* key, std::vector<std::string>& xs) {
    auto val = find(key, presence::optional);
    if (!val)
      return;
    if (!val->IsArray()) {
      fail(key, "must be an array of strings");
      return;
    }
    xs.clear();
    for (const auto& item : val->GetArray()) {
      if (!item.IsString()) {
        fail(key, "must be an array of strings");
        return;
      }
      xs.emplace_back(item.GetString(), item.GetStringLength());
    }
  }

  void read(const char* key, bool& x) {
    if (auto val = find(key, presence::optional)) {
      if (val->IsBool())
        x = val->GetBool();
      else
        fail(key, "must be a boolean");
    }
  }

  void read(const char* key, server_status& x,
            presence p = presence::optional) {
    std::string name;
    if (find(key, p) == nullptr)
      return;
    read(key, name);
    if (!error_.empty())
      return;
    if (auto parsed = parse_server_status(name))
      x = *parsed;
    else
      fail(key, "names an unknown server status '" + name + "'");
  }

  void read(const char* key, error_kind& x) {
    std::string name;
    if (find(key, presence::optional) == nullptr)
      return;
    read(key, name);
    if (!error_.empty())
      return;
    if (auto parsed = parse_error_kind(name))
      x = *parsed;
    else
      fail(key, "names an unknown error kind '" + name + "'");
  }

  /// Returns the first problem found, if any.
  caf::error error() const {
    if (error_.empty())
      return caf::none;
    return make_error(ec::corrupt_record, error_);
  }

private:
  const rapidjson::Value* find(const char* key, presence p) {
    auto i = obj_.FindMember(key);
    if (i != obj_.MemberEnd())
      return &i->value;
    if (p == presence::required)
      fail(key, "is missing");
    return nullptr;
  }

  void fail(const char* key, const std::string& problem) {
    if (error_.empty())
      error_ = std::string{"corrupt "} + what_ + " record: field '" + key + "' "
               + problem;
  }

  const rapidjson::Value& obj_;
  const char* what_;
  std::string error_;
};

/// Parses `str` into `doc` and checks that it is an object of a supported
/// version.
caf::error parse(rapidjson::Document& doc, std::string_view str,
                 const char* what) {
  doc.Parse(str.data(), str.size());
  if (doc.HasParseError())
    return make_error(ec::corrupt_record,
                      std::string{"corrupt "} + what
                        + " record: malformed JSON at offset "
                        + std::to_string(doc.GetErrorOffset()) + ": "
                        + rapidjson::GetParseError_En(doc.GetParseError()));
  if (!doc.IsObject())
    return make_error(ec::corrupt_record, std::string{"corrupt "} + what
                                            + " record: not a JSON object");
  auto v = doc.FindMember("v");
  if (v == doc.MemberEnd())
    return make_error(ec::corrupt_record, std::string{"corrupt "} + what
                                            + " record: no version field 'v'");
  if (!v->value.IsInt())
    return make_error(ec::corrupt_record,
                      std::string{"corrupt "} + what
                        + " record: version field 'v' is not an integer");
  if (auto version = v->value.GetInt(); version != snapshot_codec_version)
    return make_error(ec::corrupt_record,
                      std::string{"unsupported "} + what + " record version "
                        + std::to_string(version) + " (this build reads "
                        + std::to_string(snapshot_codec_version) + ")");
  return caf::none;
}

/// Runs `f` and turns any exception (e.g. `std::bad_alloc`) into an error.
template <class F>
auto guarded(const char* what, F f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return make_error(ec::corrupt_record, std::string{"cannot decode "} + what
                                            + " record: " + e.what());
  }
}

} // namespace

std::string encode(const server_record& x) {
  object_writer w;
  w.add("id", x.id);
  w.add("name", x.name);
  w.add("pool", x.pool);
  w.add("provider", x.provider);
  w.add("status", to_string(x.status));
  w.add("previous_status", to_string(x.previous_status));
  w.add("status_since_ms", x.status_since_ms);
  w.add("created_at_ms", x.created_at_ms);
  w.add("provider_created_at_ms", x.provider_created_at_ms);
  w.add("provider_id", x.provider_id);
  w.add("call_accepted", x.call_accepted);
  w.add("create_attempts", x.create_attempts);
  w.add("reboot_requested", x.reboot_requested);
  w.add("stop_requested", x.stop_requested);
  w.add("retries", x.retries);
  w.add("last_error_kind", to_string(x.last_error_kind));
  w.add("last_error_code", x.last_error_code);
  w.add("last_error_message", x.last_error_message);
  return w.finish();
}

std::string encode(const pool_record& x) {
  object_writer w;
  w.add("name", x.name);
  w.add("desired", x.desired);
  w.add("file_desired", x.file_desired);
  w.add("updated_at_ms", x.updated_at_ms);
  w.add("paused", x.paused);
  // Rolling reboot and circuit breaker; absent in records written before
  // they existed, which decode to "none" and "closed".
  const auto& r = x.rollout;
  w.add("rollout_state", r.state);
  w.add("rollout_max_unavailable_spec", r.max_unavailable_spec);
  w.add("rollout_max_unavailable", r.max_unavailable);
  w.add("rollout_started_at_ms", r.started_at_ms);
  w.add("rollout_finished_at_ms", r.finished_at_ms);
  w.add("rollout_waiting", r.waiting);
  w.add("rollout_rebooting", r.rebooting);
  w.add("rollout_total", r.total);
  w.add("rollout_done", r.done);
  w.add("rollout_skipped", r.skipped);
  const auto& b = x.breaker;
  w.add("breaker_state", b.state);
  w.add("breaker_open_until_ms", b.open_until_ms);
  w.add("breaker_backoff_ms", b.backoff_ms);
  w.add("breaker_trips", b.trips);
  w.add("breaker_reason", b.reason);
  return w.finish();
}

std::string encode(const event_record& x) {
  object_writer w;
  w.add("seq", x.seq);
  w.add("at_ms", x.at_ms);
  w.add("reason", x.reason);
  w.add("pool", x.pool);
  w.add("server_id", x.server_id);
  w.add("from", x.from);
  w.add("to", x.to);
  w.add("message", x.message);
  return w.finish();
}

std::string encode(const decision_record& x) {
  rapidjson::StringBuffer steps_buf;
  rapidjson::Writer<rapidjson::StringBuffer> sw{steps_buf};
  sw.StartArray();
  for (const auto& step : x.steps) {
    sw.StartObject();
    sw.Key("name");
    sw.String(step.name.data(),
              static_cast<rapidjson::SizeType>(step.name.size()));
    sw.Key("before");
    sw.Int64(step.before);
    sw.Key("after");
    sw.Int64(step.after);
    sw.Key("why");
    sw.String(step.why.data(),
              static_cast<rapidjson::SizeType>(step.why.size()));
    sw.EndObject();
  }
  sw.EndArray();
  object_writer w;
  w.add("pool", x.pool);
  w.add("at_ms", x.at_ms);
  w.add("policy", x.policy);
  w.add("input", x.input);
  w.add("wanted", x.wanted);
  w.add_raw("steps", std::string{steps_buf.GetString(), steps_buf.GetSize()});
  w.add("result", x.result);
  w.add("previous_desired", x.previous_desired);
  w.add("active", x.active);
  w.add("starting", x.starting);
  w.add("mode", x.mode);
  w.add("applied", x.applied);
  w.add("action", x.action);
  w.add("summary", x.summary);
  return w.finish();
}

std::string encode(const webhook_cursor& x) {
  object_writer w;
  w.add("name", x.name);
  w.add("seq", x.seq);
  w.add("updated_at_ms", x.updated_at_ms);
  return w.finish();
}

caf::expected<server_record> decode_server(std::string_view str) {
  return guarded("server", [&]() -> caf::expected<server_record> {
    rapidjson::Document doc;
    if (auto err = parse(doc, str, "server"))
      return err;
    server_record x;
    object_reader r{doc, "server"};
    r.read("id", x.id, presence::required);
    r.read("name", x.name);
    r.read("pool", x.pool);
    r.read("provider", x.provider);
    r.read("status", x.status, presence::required);
    r.read("previous_status", x.previous_status);
    r.read("status_since_ms", x.status_since_ms);
    r.read("created_at_ms", x.created_at_ms);
    r.read("provider_created_at_ms", x.provider_created_at_ms);
    r.read("provider_id", x.provider_id);
    r.read("call_accepted", x.call_accepted);
    r.read("create_attempts", x.create_attempts);
    r.read("reboot_requested", x.reboot_requested);
    r.read("stop_requested", x.stop_requested);
    r.read("retries", x.retries);
    r.read("last_error_kind", x.last_error_kind);
    r.read("last_error_code", x.last_error_code);
    r.read("last_error_message", x.last_error_message);
    if (auto err = r.error())
      return err;
    return x;
  });
}

caf::expected<pool_record> decode_pool(std::string_view str) {
  return guarded("pool", [&]() -> caf::expected<pool_record> {
    rapidjson::Document doc;
    if (auto err = parse(doc, str, "pool"))
      return err;
    pool_record x;
    object_reader r{doc, "pool"};
    r.read("name", x.name, presence::required);
    r.read("desired", x.desired);
    r.read("file_desired", x.file_desired);
    r.read("updated_at_ms", x.updated_at_ms);
    r.read("paused", x.paused);
    auto& ro = x.rollout;
    r.read("rollout_state", ro.state);
    r.read("rollout_max_unavailable_spec", ro.max_unavailable_spec);
    r.read("rollout_max_unavailable", ro.max_unavailable);
    r.read("rollout_started_at_ms", ro.started_at_ms);
    r.read("rollout_finished_at_ms", ro.finished_at_ms);
    r.read("rollout_waiting", ro.waiting);
    r.read("rollout_rebooting", ro.rebooting);
    r.read("rollout_total", ro.total);
    r.read("rollout_done", ro.done);
    r.read("rollout_skipped", ro.skipped);
    auto& b = x.breaker;
    r.read("breaker_state", b.state);
    r.read("breaker_open_until_ms", b.open_until_ms);
    r.read("breaker_backoff_ms", b.backoff_ms);
    r.read("breaker_trips", b.trips);
    r.read("breaker_reason", b.reason);
    if (auto err = r.error())
      return err;
    return x;
  });
}

caf::expected<event_record> decode_event(std::string_view str) {
  return guarded("event", [&]() -> caf::expected<event_record> {
    rapidjson::Document doc;
    if (auto err = parse(doc, str, "event"))
      return err;
    event_record x;
    object_reader r{doc, "event"};
    r.read("seq", x.seq, presence::required);
    r.read("at_ms", x.at_ms);
    r.read("reason", x.reason);
    r.read("pool", x.pool);
    r.read("server_id", x.server_id);
    r.read("from", x.from);
    r.read("to", x.to);
    r.read("message", x.message);
    if (auto err = r.error())
      return err;
    return x;
  });
}

caf::expected<decision_record> decode_decision(std::string_view str) {
  return guarded("decision", [&]() -> caf::expected<decision_record> {
    rapidjson::Document doc;
    if (auto err = parse(doc, str, "decision"))
      return err;
    decision_record x;
    object_reader r{doc, "decision"};
    r.read("pool", x.pool, presence::required);
    if (doc.FindMember("at_ms") == doc.MemberEnd())
      return make_error(ec::corrupt_record,
                        "corrupt decision record: field 'at_ms' is missing");
    r.read("at_ms", x.at_ms);
    r.read("policy", x.policy);
    r.read("input", x.input);
    r.read("wanted", x.wanted);
    r.read("result", x.result);
    r.read("previous_desired", x.previous_desired);
    r.read("active", x.active);
    r.read("starting", x.starting);
    r.read("mode", x.mode);
    r.read("applied", x.applied);
    r.read("action", x.action);
    r.read("summary", x.summary);
    if (auto err = r.error())
      return err;
    auto steps = doc.FindMember("steps");
    if (steps != doc.MemberEnd()) {
      if (!steps->value.IsArray())
        return make_error(ec::corrupt_record,
                          "corrupt decision record: field 'steps' must be an "
                          "array");
      for (const auto& item : steps->value.GetArray()) {
        if (!item.IsObject())
          return make_error(ec::corrupt_record,
                            "corrupt decision record: a step is not an object");
        guardrail_step step;
        object_reader sr{item, "decision step"};
        sr.read("name", step.name);
        sr.read("before", step.before);
        sr.read("after", step.after);
        sr.read("why", step.why);
        if (auto err = sr.error())
          return err;
        x.steps.push_back(std::move(step));
      }
    }
    return x;
  });
}

caf::expected<webhook_cursor> decode_webhook_cursor(std::string_view str) {
  return guarded("webhook cursor", [&]() -> caf::expected<webhook_cursor> {
    rapidjson::Document doc;
    if (auto err = parse(doc, str, "webhook cursor"))
      return err;
    webhook_cursor x;
    object_reader r{doc, "webhook cursor"};
    r.read("name", x.name, presence::required);
    r.read("seq", x.seq, presence::required);
    r.read("updated_at_ms", x.updated_at_ms);
    if (auto err = r.error())
      return err;
    x.found = true;
    return x;
  });
}

} // namespace dynserv
