// The simulated DigitalOcean API v2 (droplets, droplet actions, account)
// under /digitalocean/v2.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cloudsim/provider_api.hpp"

namespace dynserv::cloudsim {

/// DigitalOcean: Bearer auth, 202 create with links.actions, 201 actions,
/// 204 delete, 422 "pending event" while an action runs, tag_name xor name
/// filters, pagination with links.pages and meta.total, and a configurable
/// eventual-consistency window for new droplets.
class digitalocean_api : public provider_api {
public:
  using provider_api::provider_api;

  provider_kind kind() const override {
    return provider_kind::digitalocean;
  }

  op_info classify(std::string_view method, std::string_view path,
                   std::string_view body) const override;
  bool authorized(const http_request& req) const override;
  void begin_request() override;
  http_response handle(const api_call& call) override;
  http_response error(int status, std::string_view code,
                      std::string_view message, bool problem) override;
  http_response unauthorized(bool problem) override;
  http_response rate_limited(const rate_decision& d) override;
  http_response quota(const fault_rule& rule, bool problem) override;
  http_response server_error(int status, bool problem) override;
  void decorate(http_response& res) override;

  /// Creates a droplet directly in `status` (control API: orphans).
  sim_server& precreate(const std::string& name, std::vector<std::string> tags,
                        const std::string& status, int64_t now_ms);

private:
  http_response list(const api_call& call);
  http_response create(const api_call& call);
  /// The 202 body of a create: the droplet(s) and `links.actions`.
  std::string
  create_answer(const api_call& call,
                const std::vector<std::pair<std::string, uint64_t>>& created,
                bool multiple);
  http_response get(const api_call& call, const std::string& id);
  http_response remove(const api_call& call, sim_server& srv);
  http_response remove_tagged(const api_call& call);
  http_response act(const api_call& call, sim_server& srv);
  http_response act_tagged(const api_call& call);
  http_response get_action(const api_call& call, const std::string& id);
  http_response account(const api_call& call);
  /// Starts action `type` on `srv`; nullopt + error response if refused.
  std::optional<uint64_t> start(const api_call& call, sim_server& srv,
                                const std::string& type,
                                http_response* refusal);
  sim_server* visible(const api_call& call, const std::string& id);
  sim_server make_server(const std::string& name, int64_t now_ms);

  std::string request_id_;
};

} // namespace dynserv::cloudsim
