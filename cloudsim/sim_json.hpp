// RapidJSON helpers of dynserv-cloudsim: tolerant readers for request bodies
// and a thin writer for response bodies.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace dynserv::cloudsim {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

/// Parses `text` into `doc`; false if it is not valid JSON.
bool parse_json(std::string_view text, rapidjson::Document& doc);

/// Returns member `key` of `obj`, or nullptr if `obj` is no object or has no
/// such member.
const rapidjson::Value* member(const rapidjson::Value& obj, const char* key);

/// Reads a string member; nullopt if absent or not a string.
std::optional<std::string> get_string(const rapidjson::Value& obj,
                                      const char* key);

/// Reads an integer member given as a JSON number or as a decimal string
/// (UpCloud sends numbers as strings); nullopt otherwise.
std::optional<int64_t> get_int(const rapidjson::Value& obj, const char* key);

/// Reads a number member (JSON number or numeric string).
std::optional<double> get_number(const rapidjson::Value& obj, const char* key);

/// Reads a boolean member given as true/false or as "yes"/"no"/"true"/
/// "false"/"1"/"0" strings.
std::optional<bool> get_bool(const rapidjson::Value& obj, const char* key);

/// Parses a whole decimal integer; nullopt on anything else.
std::optional<int64_t> parse_int(std::string_view x);

/// Parses a finite decimal number; nullopt on anything else.
std::optional<double> parse_number(std::string_view x);

/// Serializes `value` compactly.
std::string to_json(const rapidjson::Value& value);

// -- writer shortcuts: key + value in one call
// ---------------------------------

void kv(json_writer& w, const char* key, std::string_view value);
void kv(json_writer& w, const char* key, const char* value);
void kv(json_writer& w, const char* key, int64_t value);
void kv(json_writer& w, const char* key, int value);
void kv(json_writer& w, const char* key, uint64_t value);
void kv(json_writer& w, const char* key, double value);
void kv(json_writer& w, const char* key, bool value);
void kv(json_writer& w, const char* key, std::nullptr_t);

/// Writes a string value.
void str(json_writer& w, std::string_view value);

/// Writes member `key` with an empty array.
void kv_empty_array(json_writer& w, const char* key);

} // namespace dynserv::cloudsim
