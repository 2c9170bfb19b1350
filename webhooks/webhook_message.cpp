// Webhook filter, JSON body, HMAC-SHA256 signature and request headers.
#include "webhooks/webhook_message.hpp"

#include <algorithm>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

#include "api/api_json.hpp"

namespace dynserv {

namespace {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

void key_value(json_writer& w, const char* key, std::string_view str) {
  w.Key(key);
  auto clean = valid_utf8(str);
  w.String(clean.data(), static_cast<rapidjson::SizeType>(clean.size()));
}

bool contains(const std::vector<std::string>& xs, const std::string& x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

/// Position after "scheme://", or 0 if there is none.
size_t authority_start(std::string_view url) {
  auto pos = url.find("://");
  return pos == std::string_view::npos ? 0 : pos + 3;
}

/// Position where the authority of `url` ends.
size_t authority_end(std::string_view url) {
  auto end = url.find_first_of("/?#", authority_start(url));
  return end == std::string_view::npos ? url.size() : end;
}

void replace_all(std::string& text, std::string_view what,
                 std::string_view with) {
  if (what.empty())
    return;
  size_t pos = 0;
  while ((pos = text.find(what, pos)) != std::string::npos) {
    text.replace(pos, what.size(), with);
    pos += with.size();
  }
}

} // namespace

bool webhook_filter::matches(const event_record& ev) const {
  if (!reasons.empty() && !contains(reasons, ev.reason))
    return false;
  if (!pools.empty() && !contains(pools, ev.pool))
    return false;
  return true;
}

std::string webhook_event_id(std::string_view node, uint64_t seq) {
  std::string result{node};
  result += '-';
  result += std::to_string(seq);
  return result;
}

std::string webhook_payload(std::string_view node, const event_record& ev) {
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartObject();
  key_value(w, "id", webhook_event_id(node, ev.seq));
  key_value(w, "node", node);
  w.Key("seq");
  w.Uint64(ev.seq);
  key_value(w, "time", format_time_ms(ev.at_ms));
  w.Key("at_ms");
  w.Int64(ev.at_ms);
  key_value(w, "reason", ev.reason);
  key_value(w, "pool", ev.pool);
  key_value(w, "server", ev.server_id);
  key_value(w, "from", ev.from);
  key_value(w, "to", ev.to);
  key_value(w, "message", ev.message);
  w.EndObject();
  return std::string{buf.GetString(), buf.GetSize()};
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // An empty key is valid HMAC; OpenSSL wants a non-null pointer for it.
  static const unsigned char empty = 0;
  auto key_ptr
    = key.empty() ? &empty : reinterpret_cast<const unsigned char*>(key.data());
  auto out = HMAC(EVP_sha256(), key_ptr, static_cast<int>(key.size()),
                  reinterpret_cast<const unsigned char*>(data.data()),
                  data.size(), digest, &len);
  if (out == nullptr)
    return {};
  static constexpr char hex[] = "0123456789abcdef";
  std::string result;
  result.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    result += hex[digest[i] >> 4];
    result += hex[digest[i] & 0x0F];
  }
  return result;
}

std::string webhook_signature(std::string_view secret, int64_t timestamp,
                              std::string_view body) {
  std::string signed_text = std::to_string(timestamp);
  signed_text += '.';
  signed_text += body;
  return "sha256=" + hmac_sha256_hex(secret, signed_text);
}

http_request webhook_request(const std::string& target, std::string_view node,
                             const event_record& ev, std::string_view secret,
                             int64_t unix_seconds, uint32_t attempt) {
  http_request req;
  req.method = "POST";
  req.target = target;
  req.body = webhook_payload(node, ev);
  req.headers.emplace_back("Content-Type", "application/json");
  req.headers.emplace_back(webhook_header::event_id,
                           webhook_event_id(node, ev.seq));
  req.headers.emplace_back(webhook_header::timestamp,
                           std::to_string(unix_seconds));
  req.headers.emplace_back(webhook_header::signature,
                           webhook_signature(secret, unix_seconds, req.body));
  req.headers.emplace_back(webhook_header::attempt, std::to_string(attempt));
  return req;
}

std::pair<std::string, std::string> split_webhook_url(std::string_view url) {
  auto query = url.find('?', authority_start(url));
  if (query == std::string_view::npos)
    return {std::string{url}, std::string{}};
  return {std::string{url.substr(0, query)}, std::string{url.substr(query)}};
}

std::string redact_url(std::string_view url) {
  auto start = authority_start(url);
  auto end = authority_end(url);
  auto authority = url.substr(start, end - start);
  if (auto at = authority.rfind('@'); at != std::string_view::npos)
    authority = authority.substr(at + 1);
  std::string result{url.substr(0, start)};
  result += authority;
  if (end < url.size() && url.substr(end) != "/")
    result += "/...";
  return result;
}

std::string scrub_url(std::string text, std::string_view url) {
  auto end = authority_end(url);
  auto rest = url.substr(end);
  auto query_pos = rest.find('?');
  auto path = rest.substr(0, query_pos);
  while (!path.empty() && path.back() == '/')
    path.remove_suffix(1);
  if (query_pos != std::string_view::npos)
    replace_all(text, rest.substr(query_pos), "?...");
  replace_all(text, path, "/...");
  return text;
}

} // namespace dynserv
