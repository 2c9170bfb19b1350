// The polling pattern of the original package (spatie/laravel-dynamic-servers)
// replayed against an in-process simulator on a frozen virtual clock, so its
// request count for the benchmark's lifecycle is measured, not estimated.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace dynserv {

/// What one lifecycle of `servers` servers cost the original pattern.
struct original_pattern_result {
  /// False if the run did not finish within two virtual hours.
  bool finished = false;
  int64_t servers = 0;
  /// Requests by operation: "count" (the account-wide list before every
  /// start), "create", "get", "stop", "delete".
  std::map<std::string, uint64_t> requests;
  uint64_t total = 0;
  /// Answers that are neither 2xx nor the final 404 (the original would
  /// mark such a server errored; here it just keeps polling).
  uint64_t unexpected = 0;
  /// Most GETs sent in one 20 s tick.
  uint64_t peak_gets_per_tick = 0;
  /// Most requests in any 60 s of virtual time (DigitalOcean also limits
  /// requests per minute).
  uint64_t peak_per_minute = 0;
  /// Virtual seconds from the first create until every server was seen
  /// running, and from the first stop until every server was seen gone.
  double up_s = 0;
  double down_s = 0;
  /// Mean virtual seconds per server during which it was polled
  /// (create->seen running, stop->seen gone); 20 s resolution.
  double polled_s = 0;
};

/// Runs the original pattern for `servers` servers at `provider` ("upcloud",
/// "hetzner" or "digitalocean") on a fresh simulator seeded with `seed`:
/// every start lists the whole account once and creates the server; a
/// verify job GETs it at once and then every 20 s until it runs. When all
/// run, every server is stopped (soft), GET every 20 s until stopped, then
/// deleted and GET every 20 s until the provider answers 404. Jobs run
/// without queue delay; rate limits and response latency are off.
original_pattern_result run_original_pattern(const std::string& provider,
                                             int64_t servers, uint64_t seed);

} // namespace dynserv
