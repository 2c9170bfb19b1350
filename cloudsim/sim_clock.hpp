// The simulator's virtual clock: real time stretched by a time-scale factor
// plus explicit jumps, and the real clock that rate limits run on.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace dynserv::cloudsim {

/// Virtual time = anchor + (real time since anchor) x scale + jumps. The
/// class is not thread-safe; the simulator core guards it with its mutex.
class sim_clock {
public:
  /// Returns real time as Unix milliseconds; must never run backwards.
  using real_source = std::function<int64_t()>;

  /// Starts with virtual time equal to real time. An empty `source` uses the
  /// steady clock anchored at the system clock's value at construction.
  explicit sim_clock(real_source source = {}, double scale = 1.0);

  /// Real time in Unix milliseconds (rate limits and the request log use it).
  int64_t real_ms() const;

  /// Virtual time in Unix milliseconds (state machines use it).
  int64_t now_ms() const;

  /// Moves virtual time forward by `ms` (negative values are ignored).
  void advance(int64_t ms);

  /// Sets virtual seconds per real second from now on; 0 freezes virtual
  /// time so that only `advance` moves it. Negative values are ignored.
  void set_scale(double factor);

  double scale() const {
    return scale_;
  }

private:
  real_source source_;
  double scale_;
  int64_t anchor_real_;
  int64_t anchor_virtual_;
};

/// Formats Unix milliseconds as "2024-01-30T23:50:00+00:00".
std::string iso8601(int64_t unix_ms);

/// Formats Unix milliseconds as "2024-01-30T23:50:00Z" (DigitalOcean style).
std::string iso8601_z(int64_t unix_ms);

} // namespace dynserv::cloudsim
