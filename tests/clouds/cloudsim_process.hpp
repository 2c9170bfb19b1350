// A `dynserv-cloudsim` process for end-to-end tests: started on port 0, its
// printed address parsed, and its control API (/_sim/) at hand.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rapidjson/document.h"

#include "http/http_client.hpp"
#include "tests/integration/process.hpp"

namespace dynserv::test {

/// Path of the `dynserv-cloudsim` binary under test.
const std::string& cloudsim_binary();

/// One server of `GET /_sim/inventory`.
struct sim_server {
  std::string provider;
  std::string id;
  std::string name;
  std::string state;
  /// Labels (UpCloud, Hetzner) or tags decoded as "key:value" (DigitalOcean).
  std::map<std::string, std::string> labels;
};

class cloudsim_process {
public:
  /// Starts the simulator with `args` (beyond --listen and --seed) and waits
  /// for its "listening on" line; output goes to `dir`/cloudsim.{out,err}.
  cloudsim_process(const std::string& dir, std::vector<std::string> args,
                   const std::string& ca_file = "");

  /// "http://127.0.0.1:PORT" (or https).
  const std::string& url() const {
    return url_;
  }

  /// The base URL dynserv uses for `provider` ("upcloud", "hetzner",
  /// "digitalocean").
  std::string base_url(const std::string& provider) const;

  /// Sends a control request; fails the test unless the answer is 2xx.
  rapidjson::Document control(const std::string& method,
                              const std::string& target,
                              const std::string& body = "");

  /// Servers of `provider` in the inventory.
  std::vector<sim_server> inventory(const std::string& provider);

  child_process& process() {
    return *proc_;
  }

  /// The last characters of the simulator's stderr.
  std::string log_tail() const;

private:
  std::string dir_;
  std::string url_;
  std::unique_ptr<child_process> proc_;
  std::unique_ptr<http_transport> client_;
};

} // namespace dynserv::test
