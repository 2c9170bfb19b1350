// The admin console actors: token check with throttling, and sessions that
// forward the operator commands to the node supervisor and answer their
// client themselves.
#include "actors/admin_console_actor.hpp"

#include <algorithm>

#include "caf/typed_event_based_actor.hpp"
#include "spdlog/spdlog.h"

#include "messages/errors.hpp"

namespace dynserv {

admin_gate_actor::behavior_type
admin_gate(admin_gate_actor::stateful_pointer<admin_gate_state> self,
           std::string token, operator_actor node) {
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

using session_ptr = admin_session_actor::stateful_pointer<admin_session_state>;

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

/// Counts a command for the idle check and checks its pool name or server
/// id (`kind` names which, for the error).
caf::error admit(session_ptr self, const char* kind = nullptr,
                 const std::string& subject = {}) {
  ++self->state.activity;
  return kind != nullptr ? check_argument(kind, subject) : caf::none;
}

/// Asks the node and answers the client with its reply. The session makes
/// the request itself (no delegation), so the client only ever talks to the
/// session and never learns the node's handle.
template <class T, class... Ts>
caf::result<T> forward(session_ptr self, Ts&&... xs) {
  auto promise = self->make_response_promise<T>();
  // No timeout, as with delegation before: the node answers or goes down.
  self->request(self->state.node, caf::infinite, std::forward<Ts>(xs)...)
    .then(
      [promise](T& reply) {
        auto rp = promise;
        rp.deliver(std::move(reply));
      },
      [promise](caf::error& err) {
        auto rp = promise;
        rp.deliver(std::move(err));
      });
  return promise;
}

/// A read: admitted with its subject checked, then forwarded.
template <class T, class... Ts>
caf::result<T> forward_read(session_ptr self, const char* kind,
                            const std::string& subject, Ts&&... xs) {
  if (auto err = admit(self, kind, subject))
    return err;
  return forward<T>(self, std::forward<Ts>(xs)...);
}

/// A change: admitted with its subject checked, logged as "admin console:
/// <what> <subject><detail>", then forwarded.
template <class T, class... Ts>
caf::result<T> forward_change(session_ptr self, const char* what,
                              const char* kind, const std::string& subject,
                              const std::string& detail, Ts&&... xs) {
  if (auto err = admit(self, kind, subject))
    return err;
  spdlog::info("admin console: {} {}{}", what, loggable(subject), detail);
  return forward<T>(self, std::forward<Ts>(xs)...);
}

caf::result<rollout_record> start_reboot(session_ptr self,
                                         const std::string& pool,
                                         const std::string& max_unavailable) {
  if (auto err = admit(self, "pool name", pool))
    return err;
  if (auto err = check_argument("max_unavailable", max_unavailable))
    return err;
  spdlog::info("admin console: reboot {} max_unavailable {}", loggable(pool),
               max_unavailable.empty() ? "(pool default)"
                                       : loggable(max_unavailable));
  return forward<rollout_record>(self, atom::reboot_v, pool, max_unavailable);
}

/// A page size: `fallback` for 0, at most `max`.
uint32_t page_size(uint32_t limit, uint32_t fallback, uint32_t max) {
  return std::min<uint32_t>(limit == 0 ? fallback : limit, max);
}

/// The idle check: a session without a command since the last one ends.
void check_idle(session_ptr self) {
  auto& st = self->state;
  if (st.activity == 0) {
    spdlog::info("admin console: session closed after being idle");
    self->quit();
    return;
  }
  st.activity = 0;
  self->delayed_send(caf::actor_cast<admin_session_actor>(self),
                     admin_session_idle_timeout, atom::tick_v);
}

/// Keeps the node's handle, ends the session with its client and arms the
/// idle check.
void start_session(session_ptr self, operator_actor node,
                   const caf::actor& client) {
  self->state.node = std::move(node);
  // A session ends with its client (one-shot dynservctl calls would
  // otherwise leave sessions behind until the idle timeout).
  if (client) {
    self->monitor(client);
    self->set_down_handler([self](caf::down_msg&) { self->quit(); });
  }
  self->delayed_send(caf::actor_cast<admin_session_actor>(self),
                     admin_session_idle_timeout, atom::tick_v);
}

} // namespace

admin_session_actor::behavior_type
admin_session(session_ptr self, operator_actor node, caf::actor client) {
  start_session(self, std::move(node), client);
  using std::string;
  using std::vector;
  return {
    [self](atom::status) -> caf::result<vector<pool_status>> {
      return forward_read<vector<pool_status>>(self, nullptr, {},
                                               atom::status_v);
    },
    [self](atom::server, const string& id) -> caf::result<server_record> {
      return forward_read<server_record>(self, "server id", id, atom::server_v,
                                         id);
    },
    [self](atom::ensure, const string& pool,
           int64_t n) -> caf::result<scale_reply> {
      return forward_change<scale_reply>(self, "ensure", "pool name", pool,
                                         " " + std::to_string(n),
                                         atom::ensure_v, pool, n);
    },
    [self](atom::increase, const string& pool,
           int64_t n) -> caf::result<scale_reply> {
      return forward_change<scale_reply>(self, "increase", "pool name", pool,
                                         " " + std::to_string(n),
                                         atom::increase_v, pool, n);
    },
    [self](atom::decrease, const string& pool,
           int64_t n) -> caf::result<scale_reply> {
      return forward_change<scale_reply>(self, "decrease", "pool name", pool,
                                         " " + std::to_string(n),
                                         atom::decrease_v, pool, n);
    },
    [self](atom::reboot, const string& pool,
           const string& max_unavailable) -> caf::result<rollout_record> {
      return start_reboot(self, pool, max_unavailable);
    },
    [self](atom::abort, const string& pool) -> caf::result<rollout_record> {
      return forward_change<rollout_record>(self, "reboot abort", "pool name",
                                            pool, "", atom::abort_v, pool);
    },
    [self](atom::stop, const string& id) -> caf::result<server_record> {
      return forward_change<server_record>(self, "stop", "server id", id, "",
                                           atom::stop_v, id);
    },
    [self](atom::events, uint64_t after,
           uint32_t limit) -> caf::result<vector<event_record>> {
      // One page at most; followers ask again from the last seq they saw.
      return forward_read<vector<event_record>>(self, nullptr, {},
                                                atom::events_v, after,
                                                page_size(limit, 1000, 10000));
    },
    [self](atom::limits) -> caf::result<limits_info> {
      return forward_read<limits_info>(self, nullptr, {}, atom::limits_v);
    },
    [self](atom::pause, const string& pool) -> caf::result<pool_status> {
      return forward_change<pool_status>(self, "pause", "pool name", pool, "",
                                         atom::pause_v, pool);
    },
    [self](atom::resume, const string& pool) -> caf::result<pool_status> {
      return forward_change<pool_status>(self, "resume", "pool name", pool, "",
                                         atom::resume_v, pool);
    },
    [self](atom::decisions, const string& pool,
           uint32_t limit) -> caf::result<vector<decision_record>> {
      return forward_read<vector<decision_record>>(self, "pool name", pool,
                                                   atom::decisions_v, pool,
                                                   page_size(limit, 20, 1000));
    },
    [self](atom::status,
           atom::webhooks) -> caf::result<vector<webhook_status>> {
      return forward_read<vector<webhook_status>>(
        self, nullptr, {}, atom::status_v, atom::webhooks_v);
    },
    [self](atom::tick) { check_idle(self); },
  };
}

} // namespace dynserv
