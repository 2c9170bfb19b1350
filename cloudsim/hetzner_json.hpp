// The Hetzner Cloud wire format of dynserv-cloudsim: server and action
// objects, error bodies and the server type catalogue, as hcloud-go's schema
// package reads them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cloudsim/inventory.hpp"
#include "cloudsim/provider_api.hpp"
#include "cloudsim/sim_json.hpp"
#include "http/http_message.hpp"

namespace dynserv::cloudsim {

/// One entry of the simulated server type catalogue.
struct hetzner_server_type {
  int64_t id;
  std::string_view name;
  int64_t cores;
  double memory_gb;
  int64_t disk_gb;
  std::string_view architecture;
};

/// The catalogue entry named `name`, if it is one the simulator knows.
const hetzner_server_type* hetzner_server_type_by_name(std::string_view name);

/// The catalogue entry with id `id`, if any.
const hetzner_server_type* hetzner_server_type_by_id(int64_t id);

/// True if `status` is one of Hetzner's server statuses.
bool is_hetzner_server_status(std::string_view status);

/// "running", "success" or "error".
const char* hetzner_action_status(action_status s);

/// Writes an action object (id, command, status, progress, started,
/// finished, resources, error).
void write_hetzner_action(json_writer& w, const sim_action& a);

/// Writes a server object (no `datacenter`: the API dropped it on
/// 2026-07-01).
void write_hetzner_server(json_writer& w, const sim_server& s);

/// `{"<key>": <server>}`.
std::string hetzner_single(const char* key, const sim_server& s);

/// `{"<key>": <action>}`.
std::string hetzner_single(const char* key, const sim_action& a);

/// An error answer `{"error":{code,message,details:null}}`.
http_response hetzner_error(int status, std::string_view code,
                            std::string_view message);

/// 422 `invalid_input` for `field`, with `details.fields` as in the docs.
http_response hetzner_invalid_input(const std::string& field,
                                    const std::string& message);

/// 409 `uniqueness_error` for `field`.
http_response hetzner_uniqueness_error(const std::string& field,
                                       const std::string& message);

/// Writes `"meta":{"pagination":{page,per_page,previous_page,next_page,
/// last_page,total_entries}}`.
void write_hetzner_meta(json_writer& w, const page_window& page);

/// The `Link` header of a page of `url` (prev, next, last).
std::string hetzner_link_header(const std::string& url, const query_params& q,
                                const page_window& page);

/// One page of a list answer, as every Hetzner list endpoint gives it:
/// `{"<key>":[...],"meta":{...}}` with a `Link` header, the page chosen by
/// the call's `page`/`per_page` (25 by default, at most 50), each item
/// written by `write_item`. 422 `invalid_input` for a bad page.
template <class Item, class WriteItem>
http_response hetzner_list_page(const api_call& call, const char* key,
                                const std::string& path,
                                const std::vector<const Item*>& items,
                                WriteItem write_item) {
  std::string err;
  auto page = paginate(call.query, items.size(), 25, 50, &err);
  if (!page)
    return hetzner_invalid_input("page", err);
  rapidjson::StringBuffer sb;
  json_writer w{sb};
  w.StartObject();
  w.Key(key);
  w.StartArray();
  for (auto i = page->first; i < page->end; ++i)
    write_item(w, *items[i]);
  w.EndArray();
  write_hetzner_meta(w, *page);
  w.EndObject();
  auto res = json_response(200, sb.GetString());
  set_header(res.headers, "Link",
             hetzner_link_header(call.base_url + path, call.query, *page));
  return res;
}

} // namespace dynserv::cloudsim
