// Command-line options of dynserv-cloudsim: parsing and the --help text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cloudsim/sim_state.hpp"

namespace dynserv::cloudsim {

/// Everything the command line sets.
struct cloudsim_cli {
  sim_options sim;
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string tls_cert;
  std::string tls_key;
  bool help = false;
};

/// Parses `args` (without the program name). On error returns nullopt and a
/// message naming the offending option in `*error`.
std::optional<cloudsim_cli>
parse_cloudsim_args(const std::vector<std::string>& args, std::string* error);

/// The --help text.
std::string cloudsim_usage();

} // namespace dynserv::cloudsim
