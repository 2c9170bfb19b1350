// Publishing the admin gate over CAF remoting (plain TCP or TLS).
#include "actors/admin_endpoint.hpp"

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/io/middleman.hpp"
#include "caf/openssl/manager.hpp"
#include "caf/openssl/publish.hpp"
#include "caf/typed_event_based_actor.hpp"
#include "spdlog/spdlog.h"

#include "actors/admin_console_actor.hpp"
#include "api/access_control.hpp"
#include "messages/errors.hpp"

namespace dynserv {

void configure_remoting(caf::actor_system_config& sys_cfg,
                        const admin_tls_config* tls) {
  sys_cfg.set("middleman.heartbeat-interval",
              caf::timespan{admin_heartbeat_interval});
  sys_cfg.set("middleman.connection-timeout",
              caf::timespan{admin_connection_timeout});
  sys_cfg.load<caf::io::middleman>();
  if (tls) {
    if (!tls->certificate.empty())
      sys_cfg.set("openssl.certificate", tls->certificate);
    if (!tls->key.empty())
      sys_cfg.set("openssl.key", tls->key);
    if (!tls->cafile.empty())
      sys_cfg.set("openssl.cafile", tls->cafile);
    sys_cfg.load<caf::openssl::manager>();
  }
}

std::string admin_token_file(const node_config& cfg) {
  return cfg.data_dir + "/admin.token";
}

std::string admin_addr_file(const node_config& cfg) {
  return cfg.data_dir + "/admin.addr";
}

caf::expected<std::string> admin_token(const node_config& cfg) {
  return resolve_token(token_source{
    "admin", cfg.admin.token, cfg.admin.token_env, admin_token_file(cfg)});
}

caf::expected<admin_endpoint>
publish_admin(caf::actor_system& sys, const node_config& cfg,
              const std::string& token, node_actor node) {
  auto gate = sys.spawn(admin_gate, token, std::move(node));
  const auto& admin = cfg.admin;
  auto host = admin.host.c_str();
  auto port = admin.tls ? caf::openssl::publish(gate, admin.port, host, true)
                        : sys.middleman().publish(gate, admin.port, host, true);
  if (!port) {
    caf::anon_send_exit(gate, caf::exit_reason::user_shutdown);
    return make_error(ec::invalid_config, "admin.listen: cannot listen on "
                                            + admin.host + ":"
                                            + std::to_string(admin.port) + ": "
                                            + sys.render(port.error()));
  }
  auto addr = admin.host + ":" + std::to_string(*port);
  // Write-then-rename: a reader never sees a half-written address.
  if (!write_file_atomically(admin_addr_file(cfg), addr + "\n"))
    spdlog::warn("cannot write {}", admin_addr_file(cfg));
  spdlog::info("admin console listening on {}{}", addr,
               admin.tls ? " (TLS)" : "");
  return admin_endpoint{gate, *port};
}

} // namespace dynserv
