// The provider-economy benchmark: a real node with a real cloud provider
// client runs one lifecycle of N servers against an in-process simulator, and
// the request counts are set against the original package's pattern and the
// providers' published rate limits.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace dynserv {

/// One run of `run_dynserv_lifecycle`.
struct economy_options {
  /// "upcloud", "hetzner" or "digitalocean".
  std::string provider;
  int64_t servers = 100;
  /// Virtual seconds per real second for the simulator; every timing of the
  /// node (poll interval, backoff, pacing) is divided by the same factor so
  /// that the node behaves as it would at time scale 1.
  double time_scale = 50;
  uint64_t seed = 1;
  /// The node's `timing.poll_interval` in virtual time.
  std::chrono::milliseconds poll_interval{std::chrono::seconds{5}};
  /// Enforce the simulator's rate limits (real time: only meaningful at time
  /// scale 1; off by default).
  bool sim_rate_limits = false;
  /// Scratch directory for the node's store.
  std::string dir;
};

/// What the lifecycle cost dynserv.
struct economy_result {
  bool finished = false;
  int64_t servers = 0;
  /// Virtual seconds from `ensure N` until all run, and from `ensure 0`
  /// until all are deleted (real seconds x time scale).
  double up_s = -1;
  double down_s = -1;
  /// Provider calls and the HTTP requests they made, by operation, as the
  /// provider actor counts them (provider_stats.calls / .requests); "poll"
  /// is the list of a poll round, "lookup" a list by one server's id.
  std::map<std::string, uint64_t> calls;
  std::map<std::string, uint64_t> requests;
  /// Poll rounds (one "poll" call each).
  uint64_t poll_rounds = 0;
  /// Most HTTP requests one poll round made (list pages plus action reads).
  uint64_t peak_requests_per_round = 0;
  /// HTTP requests the simulator logged, by kind: "list" (GET of the
  /// collection, every page), "get" (one server), "action" (action reads),
  /// "create", "power" (stop, shutdown, poweroff, ...), "delete".
  std::map<std::string, uint64_t> http;
  uint64_t http_total = 0;
  /// 429 answers.
  uint64_t rejected = 0;
};

/// Runs a node (in-process, RocksDB under `opts.dir`) with the real provider
/// client of `opts.provider` over a `sim_transport`: ensure N, wait until
/// all run, ensure 0, wait until all are deleted.
economy_result run_dynserv_lifecycle(const economy_options& opts);

/// Requests one replacement of a fleet of n servers costs:
/// `per_server * n + rounds * pages(n)` with `pages(n) = ceil(n / page_size)`
/// (1 when the API does not paginate, `page_size` 0).
struct cost_model {
  /// Requests per server lifecycle that do not depend on the fleet size.
  double per_server = 0;
  /// Poll rounds (list calls over the whole fleet) per replacement.
  double rounds = 0;
  int64_t page_size = 0;

  int64_t pages(int64_t n) const;

  double requests(int64_t n) const;
};

/// Largest n with `m.requests(n) <= budget` (0 if not even one fits).
int64_t largest_fleet(const cost_model& m, double budget);

/// Published request budget of a provider per hour; 0 if none is published.
double published_budget_per_hour(const std::string& provider);

/// Requests per hour the node's default pacing (`rate_limit` defaults with
/// the default reserve) allows for `provider`.
double default_pacing_per_hour(const std::string& provider);

/// Page size dynserv asks for when listing (0: the API does not paginate).
int64_t list_page_size(const std::string& provider);

} // namespace dynserv
