// A bounded ring of the provider requests the simulator answered, for
// GET /_sim/requests.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "cloudsim/sim_types.hpp"

namespace dynserv::cloudsim {

/// One answered (or dropped) request.
struct request_entry {
  uint64_t seq = 0;
  provider_kind provider = provider_kind::upcloud;
  std::string method;
  /// Path and query as received.
  std::string path;
  /// HTTP status; 0 if the connection was dropped without an answer.
  int status = 0;
  /// True if the request was processed but its answer dropped.
  bool dropped = false;
  /// Real time of arrival, Unix ms.
  int64_t real_ms = 0;
  /// Virtual time of arrival, Unix ms.
  int64_t virtual_ms = 0;
  /// Fault rules that fired.
  std::vector<uint64_t> faults;
};

/// Keeps the last `capacity` entries; sequence numbers start at 1 and never
/// repeat.
class request_log {
public:
  explicit request_log(size_t capacity = 100000);

  /// Appends `e` (its `seq` is assigned) and returns the sequence number.
  uint64_t add(request_entry e);

  /// Entries with seq > `since`, oldest first, at most `limit`.
  std::vector<request_entry> since(uint64_t since, size_t limit) const;

  /// The last assigned sequence number (0 before the first request).
  uint64_t last_seq() const {
    return next_seq_ - 1;
  }

  size_t size() const {
    return entries_.size();
  }

private:
  size_t capacity_;
  std::deque<request_entry> entries_;
  uint64_t next_seq_ = 1;
};

} // namespace dynserv::cloudsim
