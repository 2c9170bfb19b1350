// A provider wrapper that counts calls by operation, for the benchmarks: no
// message exposes the provider actor's provider_stats, and the simulated
// provider's own counts may not be read while the node runs.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "providers/provider.hpp"

namespace dynserv {

/// Calls and requests a `counting_provider` saw, by operation.
struct provider_counts {
  /// Calls by operation; "poll" is a list by the owner label alone (a poll
  /// round), "lookup" a list by one server's id as well.
  std::map<std::string, uint64_t> calls;
  /// The HTTP requests those calls made (provider_reply::requests).
  std::map<std::string, uint64_t> requests;
  /// Poll rounds (one "poll" call each).
  uint64_t poll_rounds = 0;
  /// Most requests one poll round made (list pages plus action reads).
  uint64_t peak_requests_per_round = 0;
};

/// Wraps the provider the node uses and counts what the provider actor
/// counts in provider_stats. The provider actor calls one method at a time;
/// the lock lets a benchmark read the counts while the node runs.
class counting_provider : public provider {
public:
  /// Shared so that a benchmark can still inspect the wrapped provider (the
  /// simulated cloud's inventory) once the node is gone.
  explicit counting_provider(std::shared_ptr<provider> impl)
    : impl_(std::move(impl)) {
  }

  std::string type_name() const override {
    return impl_->type_name();
  }

  provider_capabilities capabilities() const override {
    return impl_->capabilities();
  }

  provider_reply create(const create_request& req) override {
    return count("create", impl_->create(req));
  }

  provider_reply get(const std::string& id) override {
    return count("get", impl_->get(id));
  }

  provider_reply list(const label_map& selector) override {
    // The provider actor's poll rounds list by the owner label only; a
    // lookup after a doubtful create adds the server's id.
    auto poll = selector.size() == 1;
    auto reply = count(poll ? "poll" : "lookup", impl_->list(selector));
    if (poll) {
      std::lock_guard<std::mutex> guard{mtx_};
      ++counts_.poll_rounds;
      counts_.peak_requests_per_round
        = std::max<uint64_t>(counts_.peak_requests_per_round, reply.requests);
    }
    return reply;
  }

  provider_reply stop(const std::string& id) override {
    return count("stop", impl_->stop(id));
  }

  provider_reply start(const std::string& id) override {
    return count("start", impl_->start(id));
  }

  provider_reply reboot(const std::string& id) override {
    return count("reboot", impl_->reboot(id));
  }

  provider_reply destroy(const std::string& id) override {
    return count("delete", impl_->destroy(id));
  }

  /// The counts so far.
  provider_counts counts() {
    std::lock_guard<std::mutex> guard{mtx_};
    return counts_;
  }

private:
  provider_reply count(const char* op, provider_reply reply) {
    std::lock_guard<std::mutex> guard{mtx_};
    ++counts_.calls[op];
    counts_.requests[op] += reply.requests;
    return reply;
  }

  std::shared_ptr<provider> impl_;
  std::mutex mtx_;
  provider_counts counts_;
};

} // namespace dynserv
