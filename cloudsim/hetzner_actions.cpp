// The Hetzner Cloud action endpoints of dynserv-cloudsim.
#include "cloudsim/hetzner_actions.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <vector>

#include "cloudsim/hetzner_json.hpp"

namespace dynserv::cloudsim {

namespace {

/// Fields `sort` accepts on GET /actions (the docs' list).
constexpr std::array<std::string_view, 6> sort_fields{
  "id", "command", "status", "progress", "started", "finished"};

/// Compares two actions by `field`; stable sorting keeps the earlier keys.
bool less_by(std::string_view field, const sim_action& a, const sim_action& b) {
  if (field == "command")
    return a.command < b.command;
  if (field == "status")
    return std::string_view{hetzner_action_status(a.status)}
           < std::string_view{hetzner_action_status(b.status)};
  if (field == "progress")
    return a.progress < b.progress;
  if (field == "started")
    return a.started_ms < b.started_ms;
  if (field == "finished")
    return a.finished_ms < b.finished_ms;
  return a.id < b.id;
}

/// Sorts `items` by every `sort` parameter, the first one leading; nullopt
/// with the bad value when one is not a known field and direction.
std::optional<std::string> sort_actions(std::vector<const sim_action*>& items,
                                        const query_params& q) {
  auto keys = query_values(q, "sort");
  // Applying the keys from last to first with a stable sort makes the first
  // key the primary one.
  for (auto i = keys.rbegin(); i != keys.rend(); ++i) {
    auto colon = i->find(':');
    auto field = i->substr(0, colon);
    auto dir = colon == std::string::npos ? "asc" : i->substr(colon + 1);
    if (std::find(sort_fields.begin(), sort_fields.end(), field)
          == sort_fields.end()
        || (dir != "asc" && dir != "desc"))
      return *i;
    bool desc = dir == "desc";
    std::stable_sort(items.begin(), items.end(), [&](auto a, auto b) {
      return desc ? less_by(field, *b, *a) : less_by(field, *a, *b);
    });
  }
  return std::nullopt;
}

} // namespace

http_response hetzner_get_action(inventory& inv, const std::string& id) {
  auto n = parse_int(id);
  auto act = n && *n > 0 ? inv.action(static_cast<uint64_t>(*n)) : nullptr;
  if (act == nullptr || act->provider != provider_kind::hetzner)
    return hetzner_error(404, "not_found",
                         "action with ID '" + id + "' not found");
  return json_response(200, hetzner_single("action", *act));
}

http_response hetzner_list_actions(inventory& inv, const api_call& call) {
  auto ids = query_values(call.query, "id");
  if (ids.empty())
    return hetzner_invalid_input("id", "is required");
  std::vector<const sim_action*> items;
  for (auto& id : ids) {
    auto n = parse_int(id);
    if (!n || *n < 1)
      return hetzner_invalid_input("id", "invalid ID '" + id + "'");
    auto act = inv.action(static_cast<uint64_t>(*n));
    if (act != nullptr && act->provider == provider_kind::hetzner
        && std::find(items.begin(), items.end(), act) == items.end())
      items.push_back(act);
  }
  auto wanted = query_values(call.query, "status");
  for (auto& st : wanted)
    if (st != "running" && st != "success" && st != "error")
      return hetzner_invalid_input("status", "invalid status '" + st + "'");
  if (!wanted.empty())
    items.erase(std::remove_if(items.begin(), items.end(),
                               [&](const sim_action* a) {
                                 return std::find(
                                          wanted.begin(), wanted.end(),
                                          hetzner_action_status(a->status))
                                        == wanted.end();
                               }),
                items.end());
  std::sort(items.begin(), items.end(),
            [](auto a, auto b) { return a->id < b->id; });
  if (auto bad = sort_actions(items, call.query))
    return hetzner_invalid_input("sort", "invalid sort '" + *bad + "'");
  return hetzner_list_page(call, "actions", "/actions", items,
                           &write_hetzner_action);
}

} // namespace dynserv::cloudsim
