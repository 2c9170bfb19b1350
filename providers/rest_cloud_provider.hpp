// One provider over a REST cloud API: the flows UpCloud, Hetzner and
// DigitalOcean share, each cloud adding only a small dialect.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Forward declarations only; the sources include the rest.
#include <rapidjson/fwd.h>

#include "providers/http_provider_support.hpp"
#include "providers/provider.hpp"

namespace dynserv {

/// The calls a REST cloud provider makes; errors are classified per call.
enum class rest_op { create, get, list, stop, start, reboot, destroy, lookup };

/// One request a dialect wants sent.
struct rest_request {
  std::string method;
  std::string target;
  std::string body;
};

class rest_cloud_dialect;

/// Sends one provider account's requests with its credentials and maps
/// every answer outside 2xx through the dialect's error map.
class rest_session {
public:
  rest_session(const rest_cloud_dialect& dialect,
               std::unique_ptr<http_transport> transport,
               std::string authorization, http_support::clock_fn clock);

  /// Sends `req` for `call`, counted in `reply`. True on a 2xx answer,
  /// stored in `rsp`; otherwise `reply.error` says why (and `rsp` holds the
  /// answer, if there was one).
  bool exchange(provider_reply& reply, rest_op call, rest_request req,
                http_response& rsp);

  /// Like `exchange` for a request a call makes on the side (an action
  /// read, a follow-up): counted in and budgeted to `reply`, but its failure
  /// is not `reply`'s; it goes to `err` when given.
  bool side_request(provider_reply& reply, rest_op call, rest_request req,
                    http_response& rsp, provider_error* err = nullptr);

  /// The injected clock, in ms since the epoch.
  int64_t now_ms() const {
    return api_.now_ms();
  }

private:
  const rest_cloud_dialect& dialect_;
  http_support::api_client api_;
};

/// What one page of a list answer holds.
struct rest_page {
  /// The page's items; nullptr for an empty page.
  const rapidjson::Value* items = nullptr;
  /// What is wrong with the page; empty when it is fine.
  std::string problem;
  /// The page to ask for next; nullopt after the last one.
  std::optional<int64_t> next;
};

/// A page whose items are the array at member `key` of `doc` ("no <key>
/// list" when there is none); no next page.
rest_page array_page(const rapidjson::Value& doc, const char* key);

/// An error answer's body as the cloud wrote it.
struct rest_error_body {
  /// The cloud's own error format could be read.
  bool parsed = false;
  std::string code;
  std::string message;
};

/// Reads an error body whose code and message sit at `code_key` and
/// `message_key` of member `wrapper` (of the document itself when nullptr);
/// not parsed without a non-empty code.
rest_error_body read_error_body(const std::string& body, const char* wrapper,
                                const char* code_key, const char* message_key);

/// How a cloud's error map starts.
struct rest_error_rules {
  /// The cloud's name, for "no <cloud> error body".
  const char* cloud;
  /// The answer is a rate limit (a 429, or a cloud's own code for one).
  bool rate_limited;
  /// See `rate_limit_wait`.
  bool until_reset;
  /// 402 (billing) is permanent.
  bool payment_required;
  /// The code of a 404 that means the server does not exist.
  const char* not_found_code;
  /// Any 404 to a create is permanent (it names something that does not
  /// exist), not only one with `not_found_code`.
  bool create_404_permanent;
};

/// The rules every cloud's error map starts with: rate limits, 5xx and 408,
/// 401 and 403 (and 402), an answer without the cloud's error body, and 404
/// (not found on calls about one server, permanent on a create, transient on
/// a list). Nullopt when the dialect's own rules decide.
std::optional<provider_error>
classify_common(const http_response& rsp, const rest_error_body& body,
                rest_op call, const rest_error_rules& rules, int64_t now_ms);

/// The words a cloud uses for the four power calls.
struct power_words {
  const char* soft_stop;
  const char* hard_stop;
  const char* start;
  const char* reboot;
};

/// What is fixed about a cloud.
struct rest_cloud_facts {
  /// The provider type, e.g. "hetzner".
  const char* type_name;
  provider_capabilities capabilities;
  /// The servers' collection, e.g. "/servers": a create is a POST to it,
  /// one server is `<collection>/<id>`.
  const char* collection;
  /// The key of the server in single-server answers ("server", "droplet").
  const char* item_key;
  power_words power;
  /// The `Authorization` header value.
  std::string authorization;
  /// Builds the create body for `req`; problems of its spec go to
  /// `problems` (and nothing is sent).
  std::string (*create_body)(const create_request& req,
                             http_support::spec_problems& problems);
  /// Reads one server object; nullopt without a usable id.
  std::optional<cloud_server> (*parse_server)(const rapidjson::Value* x);
  /// Maps an answer outside 2xx to a call `call`.
  provider_error (*classify)(const http_response& rsp, rest_op call,
                             int64_t now_ms);
};

/// What differs between REST clouds: paths, the JSON mapping, the state and
/// error maps, and what a cloud remembers between calls. The hooks with
/// defaults do nothing; one instance serves one provider, from one thread.
class rest_cloud_dialect {
public:
  explicit rest_cloud_dialect(rest_cloud_facts facts);

  virtual ~rest_cloud_dialect();

  const rest_cloud_facts& facts() const {
    return facts_;
  }

  // -- requests ---------------------------------------------------------------

  /// The path of one server, e.g. "/servers/42".
  std::string server_path(const std::string& id) const;

  /// The cloud's word for `kind` (see `power_words`).
  const char* power_word(http_support::action_kind kind) const;

  /// The target of a delete; `server_path` unless the cloud wants more.
  virtual std::string delete_target(const std::string& id) const;

  /// The request that makes server `id` do `kind` (a soft or hard stop, a
  /// start or a reboot).
  virtual rest_request power_request(const std::string& id,
                                     http_support::action_kind kind) const = 0;

  /// The target of list page `page` (1-based) for `selector`.
  virtual std::string list_target(const label_map& selector,
                                  int64_t page) const = 0;

  // -- answers ----------------------------------------------------------------

  /// Finds the items and the next page of list page `page`.
  virtual rest_page read_page(const rapidjson::Value& doc,
                              int64_t page) const = 0;

  // -- what the cloud remembers between calls ---------------------------------

  /// A create was refused with `reply.error` and answer `rsp`; the dialect
  /// may resolve it (Hetzner adopts its own server on a name clash).
  virtual provider_reply
  create_refused(rest_session& session, provider_reply reply,
                 const create_request& req, const http_response& rsp);

  /// A create was answered with `srv`; `doc` is the whole answer.
  virtual void created(rest_session& session, const rapidjson::Value& doc,
                       const cloud_server& srv);

  /// A power request for `id` was accepted with answer `doc` (nullptr when
  /// it is not JSON).
  virtual void powered(rest_session& session, provider_reply& reply,
                       const std::string& id, http_support::action_kind kind,
                       const rapidjson::Value* doc);

  /// A delete of `id` was accepted with answer `doc` (nullptr when none).
  virtual void deleted(rest_session& session, const std::string& id,
                       const rapidjson::Value* doc);

  /// A get of `id` answered not found (`reply.error`); returns the reply to
  /// give (DigitalOcean reports a fresh droplet as provisioning). Default:
  /// `forget(id)` and `reply`.
  virtual provider_reply get_not_found(rest_session& session,
                                       provider_reply reply,
                                       const std::string& id);

  /// The cloud says server `id` does not exist.
  virtual void forget(const std::string& id);

  /// Adjusts a server a get read (follows pending actions, ...). Returns the
  /// error the get reports instead, kind `none` when there is none.
  virtual provider_error refresh(rest_session& session, provider_reply& reply,
                                 cloud_server& srv);

  /// Adjusts the servers a list found.
  virtual void refresh_listed(rest_session& session, provider_reply& reply,
                              std::vector<cloud_server>& servers);

private:
  rest_cloud_facts facts_;
};

/// The provider interface implemented once over an `http_transport` for a
/// REST cloud: requests, the pagination loop, create answers, error
/// classification and budget headers, with `dialect` for the differences.
class rest_cloud_provider : public provider {
public:
  /// `now_ms` is the wall clock in ms since the epoch (system clock when
  /// empty); tests inject their own.
  rest_cloud_provider(std::unique_ptr<rest_cloud_dialect> dialect,
                      std::unique_ptr<http_transport> transport,
                      std::function<int64_t()> now_ms);

  ~rest_cloud_provider() override;

  std::string type_name() const override;

  provider_capabilities capabilities() const override;

  provider_reply create(const create_request& req) override;

  provider_reply get(const std::string& provider_id) override;

  /// Every page, filtered again by labels on this side.
  provider_reply list(const label_map& selector) override;

  provider_reply stop(const std::string& provider_id) override;

  provider_reply start(const std::string& provider_id) override;

  provider_reply reboot(const std::string& provider_id) override;

  provider_reply destroy(const std::string& provider_id) override;

private:
  provider_reply power(const std::string& id, http_support::action_kind kind,
                       rest_op call);

  std::unique_ptr<rest_cloud_dialect> dialect_;
  rest_session session_;
};

} // namespace dynserv
