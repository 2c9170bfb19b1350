// One provider over a REST cloud API: the flows UpCloud, Hetzner and
// DigitalOcean share, each cloud adding only a small dialect.
#include "providers/rest_cloud_provider.hpp"

#include <utility>

#include <rapidjson/document.h>

#include "http/http_client.hpp"

namespace dynserv {

using namespace http_support;

namespace {

/// Stops following next pages after this many (a broken API).
constexpr int max_pages = 1000;

} // namespace

// -- rest_session -------------------------------------------------------------

rest_session::rest_session(const rest_cloud_dialect& dialect,
                           std::unique_ptr<http_transport> transport,
                           std::string authorization, clock_fn clock)
  : dialect_(dialect),
    api_(std::move(transport), std::move(authorization), std::move(clock)) {
  // nop
}

bool rest_session::exchange(provider_reply& reply, rest_op call,
                            rest_request req, http_response& rsp) {
  auto result = api_.send(reply, req.method, std::move(req.target),
                          std::move(req.body));
  if (!result.ok()) {
    reply.error = transport_error(result, call == rest_op::create);
    return false;
  }
  rsp = std::move(result.response);
  if (rsp.status < 200 || rsp.status >= 300) {
    reply.error = dialect_.facts().classify(rsp, call, now_ms());
    return false;
  }
  return true;
}

bool rest_session::side_request(provider_reply& reply, rest_op call,
                                rest_request req, http_response& rsp,
                                provider_error* err) {
  auto scratch = fresh_reply();
  auto ok = exchange(scratch, call, std::move(req), rsp);
  reply.requests += scratch.requests;
  if (scratch.budget.known())
    reply.budget = scratch.budget;
  if (err != nullptr)
    *err = scratch.error;
  return ok;
}

rest_page array_page(const rapidjson::Value& doc, const char* key) {
  rest_page result;
  result.items = member(&doc, key);
  if (result.items == nullptr || !result.items->IsArray()) {
    result.items = nullptr;
    result.problem = std::string{"no "} + key + " list";
  }
  return result;
}

// -- error classification -----------------------------------------------------

rest_error_body read_error_body(const std::string& body, const char* wrapper,
                                const char* code_key, const char* message_key) {
  rest_error_body result;
  rapidjson::Document doc;
  if (!parse_json(body, doc))
    return result;
  auto err = wrapper != nullptr ? member(&doc, wrapper) : &doc;
  auto code = as_string(member(err, code_key));
  if (!code || code->empty())
    return result;
  result.parsed = true;
  result.code = std::move(*code);
  result.message = as_string(member(err, message_key)).value_or("");
  return result;
}

std::optional<provider_error>
classify_common(const http_response& rsp, const rest_error_body& body,
                rest_op call, const rest_error_rules& rules, int64_t now_ms) {
  auto status = rsp.status;
  auto code = body.parsed ? body.code : std::to_string(status);
  auto message = body.parsed ? body.message
                             : "HTTP " + std::to_string(status) + ": "
                                 + excerpt(rsp.body);
  if (rules.rate_limited)
    return make_error(error_kind::rate_limited, code, message,
                      rate_limit_wait(rsp, now_ms, rules.until_reset, 1000));
  if (status >= 500 || status == 408)
    return make_error(error_kind::transient, code, message);
  // Credentials, billing and quota: only an operator can fix them, whatever
  // the body looks like.
  if (status == 401 || status == 403
      || (rules.payment_required && status == 402))
    return make_error(error_kind::permanent, code, message);
  // Other client errors count as the cloud's answer only with its error
  // body; anything else (an HTML page of a proxy) may go away by itself.
  if (!body.parsed)
    return bad_response(
      status, "no " + std::string{rules.cloud} + " error body", rsp.body);
  if (status != 404)
    return std::nullopt;
  // Only the cloud's own not-found answer about one server means it is
  // gone; a list or lookup that 404s hit something else.
  auto about_one = call != rest_op::list && call != rest_op::lookup;
  if (call == rest_op::create
      && (rules.create_404_permanent || body.code == rules.not_found_code))
    return make_error(error_kind::permanent, code, message);
  if (about_one && body.code == rules.not_found_code)
    return make_error(error_kind::not_found, code, message);
  return make_error(error_kind::transient, code, message);
}

// -- rest_cloud_dialect defaults ----------------------------------------------

rest_cloud_dialect::rest_cloud_dialect(rest_cloud_facts facts)
  : facts_(std::move(facts)) {
  // nop
}

rest_cloud_dialect::~rest_cloud_dialect() = default;

std::string rest_cloud_dialect::server_path(const std::string& id) const {
  return std::string{facts_.collection} + "/" + url_encode(id);
}

const char* rest_cloud_dialect::power_word(action_kind kind) const {
  switch (kind) {
    case action_kind::soft_stop:
      return facts_.power.soft_stop;
    case action_kind::hard_stop:
      return facts_.power.hard_stop;
    case action_kind::start:
      return facts_.power.start;
    default:
      return facts_.power.reboot;
  }
}

std::string rest_cloud_dialect::delete_target(const std::string& id) const {
  return server_path(id);
}

provider_reply rest_cloud_dialect::create_refused(rest_session&,
                                                  provider_reply reply,
                                                  const create_request&,
                                                  const http_response&) {
  return reply;
}

void rest_cloud_dialect::created(rest_session&, const rapidjson::Value&,
                                 const cloud_server&) {
  // nop
}

void rest_cloud_dialect::powered(rest_session&, provider_reply&,
                                 const std::string&, action_kind,
                                 const rapidjson::Value*) {
  // nop
}

void rest_cloud_dialect::deleted(rest_session&, const std::string& id,
                                 const rapidjson::Value*) {
  forget(id);
}

provider_reply rest_cloud_dialect::get_not_found(rest_session&,
                                                 provider_reply reply,
                                                 const std::string& id) {
  forget(id);
  return reply;
}

void rest_cloud_dialect::forget(const std::string&) {
  // nop
}

provider_error rest_cloud_dialect::refresh(rest_session&, provider_reply&,
                                           cloud_server&) {
  return {};
}

void rest_cloud_dialect::refresh_listed(rest_session&, provider_reply&,
                                        std::vector<cloud_server>&) {
  // nop
}

// -- rest_cloud_provider ------------------------------------------------------

rest_cloud_provider::rest_cloud_provider(
  std::unique_ptr<rest_cloud_dialect> dialect,
  std::unique_ptr<http_transport> transport, std::function<int64_t()> now_ms)
  : dialect_(std::move(dialect)),
    session_(*dialect_, std::move(transport), dialect_->facts().authorization,
             std::move(now_ms)) {
  // nop
}

rest_cloud_provider::~rest_cloud_provider() = default;

std::string rest_cloud_provider::type_name() const {
  return dialect_->facts().type_name;
}

provider_capabilities rest_cloud_provider::capabilities() const {
  return dialect_->facts().capabilities;
}

provider_reply rest_cloud_provider::create(const create_request& req) {
  auto reply = fresh_reply();
  spec_problems problems;
  rest_request request{"POST", dialect_->facts().collection,
                       dialect_->facts().create_body(req, problems)};
  if (!problems.empty())
    return fail(std::move(reply), invalid_spec(problems));
  http_response rsp;
  if (!session_.exchange(reply, rest_op::create, std::move(request), rsp))
    return dialect_->create_refused(session_, std::move(reply), req, rsp);
  rapidjson::Document doc;
  std::optional<cloud_server> srv;
  if (parse_json(rsp.body, doc))
    srv = dialect_->facts().parse_server(
      member(&doc, dialect_->facts().item_key));
  if (!srv)
    // The server exists but we cannot tell which: the server actor looks it
    // up by its label.
    return fail(std::move(reply),
                unreadable_create_answer(rsp.status,
                                         std::string{"no "}
                                           + dialect_->facts().item_key
                                           + " in the create answer",
                                         rsp.body));
  if (srv->labels.empty())
    srv->labels = req.labels;
  dialect_->created(session_, doc, *srv);
  reply.servers.push_back(std::move(*srv));
  return reply;
}

provider_reply rest_cloud_provider::get(const std::string& provider_id) {
  auto reply = fresh_reply();
  http_response rsp;
  if (!session_.exchange(reply, rest_op::get,
                         {"GET", dialect_->server_path(provider_id), {}},
                         rsp)) {
    if (reply.error.kind == error_kind::not_found)
      return dialect_->get_not_found(session_, std::move(reply), provider_id);
    return reply;
  }
  rapidjson::Document doc;
  if (!parse_json(rsp.body, doc))
    return fail(std::move(reply),
                bad_response(rsp.status, "not JSON", rsp.body));
  auto srv
    = dialect_->facts().parse_server(member(&doc, dialect_->facts().item_key));
  if (!srv)
    return fail(std::move(reply),
                bad_response(rsp.status,
                             std::string{"no "} + dialect_->facts().item_key
                               + " with an id",
                             rsp.body));
  if (auto err = dialect_->refresh(session_, reply, *srv);
      err.kind != error_kind::none)
    return fail(std::move(reply), std::move(err));
  reply.servers.push_back(std::move(*srv));
  return reply;
}

provider_reply rest_cloud_provider::list(const label_map& selector) {
  auto reply = fresh_reply();
  std::vector<cloud_server> found;
  int64_t page = 1;
  for (int n = 0; n < max_pages; ++n) {
    http_response rsp;
    if (!session_.exchange(reply, rest_op::list,
                           {"GET", dialect_->list_target(selector, page), {}},
                           rsp))
      return reply;
    rapidjson::Document doc;
    if (!parse_json(rsp.body, doc))
      return fail(std::move(reply),
                  bad_response(rsp.status, "not JSON", rsp.body));
    auto got = dialect_->read_page(doc, page);
    if (!got.problem.empty())
      return fail(std::move(reply),
                  bad_response(rsp.status, got.problem, rsp.body));
    // Items without an id cannot be addressed; the provider actor falls
    // back to a get for any of its servers that is missing here. Labels are
    // filtered again, so a cloud ignoring a filter never makes dynserv adopt
    // someone else's server.
    if (got.items != nullptr)
      for (const auto& item : got.items->GetArray())
        if (auto srv = dialect_->facts().parse_server(&item);
            srv && has_labels(srv->labels, selector))
          found.push_back(std::move(*srv));
    if (!got.next || *got.next <= page)
      break;
    page = *got.next;
  }
  dialect_->refresh_listed(session_, reply, found);
  reply.servers = std::move(found);
  return reply;
}

provider_reply rest_cloud_provider::power(const std::string& id,
                                          action_kind kind, rest_op call) {
  auto reply = fresh_reply();
  http_response rsp;
  if (!session_.exchange(reply, call, dialect_->power_request(id, kind), rsp)) {
    if (reply.error.kind == error_kind::not_found)
      dialect_->forget(id);
    return reply;
  }
  rapidjson::Document doc;
  auto json = parse_json(rsp.body, doc);
  dialect_->powered(session_, reply, id, kind, json ? &doc : nullptr);
  return reply;
}

provider_reply rest_cloud_provider::stop(const std::string& provider_id) {
  return power(provider_id, action_kind::soft_stop, rest_op::stop);
}

provider_reply rest_cloud_provider::start(const std::string& provider_id) {
  return power(provider_id, action_kind::start, rest_op::start);
}

provider_reply rest_cloud_provider::reboot(const std::string& provider_id) {
  return power(provider_id, action_kind::reboot, rest_op::reboot);
}

provider_reply rest_cloud_provider::destroy(const std::string& provider_id) {
  auto reply = fresh_reply();
  http_response rsp;
  if (!session_.exchange(reply, rest_op::destroy,
                         {"DELETE", dialect_->delete_target(provider_id), {}},
                         rsp)) {
    if (reply.error.kind == error_kind::not_found)
      dialect_->forget(provider_id);
    return reply;
  }
  rapidjson::Document doc;
  auto json = !rsp.body.empty() && parse_json(rsp.body, doc);
  dialect_->deleted(session_, provider_id, json ? &doc : nullptr);
  return reply;
}

} // namespace dynserv
