// The bounded request log of the simulator.
#include "cloudsim/request_log.hpp"

#include <algorithm>

namespace dynserv::cloudsim {

request_log::request_log(size_t capacity)
  : capacity_(std::max<size_t>(capacity, 1)) {
}

uint64_t request_log::add(request_entry e) {
  e.seq = next_seq_++;
  if (entries_.size() >= capacity_)
    entries_.pop_front();
  entries_.push_back(std::move(e));
  return entries_.back().seq;
}

std::vector<request_entry> request_log::since(uint64_t since,
                                              size_t limit) const {
  std::vector<request_entry> out;
  // Sequence numbers are consecutive, so the first match is found by offset.
  if (entries_.empty() || since >= entries_.back().seq)
    return out;
  auto first_seq = entries_.front().seq;
  size_t start = since < first_seq ? 0
                                   : static_cast<size_t>(since - first_seq + 1);
  for (auto i = start; i < entries_.size() && out.size() < limit; ++i)
    out.push_back(entries_[i]);
  return out;
}

} // namespace dynserv::cloudsim
