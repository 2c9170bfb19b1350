// The simulated UpCloud API 1.3 (servers, storages, account) under
// /upcloud/1.3.
#pragma once

#include "cloudsim/provider_api.hpp"

namespace dynserv::cloudsim {

/// UpCloud: HTTP Basic (or Bearer) auth, wrapper keys, numbers as strings,
/// yes/no booleans, singular-key list wrappers, 409 SERVER_STATE_ILLEGAL
/// guards, legacy error bodies with an RFC 7807 variant.
class upcloud_api : public provider_api {
public:
  using provider_api::provider_api;

  provider_kind kind() const override {
    return provider_kind::upcloud;
  }

  op_info classify(std::string_view method, std::string_view path,
                   std::string_view body) const override;
  bool authorized(const http_request& req) const override;
  http_response handle(const api_call& call) override;
  http_response error(int status, std::string_view code,
                      std::string_view message, bool problem) override;
  http_response unauthorized(bool problem) override;
  http_response rate_limited(const rate_decision& d) override;
  http_response quota(const fault_rule& rule, bool problem) override;
  http_response server_error(int status, bool problem) override;
  void decorate(http_response& res) override;

  /// Creates a server directly in `state` (control API: orphans).
  sim_server& precreate(const std::string& name, label_list labels,
                        const std::string& state, int64_t now_ms);

private:
  http_response list(const api_call& call);
  http_response create(const api_call& call);
  http_response get(const api_call& call, const std::string& id);
  http_response modify(const api_call& call, sim_server& srv);
  http_response start(const api_call& call, sim_server& srv);
  http_response stop(const api_call& call, sim_server& srv);
  http_response restart(const api_call& call, sim_server& srv);
  http_response remove(const api_call& call, sim_server& srv);
  http_response account(const api_call& call);
  http_response storage(const api_call& call, const std::string& id);
  http_response details(int status, const sim_server& srv,
                        const std::string& password = {});
  http_response illegal_state(const api_call& call, const sim_server& srv);
  http_response bad_request(const api_call& call, std::string_view code,
                            std::string_view message);
  void enter_error(const api_call& call, sim_server& srv,
                   const std::string& target);
  sim_server make_server(const std::string& name, int64_t now_ms);
};

} // namespace dynserv::cloudsim
