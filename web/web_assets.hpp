// The dashboard's files, embedded at build time, and the route that serves
// them (`/`, `/index.html`, `/assets/...`).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "http/http_message.hpp"

namespace dynserv {

/// One embedded file.
struct embedded_file {
  std::string_view content_type;
  std::string_view body;
  /// Strong validator (quoted hash of the body) for If-None-Match.
  std::string etag;
};

/// The embedded files by URL path ("/", "/assets/app.js", ...).
const std::map<std::string, embedded_file>& web_assets();

/// Fills `res` with the asset at `path` (without query; "/index.html" is
/// "/") and returns true, or returns false and leaves `res` alone if `path`
/// is not an asset. The page is public: it holds no data, and every API call
/// it makes carries the token the user enters.
bool serve_web_asset(const std::string& path, http_response& res);

/// Request form: GET and HEAD only (false for other methods, so the caller
/// answers 405 or routes on), strips the query, answers 304 to a matching
/// If-None-Match, and leaves the body empty for HEAD.
bool serve_web_asset(const http_request& req, http_response& res);

} // namespace dynserv
