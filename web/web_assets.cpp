// Serves the embedded dashboard with headers that keep it fresh and confined.
#include "web/web_assets.hpp"

#include <cstdint>
#include <cstdio>

namespace dynserv {

namespace web_data {

struct raw_asset {
  const char* path;
  const char* content_type;
  const unsigned char* data;
  size_t size;
};

extern const raw_asset assets[];
extern const size_t asset_count;

} // namespace web_data

namespace {

/// 64-bit FNV-1a: enough to tell two builds of a file apart.
std::string etag_of(std::string_view body) {
  uint64_t h = 14695981039346656037ull;
  for (auto c : body) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "\"%016llx\"",
                static_cast<unsigned long long>(h));
  return buf;
}

/// Everything the page loads comes from this node; nothing may frame it.
/// `connect-src 'self'` keeps the token from being sent anywhere else.
constexpr const char* content_security_policy
  = "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'";

void set_headers(const embedded_file& file, http_response& res) {
  res.headers.clear();
  res.headers.emplace_back("Content-Type", std::string{file.content_type});
  // Revalidate on every load (cheap with the ETag), so that a new node
  // version is picked up at once.
  res.headers.emplace_back("Cache-Control", "no-cache");
  res.headers.emplace_back("ETag", file.etag);
  res.headers.emplace_back("X-Content-Type-Options", "nosniff");
  res.headers.emplace_back("Referrer-Policy", "no-referrer");
  res.headers.emplace_back("X-Frame-Options", "DENY");
  res.headers.emplace_back("Content-Security-Policy", content_security_policy);
}

/// Whether an If-None-Match value names `etag` (or is `*`).
bool etag_matches(const std::string& header, const std::string& etag) {
  size_t pos = 0;
  while (pos < header.size()) {
    auto comma = header.find(',', pos);
    auto item = header.substr(
      pos, comma == std::string::npos ? std::string::npos : comma - pos);
    auto b = item.find_first_not_of(" \t");
    auto e = item.find_last_not_of(" \t");
    if (b != std::string::npos) {
      item = item.substr(b, e - b + 1);
      if (item.rfind("W/", 0) == 0)
        item = item.substr(2);
      if (item == "*" || item == etag)
        return true;
    }
    if (comma == std::string::npos)
      break;
    pos = comma + 1;
  }
  return false;
}

} // namespace

const std::map<std::string, embedded_file>& web_assets() {
  static const auto files = [] {
    std::map<std::string, embedded_file> res;
    for (size_t i = 0; i < web_data::asset_count; ++i) {
      const auto& a = web_data::assets[i];
      std::string_view body{reinterpret_cast<const char*>(a.data), a.size};
      res.emplace(a.path, embedded_file{a.content_type, body, etag_of(body)});
    }
    return res;
  }();
  return files;
}

bool serve_web_asset(const std::string& path, http_response& res) {
  const auto& files = web_assets();
  auto i = files.find(path == "/index.html" ? std::string{"/"} : path);
  if (i == files.end())
    return false;
  res.status = 200;
  set_headers(i->second, res);
  res.body.assign(i->second.body.data(), i->second.body.size());
  return true;
}

bool serve_web_asset(const http_request& req, http_response& res) {
  if (req.method != "GET" && req.method != "HEAD")
    return false;
  auto path = split_target(req.target).first;
  http_response out;
  if (!serve_web_asset(path, out))
    return false;
  auto inm = find_header(req.headers, "If-None-Match");
  if (inm && etag_matches(*inm, *find_header(out.headers, "ETag"))) {
    out.status = 304;
    out.body.clear();
  } else if (req.method == "HEAD") {
    // Content-Length of a HEAD answer is the server's business; no body.
    out.body.clear();
  }
  res = std::move(out);
  return true;
}

} // namespace dynserv
