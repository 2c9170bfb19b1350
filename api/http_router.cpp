// The HTTP API's router and request checks (the table itself is in
// api/api_endpoints.cpp).
#include "api/http_router.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

#include "rapidjson/document.h"
#include "rapidjson/error/en.h"

#include "actors/reboot_rollout.hpp"
#include "api/access_control.hpp"
#include "api/api_json.hpp"

namespace dynserv {

namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> result;
  if (path.empty() || path.front() != '/')
    return result;
  path.remove_prefix(1);
  for (;;) {
    auto slash = path.find('/');
    result.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos)
      break;
    path.remove_prefix(slash + 1);
  }
  return result;
}

bool is_param(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

api_error make_api_error(int status, std::string code, std::string message) {
  return api_error{status, std::move(code), std::move(message), {}};
}

std::string quoted(std::string_view str) {
  // Bounded so that a huge value does not make a huge error message.
  auto shown = str.substr(0, 64);
  return "'" + std::string{shown} + (str.size() > 64 ? "...'" : "'");
}

std::string trim(std::string_view str) {
  while (!str.empty() && (str.front() == ' ' || str.front() == '\t'))
    str.remove_prefix(1);
  while (!str.empty() && (str.back() == ' ' || str.back() == '\t'))
    str.remove_suffix(1);
  return std::string{str};
}

/// Parses `body` (empty = `{}`) into `doc`; 400 on malformed JSON, 422 if it
/// is not an object.
std::optional<api_error> parse_object(const std::string& body,
                                      rapidjson::Document& doc) {
  if (body.empty()) {
    doc.SetObject();
    return std::nullopt;
  }
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError())
    return make_api_error(400, "malformed_json",
                          "malformed JSON at byte "
                            + std::to_string(doc.GetErrorOffset()) + ": "
                            + rapidjson::GetParseError_En(doc.GetParseError()));
  if (!doc.IsObject())
    return make_api_error(422, "invalid_body", "expected a JSON object");
  return std::nullopt;
}

const char* kind_of(const rapidjson::Value& x) {
  if (x.IsNull())
    return "null";
  if (x.IsBool())
    return "a boolean";
  if (x.IsString())
    return "a string";
  if (x.IsArray())
    return "an array";
  if (x.IsObject())
    return "an object";
  if (x.IsInt64() || x.IsUint64())
    return "an integer";
  return "a number with a fraction";
}

} // namespace

http_response error_response(const api_error& err) {
  auto res = json_response(error_json(err.code, err.message), err.status);
  for (const auto& [name, value] : err.headers)
    res.headers.emplace_back(name, value);
  return res;
}

http_response json_response(std::string body, int status) {
  http_response res;
  res.status = status;
  res.headers.emplace_back("Content-Type", "application/json");
  res.headers.emplace_back("Cache-Control", "no-store");
  res.body = std::move(body);
  return res;
}

route_result route_request(std::string_view method, std::string_view path) {
  route_result result;
  auto segments = split_path(path);
  std::string allow;
  for (const auto& r : api_routes()) {
    auto pattern = split_path(r.pattern);
    if (pattern.size() != segments.size())
      continue;
    std::optional<std::string> param;
    bool matches = true;
    for (size_t i = 0; i < pattern.size() && matches; ++i) {
      if (is_param(pattern[i])) {
        if (segments[i].empty()) {
          matches = false;
          break;
        }
        auto decoded = url_decode(segments[i]);
        if (!decoded) {
          result.error = make_api_error(400, "invalid_path",
                                        "malformed percent-encoding in "
                                        "path segment "
                                          + quoted(segments[i]));
          return result;
        }
        param = std::move(*decoded);
      } else if (pattern[i] != segments[i]) {
        matches = false;
      }
    }
    if (!matches)
      continue;
    if (method == r.method) {
      result.match = route_match{&r, param.value_or(std::string{})};
      return result;
    }
    if (allow.find(r.method) == std::string::npos)
      allow += (allow.empty() ? "" : ", ") + std::string{r.method};
  }
  if (!allow.empty()) {
    result.error = make_api_error(
      405, "method_not_allowed",
      "method " + quoted(method) + " is not allowed here; allowed: " + allow);
    result.error.headers.emplace_back("Allow", allow);
    return result;
  }
  result.error = make_api_error(404, "not_found",
                                "no such endpoint: " + quoted(path)
                                  + " (see GET /v1/openapi.json)");
  return result;
}

auth_outcome check_bearer(const http_headers& headers,
                          const std::string& token) {
  auto value = find_header(headers, "Authorization");
  if (!value)
    return auth_outcome::missing;
  auto str = trim(*value);
  static constexpr std::string_view scheme = "bearer";
  if (str.size() <= scheme.size()
      || !iequals(std::string_view{str}.substr(0, scheme.size()), scheme)
      || (str[scheme.size()] != ' ' && str[scheme.size()] != '\t'))
    return auth_outcome::missing;
  auto presented = trim(std::string_view{str}.substr(scheme.size()));
  if (presented.empty())
    return auth_outcome::missing;
  return constant_time_equal(presented, token) ? auth_outcome::ok
                                               : auth_outcome::wrong;
}

api_error missing_token_error() {
  auto err = make_api_error(401, "unauthorized",
                            "missing credentials: send the API token as "
                            "'Authorization: Bearer <token>'");
  err.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"dynserv\"");
  return err;
}

api_error wrong_token_error() {
  return make_api_error(403, "forbidden",
                        "the bearer token is not valid for this node");
}

std::optional<api_error> check_content_type(const http_headers& headers,
                                            const std::string& body) {
  if (body.empty())
    return std::nullopt;
  auto value = find_header(headers, "Content-Type");
  if (!value)
    return std::nullopt;
  auto type = trim(std::string_view{*value}.substr(0, value->find(';')));
  std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  auto ends_with_json = type.size() > 5
                        && type.compare(type.size() - 5, 5, "+json") == 0;
  if (type == "application/json" || ends_with_json)
    return std::nullopt;
  return make_api_error(415, "unsupported_media_type",
                        "request bodies must be JSON "
                        "(Content-Type: application/json), got "
                          + quoted(loggable(*value)));
}

count_result parse_count_body(const std::string& body, const char* key,
                              std::optional<int64_t> fallback) {
  count_result result;
  rapidjson::Document doc;
  if (auto err = parse_object(body, doc)) {
    result.error = std::move(err);
    return result;
  }
  std::optional<int64_t> value;
  for (auto i = doc.MemberBegin(); i != doc.MemberEnd(); ++i) {
    std::string name{i->name.GetString(), i->name.GetStringLength()};
    if (name != key) {
      result.error = make_api_error(422, "invalid_body",
                                    "unknown key " + quoted(valid_utf8(name))
                                      + "; expected only '" + key + "'");
      return result;
    }
    const auto& x = i->value;
    if (x.IsInt64()) {
      if (x.GetInt64() < 0) {
        result.error = make_api_error(422, "invalid_count",
                                      std::string{"'"} + key
                                        + "' must be zero or more, got "
                                        + std::to_string(x.GetInt64()));
        return result;
      }
      value = x.GetInt64();
    } else if (x.IsUint64()) {
      result.error = make_api_error(
        422, "invalid_count",
        std::string{"'"} + key + "' must be at most "
          + std::to_string(std::numeric_limits<int64_t>::max()));
      return result;
    } else {
      result.error = make_api_error(
        422, "invalid_body",
        std::string{"'"} + key + "' must be an integer, got " + kind_of(x));
      return result;
    }
  }
  if (!value && !fallback) {
    result.error = make_api_error(422, "invalid_body",
                                  std::string{"missing key '"} + key + "'");
    return result;
  }
  result.value = value ? *value : *fallback;
  return result;
}

reboot_body_result parse_reboot_body(const std::string& body) {
  reboot_body_result result;
  rapidjson::Document doc;
  if (auto err = parse_object(body, doc)) {
    result.error = std::move(err);
    return result;
  }
  for (auto i = doc.MemberBegin(); i != doc.MemberEnd(); ++i) {
    std::string name{i->name.GetString(), i->name.GetStringLength()};
    if (name != "max_unavailable") {
      result.error = make_api_error(422, "invalid_body",
                                    "unknown key " + quoted(valid_utf8(name))
                                      + "; expected only 'max_unavailable'");
      return result;
    }
    const auto& x = i->value;
    std::string spec;
    if (x.IsString()) {
      spec.assign(x.GetString(), x.GetStringLength());
    } else if (x.IsInt64()) {
      spec = std::to_string(x.GetInt64());
    } else if (x.IsUint64()) {
      spec = std::to_string(x.GetUint64());
    } else {
      result.error = make_api_error(422, "invalid_body",
                                    std::string{"'max_unavailable' must be a "
                                                "count or a percentage (2 or "
                                                "\"25%\"), got "}
                                      + kind_of(x));
      return result;
    }
    // No valid value is longer than "9223372036854775807": bound the echo.
    if (spec.size() > 32)
      spec = spec.substr(0, 32) + "...";
    if (auto problem = max_unavailable_problem(spec)) {
      result.error = make_api_error(422, "invalid_argument",
                                    "'max_unavailable': "
                                      + valid_utf8(loggable(*problem)));
      return result;
    }
    result.max_unavailable = std::move(spec);
  }
  return result;
}

std::optional<api_error> parse_empty_body(const std::string& body) {
  rapidjson::Document doc;
  if (auto err = parse_object(body, doc))
    return err;
  if (doc.MemberCount() > 0)
    return make_api_error(422, "invalid_body",
                          "this operation takes no parameters; send no body "
                          "or {}");
  return std::nullopt;
}

std::optional<api_error> check_query(const query_params& params,
                                     std::initializer_list<const char*> known) {
  std::vector<std::string_view> seen;
  for (const auto& [name, value] : params) {
    auto i = std::find_if(known.begin(), known.end(),
                          [&](const char* k) { return name == k; });
    if (i == known.end()) {
      std::string list;
      for (auto k : known)
        list += (list.empty() ? "" : ", ") + std::string{k};
      return make_api_error(400, "invalid_query",
                            "unknown query parameter "
                              + quoted(valid_utf8(loggable(name)))
                              + (list.empty() ? std::string{"; none are known"}
                                              : "; known: " + list));
    }
    if (std::find(seen.begin(), seen.end(), name) != seen.end())
      return make_api_error(400, "invalid_query",
                            "query parameter '" + name + "' is repeated");
    seen.push_back(name);
  }
  return std::nullopt;
}

std::optional<std::string> query_value(const query_params& params,
                                       std::string_view name) {
  for (const auto& [key, value] : params)
    if (key == name)
      return value;
  return std::nullopt;
}

uint_result parse_uint(std::string_view what, std::string_view str,
                       uint64_t lower, uint64_t upper) {
  uint_result result;
  auto fail = [&] {
    result.error = make_api_error(
      400, "invalid_query",
      std::string{what} + " must be an integer from " + std::to_string(lower)
        + " to " + std::to_string(upper) + ", got "
        + quoted(valid_utf8(loggable(std::string{str}))));
    return result;
  };
  if (str.empty() || str.size() > 20)
    return fail();
  uint64_t value = 0;
  for (auto c : str) {
    if (c < '0' || c > '9')
      return fail();
    auto digit = static_cast<uint64_t>(c - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10)
      return fail();
    value = value * 10 + digit;
  }
  if (value < lower || value > upper)
    return fail();
  result.value = value;
  return result;
}

status_result parse_status_filter(std::string_view str) {
  status_result result;
  if (auto x = parse_server_status(str)) {
    result.value = *x;
    return result;
  }
  std::string list;
  for (size_t i = 0; i < server_status_count; ++i)
    list += (list.empty() ? "" : ", ")
            + std::string{to_string(static_cast<server_status>(i))};
  result.error = make_api_error(
    422, "invalid_status",
    "unknown status " + quoted(valid_utf8(loggable(std::string{str})))
      + "; known: " + list);
  return result;
}

std::string sse_event(uint64_t id, std::string_view event,
                      std::string_view data) {
  // A line break inside a field would end it early: replace them.
  auto one_line = [](std::string_view str) {
    std::string res{str};
    std::replace_if(
      res.begin(), res.end(), [](char c) { return c == '\n' || c == '\r'; },
      ' ');
    return res;
  };
  return "id: " + std::to_string(id) + "\nevent: " + one_line(event)
         + "\ndata: " + one_line(data) + "\n\n";
}

} // namespace dynserv
