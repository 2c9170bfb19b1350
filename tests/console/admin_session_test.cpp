// The admin session serves the operator interface by asking the node itself
// and answering its client: the node sees the session as the sender (no
// delegation hands the client to the node), errors come back unchanged, and
// oversized arguments never reach the node.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "actors/admin_console_actor.hpp"
#include "messages/errors.hpp"
#include "tests/fixtures/deterministic_system.hpp"

using namespace dynserv;
using namespace dynserv::test;

namespace {

struct fake_node_state {
  /// Who sent each command the node got.
  std::vector<caf::actor_addr> senders;
  std::vector<std::string> commands;
};

using fake_node_ptr = operator_actor::stateful_pointer<fake_node_state>;

/// Notes the command and its sender.
void note(fake_node_ptr self, std::string command) {
  self->state.senders.push_back(
    caf::actor_cast<caf::actor_addr>(self->current_sender()));
  self->state.commands.push_back(std::move(command));
}

/// An operator interface that answers ensure and stop and fails on any
/// other command.
operator_actor::behavior_type fake_node(fake_node_ptr self) {
  auto unexpected = [self](const char* what) {
    note(self, what);
    BOOST_FAIL("unexpected command at the node: " << what);
  };
  return {
    [=](atom::status) -> std::vector<pool_status> {
      unexpected("status");
      return {};
    },
    [=](atom::server, const std::string&) -> server_record {
      unexpected("server");
      return {};
    },
    [=](atom::ensure, const std::string& pool, int64_t n) -> scale_reply {
      note(self, "ensure");
      return scale_reply{pool, 0, n, ""};
    },
    [=](atom::increase, const std::string&, int64_t) -> scale_reply {
      unexpected("increase");
      return {};
    },
    [=](atom::decrease, const std::string&, int64_t) -> scale_reply {
      unexpected("decrease");
      return {};
    },
    [=](atom::reboot, const std::string&,
        const std::string&) -> rollout_record {
      unexpected("reboot");
      return {};
    },
    [=](atom::abort, const std::string&) -> rollout_record {
      unexpected("abort");
      return {};
    },
    [=](atom::stop, const std::string& id) -> caf::result<server_record> {
      note(self, "stop");
      return make_error(ec::unknown_server, "no server " + id);
    },
    [=](atom::events, uint64_t, uint32_t) -> std::vector<event_record> {
      unexpected("events");
      return {};
    },
    [=](atom::limits) -> limits_info {
      unexpected("limits");
      return {};
    },
    [=](atom::pause, const std::string&) -> pool_status {
      unexpected("pause");
      return {};
    },
    [=](atom::resume, const std::string&) -> pool_status {
      unexpected("resume");
      return {};
    },
    [=](atom::decisions, const std::string&,
        uint32_t) -> std::vector<decision_record> {
      unexpected("decisions");
      return {};
    },
    [=](atom::status, atom::webhooks) -> std::vector<webhook_status> {
      unexpected("webhooks");
      return {};
    },
  };
}

struct session_fixture : deterministic_system {
  session_fixture() {
    node = sys.spawn(fake_node);
    session = sys.spawn(admin_session, node, caf::actor{});
    tracked.push_back(caf::actor_cast<caf::actor>(node));
    tracked.push_back(caf::actor_cast<caf::actor>(session));
  }

  fake_node_state& node_state() {
    return state_of<operator_actor, fake_node_state>(node);
  }

  operator_actor node;
  admin_session_actor session;
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(admin_session_forwarding, session_fixture)

BOOST_AUTO_TEST_CASE(the_session_asks_the_node_itself_and_answers) {
  auto reply = ask<scale_reply>(session, atom::ensure_v, std::string{"web"},
                                int64_t{3});
  BOOST_REQUIRE_MESSAGE(reply, outcome(reply));
  BOOST_TEST(reply->pool == "web");
  BOOST_TEST(reply->desired == 3);
  auto& st = node_state();
  BOOST_REQUIRE(st.senders.size() == 1u);
  BOOST_TEST((st.senders.front() == session.address()));
}

BOOST_AUTO_TEST_CASE(node_errors_reach_the_client_unchanged) {
  auto reply = ask<server_record>(session, atom::stop_v, std::string{"x1"});
  BOOST_REQUIRE(!reply);
  BOOST_TEST(reply.error().category() == error_category);
  BOOST_TEST((static_cast<ec>(reply.error().code()) == ec::unknown_server));
  BOOST_TEST((node_state().senders.front() == session.address()));
}

BOOST_AUTO_TEST_CASE(oversized_arguments_never_reach_the_node) {
  auto reply = ask<scale_reply>(session, atom::ensure_v, std::string(2000, 'p'),
                                int64_t{1});
  BOOST_REQUIRE(!reply);
  BOOST_TEST((static_cast<ec>(reply.error().code()) == ec::invalid_argument));
  BOOST_TEST(node_state().commands.empty());
}

BOOST_AUTO_TEST_SUITE_END()
