// Rolling reboot bookkeeping, kept apart from the pool so it is tested alone.
#include "actors/reboot_rollout.hpp"

#include <algorithm>
#include <charconv>

namespace dynserv {

namespace {

/// Parses digits only; nullopt on anything else or overflow.
std::optional<int64_t> parse_digits(std::string_view str) {
  if (str.empty())
    return std::nullopt;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(str.data(), str.data() + str.size(), value);
  if (ec != std::errc{} || end != str.data() + str.size() || value < 0)
    return std::nullopt;
  return value;
}

bool erase_id(std::vector<std::string>& ids, const std::string& id) {
  auto i = std::find(ids.begin(), ids.end(), id);
  if (i == ids.end())
    return false;
  ids.erase(i);
  return true;
}

bool contains(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

} // namespace

std::optional<std::string> max_unavailable_problem(std::string_view spec) {
  auto expected = [&] {
    return "expected a count of at least 1 (\"2\") or a percentage from 1% to "
           "100% (\"25%\"), got \""
           + std::string{spec} + "\"";
  };
  if (!spec.empty() && spec.back() == '%') {
    auto pct = parse_digits(spec.substr(0, spec.size() - 1));
    if (!pct || *pct < 1 || *pct > 100)
      return expected();
    return std::nullopt;
  }
  auto n = parse_digits(spec);
  if (!n || *n < 1)
    return expected();
  return std::nullopt;
}

int64_t resolve_max_unavailable(std::string_view spec, int64_t total) {
  if (!spec.empty() && spec.back() == '%') {
    auto pct = parse_digits(spec.substr(0, spec.size() - 1)).value_or(1);
    return std::max<int64_t>(total * pct / 100, 1);
  }
  return std::max<int64_t>(parse_digits(spec).value_or(1), 1);
}

rollout_record begin_rollout(std::vector<server_record> servers,
                             std::string spec, int64_t now_ms) {
  std::sort(servers.begin(), servers.end(), [](const auto& a, const auto& b) {
    if (a.created_at_ms != b.created_at_ms)
      return a.created_at_ms < b.created_at_ms;
    return a.id < b.id;
  });
  rollout_record r;
  r.state = "running";
  r.started_at_ms = now_ms;
  r.total = static_cast<int64_t>(servers.size());
  r.max_unavailable = resolve_max_unavailable(spec, r.total);
  r.max_unavailable_spec = std::move(spec);
  for (auto& s : servers)
    r.waiting.push_back(std::move(s.id));
  return r;
}

rollout_change observe_rollout(rollout_record& r, server_status old_status,
                               const server_record& rec) {
  if (!r.running())
    return rollout_change::none;
  auto status = rec.status;
  auto leaving = status == server_status::stopping
                 || status == server_status::stopped
                 || status == server_status::deleting
                 || status == server_status::deleted
                 || status == server_status::errored
                 || status == server_status::hanging || rec.stop_requested;
  if (leaving) {
    auto was_rebooting = erase_id(r.rebooting, rec.id);
    auto was_waiting = erase_id(r.waiting, rec.id);
    if (!was_rebooting && !was_waiting)
      return rollout_change::none;
    ++r.skipped;
    return rollout_change::skipped;
  }
  if (contains(r.rebooting, rec.id)) {
    // Running again after the reboot this rollout sent (a carried one is
    // in `waiting` as well and is rebooted again).
    if (status == server_status::running
        && old_status == server_status::rebooting) {
      erase_id(r.rebooting, rec.id);
      if (!contains(r.waiting, rec.id))
        ++r.done;
      return rollout_change::done;
    }
    return rollout_change::none;
  }
  return rollout_change::none;
}

bool skip_in_rollout(rollout_record& r, const std::string& id) {
  if (erase_id(r.rebooting, id) || erase_id(r.waiting, id)) {
    ++r.skipped;
    return true;
  }
  return false;
}

std::vector<std::string> next_reboots(
  rollout_record& r, int64_t unavailable,
  const std::function<std::optional<server_status>(const std::string&)>&
    status_of) {
  std::vector<std::string> picked;
  if (!r.running())
    return picked;
  auto budget = r.max_unavailable - unavailable;
  // Stops at the budget: a rollout of thousands costs O(picks) per step,
  // and servers that left are dropped when the scan reaches them.
  for (auto i = r.waiting.begin(); i != r.waiting.end() && budget > 0;) {
    auto status = status_of(*i);
    if (!status
        || !(*status == server_status::pending || is_provisioned(*status))) {
      // The pool no longer has it, or it is leaving.
      i = r.waiting.erase(i);
      ++r.skipped;
      continue;
    }
    // A carried server still rebooting is picked again once running.
    if (*status == server_status::running && !contains(r.rebooting, *i)) {
      r.rebooting.push_back(*i);
      picked.push_back(*i);
      i = r.waiting.erase(i);
      --budget;
      continue;
    }
    ++i;
  }
  return picked;
}

bool finish_if_done(rollout_record& r, int64_t now_ms) {
  if (!r.running() || !r.waiting.empty() || !r.rebooting.empty())
    return false;
  r.state = "finished";
  r.finished_at_ms = now_ms;
  return true;
}

void restore_rollout(
  rollout_record& r,
  const std::function<std::optional<server_status>(const std::string&)>&
    status_of) {
  if (!r.running())
    return;
  std::vector<std::string> back;
  for (auto i = r.rebooting.begin(); i != r.rebooting.end();) {
    auto status = status_of(*i);
    if (status && *status == server_status::running) {
      back.push_back(*i);
      i = r.rebooting.erase(i);
    } else {
      ++i;
    }
  }
  r.waiting.insert(r.waiting.begin(), back.begin(), back.end());
}

std::string describe(const rollout_record& r) {
  return std::to_string(r.done) + " of " + std::to_string(r.total)
         + " rebooted, " + std::to_string(r.rebooting.size()) + " rebooting, "
         + std::to_string(r.waiting.size()) + " waiting, "
         + std::to_string(r.skipped) + " skipped; at most "
         + std::to_string(r.max_unavailable) + " at a time";
}

} // namespace dynserv
