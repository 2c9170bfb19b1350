// The Hetzner Cloud provider: API v1 over an `http_transport`.
#include "providers/hetzner_provider.hpp"

#include <algorithm>
#include <map>

#include <rapidjson/document.h>

#include "http/http_client.hpp"
#include "providers/http_provider_support.hpp"

namespace dynserv {

using namespace http_support;

namespace {

/// Hetzner's maximum page size.
constexpr int page_size = 50;

/// Stops following `next_page` after this many pages (a broken API).
constexpr int max_pages = 1000;

/// Ids per batched action read: Hetzner's default page size, so that one
/// page answers it (hcloud-go waits for actions in batches of 25 too).
constexpr size_t action_batch = 25;

enum class op { create, get, list, stop, start, reboot, destroy, lookup };

/// `{"error":{"code","message"}}`.
struct api_error {
  bool parsed = false;
  std::string code;
  std::string message;
};

api_error parse_error_body(const std::string& body) {
  api_error result;
  rapidjson::Document doc;
  if (!parse_json(body, doc))
    return result;
  auto err = member(&doc, "error");
  auto code = as_string(member(err, "code"));
  if (!code || code->empty())
    return result;
  result.parsed = true;
  result.code = std::move(*code);
  result.message = as_string(member(err, "message")).value_or("");
  return result;
}

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
provider_error classify(const http_response& rsp, op call, int64_t now_ms) {
  auto body = parse_error_body(rsp.body);
  auto status = rsp.status;
  auto code = body.parsed ? body.code : std::to_string(status);
  auto message = body.parsed ? body.message
                             : "HTTP " + std::to_string(status) + ": "
                                 + excerpt(rsp.body);
  if (status == 429 || body.code == "rate_limit_exceeded") {
    // No Retry-After at Hetzner: the bucket refills one token per second
    // and a 429 means it is empty.
    auto wait = rate_limit_wait(rsp, now_ms, false, 1000);
    return make_error(error_kind::rate_limited, code, message, wait);
  }
  if (status >= 500 || status == 408)
    return make_error(error_kind::transient, code, message);
  if (status == 401 || status == 403)
    return make_error(error_kind::permanent, code, message);
  if (!body.parsed)
    return bad_response(status, "no Hetzner error body", rsp.body);
  if (status == 404) {
    if (body.code == "not_found" && call != op::list && call != op::lookup)
      return make_error(call == op::create ? error_kind::permanent
                                           : error_kind::not_found,
                        code, message);
    return make_error(error_kind::transient, code, message);
  }
  if (auto kind = kind_of_code(body.code))
    return make_error(*kind, code, message);
  if (status == 409 || status == 423)
    return make_error(error_kind::conflict, code, message);
  return make_error(error_kind::permanent, code, message);
}

std::optional<cloud_server> parse_server(const rapidjson::Value* x) {
  auto id = as_id(member(x, "id"));
  if (!id)
    return std::nullopt;
  cloud_server result;
  result.provider_id = std::move(*id);
  result.name = as_string(member(x, "name")).value_or("");
  result.labels = as_label_object(member(x, "labels"));
  result.raw_state = as_string(member(x, "status")).value_or("");
  result.state = map_hetzner_state(result.raw_state);
  if (auto created = as_string(member(x, "created")))
    result.created_at_ms = parse_rfc3339(*created).value_or(0);
  return result;
}

/// True if a listed server's `raw` state already shows how an action of
/// `kind` ended (successfully), so that reading the action can tell nothing
/// new. A reboot or delete cannot be seen this way: a rebooted server runs
/// as before, a deleted one is no longer listed.
bool shows_outcome(action_kind kind, std::string_view raw) {
  switch (kind) {
    case action_kind::create:
    case action_kind::start: return raw == "running";
    case action_kind::soft_stop:
    case action_kind::hard_stop: return raw == "off";
    case action_kind::reboot:
    case action_kind::destroy: return false;
  }
  return false;
}

/// What one item of `{"actions":[...]}` says.
action_report report_of(const rapidjson::Value& x) {
  action_report result;
  result.status = as_string(member(&x, "status")).value_or("");
  result.code = as_string(path(&x, {"error", "code"})).value_or("");
  result.message = as_string(path(&x, {"error", "message"})).value_or("");
  return result;
}

/// The id of `{"action":{"id":...}}`.
std::optional<std::string> action_id(const rapidjson::Value& doc) {
  return as_id(path(&doc, {"action", "id"}));
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

std::string create_body(const create_request& req, spec_problems& problems) {
  rapidjson::Document spec;
  if (!parse_spec(req.spec, spec, problems))
    return {};
  check(spec, problems);
  if (!problems.empty())
    return {};
  rapidjson::Document doc;
  doc.SetObject();
  auto& alloc = doc.GetAllocator();
  auto str = [&](const std::string& x) {
    return rapidjson::Value{x.c_str(),
                            static_cast<rapidjson::SizeType>(x.size()), alloc};
  };
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
  if (raw == "initializing" || raw == "starting")
    return cloud_state::provisioning;
  if (raw == "running")
    return cloud_state::running;
  if (raw == "stopping")
    return cloud_state::stopping;
  if (raw == "off")
    return cloud_state::stopped;
  if (raw == "deleting")
    return cloud_state::deleting;
  // Both end with the server running again (a migration may also pass
  // while it is off; it then ends off).
  if (raw == "migrating" || raw == "rebuilding")
    return cloud_state::provisioning;
  return cloud_state::unknown;
}

std::vector<std::pair<std::string, std::string>>
validate_hetzner_spec(const std::string& spec_json) {
  spec_problems problems;
  rapidjson::Document spec;
  if (parse_spec(spec_json, spec, problems))
    check(spec, problems);
  return problems;
}

// -- state --------------------------------------------------------------------

struct hetzner_provider::impl {
  hetzner_options opts;
  api_client api;
  /// Servers with pending actions or a soft stop in progress, by id.
  std::map<std::string, server_track> tracks;
  /// The API answered a batched action read with 404.
  bool single_action_reads = false;

  impl(hetzner_options o, std::unique_ptr<http_transport> transport,
       clock_fn clock)
      : opts(std::move(o)),
        api(std::move(transport), bearer_auth(opts.api.token),
            std::move(clock)) {
    // nop
  }

  bool exchange(provider_reply& reply, op call, std::string_view method,
                std::string target, std::string body, http_response& rsp) {
    auto result = api.send(reply, method, std::move(target), std::move(body));
    if (!result.ok()) {
      reply.error = transport_error(result, call == op::create);
      return false;
    }
    rsp = std::move(result.response);
    if (rsp.status < 200 || rsp.status >= 300) {
      reply.error = classify(rsp, call, api.now_ms());
      return false;
    }
    return true;
  }

  /// Runs a request on behalf of a read and charges it to `reply`; its
  /// failure is not the read's.
  bool side_request(provider_reply& reply, op call, std::string_view method,
                    std::string target, http_response& rsp) {
    auto scratch = fresh_reply();
    auto ok = exchange(scratch, call, method, std::move(target), {}, rsp);
    reply.requests += scratch.requests;
    if (scratch.budget.known())
      reply.budget = scratch.budget;
    return ok;
  }

  void remember(const std::string& id, const rapidjson::Value& doc,
                action_kind kind) {
    if (auto aid = action_id(doc))
      tracks[id].add(*aid, kind, api.now_ms());
  }

  /// Sends a server action; `kind` is remembered with the action's id.
  provider_reply action(const std::string& id, op call, const char* verb,
                        action_kind kind) {
    auto reply = fresh_reply();
    http_response rsp;
    if (!exchange(reply, call, "POST",
                  "/servers/" + url_encode(id) + "/actions/" + verb, {}, rsp)) {
      if (reply.error.kind == error_kind::not_found)
        tracks.erase(id);
      return reply;
    }
    rapidjson::Document doc;
    if (parse_json(rsp.body, doc))
      remember(id, doc, kind);
    return reply;
  }

  /// Ids of the pending actions of `srv` to read now. A `listing` (a poll
  /// round) forgets actions whose outcome the listed state shows and takes
  /// the others at most once per `action_read_interval_ms`; a get takes all.
  std::vector<std::string> due_actions(const cloud_server& srv, bool listing) {
    std::vector<std::string> result;
    auto i = tracks.find(srv.provider_id);
    if (i == tracks.end())
      return result;
    auto now = api.now_ms();
    auto& actions = i->second.actions;
    for (auto a = actions.begin(); a != actions.end();) {
      if (listing && shows_outcome(a->second.kind, srv.raw_state)) {
        a = actions.erase(a);
        continue;
      }
      if (!listing || now >= a->second.next_read_ms) {
        a->second.next_read_ms = now + action_read_interval_ms;
        result.push_back(a->first);
      }
      ++a;
    }
    return result;
  }

  /// Reads `ids` with `GET /actions?id=a&id=b...`, `action_batch` ids per
  /// request (as hcloud-go waits for actions). An id the answer does not
  /// list is reported "gone"; the ids of a batch whose read failed get no
  /// report and are read again at their next due read.
  action_reports read_actions(provider_reply& reply,
                              std::vector<std::string> ids) {
    action_reports result;
    std::sort(ids.begin(), ids.end(), action_id_less);
    for (size_t first = 0; first < ids.size(); first += action_batch) {
      auto last = std::min(ids.size(), first + action_batch);
      if (single_action_reads) {
        for (auto k = first; k < last; ++k)
          read_action(reply, ids[k], result);
        continue;
      }
      std::string target = "/actions";
      for (auto k = first; k < last; ++k)
        target += (k == first ? "?id=" : "&id=") + url_encode(ids[k]);
      http_response rsp;
      if (!side_request(reply, op::get, "GET", std::move(target), rsp)) {
        // An API without the batched read (an older simulator): one
        // request per action from now on.
        if (rsp.status == 404) {
          single_action_reads = true;
          for (auto k = first; k < last; ++k)
            read_action(reply, ids[k], result);
        }
        continue;
      }
      rapidjson::Document doc;
      auto items = parse_json(rsp.body, doc) ? member(&doc, "actions")
                                             : nullptr;
      if (items == nullptr || !items->IsArray())
        continue;
      for (const auto& item : items->GetArray())
        if (auto aid = as_id(member(&item, "id")))
          result[*aid] = report_of(item);
      for (auto k = first; k < last; ++k)
        result.emplace(ids[k], action_report{"gone", {}, {}});
    }
    return result;
  }

  /// Reads one action with `GET /actions/{id}` into `out`; a 404 reports
  /// it gone, another failure leaves it unread.
  void read_action(provider_reply& reply, const std::string& aid,
                   action_reports& out) {
    http_response rsp;
    if (!side_request(reply, op::get, "GET", "/actions/" + url_encode(aid),
                      rsp)) {
      if (rsp.status == 404)
        out[aid] = action_report{"gone", {}, {}};
      return;
    }
    rapidjson::Document doc;
    if (auto x = parse_json(rsp.body, doc) ? member(&doc, "action") : nullptr)
      out[aid] = report_of(*x);
  }

  /// Records a failed action of `kind` in `track`. Returns the error a get
  /// reports for it (a failed stop or delete), kind `none` otherwise.
  provider_error note_failure(server_track& track, const cloud_server& srv,
                              action_kind kind, const action_report& r) {
    auto code = r.code.empty() ? std::string{"action_failed"} : r.code;
    auto msg = r.message.empty() ? std::string{"the action failed"} : r.message;
    switch (kind) {
      case action_kind::create:
        // The server will never run: the create failed at the cloud.
        track.create_failure = make_error(error_kind::permanent, code, msg);
        break;
      case action_kind::soft_stop:
      case action_kind::hard_stop:
        // Power off at the next read; the actor keeps polling.
        track.soft_stop_ms = api.now_ms() - opts.stop_timeout.count();
        track.hard_stop_sent = false;
        return make_error(error_kind::transient, "action_failed",
                          "stopping server " + srv.provider_id
                            + " failed: " + msg);
      case action_kind::destroy:
        track.resend_delete = true;
        return make_error(error_kind::transient, "action_failed",
                          "deleting server " + srv.provider_id
                            + " failed: " + msg);
      case action_kind::start:
      case action_kind::reboot:
        // The state shows whether it worked; the actor's deadline covers
        // a server that never gets there.
        break;
    }
    return {};
  }

  /// Powers off a server that a soft stop did not stop in time, and sends
  /// a delete whose action failed again.
  void follow_up(provider_reply& reply, const cloud_server& srv,
                 server_track& track) {
    auto now = api.now_ms();
    auto target = "/servers/" + url_encode(srv.provider_id);
    http_response rsp;
    rapidjson::Document doc;
    if (track.soft_stop_ms >= 0) {
      if (srv.raw_state == "off") {
        track.soft_stop_ms = -1;
        track.hard_stop_sent = false;
      } else if (srv.raw_state == "running" && !track.hard_stop_sent
                 && now - track.soft_stop_ms >= opts.stop_timeout.count()
                 && side_request(reply, op::stop, "POST",
                                 target + "/actions/poweroff", rsp)) {
        track.hard_stop_sent = true;
        if (parse_json(rsp.body, doc))
          if (auto aid = action_id(doc))
            track.add(*aid, action_kind::hard_stop, now);
      }
    }
    if (track.resend_delete && srv.raw_state != "deleting"
        && side_request(reply, op::destroy, "DELETE", target, rsp)) {
      track.resend_delete = false;
      if (parse_json(rsp.body, doc))
        if (auto aid = action_id(doc))
          track.add(*aid, action_kind::destroy, now);
    }
  }

  /// Applies what the action reads found to `srv` and its track. Returns
  /// the error a get reports (a failed stop or delete), kind `none`
  /// otherwise.
  provider_error apply(provider_reply& reply, cloud_server& srv,
                       const action_reports& reports) {
    provider_error result;
    auto i = tracks.find(srv.provider_id);
    if (i == tracks.end())
      return result;
    auto& track = i->second;
    for (auto a = track.actions.begin(); a != track.actions.end();) {
      auto r = reports.find(a->first);
      if (r == reports.end() || r->second.status == "running") {
        ++a;
        continue;
      }
      auto kind = a->second.kind;
      a = track.actions.erase(a);
      if (r->second.status != "error")
        continue;
      if (auto err = note_failure(track, srv, kind, r->second);
          err.kind != error_kind::none)
        result = std::move(err);
    }
    if (track.create_failure.kind != error_kind::none)
      mark_create_failed(srv, track.create_failure);
    for (const auto& [aid, pending] : track.actions)
      if (pending.kind == action_kind::reboot && srv.raw_state == "running")
        srv.state = cloud_state::rebooting;
    // After reporting a failure, the follow-up waits for the next read, so
    // that a get answers with the error first.
    if (result.kind == error_kind::none)
      follow_up(reply, srv, track);
    if (track.empty())
      tracks.erase(i);
    return result;
  }

  /// Reads the pending actions of one server and applies them.
  provider_error refresh(provider_reply& reply, cloud_server& srv,
                         bool listing) {
    return apply(reply, srv, read_actions(reply, due_actions(srv, listing)));
  }

  /// Resolves a 409 `uniqueness_error` of a create by looking the name up.
  provider_reply adopt(provider_reply reply, const create_request& req) {
    http_response rsp;
    if (!exchange(reply, op::lookup, "GET",
                  "/servers?name=" + url_encode(req.name), {}, rsp)) {
      // The create did not happen now; retrying it is safe.
      if (reply.error.kind == error_kind::outcome_unknown)
        reply.error.kind = error_kind::transient;
      return reply;
    }
    rapidjson::Document doc;
    auto servers = parse_json(rsp.body, doc) ? member(&doc, "servers")
                                             : nullptr;
    if (servers == nullptr || !servers->IsArray())
      return fail(std::move(reply),
                  bad_response(rsp.status, "no servers list in the name lookup",
                               rsp.body));
    auto want = req.labels.find(labels::id);
    for (const auto& item : servers->GetArray()) {
      auto srv = parse_server(&item);
      if (!srv || srv->name != req.name)
        continue;
      auto got = srv->labels.find(labels::id);
      if (want != req.labels.end() && got != srv->labels.end()
          && got->second == want->second) {
        reply.error = {};
        refresh(reply, *srv, false);
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
                           "create refused as not unique, but no server "
                           "named "
                             + req.name + " exists"));
  }
};

hetzner_provider::hetzner_provider(hetzner_options opts,
                                   std::unique_ptr<http_transport> transport,
                                   std::function<int64_t()> now_ms)
    : impl_(std::make_unique<impl>(std::move(opts), std::move(transport),
                                   std::move(now_ms))) {
  // nop
}

hetzner_provider::~hetzner_provider() = default;

std::string hetzner_provider::type_name() const {
  return "hetzner";
}

provider_capabilities hetzner_provider::capabilities() const {
  provider_capabilities result;
  result.list_by_labels = true;
  result.delete_running = true;
  result.start_stopped = true;
  result.reboot = true;
  return result;
}

provider_reply hetzner_provider::create(const create_request& req) {
  auto reply = fresh_reply();
  spec_problems problems;
  auto body = create_body(req, problems);
  if (!problems.empty())
    return fail(std::move(reply), invalid_spec(problems));
  http_response rsp;
  if (!impl_->exchange(reply, op::create, "POST", "/servers", std::move(body),
                       rsp)) {
    if (rsp.status == 409 && reply.error.code == "uniqueness_error")
      return impl_->adopt(std::move(reply), req);
    return reply;
  }
  rapidjson::Document doc;
  std::optional<cloud_server> srv;
  if (parse_json(rsp.body, doc))
    srv = parse_server(member(&doc, "server"));
  if (!srv)
    return fail(std::move(reply),
                unreadable_create_answer(rsp.status,
                                         "no server in the create answer",
                                         rsp.body));
  if (srv->labels.empty())
    srv->labels = req.labels;
  impl_->remember(srv->provider_id, doc, action_kind::create);
  if (auto next = member(&doc, "next_actions"); next && next->IsArray())
    for (const auto& item : next->GetArray())
      if (auto aid = as_id(member(&item, "id")))
        impl_->tracks[srv->provider_id].add(*aid, action_kind::create,
                                            impl_->api.now_ms());
  reply.servers.push_back(std::move(*srv));
  return reply;
}

provider_reply hetzner_provider::get(const std::string& provider_id) {
  auto reply = fresh_reply();
  http_response rsp;
  if (!impl_->exchange(reply, op::get, "GET",
                       "/servers/" + url_encode(provider_id), {}, rsp)) {
    if (reply.error.kind == error_kind::not_found)
      impl_->tracks.erase(provider_id);
    return reply;
  }
  rapidjson::Document doc;
  if (!parse_json(rsp.body, doc))
    return fail(std::move(reply),
                bad_response(rsp.status, "not JSON", rsp.body));
  auto srv = parse_server(member(&doc, "server"));
  if (!srv)
    return fail(std::move(reply),
                bad_response(rsp.status, "no server with an id", rsp.body));
  if (auto err = impl_->refresh(reply, *srv, false);
      err.kind != error_kind::none)
    return fail(std::move(reply), std::move(err));
  reply.servers.push_back(std::move(*srv));
  return reply;
}

provider_reply hetzner_provider::list(const label_map& selector) {
  auto reply = fresh_reply();
  std::string expr;
  for (const auto& [key, value] : selector) {
    if (!expr.empty())
      expr += ',';
    expr += key + "==" + value;
  }
  std::string base = "/servers?";
  if (!expr.empty())
    base += "label_selector=" + url_encode(expr) + "&";
  base += "per_page=" + std::to_string(page_size) + "&page=";
  std::vector<cloud_server> found;
  int64_t page = 1;
  for (int n = 0; n < max_pages; ++n) {
    http_response rsp;
    if (!impl_->exchange(reply, op::list, "GET", base + std::to_string(page),
                         {}, rsp))
      return reply;
    rapidjson::Document doc;
    if (!parse_json(rsp.body, doc))
      return fail(std::move(reply),
                  bad_response(rsp.status, "not JSON", rsp.body));
    auto servers = member(&doc, "servers");
    if (servers == nullptr || !servers->IsArray())
      return fail(std::move(reply),
                  bad_response(rsp.status, "no servers list", rsp.body));
    for (const auto& item : servers->GetArray())
      if (auto srv = parse_server(&item);
          srv && has_labels(srv->labels, selector))
        found.push_back(std::move(*srv));
    auto next = as_int(path(&doc, {"meta", "pagination", "next_page"}));
    if (!next || *next <= page)
      break;
    page = *next;
  }
  // The due actions of every listed server are read together, in batches.
  std::vector<std::string> due;
  for (const auto& srv : found) {
    auto ids = impl_->due_actions(srv, true);
    due.insert(due.end(), ids.begin(), ids.end());
  }
  auto reports = impl_->read_actions(reply, std::move(due));
  for (auto& srv : found)
    impl_->apply(reply, srv, reports);
  reply.servers = std::move(found);
  return reply;
}

provider_reply hetzner_provider::stop(const std::string& provider_id) {
  auto reply = impl_->action(provider_id, op::stop, "shutdown",
                             action_kind::soft_stop);
  if (reply.ok()) {
    auto& track = impl_->tracks[provider_id];
    track.soft_stop_ms = impl_->api.now_ms();
    track.hard_stop_sent = false;
  }
  return reply;
}

provider_reply hetzner_provider::start(const std::string& provider_id) {
  return impl_->action(provider_id, op::start, "poweron", action_kind::start);
}

provider_reply hetzner_provider::reboot(const std::string& provider_id) {
  return impl_->action(provider_id, op::reboot, "reboot", action_kind::reboot);
}

provider_reply hetzner_provider::destroy(const std::string& provider_id) {
  auto reply = fresh_reply();
  http_response rsp;
  if (!impl_->exchange(reply, op::destroy, "DELETE",
                       "/servers/" + url_encode(provider_id), {}, rsp)) {
    if (reply.error.kind == error_kind::not_found)
      impl_->tracks.erase(provider_id);
    return reply;
  }
  // Only the delete matters from now on.
  auto& track = impl_->tracks[provider_id];
  track = server_track{};
  rapidjson::Document doc;
  if (parse_json(rsp.body, doc))
    impl_->remember(provider_id, doc, action_kind::destroy);
  if (impl_->tracks[provider_id].empty())
    impl_->tracks.erase(provider_id);
  return reply;
}

} // namespace dynserv
