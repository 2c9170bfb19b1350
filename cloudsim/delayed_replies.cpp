// Timer thread for delayed simulator replies.
#include "cloudsim/delayed_replies.hpp"

#include <vector>

namespace dynserv::cloudsim {

delayed_replies::delayed_replies() : thread_([this] { run(); }) {
}

delayed_replies::~delayed_replies() {
  stop();
}

void delayed_replies::schedule(std::chrono::milliseconds delay,
                               std::function<void()> f) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (!stopping_) {
      queue_.emplace(clock::now() + delay, std::move(f));
      cv_.notify_one();
      return;
    }
  }
  f();
}

size_t delayed_replies::pending() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return queue_.size();
}

void delayed_replies::stop() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (stopping_ && !thread_.joinable())
      return;
    stopping_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable())
    thread_.join();
}

void delayed_replies::run() {
  std::unique_lock<std::mutex> lock{mtx_};
  for (;;) {
    if (stopping_) {
      // Flush everything so no exchange stays open after shutdown.
      auto rest = std::move(queue_);
      queue_.clear();
      lock.unlock();
      for (auto& [due, f] : rest)
        f();
      return;
    }
    if (queue_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto due = queue_.begin()->first;
    if (clock::now() < due) {
      cv_.wait_until(lock, due);
      continue;
    }
    auto f = std::move(queue_.begin()->second);
    queue_.erase(queue_.begin());
    lock.unlock();
    f();
    lock.lock();
  }
}

} // namespace dynserv::cloudsim
