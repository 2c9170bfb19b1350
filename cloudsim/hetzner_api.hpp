// The simulated Hetzner Cloud API (servers and actions) under /hetzner/v1.
#pragma once

#include "cloudsim/provider_api.hpp"

namespace dynserv::cloudsim {

/// Hetzner Cloud: Bearer auth, 201 + action for every change, 423 locked
/// while an action runs, unique names (409 uniqueness_error), label
/// selectors, pagination with meta.pagination and Link.
class hetzner_api : public provider_api {
public:
  using provider_api::provider_api;

  provider_kind kind() const override {
    return provider_kind::hetzner;
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

  /// Creates a server directly in `status` (control API: orphans).
  sim_server& precreate(const std::string& name, label_list labels,
                        const std::string& status, int64_t now_ms);

private:
  http_response list(const api_call& call);
  http_response create(const api_call& call);
  http_response get(const api_call& call, const std::string& id);
  http_response update(const api_call& call, sim_server& srv);
  http_response remove(const api_call& call, sim_server& srv);
  http_response power(const api_call& call, sim_server& srv,
                      const std::string& verb);
  /// Queues the end of create_server (and start_server, if `start_id`), or
  /// their failure under fault `action_error`.
  void schedule_create(const api_call& call, sim_server& srv,
                       uint64_t create_id, uint64_t start_id, bool bulk);
  sim_server* visible(const api_call& call, const std::string& id);
  sim_server make_server(const std::string& name, int64_t now_ms);

  std::string correlation_id_;
};

} // namespace dynserv::cloudsim
