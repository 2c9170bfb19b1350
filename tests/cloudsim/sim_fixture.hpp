// Test fixture for tests/cloudsim: a cloud_sim with a manual real clock,
// frozen virtual time and no response latency, plus request helpers.
#pragma once

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include <rapidjson/document.h>

#include "cloudsim/cloud_sim.hpp"
#include "http/http_message.hpp"

namespace dynserv::cloudsim::test {

/// Base64 of `x` (for Basic auth headers).
inline std::string base64(const std::string& x) {
  static constexpr char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
                                   "rstuvwxyz0123456789+/";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : x) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += digits[(acc >> bits) & 0x3F];
    }
  }
  if (bits > 0)
    out += digits[(acc << (6 - bits)) & 0x3F];
  while (out.size() % 4 != 0)
    out += '=';
  return out;
}

/// A parsed response body.
struct json_doc {
  rapidjson::Document doc;

  const rapidjson::Value& operator[](const char* key) const {
    static const rapidjson::Value null_value;
    if (!doc.IsObject())
      return null_value;
    auto i = doc.FindMember(key);
    return i == doc.MemberEnd() ? null_value : i->value;
  }
};

/// Returns member `key` of `v` or a null value.
inline const rapidjson::Value& at(const rapidjson::Value& v, const char* key) {
  static const rapidjson::Value null_value;
  if (!v.IsObject())
    return null_value;
  auto i = v.FindMember(key);
  return i == v.MemberEnd() ? null_value : i->value;
}

/// Returns the string member `key` of `v`, or "<missing>".
inline std::string str_at(const rapidjson::Value& v, const char* key) {
  auto& x = at(v, key);
  return x.IsString() ? std::string{x.GetString()} : std::string{"<missing>"};
}

struct sim_fixture {
  /// Real time in Unix ms, moved by tests.
  std::shared_ptr<int64_t> real = std::make_shared<int64_t>(1700000000000);
  std::unique_ptr<cloud_sim> sim;

  sim_fixture() {
    reset({});
  }

  /// Rebuilds the simulator; `tweak` edits the default test options.
  template <class F>
  void reset(F tweak) {
    sim_options opts;
    auto r = real;
    opts.real_time = [r] { return *r; };
    opts.time_scale = 0; // only advance() moves virtual time
    opts.response_latency = false;
    opts.seed = 42;
    tweak(opts);
    sim = std::make_unique<cloud_sim>(std::move(opts));
  }

  void reset(std::nullptr_t) {
    reset([](sim_options&) {});
  }

  sim_reply send(const std::string& method, const std::string& target,
                 const std::string& body = {},
                 const std::string& authorization = {}) {
    http_request req;
    req.method = method;
    req.target = target;
    req.body = body;
    req.headers.emplace_back("Host", "127.0.0.1:9999");
    if (!authorization.empty())
      req.headers.emplace_back("Authorization", authorization);
    if (!body.empty())
      req.headers.emplace_back("Content-Type", "application/json");
    return sim->handle(req);
  }

  http_response upcloud(const std::string& method, const std::string& path,
                        const std::string& body = {}) {
    return send(method, "/upcloud/1.3" + path, body,
                "Basic " + base64("dynserv:secret"))
      .response;
  }

  http_response hetzner(const std::string& method, const std::string& path,
                        const std::string& body = {}) {
    return send(method, "/hetzner/v1" + path, body, "Bearer test-token")
      .response;
  }

  http_response digitalocean(const std::string& method, const std::string& path,
                             const std::string& body = {}) {
    return send(method, "/digitalocean/v2" + path, body, "Bearer test-token")
      .response;
  }

  http_response control(const std::string& method, const std::string& path,
                        const std::string& body = {}) {
    return send(method, "/_sim" + path, body).response;
  }

  /// Moves virtual time forward through the control API.
  void advance(double seconds) {
    auto res = control("POST", "/advance",
                       "{\"seconds\":" + std::to_string(seconds) + "}");
    BOOST_REQUIRE_EQUAL(res.status, 200);
  }

  /// Adds fault rules (a JSON rule or list); requires success.
  void fault(const std::string& json) {
    auto res = control("POST", "/faults", json);
    BOOST_REQUIRE_MESSAGE(res.status == 201, res.body);
  }

  static json_doc parse(const http_response& res) {
    json_doc out;
    out.doc.Parse(res.body.c_str());
    BOOST_REQUIRE_MESSAGE(!out.doc.HasParseError(),
                          "body is not JSON: " + res.body);
    return out;
  }

  static std::string header(const http_response& res, const char* name) {
    return find_header(res.headers, name).value_or("<missing>");
  }
};

} // namespace dynserv::cloudsim::test
