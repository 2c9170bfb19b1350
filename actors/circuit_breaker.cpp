// Circuit breaker bookkeeping, kept apart from the pool so it is tested alone.
#include "actors/circuit_breaker.hpp"

#include <algorithm>

#include "messages/events.hpp"

namespace dynserv {

circuit_breaker::circuit_breaker(breaker_config cfg, breaker_record persisted)
  : cfg_(cfg), rec_(std::move(persisted)) {
  rec_.window_creates = 0;
  rec_.window_failures = 0;
  // A probe in flight when the node stopped is not known any more: a
  // half-open breaker sends a new one.
  if (!cfg_.enabled) {
    rec_.state = "closed";
    rec_.open_until_ms = 0;
  }
}

int64_t circuit_breaker::allowed(int64_t now_ms, int64_t wanted) {
  if (!cfg_.enabled || rec_.state == "closed")
    return wanted;
  if (rec_.state == "open") {
    if (now_ms < rec_.open_until_ms)
      return 0;
    rec_.state = "half_open";
    probe_sent_ = false;
    pending_ = change::half_opened;
  }
  // Half-open: exactly one probe at a time.
  return probe_sent_ ? 0 : std::min<int64_t>(wanted, 1);
}

void circuit_breaker::on_create_sent() {
  if (rec_.state == "half_open")
    probe_sent_ = true;
}

circuit_breaker::change circuit_breaker::record(bool failed, int64_t now_ms) {
  if (!cfg_.enabled)
    return change::none;
  window_.push_back(failed);
  while (window_.size() > cfg_.window)
    window_.pop_front();
  rec_.window_creates = static_cast<int64_t>(window_.size());
  rec_.window_failures = std::count(window_.begin(), window_.end(), true);
  if (rec_.state == "half_open") {
    probe_sent_ = false;
    if (failed) {
      auto doubled = std::min<int64_t>(rec_.backoff_ms * 2,
                                       cfg_.backoff_max.count());
      rec_.backoff_ms = std::max<int64_t>(doubled,
                                          cfg_.backoff_initial.count());
      open(now_ms, "the probe create failed or hung");
      return change::opened;
    }
    rec_.state = "closed";
    rec_.open_until_ms = 0;
    rec_.backoff_ms = 0;
    window_.clear();
    rec_.window_creates = 0;
    rec_.window_failures = 0;
    return change::closed;
  }
  if (rec_.state != "closed")
    return change::none; // outcomes of creates sent before it opened
  auto n = rec_.window_creates;
  auto f = rec_.window_failures;
  if (n < static_cast<int64_t>(cfg_.min_creates) || !failed)
    return change::none;
  if (static_cast<double>(f) < cfg_.failure_ratio * static_cast<double>(n))
    return change::none;
  rec_.backoff_ms = cfg_.backoff_initial.count();
  open(now_ms, std::to_string(f) + " of the last " + std::to_string(n)
                 + " creates failed or hung");
  return change::opened;
}

circuit_breaker::change circuit_breaker::take_change() {
  auto res = pending_;
  pending_ = change::none;
  return res;
}

void circuit_breaker::open(int64_t now_ms, std::string why) {
  rec_.state = "open";
  rec_.open_until_ms = now_ms + rec_.backoff_ms;
  rec_.reason = std::move(why);
  ++rec_.trips;
  probe_sent_ = false;
}

std::optional<bool> create_failed(server_status old_status,
                                  server_status new_status) {
  if (old_status != server_status::starting || new_status == old_status)
    return std::nullopt;
  if (new_status == server_status::running)
    return false;
  if (new_status == server_status::errored
      || new_status == server_status::hanging
      || new_status == server_status::deleted)
    return true;
  return std::nullopt;
}

std::optional<breaker_event> describe_change(circuit_breaker::change ch,
                                             const breaker_record& state) {
  using change = circuit_breaker::change;
  switch (ch) {
    case change::opened:
      return breaker_event{reason::breaker_opened,
                           state.reason + "; no creates for "
                             + format_duration(millis{state.backoff_ms})
                             + " (opened " + std::to_string(state.trips)
                             + " times)"};
    case change::half_opened:
      return breaker_event{reason::breaker_half_open,
                           "backoff of "
                             + format_duration(millis{state.backoff_ms})
                             + " passed; trying one create"};
    case change::closed:
      return breaker_event{reason::breaker_closed,
                           "a create succeeded; creating again"};
    case change::none:
      break;
  }
  return std::nullopt;
}

} // namespace dynserv
