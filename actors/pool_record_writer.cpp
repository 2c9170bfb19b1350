// Coalesced pool-record writes: one in flight, the rest batched.
#include "actors/pool_record_writer.hpp"

#include <iterator>
#include <utility>

namespace dynserv {

void pool_record_writer::add(std::vector<event_record> events, done_fn done,
                             failed_fn failed) {
  next_.events.insert(next_.events.end(),
                      std::make_move_iterator(events.begin()),
                      std::make_move_iterator(events.end()));
  next_.done.push_back(std::move(done));
  next_.failed.push_back(std::move(failed));
  next_due_ = true;
}

const pool_record_writer::batch* pool_record_writer::start() {
  if (in_flight_ || !next_due_)
    return nullptr;
  in_flight_ = std::exchange(next_, batch{});
  next_due_ = false;
  return &*in_flight_;
}

void pool_record_writer::finish(const caf::error* err) {
  if (!in_flight_)
    return;
  // Moved out first: a callback may add to the next write.
  auto ended = std::move(*in_flight_);
  in_flight_.reset();
  if (err) {
    for (auto& f : ended.failed)
      if (f)
        f(*err);
  } else {
    for (auto& f : ended.done)
      if (f)
        f();
  }
}

} // namespace dynserv
