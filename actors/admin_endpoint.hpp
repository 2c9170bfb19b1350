// Publishing the admin gate over CAF remoting (plain TCP or TLS).
#pragma once

#include <cstdint>
#include <string>

#include "caf/expected.hpp"
#include "caf/fwd.hpp"

#include "config/node_config.hpp"
#include "messages/interfaces.hpp"

namespace dynserv {

/// Heartbeat of CAF connections: a frozen peer is noticed within
/// `admin_connection_timeout` (CAF's defaults never notice one).
constexpr auto admin_heartbeat_interval = std::chrono::milliseconds{500};
constexpr auto admin_connection_timeout = std::chrono::seconds{3};

/// Loads CAF's middleman (or its OpenSSL module when `tls` is set) into
/// `sys_cfg` and sets the heartbeat and TLS options. Call before the actor
/// system starts; used by the node and by dynservctl alike.
void configure_remoting(caf::actor_system_config& sys_cfg,
                        const admin_tls_config* tls);

/// Returns the admin token: `admin.token`, the variable named by
/// `admin.token_env`, or (neither set) a random token kept in
/// `<data_dir>/admin.token` (mode 0600, created on first use).
caf::expected<std::string> admin_token(const node_config& cfg);

/// Path of the file that holds the generated token.
std::string admin_token_file(const node_config& cfg);

/// Path of the file the node writes its bound admin address to.
std::string admin_addr_file(const node_config& cfg);

/// A published admin gate.
struct admin_endpoint {
  admin_gate_actor gate;
  uint16_t port = 0;
};

/// Spawns the admin gate and publishes it on `admin.listen`; writes the
/// bound "HOST:PORT" to `admin_addr_file`. Send the gate an exit to close
/// the console (it ends its sessions).
caf::expected<admin_endpoint>
publish_admin(caf::actor_system& sys, const node_config& cfg,
              const std::string& token, node_actor node);

} // namespace dynserv
