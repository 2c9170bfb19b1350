// Remediation planner: stop troubled servers after a delay, give up after
// max_attempts.
#include "actors/pool_remediation.hpp"

#include "messages/status.hpp"

namespace dynserv {

namespace {

std::string stop_message(const server_record& rec, uint32_t attempt,
                         uint32_t max_attempts) {
  auto code = rec.last_error_code.empty() ? std::string{}
                                          : " (" + rec.last_error_code + ")";
  return std::string{to_string(rec.status)} + " while "
         + to_string(rec.previous_status) + code
         + "; stopping and deleting it, the pool replaces it (attempt "
         + std::to_string(attempt) + " of " + std::to_string(max_attempts)
         + ")";
}

std::string give_up_message(const server_record& rec, uint32_t attempts) {
  return "still " + std::string{to_string(rec.status)} + " after "
         + std::to_string(attempts)
         + " stops; left for an operator (it may still bill)";
}

} // namespace

std::vector<remediation_step>
pool_remediation::plan(const pool_children& children, int64_t now_ms) {
  std::vector<remediation_step> result;
  for (const auto& id : children.troubled()) {
    const auto* child = children.find(id);
    if (child == nullptr)
      continue;
    const auto& rec = child->rec;
    auto action = rec.status == server_status::hanging ? cfg_.hanging
                                                       : cfg_.errored;
    if (action == remediation_action::keep || child->stop_sent)
      continue;
    // Not due yet: the pool arms a reconcile for when it is.
    if (now_ms < rec.status_since_ms + cfg_.delay.count())
      continue;
    auto& attempts = attempts_[id];
    if (attempts >= cfg_.max_attempts) {
      if (gave_up_.insert(id).second)
        result.push_back({remediation_step::kind::give_up, id, rec.status,
                          give_up_message(rec, attempts)});
      continue;
    }
    ++attempts;
    result.push_back({remediation_step::kind::stop, id, rec.status,
                      stop_message(rec, attempts, cfg_.max_attempts)});
  }
  return result;
}

void pool_remediation::forget(const std::string& id) {
  attempts_.erase(id);
  gave_up_.erase(id);
}

uint32_t pool_remediation::attempts(const std::string& id) const {
  auto i = attempts_.find(id);
  return i == attempts_.end() ? 0 : i->second;
}

} // namespace dynserv
