// Options of the real cloud providers (UpCloud, Hetzner Cloud, DigitalOcean)
// and of the exec provider, as the config loader fills them in.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "http/http_client.hpp"
#include "providers/provider_options.hpp"

namespace dynserv {

/// Connection and credentials shared by the three HTTP providers. Secrets
/// are resolved by the config loader (from the file or the environment
/// variable named there) and must never be logged.
struct http_provider_options {
  /// Base URL; defaults to the provider's public API when empty in the
  /// config (e.g. "https://api.hetzner.cloud/v1"). Tests point it at
  /// dynserv-cloudsim.
  http_client_options http;
  /// Bearer token (Hetzner, DigitalOcean, UpCloud API tokens).
  std::string token;
  /// HTTP Basic credentials (UpCloud API sub-account).
  std::string username;
  std::string password;
};

struct upcloud_options {
  http_provider_options api;
  /// Soft stop timeout; UpCloud hard-stops the server when it runs out.
  millis stop_timeout{std::chrono::seconds{60}};
};

struct hetzner_options {
  http_provider_options api;
  /// After a soft shutdown, a server still running this long later is
  /// powered off.
  millis stop_timeout{std::chrono::seconds{60}};
};

struct digitalocean_options {
  http_provider_options api;
  /// After a soft shutdown, a droplet still active this long later is
  /// powered off.
  millis stop_timeout{std::chrono::seconds{60}};
};

/// The exec provider: each operation runs `command` with a JSON request on
/// stdin and reads one JSON answer from stdout.
struct exec_options {
  /// argv of the command; argv[0] is looked up in PATH when it has no '/'.
  std::vector<std::string> command;
  /// A run that takes longer is killed and reported as a transient error.
  millis timeout{std::chrono::seconds{60}};
  /// Extra environment variables for the command.
  std::map<std::string, std::string> env;
};

} // namespace dynserv
