// Test helpers for the HTTP API: an in-process node with the API on a
// loopback port, a JSON-speaking client, and a raw server-sent-events reader.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "rapidjson/document.h"

#include "actors/node.hpp"
#include "api/http_api.hpp"
#include "config/node_config.hpp"
#include "http/http_client.hpp"
#include "tests/fixtures/temp_dir.hpp"

namespace dynserv::test {

using namespace std::chrono_literals;

/// The token of the test node.
constexpr auto api_token = "api-test-token-0123456789abcdef";

/// One answer of the API, with its body parsed when it is JSON.
struct api_reply {
  int status = 0;
  http_headers headers;
  std::string body;
  rapidjson::Document json;

  /// `error.code` of an error answer, empty otherwise.
  std::string error_code() const;
  /// `error.message` of an error answer, empty otherwise.
  std::string error_message() const;
  std::string header(const std::string& name) const;
};

/// Sends requests to the API at `port` over loopback.
class api_client {
public:
  explicit api_client(uint16_t port);

  /// Sends a request; `token` empty = no Authorization header. Fails the
  /// test when no HTTP answer arrives.
  api_reply send(const std::string& method, const std::string& target,
                 const std::string& body = {},
                 std::optional<std::string> token = std::string{api_token},
                 http_headers extra = {});

  api_reply get(const std::string& target,
                std::optional<std::string> token = std::string{api_token}) {
    return send("GET", target, {}, std::move(token));
  }

  /// A JSON body with Content-Type application/json.
  api_reply
  send_json(const std::string& method, const std::string& target,
            const std::string& body,
            std::optional<std::string> token = std::string{api_token}) {
    return send(method, target, body, std::move(token),
                {{"Content-Type", "application/json"}});
  }

private:
  std::unique_ptr<http_transport> transport_;
};

/// One server-sent event as read from the wire.
struct sse_message {
  std::string id;
  std::string event;
  std::string data;
};

/// Reads a GET /v1/events/stream response over a plain socket, decoding
/// chunked transfer encoding if the server uses it.
class sse_reader {
public:
  /// Connects and sends the request with `headers`; check `status()`.
  sse_reader(uint16_t port, const std::string& target,
             const http_headers& headers);

  ~sse_reader();

  sse_reader(const sse_reader&) = delete;
  sse_reader& operator=(const sse_reader&) = delete;

  /// Reads the status line and headers (up to `timeout`); 0 if none came.
  int status(std::chrono::milliseconds timeout = 10s);

  /// Reads until `pred(events())` holds, the peer closes or `timeout`
  /// passes; returns whether `pred` holds.
  bool
  read_until(const std::function<bool(const std::vector<sse_message>&)>& pred,
             std::chrono::milliseconds timeout);

  /// Reads until the peer closes the connection; returns false on timeout.
  bool wait_closed(std::chrono::milliseconds timeout);

  const std::vector<sse_message>& events() const {
    return events_;
  }

  /// Comment lines seen (without the leading ':').
  const std::vector<std::string>& comments() const {
    return comments_;
  }

  /// Header fields of the response.
  const std::string& head() const {
    return head_;
  }

private:
  /// Reads once (waits up to `timeout`); false when closed or nothing came.
  bool read_some(std::chrono::milliseconds timeout);
  void decode();

  int fd_ = -1;
  bool closed_ = false;
  int status_ = 0;
  bool chunked_ = false;
  std::string head_;
  /// Bytes after the head not decoded yet.
  std::string raw_;
  /// Decoded body not parsed into events yet.
  std::string body_;
  std::vector<sse_message> events_;
  std::vector<std::string> comments_;
  sse_message current_;
};

/// A node on the real scheduler (2 threads) with the simulated cloud sped
/// up 100 times, pools "default" (max 6) and "batch" (max 4), both at 0,
/// and its HTTP API on 127.0.0.1 port 0.
struct api_node {
  temp_dir tmp{"dynserv-api-test"};
  node_config cfg;
  std::unique_ptr<caf::actor_system_config> sys_cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::optional<node_runtime> rt;
  std::unique_ptr<http_endpoint> endpoint;
  /// Set by `start_api_with` instead of `endpoint`.
  std::unique_ptr<http_api> api;
  std::unique_ptr<http_server> server;

  api_node();
  ~api_node();

  /// Starts the node (no API).
  void start_node();

  /// Starts the node and the API through `start_http_endpoint`.
  void start(bool public_reads = false, metrics_provider metrics = {});

  /// Starts an API with `opts` (its node defaults to this node's
  /// supervisor when unset) in front of a server on port 0.
  void start_api_with(http_api_options opts);

  /// The API's port.
  uint16_t port() const;

  api_client client() const {
    return api_client{port()};
  }

  /// Stops the node's actors (the API stays up).
  void stop_node();
};

/// Calls `pred` every 20 ms until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout = 20s);

} // namespace dynserv::test
