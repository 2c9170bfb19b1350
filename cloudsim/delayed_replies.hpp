// A timer thread that runs reply callbacks after a delay, so that slow or
// hanging simulated answers never block the HTTP server's I/O threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace dynserv::cloudsim {

/// Runs each scheduled callback once, on its own thread, at or after its due
/// time. `stop()` runs every pending callback at once (so hanging exchanges
/// get closed) and joins the thread.
class delayed_replies {
public:
  delayed_replies();
  ~delayed_replies();

  delayed_replies(const delayed_replies&) = delete;
  delayed_replies& operator=(const delayed_replies&) = delete;

  /// Runs `f` after `delay`; runs it at once (on the caller's thread) after
  /// `stop()`.
  void schedule(std::chrono::milliseconds delay, std::function<void()> f);

  /// Number of callbacks waiting.
  size_t pending() const;

  /// Flushes every pending callback and joins the thread. Idempotent.
  void stop();

private:
  void run();

  using clock = std::chrono::steady_clock;
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  std::multimap<clock::time_point, std::function<void()>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace dynserv::cloudsim
