// The simulator core: routing, limits, faults, auth, logging.
#include "cloudsim/cloud_sim.hpp"

#include <algorithm>
#include <exception>

#include "cloudsim/control_api.hpp"
#include "cloudsim/digitalocean_api.hpp"
#include "cloudsim/hetzner_api.hpp"
#include "cloudsim/upcloud_api.hpp"

namespace dynserv::cloudsim {

namespace {

/// True if `path` is `prefix` or lies below it.
bool under(std::string_view path, std::string_view prefix) {
  return path.size() >= prefix.size()
         && path.compare(0, prefix.size(), prefix) == 0
         && (path.size() == prefix.size() || path[prefix.size()] == '/');
}

http_response plain_not_found() {
  http_response res;
  res.status = 404;
  res.body = "{\"error\":\"no simulated API at this path\",\"apis\":["
             "\"/upcloud/1.3\",\"/hetzner/v1\",\"/digitalocean/v2\","
             "\"/_sim\"]}";
  set_header(res.headers, "Content-Type", "application/json");
  return res;
}

} // namespace

cloud_sim::cloud_sim(sim_options opts)
  : state_(std::make_unique<sim_state>(std::move(opts))),
    upcloud_(std::make_unique<upcloud_api>(*state_)),
    hetzner_(std::make_unique<hetzner_api>(*state_)),
    digitalocean_(std::make_unique<digitalocean_api>(*state_)),
    control_(std::make_unique<control_api>(*state_, *upcloud_, *hetzner_,
                                           *digitalocean_)) {
}

cloud_sim::~cloud_sim() {
  // nop; members need the complete types declared above
}

sim_reply cloud_sim::handle(const http_request& req) {
  std::lock_guard<std::mutex> guard{mtx_};
  try {
    return handle_locked(req);
  } catch (const std::exception& ex) {
    // A bug must not take the simulator down; answer 500 and carry on.
    sim_reply out;
    out.response.status = 500;
    out.response.body = "{\"error\":\"internal simulator error\"}";
    set_header(out.response.headers, "Content-Type", "application/json");
    return out;
  }
}

sim_reply cloud_sim::handle_locked(const http_request& req) {
  auto [raw_path, raw_query] = split_target(req.target);
  auto decoded = url_decode(raw_path);
  auto path = decoded ? *decoded : raw_path;
  if (under(path, control_prefix)) {
    state_->inv.settle(state_->clock.now_ms());
    sim_reply out;
    out.response = control_->handle(req, path.substr(control_prefix.size()),
                                    parse_query(raw_query));
    return out;
  }
  if (under(path, upcloud_prefix))
    return handle_provider(*upcloud_, req, upcloud_prefix, path, raw_query);
  if (under(path, hetzner_prefix))
    return handle_provider(*hetzner_, req, hetzner_prefix, path, raw_query);
  if (under(path, digitalocean_prefix))
    return handle_provider(*digitalocean_, req, digitalocean_prefix, path,
                           raw_query);
  sim_reply out;
  out.response = plain_not_found();
  return out;
}

sim_reply cloud_sim::handle_provider(provider_api& api, const http_request& req,
                                     std::string_view prefix,
                                     const std::string& path,
                                     const std::string& raw_query) {
  auto& st = *state_;
  auto p = api.kind();
  auto now = st.clock.now_ms();
  auto real = st.clock.real_ms();
  st.inv.settle(now);
  api.begin_request();
  auto rel = path.substr(prefix.size());
  if (rel.empty())
    rel = "/";
  sim_reply out;
  bool processed = false;
  fault_effects fx;
  auto decision = st.limits.check(p, real);
  if (!decision.allowed) {
    out.response = api.rate_limited(decision);
  } else {
    auto op = api.classify(req.method, rel, req.body);
    fault_target target{p, op.op, op.detail, req.method, rel, op.server};
    fx = st.faults.match(target, st.rng);
    if (fx.respond) {
      auto& rule = *fx.respond;
      switch (rule.kind) {
        case fault_kind::drop:
          out.drop_connection = true;
          break;
        case fault_kind::hang:
          out.drop_connection = true;
          out.delay = millis{rule.delay_ms};
          break;
        default:
          out.response = api.fault_response(rule, fx.problem_json);
          break;
      }
    } else if (!api.authorized(req)) {
      out.response = api.unauthorized(fx.problem_json);
    } else {
      std::string host = find_header(req.headers, "Host").value_or("127.0.0.1");
      api_call call{req,
                    rel,
                    parse_query(raw_query),
                    (st.options.tls ? "https://" : "http://") + host
                      + std::string{prefix},
                    now,
                    fx};
      out.response = api.handle(call);
      processed = true;
      if (fx.lost_response)
        out.drop_connection = true;
      out.delay += millis{fx.extra_delay_ms};
    }
  }
  if (!out.drop_connection || processed) {
    st.limits.add_headers(p, real, out.response.headers);
    api.decorate(out.response);
  }
  if (st.options.response_latency) {
    auto scale = std::max(1.0, st.clock.scale());
    out.delay += millis{static_cast<int64_t>(
      static_cast<double>(latency::response(st.rng)) / scale)};
  }
  request_entry entry;
  entry.provider = p;
  entry.method = req.method;
  entry.path = req.target.substr(0, 2048);
  entry.status = out.drop_connection ? 0 : out.response.status;
  entry.dropped = out.drop_connection && processed;
  entry.real_ms = real;
  entry.virtual_ms = now;
  entry.faults = std::move(fx.fired);
  st.log.add(std::move(entry));
  return out;
}

} // namespace dynserv::cloudsim
