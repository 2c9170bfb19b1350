// Plumbing shared by the HTTP cloud providers.
#include "providers/http_provider_support.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <utility>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace dynserv::http_support {

namespace {

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// algorithm), so that no time zone or locale gets involved.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::optional<int64_t> to_epoch_ms(int64_t y, int mon, int d, int h, int mi,
                                   int s) {
  if (y < 1970 || y > 9999 || mon < 1 || mon > 12 || d < 1 || d > 31 || h < 0
      || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60)
    return std::nullopt;
  auto days = days_from_civil(y, static_cast<unsigned>(mon),
                              static_cast<unsigned>(d));
  return ((days * 24 + h) * 60 + mi) * 60'000 + int64_t{s} * 1000;
}

int month_from_name(std::string_view x) {
  static constexpr const char* names[] = {"jan", "feb", "mar", "apr",
                                          "may", "jun", "jul", "aug",
                                          "sep", "oct", "nov", "dec"};
  for (int i = 0; i < 12; ++i)
    if (iequals(x, names[i]))
      return i + 1;
  return 0;
}

/// Reads exactly `n` digits at `pos`.
bool digits(std::string_view x, size_t& pos, size_t n, int& out) {
  if (pos + n > x.size())
    return false;
  out = 0;
  for (size_t i = 0; i < n; ++i) {
    auto c = x[pos + i];
    if (c < '0' || c > '9')
      return false;
    out = out * 10 + (c - '0');
  }
  pos += n;
  return true;
}

bool expect(std::string_view x, size_t& pos, char c) {
  if (pos >= x.size() || x[pos] != c)
    return false;
  ++pos;
  return true;
}

/// Splits on runs of spaces.
std::vector<std::string_view> words(std::string_view x) {
  std::vector<std::string_view> result;
  size_t i = 0;
  while (i < x.size()) {
    while (i < x.size() && x[i] == ' ')
      ++i;
    auto start = i;
    while (i < x.size() && x[i] != ' ')
      ++i;
    if (i > start)
      result.push_back(x.substr(start, i - start));
  }
  return result;
}

bool parse_clock(std::string_view x, int& h, int& mi, int& s) {
  size_t pos = 0;
  return digits(x, pos, 2, h) && expect(x, pos, ':') && digits(x, pos, 2, mi)
         && expect(x, pos, ':') && digits(x, pos, 2, s) && pos == x.size();
}

std::optional<int64_t> parse_int64(std::string_view x) {
  if (x.empty() || x.size() > 18)
    return std::nullopt;
  int64_t result = 0;
  for (auto c : x) {
    if (c < '0' || c > '9')
      return std::nullopt;
    result = result * 10 + (c - '0');
  }
  return result;
}

std::string_view trim(std::string_view x) {
  while (!x.empty() && (x.front() == ' ' || x.front() == '\t'))
    x.remove_prefix(1);
  while (!x.empty() && (x.back() == ' ' || x.back() == '\t'))
    x.remove_suffix(1);
  return x;
}

} // namespace

clock_fn system_clock_ms() {
  return [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
  };
}

// -- authentication -----------------------------------------------------------

std::string base64_encode(std::string_view in) {
  static constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqr"
                                  "s"
                                  "tuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    auto n = (static_cast<uint32_t>(static_cast<uint8_t>(in[i])) << 16)
             | (static_cast<uint32_t>(static_cast<uint8_t>(in[i + 1])) << 8)
             | static_cast<uint8_t>(in[i + 2]);
    out += table[(n >> 18) & 63];
    out += table[(n >> 12) & 63];
    out += table[(n >> 6) & 63];
    out += table[n & 63];
  }
  if (auto rest = in.size() - i; rest > 0) {
    uint32_t n = static_cast<uint32_t>(static_cast<uint8_t>(in[i])) << 16;
    if (rest == 2)
      n |= static_cast<uint32_t>(static_cast<uint8_t>(in[i + 1])) << 8;
    out += table[(n >> 18) & 63];
    out += table[(n >> 12) & 63];
    out += rest == 2 ? table[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string basic_auth(std::string_view user, std::string_view password) {
  std::string creds{user};
  creds += ':';
  creds += password;
  return "Basic " + base64_encode(creds);
}

std::string bearer_auth(std::string_view token) {
  return "Bearer " + std::string{token};
}

// -- time and headers ---------------------------------------------------------

std::optional<int64_t> parse_http_date(std::string_view x) {
  auto w = words(trim(x));
  int h = 0;
  int mi = 0;
  int s = 0;
  if (w.size() == 6 && w[0].size() == 4 && w[0][3] == ',') {
    // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
    auto day = parse_int64(w[1]);
    auto mon = month_from_name(w[2]);
    auto year = parse_int64(w[3]);
    if (!day || mon == 0 || !year || w[3].size() != 4
        || !parse_clock(w[4], h, mi, s) || w[5] != "GMT")
      return std::nullopt;
    return to_epoch_ms(*year, mon, static_cast<int>(*day), h, mi, s);
  }
  if (w.size() == 4 && !w[0].empty() && w[0].back() == ',') {
    // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
    auto date = w[1];
    if (date.size() != 9 || date[2] != '-' || date[6] != '-')
      return std::nullopt;
    auto day = parse_int64(date.substr(0, 2));
    auto mon = month_from_name(date.substr(3, 3));
    auto yy = parse_int64(date.substr(7, 2));
    if (!day || mon == 0 || !yy || !parse_clock(w[2], h, mi, s)
        || w[3] != "GMT")
      return std::nullopt;
    // RFC 7231: a two-digit year more than 50 years ahead is in the past.
    auto year = *yy + (*yy < 70 ? 2000 : 1900);
    return to_epoch_ms(year, mon, static_cast<int>(*day), h, mi, s);
  }
  if (w.size() == 5) {
    // asctime: "Sun Nov  6 08:49:37 1994"
    auto mon = month_from_name(w[1]);
    auto day = parse_int64(w[2]);
    auto year = parse_int64(w[4]);
    if (mon == 0 || !day || !year || !parse_clock(w[3], h, mi, s))
      return std::nullopt;
    return to_epoch_ms(*year, mon, static_cast<int>(*day), h, mi, s);
  }
  return std::nullopt;
}

std::optional<int64_t> parse_rfc3339(std::string_view x) {
  size_t pos = 0;
  int y = 0;
  int mon = 0;
  int d = 0;
  int h = 0;
  int mi = 0;
  int s = 0;
  if (!digits(x, pos, 4, y) || !expect(x, pos, '-') || !digits(x, pos, 2, mon)
      || !expect(x, pos, '-') || !digits(x, pos, 2, d))
    return std::nullopt;
  if (pos >= x.size() || (x[pos] != 'T' && x[pos] != 't' && x[pos] != ' '))
    return std::nullopt;
  ++pos;
  if (!digits(x, pos, 2, h) || !expect(x, pos, ':') || !digits(x, pos, 2, mi)
      || !expect(x, pos, ':') || !digits(x, pos, 2, s))
    return std::nullopt;
  int64_t frac_ms = 0;
  if (pos < x.size() && x[pos] == '.') {
    ++pos;
    int64_t scale = 100;
    auto start = pos;
    while (pos < x.size() && x[pos] >= '0' && x[pos] <= '9') {
      frac_ms += (x[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start)
      return std::nullopt;
  }
  int64_t offset_min = 0;
  if (pos < x.size() && (x[pos] == 'Z' || x[pos] == 'z')) {
    ++pos;
  } else if (pos < x.size() && (x[pos] == '+' || x[pos] == '-')) {
    auto sign = x[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0;
    int om = 0;
    if (!digits(x, pos, 2, oh) || !expect(x, pos, ':') || !digits(x, pos, 2, om)
        || oh > 23 || om > 59)
      return std::nullopt;
    offset_min = sign * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  if (pos != x.size())
    return std::nullopt;
  auto base = to_epoch_ms(y, mon, d, h, mi, s);
  if (!base)
    return std::nullopt;
  return *base + frac_ms - offset_min * 60'000;
}

std::optional<int64_t> parse_retry_after(std::string_view x, int64_t now_ms) {
  x = trim(x);
  if (auto secs = parse_int64(x))
    return std::min<int64_t>(*secs, 86'400) * 1000;
  if (auto at = parse_http_date(x))
    return std::max<int64_t>(*at - now_ms, 0);
  return std::nullopt;
}

rate_budget parse_rate_budget(const http_headers& headers) {
  rate_budget result;
  auto read = [&](const char* name) -> std::optional<int64_t> {
    if (auto value = find_header(headers, name))
      return parse_int64(trim(*value));
    return std::nullopt;
  };
  if (auto x = read("RateLimit-Limit"))
    result.limit = *x;
  if (auto x = read("RateLimit-Remaining"))
    result.remaining = *x;
  // Unix seconds; anything beyond year 9999 is garbage.
  if (auto x = read("RateLimit-Reset"); x && *x < 253'402'300'800)
    result.reset_at_ms = *x * 1000;
  return result;
}

bool has_rate_budget(const http_headers& headers) {
  return find_header(headers, "RateLimit-Limit")
         || find_header(headers, "RateLimit-Remaining")
         || find_header(headers, "RateLimit-Reset");
}

// -- errors -------------------------------------------------------------------

provider_error make_error(error_kind kind, std::string code,
                          std::string message, int64_t retry_after_ms) {
  provider_error result;
  result.kind = kind;
  result.code = std::move(code);
  result.message = std::move(message);
  result.retry_after_ms = retry_after_ms;
  return result;
}

provider_error transport_error(const http_result& result, bool is_create) {
  switch (result.failure) {
    case http_failure::none:
      break;
    case http_failure::invalid:
      return make_error(error_kind::permanent, "invalid_request",
                        "request not sent: " + result.detail);
    case http_failure::connect:
      return make_error(error_kind::transient, "connect",
                        "cannot reach the API (nothing sent): "
                          + result.detail);
    case http_failure::lost:
      if (is_create)
        return make_error(error_kind::outcome_unknown, "lost",
                          "the create may have happened; its answer was lost: "
                            + result.detail);
      return make_error(error_kind::transient, "lost",
                        "the answer was lost: " + result.detail);
    case http_failure::protocol:
      return make_error(error_kind::transient, "bad_response",
                        "the API answered something that is not HTTP: "
                          + result.detail);
  }
  return make_error(error_kind::transient, "internal",
                    "transport_error called on a response");
}

std::string excerpt(std::string_view body, size_t max) {
  std::string result;
  auto n = std::min(body.size(), max);
  result.reserve(n + 3);
  for (size_t i = 0; i < n; ++i) {
    auto c = static_cast<unsigned char>(body[i]);
    result += (c < 0x20 || c == 0x7f) ? ' ' : static_cast<char>(c);
  }
  if (body.size() > max)
    result += "...";
  return result;
}

provider_error bad_response(int status, std::string_view what,
                            std::string_view body) {
  std::string msg = "unexpected answer (HTTP " + std::to_string(status)
                    + "): " + std::string{what};
  if (!body.empty())
    msg += "; body: " + excerpt(body);
  return make_error(error_kind::transient, "bad_response", std::move(msg));
}

int64_t rate_limit_wait(const http_response& rsp, int64_t now_ms,
                        bool until_reset, int64_t fallback_ms) {
  if (auto value = find_header(rsp.headers, "Retry-After"))
    if (auto wait = parse_retry_after(*value, now_ms))
      return *wait;
  if (until_reset) {
    auto budget = parse_rate_budget(rsp.headers);
    if (budget.remaining == 0 && budget.reset_at_ms > now_ms)
      return std::min<int64_t>(budget.reset_at_ms - now_ms, 3'600'000);
  }
  return fallback_ms;
}

// -- the request session ------------------------------------------------------

api_client::api_client(std::unique_ptr<http_transport> transport,
                       std::string authorization, clock_fn clock)
  : transport_(std::move(transport)),
    authorization_(std::move(authorization)),
    clock_(clock ? std::move(clock) : system_clock_ms()) {
  // nop
}

http_result api_client::send(provider_reply& reply, std::string_view method,
                             std::string target, std::string body) {
  http_request req;
  req.method = std::string{method};
  req.target = std::move(target);
  req.headers.emplace_back("Accept", "application/json");
  if (!authorization_.empty())
    req.headers.emplace_back("Authorization", authorization_);
  if (!body.empty())
    req.headers.emplace_back("Content-Type", "application/json");
  req.body = std::move(body);
  ++reply.requests;
  if (!transport_) {
    http_result result;
    result.failure = http_failure::invalid;
    result.detail = "no HTTP transport";
    return result;
  }
  auto result = transport_->send(req);
  if (result.ok() && has_rate_budget(result.response.headers))
    reply.budget = parse_rate_budget(result.response.headers);
  return result;
}

provider_reply fresh_reply() {
  provider_reply result;
  result.requests = 0;
  return result;
}

provider_reply fail(provider_reply reply, provider_error err) {
  reply.error = std::move(err);
  reply.servers.clear();
  return reply;
}

// -- JSON ---------------------------------------------------------------------

bool parse_json(std::string_view text, rapidjson::Document& doc) {
  doc.Parse(text.data(), text.size());
  return !doc.HasParseError();
}

std::string to_json(const rapidjson::Value& value) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer{buf};
  value.Accept(writer);
  return std::string{buf.GetString(), buf.GetSize()};
}

const rapidjson::Value* member(const rapidjson::Value* obj, const char* key) {
  if (obj == nullptr || !obj->IsObject())
    return nullptr;
  auto i = obj->FindMember(key);
  return i != obj->MemberEnd() ? &i->value : nullptr;
}

const rapidjson::Value* path(const rapidjson::Value* root,
                             std::initializer_list<const char*> keys) {
  auto cur = root;
  for (auto key : keys)
    cur = member(cur, key);
  return cur;
}

std::optional<std::string> as_string(const rapidjson::Value* x) {
  if (x == nullptr || !x->IsString())
    return std::nullopt;
  return std::string{x->GetString(), x->GetStringLength()};
}

std::optional<int64_t> as_int(const rapidjson::Value* x) {
  if (x == nullptr)
    return std::nullopt;
  if (x->IsInt64())
    return x->GetInt64();
  if (x->IsString()) {
    std::string_view str{x->GetString(), x->GetStringLength()};
    auto negative = !str.empty() && str.front() == '-';
    if (negative)
      str.remove_prefix(1);
    if (auto n = parse_int64(str))
      return negative ? -*n : *n;
  }
  return std::nullopt;
}

std::optional<std::string> as_id(const rapidjson::Value* x) {
  if (x == nullptr)
    return std::nullopt;
  if (x->IsString() && x->GetStringLength() > 0)
    return std::string{x->GetString(), x->GetStringLength()};
  if (x->IsInt64())
    return std::to_string(x->GetInt64());
  if (x->IsUint64())
    return std::to_string(x->GetUint64());
  return std::nullopt;
}

label_map as_label_object(const rapidjson::Value* x) {
  label_map result;
  if (x == nullptr || !x->IsObject())
    return result;
  for (auto i = x->MemberBegin(); i != x->MemberEnd(); ++i)
    if (i->value.IsString())
      result.emplace(
        std::string{i->name.GetString(), i->name.GetStringLength()},
        std::string{i->value.GetString(), i->value.GetStringLength()});
  return result;
}

std::optional<cloud_server> read_server_fields(const rapidjson::Value* x,
                                               const server_fields& fields) {
  auto id = fields.string_id ? as_string(member(x, fields.id))
                             : as_id(member(x, fields.id));
  if (!id || id->empty())
    return std::nullopt;
  cloud_server result;
  result.provider_id = std::move(*id);
  result.name = as_string(member(x, fields.name)).value_or("");
  result.labels = fields.labels(x);
  result.raw_state = as_string(member(x, fields.state)).value_or("");
  result.state = fields.map_state(result.raw_state);
  auto created = member(x, fields.created);
  if (!fields.created_in_seconds) {
    if (auto text = as_string(created))
      result.created_at_ms = parse_rfc3339(*text).value_or(0);
  } else if (auto secs = as_int(created); secs && *secs > 0) {
    result.created_at_ms = *secs * 1000;
  }
  return result;
}

cloud_state state_from(std::string_view raw,
                       std::initializer_list<state_word> table) {
  for (const auto& x : table)
    if (x.raw == raw)
      return x.state;
  return cloud_state::unknown;
}

bool has_labels(const label_map& labels, const label_map& selector) {
  return std::all_of(selector.begin(), selector.end(), [&](const auto& kvp) {
    auto i = labels.find(kvp.first);
    return i != labels.end() && i->second == kvp.second;
  });
}

// -- asynchronous actions -----------------------------------------------------

bool action_id_less(const std::string& x, const std::string& y) {
  auto numeric = [](const std::string& id) {
    return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
      return c >= '0' && c <= '9';
    });
  };
  if (numeric(x) && numeric(y) && x.size() != y.size())
    return x.size() < y.size();
  return x < y;
}

void mark_create_failed(cloud_server& srv, const provider_error& failure) {
  srv.state = cloud_state::failed;
  srv.failure = failure;
  srv.raw_state = "action_failed: " + failure.code + ": " + failure.message;
}

// -- server specs -------------------------------------------------------------

namespace {

bool is_string_or_integer(const rapidjson::Value& x) {
  return x.IsString() || x.IsInt64() || x.IsUint64();
}

bool all_of(const rapidjson::Value& x, bool (*pred)(const rapidjson::Value&)) {
  if (!x.IsArray())
    return false;
  for (const auto& item : x.GetArray())
    if (!pred(item))
      return false;
  return true;
}

/// Returns the problem with `x` for `type`, or nullptr if it fits.
const char* shape_problem(const rapidjson::Value& x, spec_type type) {
  switch (type) {
    case spec_type::string:
      return x.IsString() ? nullptr : "expected a string";
    case spec_type::integer:
      return x.IsInt64() ? nullptr : "expected an integer";
    case spec_type::boolean:
      return x.IsBool() ? nullptr : "expected true or false";
    case spec_type::yes_no: {
      if (x.IsBool())
        return nullptr;
      std::string_view str{x.IsString() ? x.GetString() : ""};
      return str == "yes" || str == "no" ? nullptr
                                         : "expected true, false, \"yes\" or "
                                           "\"no\"";
    }
    case spec_type::string_or_integer:
      return is_string_or_integer(x) ? nullptr
                                     : "expected a string or an integer";
    case spec_type::object:
      return x.IsObject() ? nullptr : "expected an object";
    case spec_type::array:
      return x.IsArray() ? nullptr : "expected an array";
    case spec_type::string_array:
      return all_of(x, [](const rapidjson::Value& v) { return v.IsString(); })
               ? nullptr
               : "expected an array of strings";
    case spec_type::id_array:
      return all_of(x, is_string_or_integer)
               ? nullptr
               : "expected an array of strings or integers";
    case spec_type::integer_array:
      return all_of(x, [](const rapidjson::Value& v) { return v.IsInt64(); })
               ? nullptr
               : "expected an array of integers";
    case spec_type::string_map:
      if (!x.IsObject())
        return "expected an object of strings";
      for (auto i = x.MemberBegin(); i != x.MemberEnd(); ++i)
        if (!i->value.IsString())
          return "expected an object of strings";
      return nullptr;
  }
  return "unsupported";
}

} // namespace

bool parse_spec(std::string_view json, rapidjson::Document& doc,
                spec_problems& problems) {
  auto text = trim(json);
  if (text.empty())
    text = "{}";
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError()) {
    problems.emplace_back(
      "", std::string{"not valid JSON: "}
            + rapidjson::GetParseError_En(doc.GetParseError()) + " at offset "
            + std::to_string(doc.GetErrorOffset()));
    return false;
  }
  if (!doc.IsObject()) {
    problems.emplace_back("", "expected an object");
    return false;
  }
  return true;
}

void check_spec(const rapidjson::Value& spec,
                std::initializer_list<spec_key> keys,
                std::initializer_list<const char*> reserved,
                spec_problems& problems) {
  for (const auto& key : keys)
    if (key.required && member(&spec, key.name) == nullptr)
      problems.emplace_back(key.name, "missing");
  for (auto i = spec.MemberBegin(); i != spec.MemberEnd(); ++i) {
    std::string_view name{i->name.GetString(), i->name.GetStringLength()};
    auto is_reserved = std::any_of(reserved.begin(), reserved.end(),
                                   [&](const char* x) { return name == x; });
    if (is_reserved) {
      problems.emplace_back(std::string{name}, "set by dynserv; remove it");
      continue;
    }
    auto key = std::find_if(keys.begin(), keys.end(),
                            [&](const spec_key& k) { return name == k.name; });
    if (key == keys.end()) {
      problems.emplace_back(std::string{name}, "unknown key");
      continue;
    }
    if (key->removed != nullptr) {
      problems.emplace_back(std::string{name}, key->removed);
      continue;
    }
    if (auto problem = shape_problem(i->value, key->type))
      problems.emplace_back(std::string{name}, problem);
  }
}

spec_problems
validate_spec(const std::string& json,
              void (*check)(const rapidjson::Value&, spec_problems&)) {
  spec_problems problems;
  rapidjson::Document spec;
  if (parse_spec(json, spec, problems))
    check(spec, problems);
  return problems;
}

bool read_checked_spec(const std::string& json,
                       void (*check)(const rapidjson::Value&, spec_problems&),
                       rapidjson::Document& spec, spec_problems& problems) {
  if (parse_spec(json, spec, problems))
    check(spec, problems);
  return problems.empty();
}

rapidjson::Value
json_string(const std::string& x,
            rapidjson::MemoryPoolAllocator<rapidjson::CrtAllocator>& alloc) {
  return rapidjson::Value{x.c_str(), static_cast<rapidjson::SizeType>(x.size()),
                          alloc};
}

provider_error invalid_spec(const spec_problems& problems) {
  std::string message = "invalid server spec:";
  for (const auto& [key, problem] : problems)
    message += " " + (key.empty() ? std::string{"(spec)"} : key) + ": "
               + problem + ";";
  message.pop_back();
  return make_error(error_kind::permanent, "invalid_spec", message);
}

provider_error unreadable_create_answer(int status, std::string_view what,
                                        std::string_view body) {
  auto err = bad_response(status, what, body);
  err.kind = error_kind::outcome_unknown;
  return err;
}

} // namespace dynserv::http_support
