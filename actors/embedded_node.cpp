// An embedded node: an actor system, a node, and blocking calls into it.
#include "actors/embedded_node.hpp"

#include <chrono>
#include <mutex>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "actors/node.hpp"
#include "messages/errors.hpp"

namespace dynserv {

namespace {

constexpr auto call_timeout = std::chrono::seconds{30};

} // namespace

struct embedded_node::impl {
  caf::actor_system_config sys_cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::optional<node_runtime> rt;
  std::mutex mtx;

  /// Sends a request from a scoped actor and waits for the answer.
  template <class T, class... Ts>
  std::optional<T> call(std::string* error, Ts&&... xs) {
    std::lock_guard<std::mutex> guard{mtx};
    if (!rt) {
      if (error)
        *error = "the node is stopped";
      return std::nullopt;
    }
    caf::scoped_actor self{*sys};
    std::optional<T> res;
    self->request(rt->supervisor, call_timeout, std::forward<Ts>(xs)...)
      .receive([&](T& x) { res = std::move(x); },
               [&](caf::error& err) {
                 if (error)
                   *error = describe(err);
               });
    return res;
  }
};

embedded_node::embedded_node(std::unique_ptr<impl> ptr)
  : impl_(std::move(ptr)) {
  // nop
}

embedded_node::~embedded_node() {
  stop();
}

std::unique_ptr<embedded_node> embedded_node::start(node_config cfg,
                                                    embedded_options opts,
                                                    std::string* error) {
  for (const auto& [pool, fn] : opts.callbacks) {
    auto i = cfg.pools.find(pool);
    if (i == cfg.pools.end()) {
      if (error)
        *error = "a callback names pool \"" + pool
                 + "\", which is not in the configuration";
      return nullptr;
    }
    auto& policy = i->second.policy;
    if (policy.kind == policy_kind::external)
      policy.kind = policy_kind::callback;
    if (policy.kind != policy_kind::callback) {
      if (error)
        *error = "pool \"" + pool + "\" has a " + to_string(policy.kind)
                 + " policy and a callback; use one of them";
      return nullptr;
    }
  }
  auto st = std::make_unique<impl>();
  st->sys_cfg.set("scheduler.max-threads", opts.threads);
  add_dynserv_types(st->sys_cfg);
  st->sys = std::make_unique<caf::actor_system>(st->sys_cfg);
  node_start_options nso;
  nso.callbacks = std::move(opts.callbacks);
  auto rt = start_node(*st->sys, cfg, std::move(nso));
  if (!rt) {
    if (error)
      *error = describe(rt.error());
    return nullptr;
  }
  st->rt = std::move(*rt);
  return std::unique_ptr<embedded_node>{new embedded_node(std::move(st))};
}

bool embedded_node::ensure(const std::string& pool, int64_t n,
                           std::string* error) {
  return impl_->call<scale_reply>(error, atom::ensure_v, pool, n).has_value();
}

std::optional<decision_record> embedded_node::evaluate(const std::string& pool,
                                                       std::string* error) {
  return impl_->call<decision_record>(error, atom::evaluate_v, pool);
}

std::vector<decision_record> embedded_node::decisions(const std::string& pool,
                                                      uint32_t limit) {
  auto res = impl_->call<std::vector<decision_record>>(
    nullptr, atom::decisions_v, pool, limit);
  return res ? std::move(*res) : std::vector<decision_record>{};
}

std::vector<pool_status> embedded_node::status() {
  auto res = impl_->call<std::vector<pool_status>>(nullptr, atom::status_v);
  return res ? std::move(*res) : std::vector<pool_status>{};
}

void embedded_node::stop() {
  if (!impl_)
    return;
  std::lock_guard<std::mutex> guard{impl_->mtx};
  if (!impl_->rt)
    return;
  stop_node(*impl_->rt);
  impl_->rt.reset();
}

} // namespace dynserv
