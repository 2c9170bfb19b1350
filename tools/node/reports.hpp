// Reports printed by `dynserv status` and `dynserv provider-servers`.
#pragma once

#include <ostream>
#include <string>

#include "config/node_config.hpp"

namespace dynserv {

/// Prints pools (desired, count per status) and servers from the store in
/// `data_dir` (opened as a read-only secondary, so a node may be running).
/// Returns the process exit code.
int print_status(const std::string& data_dir, bool json, std::ostream& out,
                 std::ostream& err);

/// Prints the servers each provider holds with this node's owner label and
/// whether the node's store knows each one. Returns the exit code.
int print_provider_servers(const node_config& cfg, bool json, bool history,
                           std::ostream& out, std::ostream& err);

} // namespace dynserv
