// The embedded dashboard: paths, content types, caching and security headers.
#define BOOST_TEST_MODULE test_web
#include <boost/test/unit_test.hpp>

#include <regex>
#include <set>
#include <string>

#include "web/web_assets.hpp"

using namespace dynserv;

namespace {

http_request get(const std::string& target, const char* method = "GET") {
  http_request req;
  req.method = method;
  req.target = target;
  return req;
}

std::string header(const http_response& res, const char* name) {
  return find_header(res.headers, name).value_or("");
}

} // namespace

BOOST_AUTO_TEST_CASE(the_page_and_its_assets_are_embedded) {
  const auto& files = web_assets();
  BOOST_TEST(files.count("/") == 1u);
  BOOST_TEST(files.count("/assets/app.js") == 1u);
  BOOST_TEST(files.count("/assets/style.css") == 1u);
  for (const auto& [path, file] : files) {
    BOOST_TEST_CONTEXT(path) {
      BOOST_TEST(file.body.size() > 100u);
      BOOST_TEST(file.content_type.find("charset=utf-8") != std::string::npos);
    }
  }
  BOOST_TEST(files.at("/").content_type.substr(0, 9) == "text/html");
  BOOST_TEST(files.at("/").body.substr(0, 15) == "<!doctype html>");
}

BOOST_AUTO_TEST_CASE(every_local_reference_of_the_page_is_served) {
  const auto& files = web_assets();
  std::string html{files.at("/").body};
  std::regex ref{R"re((?:src|href)="([^"]*)")re"};
  std::set<std::string> refs;
  for (std::sregex_iterator i{html.begin(), html.end(), ref}, end; i != end;
       ++i) {
    std::string target = (*i)[1];
    // Nothing from another origin (the CSP would block it anyway); the
    // icon is inline.
    if (target.rfind("data:", 0) == 0)
      continue;
    BOOST_TEST(target.substr(0, 1) == "/", target);
    refs.insert(target);
  }
  BOOST_TEST(refs.size() == 2u);
  for (const auto& r : refs) {
    http_response res;
    BOOST_TEST(serve_web_asset(r, res), r);
  }
}

BOOST_AUTO_TEST_CASE(assets_are_served_with_confining_headers) {
  http_response res;
  BOOST_TEST_REQUIRE(serve_web_asset(get("/?x=1"), res));
  BOOST_TEST(res.status == 200);
  BOOST_TEST(header(res, "Content-Type") == "text/html; charset=utf-8");
  BOOST_TEST(header(res, "Cache-Control") == "no-cache");
  BOOST_TEST(header(res, "X-Content-Type-Options") == "nosniff");
  auto csp = header(res, "Content-Security-Policy");
  BOOST_TEST(csp.find("default-src 'none'") != std::string::npos);
  BOOST_TEST(csp.find("connect-src 'self'") != std::string::npos);
  BOOST_TEST(csp.find("frame-ancestors 'none'") != std::string::npos);
  BOOST_TEST(res.body == std::string{web_assets().at("/").body});
  http_response js;
  BOOST_TEST_REQUIRE(serve_web_asset(get("/assets/app.js"), js));
  BOOST_TEST(header(js, "Content-Type") == "text/javascript; charset=utf-8");
  http_response index;
  BOOST_TEST_REQUIRE(serve_web_asset("/index.html", index));
  BOOST_TEST(index.body == res.body);
}

BOOST_AUTO_TEST_CASE(a_matching_etag_gets_304_without_a_body) {
  http_response first;
  BOOST_TEST_REQUIRE(serve_web_asset(get("/assets/style.css"), first));
  auto etag = header(first, "ETag");
  BOOST_TEST_REQUIRE(etag.size() > 2u);
  BOOST_TEST(etag.front() == '"');
  auto req = get("/assets/style.css");
  req.headers.emplace_back("if-none-match", "\"other\", W/" + etag);
  http_response again;
  BOOST_TEST_REQUIRE(serve_web_asset(req, again));
  BOOST_TEST(again.status == 304);
  BOOST_TEST(again.body.empty());
  req.headers = {{"If-None-Match", "\"other\""}};
  http_response changed;
  BOOST_TEST_REQUIRE(serve_web_asset(req, changed));
  BOOST_TEST(changed.status == 200);
  BOOST_TEST(!changed.body.empty());
  // Different files have different validators.
  http_response js;
  serve_web_asset("/assets/app.js", js);
  BOOST_TEST(header(js, "ETag") != etag);
}

BOOST_AUTO_TEST_CASE(head_has_no_body_and_other_methods_are_not_assets) {
  http_response head;
  BOOST_TEST_REQUIRE(serve_web_asset(get("/", "HEAD"), head));
  BOOST_TEST(head.status == 200);
  BOOST_TEST(head.body.empty());
  http_response res;
  res.status = 999;
  BOOST_TEST(!serve_web_asset(get("/", "POST"), res));
  BOOST_TEST(!serve_web_asset(get("/v1/pools"), res));
  BOOST_TEST(!serve_web_asset(get("/assets/"), res));
  BOOST_TEST(!serve_web_asset(get("/assets/../CMakeLists.txt"), res));
  BOOST_TEST(!serve_web_asset(get("/metrics"), res));
  BOOST_TEST(res.status == 999); // untouched
}
