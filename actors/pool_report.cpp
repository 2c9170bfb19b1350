// Pool status reports.
#include "actors/pool_report.hpp"

#include <algorithm>

#include "actors/stop_order.hpp"

namespace dynserv {

pool_status report_pool(const pool_config& cfg, const pool_record& rec,
                        const pool_children& children,
                        const breaker_record& breaker, int64_t now_ms) {
  pool_status res;
  res.name = cfg.name;
  res.provider = cfg.provider;
  res.desired = rec.desired;
  res.min = cfg.min;
  res.max = cfg.max;
  res.counts.assign(server_status_count, 0);
  server_expiry expiry{now_ms, cfg.max_lifetime.count()};
  for (const auto& [id, child] : children) {
    ++res.counts[static_cast<size_t>(child.rec.status)];
    res.servers.push_back(child.rec);
    res.expired += is_expired(child.rec, expiry) ? 1 : 0;
  }
  std::sort(res.servers.begin(), res.servers.end(),
            [](const auto& a, const auto& b) {
              return a.created_at_ms < b.created_at_ms;
            });
  res.policy = to_string(cfg.policy.kind);
  res.paused = rec.paused;
  res.dry_run = cfg.policy.guardrails.dry_run;
  res.active = children.active();
  res.rollout = rec.rollout;
  res.breaker = breaker;
  return res;
}

} // namespace dynserv
