// The node's HTTP API: turns requests from the HTTP server's I/O threads into
// asynchronous requests to the node actor (one short-lived actor per request,
// one per event stream), so that no I/O thread ever waits for an actor.
// Beast stays in http/; this header sees only plain values and CAF handles.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "caf/expected.hpp"
#include "caf/fwd.hpp"

#include "config/node_config.hpp"
#include "http/http_server.hpp"
#include "messages/interfaces.hpp"

namespace dynserv {

/// Produces the text of GET /metrics (Prometheus exposition format). Called
/// on an HTTP I/O thread: it must not wait long.
using metrics_provider = std::function<std::string()>;

/// Serves a static file (the dashboard) for `req` into `res` and returns
/// true, or returns false to let the API route the request. Called on an
/// HTTP I/O thread before authentication: only for public content.
using asset_provider
  = std::function<bool(const http_request& req, http_response& res)>;

/// What the API adapter needs.
struct http_api_options {
  /// The node supervisor every call goes to (its operator commands only).
  operator_actor node;
  /// The bearer token (never empty).
  std::string token;
  /// GETs need no token when true; changes always need it.
  bool public_reads = false;
  /// How long to wait for the node before answering 503.
  std::chrono::milliseconds node_timeout{std::chrono::seconds{5}};
  /// How often an event stream asks the node for new events.
  std::chrono::milliseconds stream_poll_interval{250};
  /// An event stream without events for this long gets a comment line.
  std::chrono::milliseconds stream_heartbeat{std::chrono::seconds{15}};
  /// GET /metrics; 404 when unset.
  metrics_provider metrics;
  /// Static files tried before the API routes; none when unset.
  asset_provider assets;
};

/// The request handler of the API. Thread-safe; outlives nothing: the
/// handler and the actors it spawns share its state.
class http_api {
public:
  http_api(caf::actor_system& sys, http_api_options opts);

  /// Calls `shutdown()`.
  ~http_api();

  http_api(const http_api&) = delete;
  http_api& operator=(const http_api&) = delete;

  /// The handler to pass to `start_http_server`.
  http_handler handler();

  /// New requests (but /healthz) get 503 and event streams end at their
  /// next poll. Idempotent.
  void shutdown();

  struct shared_state;

private:
  std::shared_ptr<shared_state> state_;
};

/// The OpenAPI document served at GET /v1/openapi.json: the bytes of
/// docs/openapi.json, embedded at build time.
const std::string& openapi_document();

/// Returns the API token: `http.token`, the variable named by
/// `http.token_env`, or (neither set) a random token kept in
/// `<data_dir>/http.token` (mode 0600, created on first use).
caf::expected<std::string> http_token(const node_config& cfg);

/// Path of the file that holds the generated token.
std::string http_token_file(const node_config& cfg);

/// Path of the file the node writes its bound HTTP address to.
std::string http_addr_file(const node_config& cfg);

/// A running API: the adapter and the HTTP server in front of it.
class http_endpoint {
public:
  http_endpoint(std::unique_ptr<http_api> api,
                std::unique_ptr<http_server> server);

  /// Calls `stop` with no grace period if it was not called.
  ~http_endpoint();

  /// The bound port.
  uint16_t port() const;

  /// Ends event streams, refuses new requests, lets requests in flight
  /// finish for up to `grace`, and stops the server. Idempotent.
  void stop(std::chrono::milliseconds grace);

private:
  std::unique_ptr<http_api> api_;
  std::unique_ptr<http_server> server_;
  bool stopped_ = false;
};

/// Starts the API on `http.listen` for `node` and writes the bound address
/// ("HOST:PORT", IPv6 hosts in brackets) to `http_addr_file`.
caf::expected<std::unique_ptr<http_endpoint>>
start_http_endpoint(caf::actor_system& sys, const node_config& cfg,
                    const std::string& token, operator_actor node,
                    metrics_provider metrics = {}, asset_provider assets = {});

} // namespace dynserv
