// Shared helpers of the http/ tests: start a server, make a client for it.
#pragma once

#include <memory>
#include <string>

#include <boost/test/unit_test.hpp>

#include "http/http_client.hpp"
#include "http/http_server.hpp"

namespace dynserv::test {

/// Options for a loopback server on port 0 with small, test-friendly limits.
inline http_server_options loopback_options() {
  http_server_options opts;
  opts.host = "127.0.0.1";
  opts.port = 0;
  opts.threads = 2;
  return opts;
}

/// Starts a server or fails the test with the reason.
inline std::unique_ptr<http_server> start_server(const http_server_options& o,
                                                 http_handler handler) {
  std::string error;
  auto server = start_http_server(o, std::move(handler), &error);
  BOOST_REQUIRE_MESSAGE(server != nullptr, "cannot start server: " << error);
  BOOST_REQUIRE(server->port() != 0);
  return server;
}

/// Makes a client or fails the test with the reason.
inline std::unique_ptr<http_transport> make_client(http_client_options o) {
  std::string error;
  auto client = make_http_client(o, &error);
  BOOST_REQUIRE_MESSAGE(client != nullptr, "cannot make client: " << error);
  return client;
}

/// A client for http://127.0.0.1:port with short timeouts.
inline std::unique_ptr<http_transport> make_client(uint16_t port,
                                                   std::string path = "") {
  http_client_options o;
  o.base_url = "http://127.0.0.1:" + std::to_string(port) + path;
  o.connect_timeout = std::chrono::seconds{5};
  o.read_timeout = std::chrono::seconds{5};
  return make_client(o);
}

inline http_request get(std::string target) {
  http_request req;
  req.method = "GET";
  req.target = std::move(target);
  return req;
}

inline http_request request(std::string method, std::string target,
                            std::string body = "", http_headers headers = {}) {
  http_request req;
  req.method = std::move(method);
  req.target = std::move(target);
  req.body = std::move(body);
  req.headers = std::move(headers);
  return req;
}

inline http_response text(int status, std::string body) {
  return http_response{
    status, {{"Content-Type", "text/plain"}}, std::move(body)};
}

/// True if `body` is the JSON error with this code.
inline bool is_error_json(const std::string& body, const std::string& code) {
  return body.find(R"({"error":{"code":")" + code + R"(","message":")") == 0;
}

} // namespace dynserv::test
