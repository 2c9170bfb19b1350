// Publishing the admin gate over CAF remoting (plain TCP or TLS).
#include "actors/admin_endpoint.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sys/stat.h>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/io/middleman.hpp"
#include "caf/openssl/manager.hpp"
#include "caf/openssl/publish.hpp"
#include "caf/typed_event_based_actor.hpp"
#include "spdlog/spdlog.h"

#include "actors/admin_console_actor.hpp"
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
  const auto& admin = cfg.admin;
  if (!admin.token.empty())
    return admin.token;
  if (!admin.token_env.empty()) {
    auto value = std::getenv(admin.token_env.c_str());
    if (value == nullptr || std::string{value}.size() < 16)
      return make_error(ec::invalid_config,
                        "admin.token_env: environment variable "
                          + admin.token_env
                          + " is not set or shorter than 16 characters");
    return std::string{value};
  }
  auto path = admin_token_file(cfg);
  if (std::ifstream in{path}) {
    std::string token;
    std::getline(in, token);
    if (token.size() >= 16)
      return token;
  }
  // No token configured: make one that only the node's user can read.
  std::random_device rd;
  std::string token;
  static constexpr char hex[] = "0123456789abcdef";
  for (int i = 0; i < 32; ++i)
    token += hex[rd() % 16];
  auto old_mask = ::umask(077);
  std::ofstream out{path, std::ios::trunc};
  out << token << "\n";
  out.close();
  ::umask(old_mask);
  if (!out)
    return make_error(ec::storage_failure, "cannot write " + path);
  ::chmod(path.c_str(), 0600);
  return token;
}

caf::expected<admin_endpoint> publish_admin(caf::actor_system& sys,
                                      const node_config& cfg,
                                      const std::string& token,
                                      node_actor node) {
  auto gate = sys.spawn(admin_gate, token, std::move(node));
  const auto& admin = cfg.admin;
  auto host = admin.host.c_str();
  auto port = admin.tls
                ? caf::openssl::publish(gate, admin.port, host, true)
                : sys.middleman().publish(gate, admin.port, host, true);
  if (!port) {
    caf::anon_send_exit(gate, caf::exit_reason::user_shutdown);
    return make_error(ec::invalid_config,
                      "admin.listen: cannot listen on " + admin.host + ":"
                        + std::to_string(admin.port) + ": "
                        + sys.render(port.error()));
  }
  auto addr = admin.host + ":" + std::to_string(*port);
  // Write-then-rename: a reader never sees a half-written address.
  auto path = admin_addr_file(cfg);
  {
    std::ofstream out{path + ".tmp", std::ios::trunc};
    out << addr << "\n";
  }
  std::rename((path + ".tmp").c_str(), path.c_str());
  spdlog::info("admin console listening on {}{}", addr,
               admin.tls ? " (TLS)" : "");
  return admin_endpoint{gate, *port};
}

} // namespace dynserv
