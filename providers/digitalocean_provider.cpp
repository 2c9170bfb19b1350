// The DigitalOcean provider: API v2's dialect of the REST cloud core.
#include "providers/digitalocean_provider.hpp"

#include <cctype>
#include <map>

#include <rapidjson/document.h>

#include "http/http_client.hpp"
#include "providers/action_following_dialect.hpp"
#include "providers/http_provider_support.hpp"

namespace dynserv {

using namespace http_support;

namespace {

/// DigitalOcean's maximum page size.
constexpr int page_size = 200;

/// A droplet this provider created and that a read answers with 404 within
/// this time is reported as provisioning: the API lags behind its creates.
constexpr int64_t create_grace_ms = 60'000;

/// DigitalOcean's limit on the length of a tag.
constexpr size_t max_tag_size = 255;

bool contains_nocase(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size())
    return false;
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i)
    if (iequals(haystack.substr(i, needle.size()), needle))
      return true;
  return false;
}

/// Maps an HTTP error answer (status >= 300).
provider_error classify_answer(const http_response& rsp, rest_op call,
                               int64_t now_ms) {
  // `{"id":"not_found","message":"...","request_id":"..."}`.
  auto body = read_error_body(rsp.body, nullptr, "id", "message");
  // Burst 429s carry Retry-After; an exhausted hourly budget is full again
  // when its oldest request expires (RateLimit-Reset).
  if (auto err = classify_common(rsp, body, call,
                                 {"DigitalOcean", rsp.status == 429, true,
                                  false, "not_found", false},
                                 now_ms))
    return *err;
  auto status = rsp.status;
  if (status == 422 && contains_nocase(body.message, "pending event"))
    return make_error(error_kind::conflict, body.code, body.message);
  if (status == 409 || status == 423)
    return make_error(error_kind::conflict, body.code, body.message);
  // Validation and the droplet limit ("will exceed your droplet limit").
  return make_error(error_kind::permanent, body.code, body.message);
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

/// Labels from the tags made by `encode_digitalocean_tag`; other tags are
/// skipped.
label_map labels_of_tags(const rapidjson::Value* droplet) {
  label_map result;
  if (auto tags = member(droplet, "tags"); tags && tags->IsArray())
    for (const auto& tag : tags->GetArray())
      if (auto str = as_string(&tag))
        if (auto kvp = decode_digitalocean_tag(*str))
          result.emplace(std::move(kvp->first), std::move(kvp->second));
  return result;
}

std::optional<cloud_server> parse_droplet(const rapidjson::Value* x) {
  static constexpr server_fields fields{"id",
                                        false,
                                        "name",
                                        "status",
                                        "created_at",
                                        false,
                                        map_digitalocean_state,
                                        labels_of_tags};
  return read_server_fields(x, fields);
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

/// What one action object says. DigitalOcean's actions carry no error
/// object, so a failed one is told in its own words.
action_report read_report(const rapidjson::Value& x) {
  action_report result;
  auto status = as_string(member(&x, "status"));
  if (!status || *status == "in-progress")
    return result;
  if (*status != "errored") {
    result.status = action_status::succeeded;
    return result;
  }
  result.status = action_status::failed;
  result.code = "errored";
  result.message = as_string(member(&x, "type")).value_or("action") + " action "
                   + as_id(member(&x, "id")).value_or("?");
  if (auto droplet = as_id(member(&x, "resource_id")))
    result.message += " of droplet " + *droplet;
  result.message += " errored";
  return result;
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

std::string build_create_body(const create_request& req,
                              spec_problems& problems) {
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
  auto str = [&](const std::string& x) { return json_string(x, alloc); };
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
  // An archived droplet was destroyed and is kept in the archive: on its
  // way out, never back.
  return state_from(raw, {{"new", cloud_state::provisioning},
                          {"active", cloud_state::running},
                          {"off", cloud_state::stopped},
                          {"archive", cloud_state::deleting}});
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
  return validate_spec(spec_json, check);
}

// -- the dialect --------------------------------------------------------------

namespace {

/// DigitalOcean: labels travel as tags, lists filter on one tag and follow
/// `links.pages.next`, one action runs at a time, and a fresh droplet may
/// read 404 for a while.
class digitalocean_dialect : public action_following_dialect {
public:
  // `list_by_labels` is false: one tag is filtered on the server side, the
  // rest of the selector here.
  explicit digitalocean_dialect(const digitalocean_options& opts)
    : action_following_dialect({"digitalocean",
                                {false, true, true, true},
                                "/droplets",
                                "droplet",
                                {"shutdown", "power_off", "power_on", "reboot"},
                                bearer_auth(opts.api.token),
                                build_create_body,
                                parse_droplet,
                                classify_answer},
                               rules_for(opts)) {
    // nop
  }

  /// `POST /droplets/{id}/actions {"type":"<word>"}`.
  rest_request power_request(const std::string& id,
                             action_kind kind) const override {
    return {"POST", server_path(id) + "/actions",
            std::string{R"({"type":")"} + power_word(kind) + "\"}"};
  }

  std::string list_target(const label_map& selector,
                          int64_t page) const override {
    std::string result = "/droplets?";
    if (!selector.empty()) {
      // Only one tag is filtered on the server side: the server's own id
      // matches at most one droplet, the owner a fleet; any label works.
      auto i = selector.find(labels::id);
      if (i == selector.end())
        i = selector.find(labels::owner);
      if (i == selector.end())
        i = selector.begin();
      result += "tag_name="
                + url_encode(encode_digitalocean_tag(i->first, i->second))
                + "&";
    }
    return result + "per_page=" + std::to_string(page_size)
           + "&page=" + std::to_string(page);
  }

  rest_page read_page(const rapidjson::Value& doc,
                      int64_t page) const override {
    auto result = array_page(doc, "droplets");
    auto next = as_string(path(&doc, {"links", "pages", "next"}));
    if (next && !next->empty())
      result.next = page_of(*next).value_or(page + 1);
    return result;
  }

  void created(rest_session& session, const rapidjson::Value& doc,
               const cloud_server& srv) override {
    remember_created(session, srv, path(&doc, {"links", "actions"}));
    recent_[srv.provider_id] = {session.now_ms(), srv.name, srv.labels};
  }

  void deleted(rest_session& session, const std::string& id,
               const rapidjson::Value* doc) override {
    recent_.erase(id);
    action_following_dialect::deleted(session, id, doc);
  }

  /// The API lags behind its creates: a droplet this provider created less
  /// than `create_grace_ms` ago and has not seen since is provisioning.
  provider_reply get_not_found(rest_session& session, provider_reply reply,
                               const std::string& id) override {
    auto i = recent_.find(id);
    if (i == recent_.end()
        || session.now_ms() - i->second.at_ms >= create_grace_ms) {
      forget(id);
      return reply;
    }
    cloud_server srv;
    srv.provider_id = id;
    srv.name = i->second.name;
    srv.labels = i->second.labels;
    srv.state = cloud_state::provisioning;
    srv.raw_state = "new";
    reply.error = {};
    reply.servers.push_back(std::move(srv));
    return reply;
  }

  void forget(const std::string& id) override {
    recent_.erase(id);
    action_following_dialect::forget(id);
  }

  provider_error refresh(rest_session& session, provider_reply& reply,
                         cloud_server& srv) override {
    recent_.erase(srv.provider_id);
    return action_following_dialect::refresh(session, reply, srv);
  }

  void refresh_listed(rest_session& session, provider_reply& reply,
                      std::vector<cloud_server>& servers) override {
    for (const auto& srv : servers)
      recent_.erase(srv.provider_id);
    action_following_dialect::refresh_listed(session, reply, servers);
  }

private:
  static rules rules_for(const digitalocean_options& opts) {
    // An active droplet shows no stopping state of its own, and a second
    // action while one is pending is refused ("pending event").
    return {"active",          "off",      "deleting", true, true,
            opts.stop_timeout, read_report};
  }

  /// A droplet this provider created recently.
  struct recent_create {
    int64_t at_ms = 0;
    std::string name;
    label_map labels;
  };

  std::map<std::string, recent_create> recent_;
};

} // namespace

digitalocean_provider::digitalocean_provider(
  digitalocean_options opts, std::unique_ptr<http_transport> transport,
  std::function<int64_t()> now_ms)
  : rest_cloud_provider(std::make_unique<digitalocean_dialect>(opts),
                        std::move(transport), std::move(now_ms)) {
  // nop
}

} // namespace dynserv
