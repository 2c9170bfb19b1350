// End-to-end harness: a temporary directory per test case with its own config
// file, a node process started from it, and the parsed JSON reports of
// `dynserv status` and `dynserv provider-servers`.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/process.hpp"

namespace dynserv::test {

/// Path of the `dynserv` binary under test.
const std::string& dynserv_binary();

/// Path of the `dynservctl` binary under test (empty when the test binary
/// was built without DYNSERVCTL_BINARY).
const std::string& dynservctl_binary();

// -- configuration
// -------------------------------------------------------------

/// One pool of a generated config file.
struct pool_spec {
  std::string name;
  int64_t desired = 0;
};

/// `admin.tls` of a generated config file (absolute paths).
struct admin_tls_spec {
  std::string certificate;
  std::string key;
  std::string cafile;
};

/// Everything a generated config file varies; the rest uses fast defaults
/// (simulated operations of a few hundred ms, 100 ms polls).
struct config_spec {
  std::string node_name = "e2e";
  /// Absolute path; filled in by `sandbox::write_config` when empty.
  std::string data_dir;
  std::vector<pool_spec> pools;
  /// `max` per pool name; pools not listed use the default (`max_servers`).
  std::map<std::string, int64_t> pool_max;
  int64_t max_servers = 50;
  std::string reconcile_interval = "1s";
  std::string log_level = "info";
  uint64_t sim_seed = 1;
  /// `reboot_time` of the simulated provider; long to catch a rolling
  /// reboot while it runs.
  std::string sim_reboot_time = "200ms";
  /// Fault injection of the simulated provider (none by default).
  double lost_create_response_rate = 0.0;
  std::map<std::string, double> error_rate;
  /// `admin.listen`; tests bind port 0 so that several nodes may run at once.
  std::string admin_listen = "127.0.0.1:0";
  /// `admin.token_env`; when empty, the node generates a token and keeps it
  /// in `<data_dir>/admin.token`.
  std::string admin_token_env;
  /// `admin.tls`; plain TCP when unset.
  std::optional<admin_tls_spec> admin_tls;
  /// `http.listen`; off unless a test needs the HTTP API (its default,
  /// 127.0.0.1:8080, would clash between nodes running side by side).
  std::string http_listen = "off";
  /// The `webhooks` object as JSON text; left out when empty.
  std::string webhooks_json;
};

/// Renders `spec` as a config file.
std::string to_json(const config_spec& spec);

// -- reports
// -------------------------------------------------------------------

/// One entry of "pools" in `dynserv status --json`.
struct store_pool {
  std::string name;
  int64_t desired = 0;
  std::map<std::string, int64_t> counts;
  int64_t provisioned = 0;
  /// The stored rolling reboot and circuit breaker ("" when the pool has no
  /// record yet).
  std::string rollout_state;
  int64_t rollout_done = 0;
  std::string breaker_state;
  int64_t breaker_trips = 0;
};

/// One entry of "servers" in `dynserv status --json`.
struct store_server {
  std::string id;
  std::string name;
  std::string pool;
  std::string provider;
  std::string status;
  int64_t since_ms = 0;
  std::string provider_id;
  std::string last_error;
};

/// The parsed output of `dynserv status --json`.
struct status_report {
  std::vector<store_pool> pools;
  std::vector<store_server> servers;

  const store_pool* pool(const std::string& name) const;
  const store_server* server(const std::string& id) const;
  /// Ids of the servers of `pool` (all pools when empty) in `status`.
  std::set<std::string> ids(const std::string& pool,
                            const std::string& status) const;
  /// Ids of every server the store knows, any status.
  std::set<std::string> all_ids() const;
};

/// One entry of "servers" in `dynserv provider-servers --json`.
struct cloud_row {
  std::string provider;
  std::string provider_id;
  std::string name;
  std::string state;
  std::string dynserv_id;
  std::string pool;
  bool known = false;
};

/// The parsed output of `dynserv provider-servers --json [--history]`.
struct cloud_report {
  std::vector<cloud_row> servers;

  /// Rows whose state is not "deleted".
  std::vector<cloud_row> live() const;
  /// Rows of `pool` whose state is not "deleted".
  std::vector<cloud_row> live(const std::string& pool) const;
};

/// Parses the output of `dynserv status --json`; returns nullopt and sets
/// `error` if it is not what the command documents.
std::optional<status_report> parse_status(const std::string& json,
                                          std::string& error);

/// Parses the output of `dynserv provider-servers --json`.
std::optional<cloud_report> parse_cloud(const std::string& json,
                                        std::string& error);

/// Checks that the store and the cloud agree with `desired` (pool -> count):
/// per pool, exactly `desired` servers "running" in the store and no other
/// server that is not "deleted"; at the cloud, exactly the same servers live,
/// "running", known, with the provider ids the store has. Returns what is
/// wrong, or an empty string when everything holds.
std::string convergence_problem(const status_report& status,
                                const cloud_report& cloud,
                                const std::map<std::string, int64_t>& desired);

/// Returns the ids that appear more than once in "dynserv_id" of `history`.
std::vector<std::string> duplicate_ids(const cloud_report& history);

// -- sandbox
// -------------------------------------------------------------------

/// A fresh directory for one test case, removed when the case passed and
/// kept (its path printed) when it failed or $DYNSERV_E2E_KEEP is set.
class sandbox {
public:
  /// Creates the directory with mkdtemp; `label` becomes part of its name.
  explicit sandbox(const std::string& label);

  ~sandbox();

  sandbox(const sandbox&) = delete;
  sandbox& operator=(const sandbox&) = delete;

  const std::string& dir() const {
    return dir_;
  }

  std::string config_path() const {
    return dir_ + "/dynserv.json";
  }

  std::string data_dir() const {
    return dir_ + "/data";
  }

  /// Where the node writes its bound admin address.
  std::string admin_addr_path() const {
    return data_dir() + "/admin.addr";
  }

  /// Where a node without admin.token/token_env keeps its generated token.
  std::string admin_token_path() const {
    return data_dir() + "/admin.token";
  }

  /// The "HOST:PORT" in admin_addr_path() once the node has written the
  /// whole line; empty while the file is missing or incomplete.
  std::string admin_addr() const;

  /// Where the node writes its bound HTTP API address.
  std::string http_addr_path() const {
    return data_dir() + "/http.addr";
  }

  /// Where a node without http.token/token_env keeps its generated token.
  std::string http_token_path() const {
    return data_dir() + "/http.token";
  }

  /// The "HOST:PORT" in http_addr_path(), empty while it is missing.
  std::string http_addr() const;

  /// Writes `spec` to config_path() (write then rename, so that a reload
  /// never reads half a file); fills in data_dir() when spec has none.
  void write_config(config_spec spec);

  /// Writes `text` to config_path() the same way.
  void write_config_text(const std::string& text);

  /// Starts `dynserv run --config <config_path()>`; its output goes to
  /// node.out / node.err in the directory (appended across restarts).
  std::unique_ptr<child_process> start_node();

  /// Runs `dynserv` with `args` to completion (scratch files in dir()).
  run_result run_cli(const std::vector<std::string>& args);

  /// `dynserv status --data-dir <data_dir()> --json`, parsed; sets `error`
  /// and returns nullopt if the command fails or prints something else.
  std::optional<status_report> status(std::string& error);

  /// `dynserv provider-servers --config <config_path()> --json [--history]`.
  std::optional<cloud_report> cloud(bool history, std::string& error);

  /// The last `max_chars` characters of the node's stdout and stderr.
  std::string node_log_tail(size_t max_chars = 4000) const;

private:
  std::string dir_;
  int cli_runs_ = 0;
};

// -- waiting
// -------------------------------------------------------------------

/// Calls `check` about every 100 ms until it returns an empty string or
/// `timeout` passes; returns the last non-empty answer on timeout (empty on
/// success). Each call of `check` typically runs the reporting commands.
std::string poll_until(millis timeout,
                       const std::function<std::string()>& check);

/// Polls `status` and `cloud` of `box` until `convergence_problem` finds
/// nothing; returns the last problem on timeout, empty on success.
std::string wait_converged(sandbox& box,
                           const std::map<std::string, int64_t>& desired,
                           millis timeout);

/// Sends `sig` to `node` and waits up to `timeout` for it to end; returns
/// false if it did not.
bool signal_and_wait(child_process& node, int sig, millis timeout);

} // namespace dynserv::test
