// JSON encoding and decoding of store records with RapidJSON, driven by
// the records' field lists (messages/record_fields.hpp).
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
#include "messages/record_fields.hpp"

namespace dynserv {

namespace {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

// -- encoding -----------------------------------------------------------------

/// Writes the stored fields of a record (messages/record_fields.hpp) as
/// members of the open JSON object: nested records flattened under
/// "<key>_", lists of records as arrays of objects, enums as their names.
class field_writer {
public:
  field_writer(json_writer& w, std::string prefix)
    : w_(w), prefix_(std::move(prefix)) {
    // nop
  }

  template <class T>
  void operator()(const field_spec& f, const T& x) {
    if (f.is_stored)
      write(prefix_ + f.key, x);
  }

private:
  void key(const std::string& k) {
    w_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
  }

  void string(std::string_view x) {
    w_.String(x.data(), static_cast<rapidjson::SizeType>(x.size()));
  }

  void write(const std::string& k, const std::string& x) {
    key(k);
    string(x);
  }

  void write(const std::string& k, int64_t x) {
    key(k);
    w_.Int64(x);
  }

  void write(const std::string& k, uint64_t x) {
    key(k);
    w_.Uint64(x);
  }

  void write(const std::string& k, uint32_t x) {
    key(k);
    w_.Uint(x);
  }

  void write(const std::string& k, bool x) {
    key(k);
    w_.Bool(x);
  }

  void write(const std::string& k, server_status x) {
    key(k);
    string(to_string(x));
  }

  void write(const std::string& k, error_kind x) {
    key(k);
    string(to_string(x));
  }

  void write(const std::string& k, const std::vector<std::string>& xs) {
    key(k);
    w_.StartArray();
    for (const auto& x : xs)
      string(x);
    w_.EndArray();
  }

  template <class Record>
  std::enable_if_t<has_field_list_v<Record>>
  write(const std::string& k, const Record& x) {
    for_each_field(x, field_writer{w_, k + "_"});
  }

  template <class Record>
  void write(const std::string& k, const std::vector<Record>& xs) {
    key(k);
    w_.StartArray();
    for (const auto& x : xs) {
      w_.StartObject();
      for_each_field(x, field_writer{w_, ""});
      w_.EndObject();
    }
    w_.EndArray();
  }

  json_writer& w_;
  std::string prefix_;
};

/// Encodes a record as `{"v":1,...}` with its stored fields in list order.
template <class Record>
std::string encode_record(const Record& x) {
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartObject();
  w.Key("v");
  w.Int64(snapshot_codec_version);
  for_each_field(x, field_writer{w, ""});
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

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
  object_reader(const rapidjson::Value& obj, std::string what)
    : obj_(obj), what_(std::move(what)) {
    // nop
  }

  /// Reads every stored field of `x` (messages/record_fields.hpp), nested
  /// records from members prefixed with "<key>_".
  template <class Record>
  void read_fields(Record& x, const std::string& prefix = "") {
    for_each_field(x, [&](const field_spec& f, auto&& member) {
      if (f.is_stored)
        read(prefix + f.key, member,
             f.is_required ? presence::required : presence::optional);
    });
  }

  /// Returns the first problem found, if any.
  caf::error error() const {
    if (error_.empty())
      return caf::none;
    return make_error(ec::corrupt_record, error_);
  }

private:
  void read(const std::string& key, std::string& x, presence p) {
    if (auto val = find(key, p)) {
      if (val->IsString())
        x.assign(val->GetString(), val->GetStringLength());
      else
        fail(key, "must be a string");
    }
  }

  void read(const std::string& key, int64_t& x, presence p) {
    if (auto val = find(key, p)) {
      if (val->IsInt64())
        x = val->GetInt64();
      else
        fail(key, "must be a 64-bit integer");
    }
  }

  void read(const std::string& key, uint64_t& x, presence p) {
    if (auto val = find(key, p)) {
      if (val->IsUint64())
        x = val->GetUint64();
      else
        fail(key, "must be an unsigned 64-bit integer");
    }
  }

  void read(const std::string& key, uint32_t& x, presence p) {
    if (auto val = find(key, p)) {
      if (val->IsUint())
        x = val->GetUint();
      else
        fail(key, "must be an unsigned 32-bit integer");
    }
  }

  void read(const std::string& key, bool& x, presence p) {
    if (auto val = find(key, p)) {
      if (val->IsBool())
        x = val->GetBool();
      else
        fail(key, "must be a boolean");
    }
  }

  void read(const std::string& key, std::vector<std::string>& xs, presence p) {
    auto val = find(key, p);
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

  void read(const std::string& key, server_status& x, presence p) {
    read_name(key, p, "server status", [&x](std::string_view name) {
      auto parsed = parse_server_status(name);
      if (parsed)
        x = *parsed;
      return parsed.has_value();
    });
  }

  void read(const std::string& key, error_kind& x, presence p) {
    read_name(key, p, "error kind", [&x](std::string_view name) {
      auto parsed = parse_error_kind(name);
      if (parsed)
        x = *parsed;
      return parsed.has_value();
    });
  }

  /// A nested record, stored flattened.
  template <class Record>
  std::enable_if_t<has_field_list_v<Record>>
  read(const std::string& key, Record& x, presence) {
    read_fields(x, key + "_");
  }

  /// A list of records, stored as an array of objects. Problems name the
  /// item by the key without its plural "s" ("a step is not an object").
  template <class Record>
  void read(const std::string& key, std::vector<Record>& xs, presence p) {
    auto val = find(key, p);
    if (!val || !error_.empty())
      return;
    if (!val->IsArray())
      return fail(key, "must be an array");
    auto item_name = key.substr(0, key.size() - (key.back() == 's' ? 1 : 0));
    xs.clear();
    for (const auto& item : val->GetArray()) {
      if (!item.IsObject()) {
        error_ = "corrupt " + what_ + " record: a " + item_name
                 + " is not an object";
        return;
      }
      Record x;
      object_reader r{item, what_ + " " + item_name};
      r.read_fields(x);
      if (!r.error_.empty()) {
        error_ = std::move(r.error_);
        return;
      }
      xs.push_back(std::move(x));
    }
  }

  /// Reads a string and maps it with `parse`, which returns false for an
  /// unknown name.
  template <class Parse>
  void
  read_name(const std::string& key, presence p, const char* what, Parse parse) {
    std::string name;
    if (find(key, p) == nullptr)
      return;
    read(key, name, p);
    if (!error_.empty())
      return;
    if (!parse(name))
      fail(key, "names an unknown " + std::string{what} + " '" + name + "'");
  }

  const rapidjson::Value* find(const std::string& key, presence p) {
    auto i = obj_.FindMember(key.c_str());
    if (i != obj_.MemberEnd())
      return &i->value;
    if (p == presence::required)
      fail(key, "is missing");
    return nullptr;
  }

  void fail(const std::string& key, const std::string& problem) {
    if (error_.empty())
      error_ = "corrupt " + what_ + " record: field '" + key + "' " + problem;
  }

  const rapidjson::Value& obj_;
  std::string what_;
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

/// Decodes a record of kind `what` ("server", ...).
template <class Record>
caf::expected<Record> decode_record(std::string_view str, const char* what) {
  return guarded(what, [&]() -> caf::expected<Record> {
    rapidjson::Document doc;
    if (auto err = parse(doc, str, what))
      return err;
    Record x;
    object_reader r{doc, what};
    r.read_fields(x);
    if (auto err = r.error())
      return err;
    return x;
  });
}

} // namespace

std::string encode(const server_record& x) {
  return encode_record(x);
}

std::string encode(const pool_record& x) {
  return encode_record(x);
}

std::string encode(const event_record& x) {
  return encode_record(x);
}

std::string encode(const decision_record& x) {
  return encode_record(x);
}

std::string encode(const webhook_cursor& x) {
  return encode_record(x);
}

caf::expected<server_record> decode_server(std::string_view str) {
  return decode_record<server_record>(str, "server");
}

caf::expected<pool_record> decode_pool(std::string_view str) {
  return decode_record<pool_record>(str, "pool");
}

caf::expected<event_record> decode_event(std::string_view str) {
  return decode_record<event_record>(str, "event");
}

caf::expected<decision_record> decode_decision(std::string_view str) {
  return decode_record<decision_record>(str, "decision");
}

caf::expected<webhook_cursor> decode_webhook_cursor(std::string_view str) {
  auto x = decode_record<webhook_cursor>(str, "webhook cursor");
  if (x)
    x->found = true;
  return x;
}

} // namespace dynserv
