// The admin console actors: token check with throttling, and sessions that
// forward commands to the node supervisor.
#include "actors/admin_console_actor.hpp"

#include <algorithm>

#include "caf/typed_event_based_actor.hpp"
#include "spdlog/spdlog.h"

#include "messages/errors.hpp"

namespace dynserv {

admin_gate_actor::behavior_type
admin_gate(admin_gate_actor::stateful_pointer<admin_gate_state> self,
           std::string token, node_actor node) {
  self->state.token = std::move(token);
  self->state.node = std::move(node);
  return {
    [self](atom::login, const std::string& token) -> caf::result<caf::actor> {
      auto& st = self->state;
      if (constant_time_equal(token, st.token)) {
        st.consecutive_failures = 0;
        // Linked: a shutdown of the gate ends its sessions too.
        auto session = self->spawn<caf::linked>(
          admin_session, st.node,
          caf::actor_cast<caf::actor>(self->current_sender()));
        spdlog::info("admin console: session opened");
        return caf::actor_cast<caf::actor>(session);
      }
      ++st.consecutive_failures;
      auto delay = login_refusal_delay(st.consecutive_failures);
      spdlog::warn("admin console: refused a login with a wrong token "
                   "({} in a row; answering after {} ms)",
                   st.consecutive_failures, delay.count());
      auto id = ++st.next_refusal;
      auto promise = self->make_response_promise<caf::actor>();
      st.refusals.emplace(id, promise);
      self->delayed_send(caf::actor_cast<admin_gate_actor>(self), delay,
                         atom::retry_v, id);
      return promise;
    },
    [self](atom::retry, uint64_t id) {
      auto& st = self->state;
      auto i = st.refusals.find(id);
      if (i == st.refusals.end())
        return;
      i->second.deliver(
        make_error(ec::unauthorized, "wrong admin token; login refused"));
      st.refusals.erase(i);
    },
  };
}

namespace {

/// Longest pool name or server id a session accepts (names are at most 40
/// characters, ids 36; anything far longer is garbage or an attack).
constexpr size_t max_argument_size = 1024;

caf::error check_argument(const char* what, const std::string& value) {
  if (value.size() <= max_argument_size)
    return caf::none;
  return make_error(ec::invalid_argument,
                    std::string{what} + " is " + std::to_string(value.size())
                      + " bytes long; at most "
                      + std::to_string(max_argument_size) + " are accepted");
}

} // namespace

admin_session_actor::behavior_type
admin_session(admin_session_actor::stateful_pointer<admin_session_state> self,
              node_actor node, caf::actor client) {
  self->state.node = std::move(node);
  // A session ends with its client (one-shot dynservctl calls would
  // otherwise leave sessions behind until the idle timeout).
  if (client) {
    self->monitor(client);
    self->set_down_handler([self](caf::down_msg&) { self->quit(); });
  }
  auto me = caf::actor_cast<admin_session_actor>(self);
  self->delayed_send(me, admin_session_idle_timeout, atom::tick_v);
  auto touch = [self] { ++self->state.activity; };
  return {
    [self, touch](atom::status) -> caf::result<std::vector<pool_status>> {
      touch();
      return self->delegate(self->state.node, atom::status_v);
    },
    [self, touch](atom::server,
                  const std::string& id) -> caf::result<server_record> {
      touch();
      if (auto err = check_argument("server id", id))
        return err;
      return self->delegate(self->state.node, atom::server_v, id);
    },
    [self, touch](atom::ensure, const std::string& pool,
                  int64_t n) -> caf::result<scale_reply> {
      touch();
      if (auto err = check_argument("pool name", pool))
        return err;
      spdlog::info("admin console: ensure {} {}", loggable(pool), n);
      return self->delegate(self->state.node, atom::ensure_v, pool, n);
    },
    [self, touch](atom::increase, const std::string& pool,
                  int64_t n) -> caf::result<scale_reply> {
      touch();
      if (auto err = check_argument("pool name", pool))
        return err;
      spdlog::info("admin console: increase {} {}", loggable(pool), n);
      return self->delegate(self->state.node, atom::increase_v, pool, n);
    },
    [self, touch](atom::decrease, const std::string& pool,
                  int64_t n) -> caf::result<scale_reply> {
      touch();
      if (auto err = check_argument("pool name", pool))
        return err;
      spdlog::info("admin console: decrease {} {}", loggable(pool), n);
      return self->delegate(self->state.node, atom::decrease_v, pool, n);
    },
    [self, touch](atom::reboot, const std::string& pool,
                  const std::string& max_unavailable)
      -> caf::result<rollout_record> {
      touch();
      if (auto err = check_argument("pool name", pool))
        return err;
      if (auto err = check_argument("max_unavailable", max_unavailable))
        return err;
      spdlog::info("admin console: reboot {} max_unavailable {}",
                   loggable(pool),
                   max_unavailable.empty() ? "(pool default)"
                                           : loggable(max_unavailable));
      return self->delegate(self->state.node, atom::reboot_v, pool,
                            max_unavailable);
    },
    [self, touch](atom::abort,
                  const std::string& pool) -> caf::result<rollout_record> {
      touch();
      if (auto err = check_argument("pool name", pool))
        return err;
      spdlog::info("admin console: reboot abort {}", loggable(pool));
      return self->delegate(self->state.node, atom::abort_v, pool);
    },
    [self, touch](atom::stop,
                  const std::string& id) -> caf::result<server_record> {
      touch();
      if (auto err = check_argument("server id", id))
        return err;
      spdlog::info("admin console: stop {}", loggable(id));
      return self->delegate(self->state.node, atom::stop_v, id);
    },
    [self, touch](atom::events, uint64_t after,
                  uint32_t limit) -> caf::result<std::vector<event_record>> {
      touch();
      // One page at most; followers ask again from the last seq they saw.
      limit = std::min<uint32_t>(limit == 0 ? 1000 : limit, 10000);
      return self->delegate(self->state.node, atom::events_v, after, limit);
    },
    [self, touch](atom::limits) -> caf::result<limits_info> {
      touch();
      return self->delegate(self->state.node, atom::limits_v);
    },
    [self, touch](atom::pause,
                  const std::string& pool) -> caf::result<pool_status> {
      touch();
      if (auto err = check_argument("pool name", pool))
        return err;
      spdlog::info("admin console: pause {}", loggable(pool));
      return self->delegate(self->state.node, atom::pause_v, pool);
    },
    [self, touch](atom::resume,
                  const std::string& pool) -> caf::result<pool_status> {
      touch();
      if (auto err = check_argument("pool name", pool))
        return err;
      spdlog::info("admin console: resume {}", loggable(pool));
      return self->delegate(self->state.node, atom::resume_v, pool);
    },
    [self, touch](atom::decisions, const std::string& pool, uint32_t limit)
      -> caf::result<std::vector<decision_record>> {
      touch();
      if (auto err = check_argument("pool name", pool))
        return err;
      limit = std::min<uint32_t>(limit == 0 ? 20 : limit, 1000);
      return self->delegate(self->state.node, atom::decisions_v, pool, limit);
    },
    [self, touch](atom::status,
                  atom::webhooks) -> caf::result<std::vector<webhook_status>> {
      touch();
      return self->delegate(self->state.node, atom::status_v, atom::webhooks_v);
    },
    [self](atom::tick) {
      auto& st = self->state;
      if (st.activity == 0) {
        spdlog::info("admin console: session closed after being idle");
        self->quit();
        return;
      }
      st.activity = 0;
      self->delayed_send(caf::actor_cast<admin_session_actor>(self),
                         admin_session_idle_timeout, atom::tick_v);
    },
  };
}

} // namespace dynserv
