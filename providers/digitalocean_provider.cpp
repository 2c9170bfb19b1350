// The DigitalOcean provider: API v2 over an `http_transport`.
#include "providers/digitalocean_provider.hpp"

#include <cctype>
#include <map>

#include <rapidjson/document.h>

#include "http/http_client.hpp"
#include "providers/http_provider_support.hpp"

namespace dynserv {

using namespace http_support;

namespace {

/// DigitalOcean's maximum page size.
constexpr int page_size = 200;

/// Stops following `links.pages.next` after this many pages.
constexpr int max_pages = 1000;

/// A droplet this provider created and that a read answers with 404 within
/// this time is reported as provisioning: the API lags behind its creates.
constexpr int64_t create_grace_ms = 60'000;

/// DigitalOcean's limit on the length of a tag.
constexpr size_t max_tag_size = 255;

enum class op { create, get, list, stop, start, reboot, destroy };

/// `{"id":"not_found","message":"...","request_id":"..."}`.
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
  auto id = as_string(member(&doc, "id"));
  if (!id || id->empty())
    return result;
  result.parsed = true;
  result.code = std::move(*id);
  result.message = as_string(member(&doc, "message")).value_or("");
  return result;
}

bool contains_nocase(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size())
    return false;
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i)
    if (iequals(haystack.substr(i, needle.size()), needle))
      return true;
  return false;
}

/// Maps an HTTP error answer (status >= 300).
provider_error classify(const http_response& rsp, op call, int64_t now_ms) {
  auto body = parse_error_body(rsp.body);
  auto status = rsp.status;
  auto code = body.parsed ? body.code : std::to_string(status);
  auto message = body.parsed ? body.message
                             : "HTTP " + std::to_string(status) + ": "
                                 + excerpt(rsp.body);
  if (status == 429) {
    // Burst 429s carry Retry-After; an exhausted hourly budget is full
    // again when its oldest request expires (RateLimit-Reset).
    auto wait = rate_limit_wait(rsp, now_ms, true, 1000);
    return make_error(error_kind::rate_limited, code, message, wait);
  }
  if (status >= 500 || status == 408)
    return make_error(error_kind::transient, code, message);
  if (status == 401 || status == 403)
    return make_error(error_kind::permanent, code, message);
  if (!body.parsed)
    return bad_response(status, "no DigitalOcean error body", rsp.body);
  if (status == 404) {
    if (body.code == "not_found" && call != op::list)
      return make_error(call == op::create ? error_kind::permanent
                                           : error_kind::not_found,
                        code, message);
    return make_error(error_kind::transient, code, message);
  }
  if (status == 422 && contains_nocase(body.message, "pending event"))
    return make_error(error_kind::conflict, code, message);
  if (status == 409 || status == 423)
    return make_error(error_kind::conflict, code, message);
  // Validation and the droplet limit ("will exceed your droplet limit").
  return make_error(error_kind::permanent, code, message);
}

bool plain_tag_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
}

std::string encode_part(const std::string& x) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string result;
  for (auto c : x) {
    if (plain_tag_char(c)) {
      result += c;
    } else {
      auto b = static_cast<unsigned char>(c);
      result += '_';
      result += hex[b >> 4];
      result += hex[b & 15];
    }
  }
  return result;
}

std::optional<std::string> decode_part(std::string_view x) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  };
  std::string result;
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i] != '_') {
      if (!plain_tag_char(x[i]))
        return std::nullopt;
      result += x[i];
      continue;
    }
    if (i + 2 >= x.size())
      return std::nullopt;
    auto hi = nibble(x[i + 1]);
    auto lo = nibble(x[i + 2]);
    if (hi < 0 || lo < 0)
      return std::nullopt;
    result += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return result;
}

std::optional<cloud_server> parse_droplet(const rapidjson::Value* x) {
  auto id = as_id(member(x, "id"));
  if (!id)
    return std::nullopt;
  cloud_server result;
  result.provider_id = std::move(*id);
  result.name = as_string(member(x, "name")).value_or("");
  if (auto tags = member(x, "tags"); tags && tags->IsArray())
    for (const auto& tag : tags->GetArray())
      if (auto str = as_string(&tag))
        if (auto kvp = decode_digitalocean_tag(*str))
          result.labels.emplace(std::move(kvp->first), std::move(kvp->second));
  result.raw_state = as_string(member(x, "status")).value_or("");
  result.state = map_digitalocean_state(result.raw_state);
  if (auto created = as_string(member(x, "created_at")))
    result.created_at_ms = parse_rfc3339(*created).value_or(0);
  return result;
}

/// True if a listed droplet's `raw` status already shows how an action of
/// `kind` ended (successfully), so that reading the action can tell nothing
/// new. A reboot or delete cannot be seen this way.
bool shows_outcome(action_kind kind, std::string_view raw) {
  switch (kind) {
    case action_kind::create:
    case action_kind::start: return raw == "active";
    case action_kind::soft_stop:
    case action_kind::hard_stop: return raw == "off";
    case action_kind::reboot:
    case action_kind::destroy: return false;
  }
  return false;
}

std::optional<std::string> action_id(const rapidjson::Value& doc) {
  return as_id(path(&doc, {"action", "id"}));
}

/// The `page` parameter of a `links.pages.next` URL.
std::optional<int64_t> page_of(const std::string& url) {
  auto q = url.find('?');
  if (q == std::string::npos)
    return std::nullopt;
  for (const auto& [key, value] : parse_query(url.substr(q + 1)))
    if (key == "page") {
      rapidjson::Value tmp{value.c_str(),
                           static_cast<rapidjson::SizeType>(value.size())};
      return as_int(&tmp);
    }
  return std::nullopt;
}

// -- create body --------------------------------------------------------------

const std::initializer_list<spec_key> spec_keys = {
  {"region", spec_type::string, true},
  {"size", spec_type::string, true},
  {"image", spec_type::string_or_integer, true},
  {"ssh_keys", spec_type::id_array},
  {"user_data", spec_type::string},
  {"ipv6", spec_type::boolean},
  {"monitoring", spec_type::boolean},
  {"backups", spec_type::boolean},
  {"with_droplet_agent", spec_type::boolean},
  // Newer create fields (godo v1.201.0's DropletCreateRequest).
  {"public_networking", spec_type::boolean},
  {"backup_policy", spec_type::object},
  {"gpu_partition_mode", spec_type::string},
  {"vpc_uuid", spec_type::string},
  {"volumes", spec_type::string_array},
  {"tags", spec_type::string_array},
  {"labels", spec_type::string_map},
};

void check(const rapidjson::Value& spec, spec_problems& problems) {
  check_spec(spec, spec_keys, {"name", "names"}, problems);
  if (auto tags = member(&spec, "tags"); tags && tags->IsArray()) {
    for (rapidjson::SizeType i = 0; i < tags->Size(); ++i) {
      auto tag = as_string(&(*tags)[i]);
      if (!tag)
        continue;
      auto ok = !tag->empty() && tag->size() <= max_tag_size;
      for (auto c : *tag)
        ok = ok && (plain_tag_char(c) || c == ':' || c == '_');
      if (!ok)
        problems.emplace_back("tags[" + std::to_string(i) + "]",
                              "tags take 1 to 255 letters, digits, ':', '-' "
                              "and '_'");
    }
  }
}

std::string create_body(const create_request& req, spec_problems& problems) {
  rapidjson::Document spec;
  if (!parse_spec(req.spec, spec, problems))
    return {};
  check(spec, problems);
  auto all = as_label_object(member(&spec, "labels"));
  for (const auto& [key, value] : req.labels)
    all[key] = value;
  std::vector<std::string> tags;
  for (const auto& [key, value] : all) {
    tags.push_back(encode_digitalocean_tag(key, value));
    if (tags.back().size() > max_tag_size)
      problems.emplace_back("labels." + key,
                            "longer than 255 characters as a tag");
  }
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
  for (auto i = spec.MemberBegin(); i != spec.MemberEnd(); ++i) {
    std::string_view key{i->name.GetString()};
    if (key != "labels" && key != "tags")
      doc.AddMember(rapidjson::Value{i->name, alloc},
                    rapidjson::Value{i->value, alloc}, alloc);
  }
  rapidjson::Value list{rapidjson::kArrayType};
  if (auto extra = member(&spec, "tags"))
    for (const auto& tag : extra->GetArray())
      list.PushBack(rapidjson::Value{tag, alloc}, alloc);
  for (const auto& tag : tags)
    list.PushBack(str(tag), alloc);
  doc.AddMember("tags", list, alloc);
  return to_json(doc);
}

} // namespace

cloud_state map_digitalocean_state(std::string_view raw) {
  if (raw == "new")
    return cloud_state::provisioning;
  if (raw == "active")
    return cloud_state::running;
  if (raw == "off")
    return cloud_state::stopped;
  // A destroyed droplet kept in the archive: on its way out, never back.
  if (raw == "archive")
    return cloud_state::deleting;
  return cloud_state::unknown;
}

std::string encode_digitalocean_tag(const std::string& key,
                                    const std::string& value) {
  return encode_part(key) + ":" + encode_part(value);
}

std::optional<std::pair<std::string, std::string>>
decode_digitalocean_tag(const std::string& tag) {
  auto colon = tag.find(':');
  if (colon == std::string::npos || colon == 0)
    return std::nullopt;
  auto key = decode_part(std::string_view{tag}.substr(0, colon));
  auto value = decode_part(std::string_view{tag}.substr(colon + 1));
  if (!key || !value)
    return std::nullopt;
  return std::make_pair(std::move(*key), std::move(*value));
}

std::vector<std::pair<std::string, std::string>>
validate_digitalocean_spec(const std::string& spec_json) {
  spec_problems problems;
  rapidjson::Document spec;
  if (parse_spec(spec_json, spec, problems))
    check(spec, problems);
  return problems;
}

// -- state --------------------------------------------------------------------

struct digitalocean_provider::impl {
  digitalocean_options opts;
  api_client api;
  /// Droplets with pending actions or a soft stop in progress, by id.
  std::map<std::string, server_track> tracks;

  /// A droplet this provider created recently.
  struct recent_create {
    int64_t at_ms = 0;
    std::string name;
    label_map labels;
  };

  std::map<std::string, recent_create> recent;

  impl(digitalocean_options o, std::unique_ptr<http_transport> transport,
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

  /// Runs a request on behalf of a read and charges it to `reply`.
  bool side_request(provider_reply& reply, op call, std::string_view method,
                    std::string target, std::string body, http_response& rsp,
                    provider_error* err = nullptr) {
    auto scratch = fresh_reply();
    auto ok = exchange(scratch, call, method, std::move(target),
                       std::move(body), rsp);
    reply.requests += scratch.requests;
    if (scratch.budget.known())
      reply.budget = scratch.budget;
    if (err != nullptr)
      *err = scratch.error;
    return ok;
  }

  /// Sends a droplet action of `type`, remembered as `kind`.
  bool send_action(provider_reply& reply, const std::string& id,
                   const char* type, action_kind kind, bool side) {
    std::string body = R"({"type":")";
    body += type;
    body += "\"}";
    auto target = "/droplets/" + url_encode(id) + "/actions";
    http_response rsp;
    auto ok = side ? side_request(reply, op::stop, "POST", std::move(target),
                                  std::move(body), rsp)
                   : exchange(reply,
                              kind == action_kind::reboot  ? op::reboot
                              : kind == action_kind::start ? op::start
                                                           : op::stop,
                              "POST", std::move(target), std::move(body), rsp);
    if (!ok)
      return false;
    rapidjson::Document doc;
    if (parse_json(rsp.body, doc))
      if (auto aid = action_id(doc))
        tracks[id].add(*aid, kind, api.now_ms());
    return true;
  }

  provider_reply action(const std::string& id, const char* type,
                        action_kind kind) {
    auto reply = fresh_reply();
    if (!send_action(reply, id, type, kind, false)
        && reply.error.kind == error_kind::not_found)
      forget(id);
    return reply;
  }

  void forget(const std::string& id) {
    tracks.erase(id);
    recent.erase(id);
  }

  /// Like the Hetzner provider's: reads pending actions, follows up a soft
  /// stop, adjusts the state. Returns the error a get reports. A `listing`
  /// forgets actions whose outcome the status shows and reads the others at
  /// most once per `action_read_interval_ms`; a get reads all.
  provider_error refresh(provider_reply& reply, cloud_server& srv,
                         bool listing) {
    recent.erase(srv.provider_id);
    provider_error result;
    auto i = tracks.find(srv.provider_id);
    if (i == tracks.end())
      return result;
    auto& track = i->second;
    auto now = api.now_ms();
    for (auto a = track.actions.begin(); a != track.actions.end();) {
      if (listing) {
        if (shows_outcome(a->second.kind, srv.raw_state)) {
          a = track.actions.erase(a);
          continue;
        }
        if (now < a->second.next_read_ms) {
          ++a;
          continue;
        }
      }
      a->second.next_read_ms = now + action_read_interval_ms;
      http_response rsp;
      provider_error err;
      if (!side_request(reply, op::get, "GET",
                        "/actions/" + url_encode(a->first), {}, rsp, &err)) {
        if (err.kind == error_kind::not_found)
          a = track.actions.erase(a);
        else
          ++a;
        continue;
      }
      rapidjson::Document doc;
      auto status = parse_json(rsp.body, doc)
                      ? as_string(path(&doc, {"action", "status"}))
                      : std::nullopt;
      if (!status || *status == "in-progress") {
        ++a;
        continue;
      }
      auto kind = a->second.kind;
      auto aid = a->first;
      a = track.actions.erase(a);
      if (*status != "errored")
        continue;
      auto type = as_string(path(&doc, {"action", "type"})).value_or("action");
      switch (kind) {
        case action_kind::create:
          // DigitalOcean says no more than "errored": the droplet will
          // never run.
          track.create_failure = make_error(error_kind::permanent, "errored",
                                            type + " action " + aid
                                              + " of droplet " + srv.provider_id
                                              + " errored");
          break;
        case action_kind::soft_stop:
        case action_kind::hard_stop:
          track.soft_stop_ms = now - opts.stop_timeout.count();
          track.hard_stop_sent = false;
          result = make_error(error_kind::transient, "action_failed",
                              type + " of droplet " + srv.provider_id
                                + " errored");
          break;
        case action_kind::destroy:
        case action_kind::start:
        case action_kind::reboot: break;
      }
    }
    if (track.create_failure.kind != error_kind::none)
      mark_create_failed(srv, track.create_failure);
    for (const auto& [aid, pending] : track.actions) {
      if (srv.raw_state != "active")
        break;
      auto kind = pending.kind;
      if (kind == action_kind::reboot)
        srv.state = cloud_state::rebooting;
      else if (kind == action_kind::soft_stop || kind == action_kind::hard_stop)
        srv.state = cloud_state::stopping;
    }
    // After reporting a failure, the follow-up waits for the next read, so
    // that a get answers with the error first.
    if (result.kind == error_kind::none && track.soft_stop_ms >= 0) {
      if (srv.raw_state == "off") {
        track.soft_stop_ms = -1;
        track.hard_stop_sent = false;
      } else if (srv.raw_state == "active" && !track.hard_stop_sent
                 && now - track.soft_stop_ms >= opts.stop_timeout.count()) {
        // One action at a time: a pending shutdown would make this a 422.
        auto busy = false;
        for (const auto& [aid, pending] : track.actions)
          busy = busy || pending.kind == action_kind::soft_stop;
        if (!busy
            && send_action(reply, srv.provider_id, "power_off",
                           action_kind::hard_stop, true)) {
          track.hard_stop_sent = true;
          srv.state = cloud_state::stopping;
        }
      }
    }
    if (track.empty())
      tracks.erase(i);
    return result;
  }
};

digitalocean_provider::digitalocean_provider(
  digitalocean_options opts, std::unique_ptr<http_transport> transport,
  std::function<int64_t()> now_ms)
    : impl_(std::make_unique<impl>(std::move(opts), std::move(transport),
                                   std::move(now_ms))) {
  // nop
}

digitalocean_provider::~digitalocean_provider() = default;

std::string digitalocean_provider::type_name() const {
  return "digitalocean";
}

provider_capabilities digitalocean_provider::capabilities() const {
  provider_capabilities result;
  // One tag on the server side, the rest of the selector client-side.
  result.list_by_labels = false;
  result.delete_running = true;
  result.start_stopped = true;
  result.reboot = true;
  return result;
}

provider_reply digitalocean_provider::create(const create_request& req) {
  auto reply = fresh_reply();
  spec_problems problems;
  auto body = create_body(req, problems);
  if (!problems.empty())
    return fail(std::move(reply), invalid_spec(problems));
  http_response rsp;
  if (!impl_->exchange(reply, op::create, "POST", "/droplets", std::move(body),
                       rsp))
    return reply;
  rapidjson::Document doc;
  std::optional<cloud_server> srv;
  if (parse_json(rsp.body, doc))
    srv = parse_droplet(member(&doc, "droplet"));
  if (!srv)
    return fail(std::move(reply),
                unreadable_create_answer(rsp.status,
                                         "no droplet in the create answer",
                                         rsp.body));
  if (srv->labels.empty())
    srv->labels = req.labels;
  auto& id = srv->provider_id;
  if (auto actions = path(&doc, {"links", "actions"});
      actions && actions->IsArray())
    for (const auto& item : actions->GetArray())
      if (auto aid = as_id(member(&item, "id")))
        impl_->tracks[id].add(*aid, action_kind::create, impl_->api.now_ms());
  impl_->recent[id] = {impl_->api.now_ms(), srv->name, srv->labels};
  reply.servers.push_back(std::move(*srv));
  return reply;
}

provider_reply digitalocean_provider::get(const std::string& provider_id) {
  auto reply = fresh_reply();
  http_response rsp;
  if (!impl_->exchange(reply, op::get, "GET",
                       "/droplets/" + url_encode(provider_id), {}, rsp)) {
    if (reply.error.kind != error_kind::not_found)
      return reply;
    auto i = impl_->recent.find(provider_id);
    auto now = impl_->api.now_ms();
    if (i != impl_->recent.end() && now - i->second.at_ms < create_grace_ms) {
      cloud_server srv;
      srv.provider_id = provider_id;
      srv.name = i->second.name;
      srv.labels = i->second.labels;
      srv.state = cloud_state::provisioning;
      srv.raw_state = "new";
      reply.error = {};
      reply.servers.push_back(std::move(srv));
      return reply;
    }
    impl_->forget(provider_id);
    return reply;
  }
  rapidjson::Document doc;
  if (!parse_json(rsp.body, doc))
    return fail(std::move(reply),
                bad_response(rsp.status, "not JSON", rsp.body));
  auto srv = parse_droplet(member(&doc, "droplet"));
  if (!srv)
    return fail(std::move(reply),
                bad_response(rsp.status, "no droplet with an id", rsp.body));
  if (auto err = impl_->refresh(reply, *srv, false);
      err.kind != error_kind::none)
    return fail(std::move(reply), std::move(err));
  reply.servers.push_back(std::move(*srv));
  return reply;
}

provider_reply digitalocean_provider::list(const label_map& selector) {
  auto reply = fresh_reply();
  std::string base = "/droplets?";
  if (!selector.empty()) {
    // Only one tag is filtered on the server side: the server's own id
    // matches at most one droplet, the owner a fleet; any label works.
    auto i = selector.find(labels::id);
    if (i == selector.end())
      i = selector.find(labels::owner);
    if (i == selector.end())
      i = selector.begin();
    base += "tag_name="
            + url_encode(encode_digitalocean_tag(i->first, i->second)) + "&";
  }
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
    auto droplets = member(&doc, "droplets");
    if (droplets == nullptr || !droplets->IsArray())
      return fail(std::move(reply),
                  bad_response(rsp.status, "no droplets list", rsp.body));
    for (const auto& item : droplets->GetArray())
      if (auto srv = parse_droplet(&item);
          srv && has_labels(srv->labels, selector))
        found.push_back(std::move(*srv));
    auto next = as_string(path(&doc, {"links", "pages", "next"}));
    if (!next || next->empty())
      break;
    auto next_page = page_of(*next).value_or(page + 1);
    if (next_page <= page)
      break;
    page = next_page;
  }
  for (auto& srv : found)
    impl_->refresh(reply, srv, true);
  reply.servers = std::move(found);
  return reply;
}

provider_reply digitalocean_provider::stop(const std::string& provider_id) {
  auto reply = impl_->action(provider_id, "shutdown", action_kind::soft_stop);
  if (reply.ok()) {
    auto& track = impl_->tracks[provider_id];
    track.soft_stop_ms = impl_->api.now_ms();
    track.hard_stop_sent = false;
  }
  return reply;
}

provider_reply digitalocean_provider::start(const std::string& provider_id) {
  return impl_->action(provider_id, "power_on", action_kind::start);
}

provider_reply digitalocean_provider::reboot(const std::string& provider_id) {
  return impl_->action(provider_id, "reboot", action_kind::reboot);
}

provider_reply digitalocean_provider::destroy(const std::string& provider_id) {
  auto reply = fresh_reply();
  http_response rsp;
  if (impl_->exchange(reply, op::destroy, "DELETE",
                      "/droplets/" + url_encode(provider_id), {}, rsp)
      || reply.error.kind == error_kind::not_found)
    impl_->forget(provider_id);
  return reply;
}

} // namespace dynserv
