// The Hetzner Cloud provider: API v1's dialect of the REST cloud core.
#include "providers/hetzner_provider.hpp"

#include <algorithm>
#include <map>

#include <rapidjson/document.h>

#include "http/http_client.hpp"
#include "providers/action_following_dialect.hpp"
#include "providers/http_provider_support.hpp"

namespace dynserv {

using namespace http_support;

namespace {

/// Hetzner's maximum page size.
constexpr int page_size = 50;

/// Ids per batched action read: Hetzner's default page size, so that one
/// page answers it (hcloud-go waits for actions in batches of 25 too).
constexpr size_t action_batch = 25;

/// Kind of an error by Hetzner's code, for statuses without a fixed rule.
std::optional<error_kind> kind_of_code(const std::string& code) {
  static const std::map<std::string, error_kind> table = {
    {"locked", error_kind::conflict},
    {"conflict", error_kind::conflict},
    {"server_not_stopped", error_kind::conflict},
    {"resource_unavailable", error_kind::transient},
    {"unavailable", error_kind::transient},
    {"maintenance", error_kind::transient},
    {"timeout", error_kind::transient},
    {"server_error", error_kind::transient},
    {"service_error", error_kind::transient},
    {"bad_gateway", error_kind::transient},
    {"placement_error", error_kind::transient},
    {"robot_unavailable", error_kind::transient},
    // "The resource is locked. The caller should contact support."
    // (hcloud-go): unlike `locked`, no retry clears it.
    {"resource_locked", error_kind::permanent},
    {"deprecated_api_endpoint", error_kind::permanent},
    {"invalid_server_type", error_kind::permanent},
    {"unauthorized", error_kind::permanent},
    {"forbidden", error_kind::permanent},
    {"token_readonly", error_kind::permanent},
    {"resource_limit_exceeded", error_kind::permanent},
    {"invalid_input", error_kind::permanent},
    {"json_error", error_kind::permanent},
    {"uniqueness_error", error_kind::permanent},
    {"protected", error_kind::permanent},
    {"unsupported_error", error_kind::permanent},
  };
  auto i = table.find(code);
  if (i == table.end())
    return std::nullopt;
  return i->second;
}

/// Maps an HTTP error answer (status >= 300).
provider_error classify_answer(const http_response& rsp, rest_op call,
                               int64_t now_ms) {
  // `{"error":{"code","message"}}`.
  auto body = read_error_body(rsp.body, "error", "code", "message");
  // No Retry-After at Hetzner: the bucket refills one token per second and
  // a 429 means it is empty.
  auto rate_limited = rsp.status == 429 || body.code == "rate_limit_exceeded";
  if (auto err = classify_common(
        rsp, body, call,
        {"Hetzner", rate_limited, false, false, "not_found", false}, now_ms))
    return *err;
  auto status = rsp.status;
  if (auto kind = kind_of_code(body.code))
    return make_error(*kind, body.code, body.message);
  if (status == 409 || status == 423)
    return make_error(error_kind::conflict, body.code, body.message);
  return make_error(error_kind::permanent, body.code, body.message);
}

/// The server's `labels` object.
label_map labels_of(const rapidjson::Value* srv) {
  return as_label_object(member(srv, "labels"));
}

std::optional<cloud_server> read_server(const rapidjson::Value* x) {
  static constexpr server_fields fields{
    "id",     false, "name", "status", "created", false, map_hetzner_state,
    labels_of};
  return read_server_fields(x, fields);
}

/// What one action object says.
action_report read_report(const rapidjson::Value& x) {
  action_report result;
  auto status = as_string(member(&x, "status"));
  result.status = !status || *status == "running" ? action_status::running
                  : *status == "error"            ? action_status::failed
                                                  : action_status::succeeded;
  result.code = as_string(path(&x, {"error", "code"})).value_or("");
  result.message = as_string(path(&x, {"error", "message"})).value_or("");
  return result;
}

// -- create body --------------------------------------------------------------

const std::initializer_list<spec_key> spec_keys = {
  // A name ("cx22") or an id (22), sent as given.
  {"server_type", spec_type::string_or_integer, true},
  {"image", spec_type::string_or_integer, true},
  {"location", spec_type::string},
  // Removed from the API on 2026-07-01 (hcloud-go v2.45.0).
  {"datacenter", spec_type::string, false,
   "removed from the Hetzner API on 2026-07-01; use location (e.g. "
   "\"nbg1\") instead"},
  {"ssh_keys", spec_type::id_array},
  {"user_data", spec_type::string},
  {"labels", spec_type::string_map},
  {"public_net", spec_type::object},
  {"networks", spec_type::integer_array},
  {"firewalls", spec_type::array},
  {"placement_group", spec_type::integer},
  {"volumes", spec_type::integer_array},
  {"automount", spec_type::boolean},
  {"start_after_create", spec_type::boolean},
};

void check(const rapidjson::Value& spec, spec_problems& problems) {
  check_spec(spec, spec_keys, {"name"}, problems);
  if (auto data = as_string(member(&spec, "user_data"));
      data && data->size() > 32 * 1024)
    problems.emplace_back("user_data", "longer than 32 KiB");
}

std::string build_create_body(const create_request& req,
                              spec_problems& problems) {
  rapidjson::Document spec;
  if (!read_checked_spec(req.spec, check, spec, problems))
    return {};
  rapidjson::Document doc;
  doc.SetObject();
  auto& alloc = doc.GetAllocator();
  auto str = [&](const std::string& x) { return json_string(x, alloc); };
  doc.AddMember("name", str(req.name), alloc);
  for (auto i = spec.MemberBegin(); i != spec.MemberEnd(); ++i)
    if (std::string_view{i->name.GetString()} != "labels")
      doc.AddMember(rapidjson::Value{i->name, alloc},
                    rapidjson::Value{i->value, alloc}, alloc);
  if (!doc.HasMember("start_after_create"))
    doc.AddMember("start_after_create", true, alloc);
  auto all = as_label_object(member(&spec, "labels"));
  for (const auto& [key, value] : req.labels)
    all[key] = value;
  rapidjson::Value labels{rapidjson::kObjectType};
  for (const auto& [key, value] : all)
    labels.AddMember(str(key), str(value), alloc);
  doc.AddMember("labels", labels, alloc);
  return to_json(doc);
}

} // namespace

cloud_state map_hetzner_state(std::string_view raw) {
  using cs = cloud_state;
  // Migrating and rebuilding both end with the server running again (a
  // migration may also pass while it is off; it then ends off).
  return state_from(raw, {{"initializing", cs::provisioning},
                          {"starting", cs::provisioning},
                          {"running", cs::running},
                          {"stopping", cs::stopping},
                          {"off", cs::stopped},
                          {"deleting", cs::deleting},
                          {"migrating", cs::provisioning},
                          {"rebuilding", cs::provisioning}});
}

std::vector<std::pair<std::string, std::string>>
validate_hetzner_spec(const std::string& spec_json) {
  return validate_spec(spec_json, check);
}

// -- the dialect --------------------------------------------------------------

namespace {

/// Hetzner Cloud: servers carry labels, lists use a label selector and
/// `meta.pagination.next_page`, actions are read in batches.
class hetzner_dialect : public action_following_dialect {
public:
  explicit hetzner_dialect(const hetzner_options& opts)
    : action_following_dialect({"hetzner",
                                {true, true, true, true},
                                "/servers",
                                "server",
                                {"shutdown", "poweroff", "poweron", "reboot"},
                                bearer_auth(opts.api.token),
                                build_create_body,
                                read_server,
                                classify_answer},
                               rules_for(opts)) {
    // nop
  }

  rest_request power_request(const std::string& id,
                             action_kind kind) const override {
    return {"POST", server_path(id) + "/actions/" + power_word(kind), {}};
  }

  std::string list_target(const label_map& selector,
                          int64_t page) const override {
    std::string expr;
    for (const auto& [key, value] : selector) {
      if (!expr.empty())
        expr += ',';
      expr += key + "==" + value;
    }
    std::string result = "/servers?";
    if (!expr.empty())
      result += "label_selector=" + url_encode(expr) + "&";
    return result + "per_page=" + std::to_string(page_size)
           + "&page=" + std::to_string(page);
  }

  rest_page read_page(const rapidjson::Value& doc, int64_t) const override {
    auto result = array_page(doc, "servers");
    if (auto next = as_int(path(&doc, {"meta", "pagination", "next_page"})))
      result.next = *next;
    return result;
  }

  provider_reply create_refused(rest_session& session, provider_reply reply,
                                const create_request& req,
                                const http_response& rsp) override {
    if (rsp.status == 409 && reply.error.code == "uniqueness_error")
      return adopt(session, std::move(reply), req);
    return reply;
  }

  void created(rest_session& session, const rapidjson::Value& doc,
               const cloud_server& srv) override {
    // The create action and those that follow it (start_server).
    remember_created(session, srv, member(&doc, "action"));
    remember_created(session, srv, member(&doc, "next_actions"));
  }

protected:
  action_reports read_actions(rest_session& session, provider_reply& reply,
                              std::vector<std::string> ids) override;

private:
  static rules rules_for(const hetzner_options& opts) {
    // Hetzner shows stopping servers itself and takes actions while others
    // run (a locked server answers 423).
    return {"running",         "off",      "deleting", false, false,
            opts.stop_timeout, read_report};
  }

  provider_reply adopt(rest_session& session, provider_reply reply,
                       const create_request& req);
};

/// Reads `ids` with `GET /actions?id=a&id=b...`, `action_batch` ids per
/// request (as hcloud-go waits for actions). An id the answer does not list
/// is reported gone; the ids of a batch whose read failed get no report and
/// are read again at their next due read.
action_reports hetzner_dialect::read_actions(rest_session& session,
                                             provider_reply& reply,
                                             std::vector<std::string> ids) {
  action_reports result;
  std::sort(ids.begin(), ids.end(), action_id_less);
  for (size_t first = 0; first < ids.size(); first += action_batch) {
    auto last = std::min(ids.size(), first + action_batch);
    std::string target = "/actions";
    for (auto k = first; k < last; ++k)
      target += (k == first ? "?id=" : "&id=") + url_encode(ids[k]);
    http_response rsp;
    if (!session.side_request(reply, rest_op::get, {"GET", target, {}}, rsp))
      continue;
    rapidjson::Document doc;
    auto items = parse_json(rsp.body, doc) ? member(&doc, "actions") : nullptr;
    if (items == nullptr || !items->IsArray())
      continue;
    for (const auto& item : items->GetArray())
      if (auto aid = as_id(member(&item, "id")))
        result[*aid] = read_report(item);
    for (auto k = first; k < last; ++k)
      result.emplace(ids[k], action_report{action_status::gone, {}, {}});
  }
  return result;
}

/// Resolves a 409 `uniqueness_error` of a create by looking the name up.
provider_reply hetzner_dialect::adopt(rest_session& session,
                                      provider_reply reply,
                                      const create_request& req) {
  http_response rsp;
  if (!session.exchange(reply, rest_op::lookup,
                        {"GET", "/servers?name=" + url_encode(req.name), {}},
                        rsp)) {
    // The create did not happen now; retrying it is safe.
    if (reply.error.kind == error_kind::outcome_unknown)
      reply.error.kind = error_kind::transient;
    return reply;
  }
  rapidjson::Document doc;
  auto servers = parse_json(rsp.body, doc) ? member(&doc, "servers") : nullptr;
  if (servers == nullptr || !servers->IsArray())
    return fail(std::move(reply),
                bad_response(rsp.status, "no servers list in the name lookup",
                             rsp.body));
  auto want = req.labels.find(labels::id);
  for (const auto& item : servers->GetArray()) {
    auto srv = read_server(&item);
    if (!srv || srv->name != req.name)
      continue;
    auto got = srv->labels.find(labels::id);
    if (want != req.labels.end() && got != srv->labels.end()
        && got->second == want->second) {
      reply.error = {};
      refresh(session, reply, *srv);
      reply.servers.push_back(std::move(*srv));
      return reply;
    }
    return fail(std::move(reply),
                make_error(error_kind::permanent, "uniqueness_error",
                           "a server named " + req.name
                             + " exists and was not created by this "
                               "request (server "
                             + srv->provider_id + ")"));
  }
  return fail(std::move(reply),
              make_error(error_kind::permanent, "uniqueness_error",
                         "create refused as not unique, but no server named "
                           + req.name + " exists"));
}

} // namespace

hetzner_provider::hetzner_provider(hetzner_options opts,
                                   std::unique_ptr<http_transport> transport,
                                   std::function<int64_t()> now_ms)
  : rest_cloud_provider(std::make_unique<hetzner_dialect>(opts),
                        std::move(transport), std::move(now_ms)) {
  // nop
}

} // namespace dynserv
