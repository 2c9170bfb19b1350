// The Hetzner Cloud action endpoints of dynserv-cloudsim: one action by id
// and hcloud-go's batch read `GET /actions?id=a&id=b`.
#pragma once

#include <string>

#include "cloudsim/inventory.hpp"
#include "cloudsim/provider_api.hpp"
#include "http/http_message.hpp"

namespace dynserv::cloudsim {

/// `GET /actions/{id}` (also under /servers/actions/ and
/// /servers/{sid}/actions/): 200 `{"action":{...}}` or 404 `not_found`.
http_response hetzner_get_action(inventory& inv, const std::string& id);

/// `GET /actions?id=a&id=b[&status=s][&sort=f[:asc|:desc]][&page][&per_page]`:
/// the Hetzner actions among the ids, unknown ids left out (hcloud-go's
/// waiter then reports them missing), paginated with `meta.pagination` and a
/// `Link` header (25 per page by default, at most 50). At least one `id` is
/// required since 2025-01-30 (422 `invalid_input` otherwise).
http_response hetzner_list_actions(inventory& inv, const api_call& call);

} // namespace dynserv::cloudsim
