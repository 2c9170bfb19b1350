// RapidJSON helpers of dynserv-cloudsim.
#include "cloudsim/sim_json.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace dynserv::cloudsim {

bool parse_json(std::string_view text, rapidjson::Document& doc) {
  // Without kParseStopWhenDoneFlag RapidJSON rejects trailing garbage.
  doc.Parse(text.data(), text.size());
  return !doc.HasParseError();
}

const rapidjson::Value* member(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject())
    return nullptr;
  auto i = obj.FindMember(key);
  return i == obj.MemberEnd() ? nullptr : &i->value;
}

std::optional<std::string> get_string(const rapidjson::Value& obj,
                                      const char* key) {
  auto v = member(obj, key);
  if (v == nullptr || !v->IsString())
    return std::nullopt;
  return std::string{v->GetString(), v->GetStringLength()};
}

std::optional<int64_t> parse_int(std::string_view x) {
  if (x.empty() || x.size() > 19)
    return std::nullopt;
  size_t i = 0;
  bool negative = false;
  if (x[0] == '-') {
    negative = true;
    i = 1;
    if (x.size() == 1)
      return std::nullopt;
  }
  int64_t out = 0;
  for (; i < x.size(); ++i) {
    if (x[i] < '0' || x[i] > '9')
      return std::nullopt;
    out = out * 10 + (x[i] - '0');
  }
  return negative ? -out : out;
}

std::optional<double> parse_number(std::string_view x) {
  if (x.empty() || x.size() > 64)
    return std::nullopt;
  std::string tmp{x};
  char* end = nullptr;
  errno = 0;
  auto v = std::strtod(tmp.c_str(), &end);
  if (errno != 0 || end != tmp.c_str() + tmp.size() || !std::isfinite(v))
    return std::nullopt;
  return v;
}

std::optional<int64_t> get_int(const rapidjson::Value& obj, const char* key) {
  auto v = member(obj, key);
  if (v == nullptr)
    return std::nullopt;
  if (v->IsInt64())
    return v->GetInt64();
  if (v->IsString())
    return parse_int({v->GetString(), v->GetStringLength()});
  return std::nullopt;
}

std::optional<double> get_number(const rapidjson::Value& obj, const char* key) {
  auto v = member(obj, key);
  if (v == nullptr)
    return std::nullopt;
  if (v->IsNumber())
    return v->GetDouble();
  if (v->IsString())
    return parse_number({v->GetString(), v->GetStringLength()});
  return std::nullopt;
}

std::optional<bool> get_bool(const rapidjson::Value& obj, const char* key) {
  auto v = member(obj, key);
  if (v == nullptr)
    return std::nullopt;
  if (v->IsBool())
    return v->GetBool();
  if (v->IsString()) {
    std::string_view s{v->GetString(), v->GetStringLength()};
    if (s == "yes" || s == "true" || s == "1")
      return true;
    if (s == "no" || s == "false" || s == "0")
      return false;
  }
  if (v->IsInt64())
    return v->GetInt64() != 0;
  return std::nullopt;
}

std::string to_json(const rapidjson::Value& value) {
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  value.Accept(w);
  return {sb.GetString(), sb.GetSize()};
}

void str(json_writer& w, std::string_view value) {
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void kv(json_writer& w, const char* key, std::string_view value) {
  w.Key(key);
  str(w, value);
}

void kv(json_writer& w, const char* key, const char* value) {
  kv(w, key, std::string_view{value});
}

void kv(json_writer& w, const char* key, int64_t value) {
  w.Key(key);
  w.Int64(value);
}

void kv(json_writer& w, const char* key, int value) {
  w.Key(key);
  w.Int(value);
}

void kv(json_writer& w, const char* key, uint64_t value) {
  w.Key(key);
  w.Uint64(value);
}

void kv(json_writer& w, const char* key, double value) {
  w.Key(key);
  w.Double(value);
}

void kv(json_writer& w, const char* key, bool value) {
  w.Key(key);
  w.Bool(value);
}

void kv(json_writer& w, const char* key, std::nullptr_t) {
  w.Key(key);
  w.Null();
}

void kv_empty_array(json_writer& w, const char* key) {
  w.Key(key);
  w.StartArray();
  w.EndArray();
}

} // namespace dynserv::cloudsim
