// Helpers on plain HTTP values: header lookup, targets, URL coding.
#include "http/http_message.hpp"

#include <algorithm>
#include <cctype>

namespace dynserv {

namespace {

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

} // namespace

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size()
         && std::equal(a.begin(), a.end(), b.begin(),
                       [](char x, char y) { return lower(x) == lower(y); });
}

std::optional<std::string> find_header(const http_headers& headers,
                                       std::string_view name) {
  for (const auto& [key, value] : headers)
    if (iequals(key, name))
      return value;
  return std::nullopt;
}

void set_header(http_headers& headers, std::string_view name,
                std::string value) {
  headers.erase(
    std::remove_if(headers.begin(), headers.end(),
                   [&](const auto& kv) { return iequals(kv.first, name); }),
    headers.end());
  headers.emplace_back(std::string{name}, std::move(value));
}

std::pair<std::string, std::string> split_target(std::string_view target) {
  auto q = target.find('?');
  if (q == std::string_view::npos)
    return {std::string{target}, {}};
  return {std::string{target.substr(0, q)}, std::string{target.substr(q + 1)}};
}

std::optional<std::string> url_decode(std::string_view x) {
  std::string out;
  out.reserve(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i] != '%') {
      out += x[i];
      continue;
    }
    if (i + 2 >= x.size())
      return std::nullopt;
    auto hi = hex_value(x[i + 1]);
    auto lo = hex_value(x[i + 2]);
    if (hi < 0 || lo < 0)
      return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string url_encode(std::string_view x) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(x.size());
  for (char c : x) {
    auto u = static_cast<unsigned char>(c);
    // ASCII only: std::isalnum depends on the locale and would pass bytes
    // of a multi-byte character through unescaped in some.
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                      || (c >= '0' && c <= '9') || c == '-' || c == '.'
                      || c == '_' || c == '~';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += digits[u >> 4];
      out += digits[u & 0x0F];
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>>
parse_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{}
                                          : query.substr(amp + 1);
    if (part.empty())
      continue;
    auto eq = part.find('=');
    auto key = url_decode(part.substr(0, eq));
    auto value = eq == std::string_view::npos ? std::optional<std::string>{""}
                                              : url_decode(part.substr(eq + 1));
    // A malformed escape keeps the raw text rather than dropping the pair,
    // so a filter is never silently widened.
    out.emplace_back(key ? *key : std::string{part.substr(0, eq)},
                     value ? *value : std::string{part.substr(eq + 1)});
  }
  return out;
}

} // namespace dynserv
