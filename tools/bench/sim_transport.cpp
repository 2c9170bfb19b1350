// An http_transport over an in-process dynserv-cloudsim core.
#include "tools/bench/sim_transport.hpp"

#include <utility>

#include "cloudsim/cloud_sim.hpp"

namespace dynserv {

sim_transport::sim_transport(std::shared_ptr<cloudsim::cloud_sim> sim,
                             std::string prefix)
  : sim_(std::move(sim)), prefix_(std::move(prefix)) {
  // A base URL's path never ends with a slash here: targets bring their own.
  while (!prefix_.empty() && prefix_.back() == '/')
    prefix_.pop_back();
}

sim_transport::~sim_transport() = default;

http_result sim_transport::send(const http_request& req) {
  ++sent_;
  http_request forwarded = req;
  // Same joining rule as the Beast client: "/x" and "?q" append to the
  // prefix, anything else gets a slash.
  if (req.target.empty())
    forwarded.target = prefix_.empty() ? "/" : prefix_;
  else if (req.target.front() == '/')
    forwarded.target = prefix_ + req.target;
  else if (req.target.front() == '?')
    forwarded.target = (prefix_.empty() ? "/" : prefix_) + req.target;
  else
    forwarded.target = prefix_ + "/" + req.target;
  forwarded.remote = "in-process";
  auto reply = sim_->handle(forwarded);
  http_result result;
  if (reply.drop_connection) {
    result.failure = http_failure::lost;
    result.detail = "the simulator closed the connection without an answer";
    return result;
  }
  result.response = std::move(reply.response);
  return result;
}

} // namespace dynserv
