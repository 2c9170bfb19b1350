// The guardrail pipeline and the texts of decision records.
#include "policies/guardrails.hpp"

#include <algorithm>

namespace dynserv {

namespace {

/// Applies one step: records it if it changed the count.
void step(guardrail_result& res, const char* name, int64_t after,
          std::string why) {
  if (after == res.count)
    return;
  res.steps.push_back({name, res.count, after, std::move(why)});
  res.count = after;
}

std::string n(int64_t x) {
  return std::to_string(x);
}

} // namespace

std::string short_duration(millis x) {
  auto ms = x.count();
  if (ms == 0)
    return "0s";
  if (ms % 3'600'000 == 0)
    return n(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0)
    return n(ms / 60'000) + "m";
  if (ms % 1000 == 0)
    return n(ms / 1000) + "s";
  return n(ms) + "ms";
}

guardrail_result run_guardrails(const guardrail_input& in) {
  const auto& pool = in.pool;
  const auto& cfg = in.cfg;
  guardrail_result res;
  res.count = std::max<int64_t>(in.wanted, 0);
  // 1. The pool's bounds.
  if (res.count < pool.min)
    step(res, "pool_bounds", pool.min,
         "min " + n(pool.min) + " by the pool's min");
  else if (res.count > pool.max)
    step(res, "pool_bounds", pool.max,
         "max " + n(pool.max) + " by the pool's max");
  // 2. The node's max_servers: this pool may grow by the free slots.
  auto free = std::max<int64_t>(in.node.max_servers - in.node.allocated, 0);
  auto node_cap = pool.active + free;
  if (res.count > pool.active && res.count > node_cap)
    step(res, "max_servers", node_cap,
         "max " + n(node_cap) + " by limits.max_servers ("
           + n(in.node.allocated) + " of " + n(in.node.max_servers)
           + " in use)");
  // 3. Scale-up step.
  if (cfg.scale_up_step > 0 && res.count > pool.active + cfg.scale_up_step) {
    auto cap = pool.active + cfg.scale_up_step;
    step(res, "scale_up_step", cap,
         "max " + n(cap) + " by scale_up_step " + n(cfg.scale_up_step));
  }
  // 4. Creations in flight.
  if (cfg.max_in_flight > 0 && res.count > pool.active) {
    auto room = std::max<int64_t>(cfg.max_in_flight - pool.starting, 0);
    auto cap = pool.active + room;
    if (res.count > cap)
      step(res, "max_in_flight", cap,
           "max " + n(cap) + " by max_in_flight " + n(cfg.max_in_flight) + " ("
             + n(pool.starting) + " starting)");
  }
  // 5. Stabilization: a scale-down goes no lower than the highest
  // recommendation within the window (bounded by the pool and by what is
  // active, so that it never raises the count).
  if (res.count < pool.active && cfg.stabilization_window.count() > 0) {
    auto highest = in.wanted;
    auto since = in.now_ms - cfg.stabilization_window.count();
    for (const auto& r : in.history)
      if (r.at_ms > since && r.at_ms <= in.now_ms)
        highest = std::max(highest, r.count);
    auto floor = std::min(std::clamp(highest, pool.min, pool.max), pool.active);
    if (floor > res.count)
      step(res, "stabilization", floor,
           "held at " + n(floor) + " by stabilization_window "
             + short_duration(cfg.stabilization_window)
             + " (highest recommendation " + n(highest) + ")");
  }
  // 6. Cooldown: no scale-down soon after the last change.
  if (res.count < pool.active && cfg.scale_down_cooldown.count() > 0
      && in.last_change_ms > 0) {
    auto since_change = in.now_ms - in.last_change_ms;
    if (since_change < cfg.scale_down_cooldown.count())
      step(res, "cooldown", pool.active,
           "held at " + n(pool.active) + " by scale_down_cooldown "
             + short_duration(cfg.scale_down_cooldown) + " (last change "
             + short_duration(millis{since_change / 1000 * 1000}) + " ago)");
  }
  // 7. The provider's API budget: one call per creation.
  if (in.api_budget && res.count > pool.active) {
    auto budget = std::max<int64_t>(*in.api_budget, 0);
    auto cap = pool.active + budget;
    if (res.count > cap)
      step(res, "api_budget", cap,
           "max " + n(cap) + " by the provider's API budget (" + n(budget)
             + " calls left)");
  }
  return res;
}

void trim_history(std::deque<recommendation>& history, int64_t now_ms,
                  millis window) {
  auto since = now_ms - window.count();
  while (!history.empty() && history.front().at_ms <= since)
    history.pop_front();
}

std::string action_text(int64_t active, int64_t count) {
  if (count > active)
    return "creating " + n(count - active);
  if (count < active)
    return "stopping " + n(active - count);
  return "no change";
}

std::string summary_text(const decision_record& d) {
  std::string res;
  if (d.wanted < 0) {
    res = d.input;
  } else {
    res = "wanted " + n(d.wanted);
    for (const auto& s : d.steps)
      res += "; " + s.why;
  }
  if (d.starting > 0)
    res += "; " + n(d.starting) + " starting";
  res += "; ";
  if (d.mode == "dry_run")
    res += "dry run, would be: ";
  else if (d.mode == "paused")
    res += "paused, would be: ";
  res += d.action;
  return res;
}

} // namespace dynserv
