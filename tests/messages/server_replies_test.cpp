// Tests of interpret_reply() and observation(): what each provider answer
// means for a server, row by row.
#include "actors/server_replies.hpp"

#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>
#include <vector>

#include "actors/server_fsm.hpp"

using namespace dynserv;

namespace {

using st = server_status;
using ev = server_event;
using sc = server_call;
using re = reply_effect;
using cl = cloud_state;

constexpr size_t cloud_state_count = static_cast<size_t>(cl::failed) + 1;

// -- replies ------------------------------------------------------------------

provider_reply with(cl state) {
  cloud_server srv;
  srv.provider_id = "p-9";
  srv.created_at_ms = 42;
  srv.state = state;
  if (state == cl::failed)
    srv.failure = {error_kind::permanent, "image_not_found",
                   "create action failed: image not found", 0};
  provider_reply reply;
  reply.servers.push_back(std::move(srv));
  return reply;
}

provider_reply empty() {
  return provider_reply{};
}

provider_reply error(error_kind kind, std::string code = "E") {
  provider_reply reply;
  reply.error = {kind, std::move(code), "scripted", 0};
  return reply;
}

// -- rows ---------------------------------------------------------------------

/// One row: the call, the status it was made in and the record now ->
/// what the reply means.
struct row {
  const char* what;
  sc call;
  /// Status when the call was made and now (unless `now` says otherwise).
  st status;
  bool call_accepted;
  bool has_provider_id;
  provider_reply reply;
  re want;
  std::optional<ev> event = std::nullopt;
  bool adopt = false;
  bool reset_backoff = false;
  /// The status now, if the server left `status` while the call ran.
  std::optional<st> now = std::nullopt;
};

constexpr bool acc = true;
constexpr bool not_acc = false;
constexpr bool pid = true;
constexpr bool no_pid = false;

std::vector<row> rows() {
  using ek = error_kind;
  // clang-format off
  return {
    // -- create (starting, no provider id yet) --------------------------------
    {"create accepted", sc::create, st::starting, not_acc, no_pid,
     with(cl::provisioning), re::apply_event, ev::create_accepted, true, true},
    {"create answered with a server that already failed", sc::create,
     st::starting, not_acc, no_pid, with(cl::failed), re::apply_event,
     ev::observed_failed, true, true},
    {"create ok without a server: outcome unknown, look up", sc::create,
     st::starting, not_acc, no_pid, empty(), re::proceed, {}, false, true},
    {"create answer lost: look up", sc::create, st::starting, not_acc, no_pid,
     error(ek::outcome_unknown), re::proceed},
    {"create dropped unsent from the queue", sc::create, st::starting, not_acc,
     no_pid, error(ek::transient, "queued"), re::uncount_create},
    {"create failed with 503: retry (a lookup follows)", sc::create,
     st::starting, not_acc, no_pid, error(ek::transient, "503"), re::retry},
    {"create rate limited", sc::create, st::starting, not_acc, no_pid,
     error(ek::rate_limited, "429"), re::retry},
    {"create conflict", sc::create, st::starting, not_acc, no_pid,
     error(ek::conflict, "409"), re::retry},
    {"create refused for good", sc::create, st::starting, not_acc, no_pid,
     error(ek::permanent, "422"), re::apply_event, ev::failed_permanently},
    {"create of an unknown image", sc::create, st::starting, not_acc, no_pid,
     error(ek::not_found, "404"), re::apply_event, ev::failed_permanently},
    // -- a create answered after the status changed ---------------------------
    {"late create answer: keep its provider id", sc::create, st::starting,
     not_acc, no_pid, with(cl::provisioning), re::persist, {}, true, false,
     st::hanging},
    {"late failed create answer: keep its provider id too", sc::create,
     st::starting, not_acc, no_pid, with(cl::failed), re::persist, {}, true,
     false, st::hanging},
    {"late create error: nothing to keep", sc::create, st::starting, not_acc,
     no_pid, error(ek::transient, "503"), re::proceed, {}, false, false,
     st::hanging},
    // -- lookup by label ------------------------------------------------------
    {"lookup finds nothing: the create never happened", sc::lookup,
     st::starting, not_acc, no_pid, empty(), re::apply_event,
     ev::missing_by_label},
    {"lookup finds the server: adopt it", sc::lookup, st::starting, not_acc,
     no_pid, with(cl::provisioning), re::apply_event, ev::found_by_label,
     true},
    {"lookup finds a server whose create failed", sc::lookup, st::starting,
     not_acc, no_pid, with(cl::failed), re::apply_event, ev::observed_failed,
     true},
    {"lookup fails: retry", sc::lookup, st::starting, not_acc, no_pid,
     error(ek::transient, "503"), re::retry},
    {"lookup before a stop finds nothing: never created", sc::lookup,
     st::stopping, not_acc, no_pid, empty(), re::apply_event,
     ev::observed_gone},
    {"lookup before a stop finds it: keep its id, then stop", sc::lookup,
     st::stopping, not_acc, no_pid, with(cl::running), re::persist, {}, true},
    {"late lookup answer", sc::lookup, st::starting, not_acc, no_pid,
     with(cl::running), re::proceed, {}, false, false, st::hanging},
    // -- observe while starting -----------------------------------------------
    {"starting server runs", sc::observe, st::starting, acc, pid,
     with(cl::running), re::apply_event, ev::observed_running, false, true},
    {"starting server still provisioning", sc::observe, st::starting, acc, pid,
     with(cl::provisioning), re::proceed, {}, false, true},
    {"recoverable error state (UpCloud): keep polling", sc::observe,
     st::starting, acc, pid, with(cl::error), re::proceed, {}, false, true},
    {"unknown state: keep polling", sc::observe, st::starting, acc, pid,
     with(cl::unknown), re::proceed, {}, false, true},
    {"create failed at the cloud for good: errored now", sc::observe,
     st::starting, acc, pid, with(cl::failed), re::apply_event,
     ev::observed_failed, false, true},
    {"starting server gone", sc::observe, st::starting, acc, pid,
     error(ek::not_found, "404"), re::apply_event, ev::observed_gone},
    {"poll failed", sc::observe, st::starting, acc, pid,
     error(ek::transient, "503"), re::retry},
    {"poll without a server", sc::observe, st::starting, acc, pid, empty(),
     re::retry, {}, false, true},
    // -- observe in the other statuses ----------------------------------------
    {"rebooted server runs", sc::observe, st::rebooting, acc, pid,
     with(cl::running), re::apply_event, ev::observed_running, false, true},
    {"rebooting server still rebooting", sc::observe, st::rebooting, acc, pid,
     with(cl::rebooting), re::proceed, {}, false, true},
    {"failed means nothing to a reboot", sc::observe, st::rebooting, acc, pid,
     with(cl::failed), re::proceed, {}, false, true},
    {"stopping server stopped", sc::observe, st::stopping, acc, pid,
     with(cl::stopped), re::apply_event, ev::observed_stopped, false, true},
    {"stopping server whose create failed: delete it", sc::observe,
     st::stopping, acc, pid, with(cl::failed), re::apply_event,
     ev::observed_failed, false, true},
    {"stopping server in a recoverable error state", sc::observe,
     st::stopping, acc, pid, with(cl::error), re::proceed, {}, false, true},
    {"deleting server still deleting", sc::observe, st::deleting, acc, pid,
     with(cl::deleting), re::proceed, {}, false, true},
    {"deleting server gone", sc::observe, st::deleting, acc, pid,
     error(ek::not_found, "404"), re::apply_event, ev::observed_gone},
    // -- get after a conflict -------------------------------------------------
    {"stop conflicted, the server never came up: delete it", sc::get,
     st::stopping, not_acc, pid, with(cl::provisioning), re::apply_event,
     ev::delete_requested},
    {"stop conflicted, the create had failed: delete it", sc::get,
     st::stopping, not_acc, pid, with(cl::failed), re::apply_event,
     ev::observed_failed},
    {"stop conflicted, but it is stopping", sc::get, st::stopping, not_acc,
     pid, with(cl::stopping), re::apply_event, ev::stop_accepted},
    {"stop conflicted, already stopped", sc::get, st::stopping, not_acc, pid,
     with(cl::stopped), re::apply_event, ev::observed_stopped},
    {"stop conflicted, still running: retry", sc::get, st::stopping, not_acc,
     pid, with(cl::running), re::retry},
    {"delete conflicted, it runs: stop it first", sc::get, st::deleting,
     not_acc, pid, with(cl::running), re::apply_event, ev::stop_requested},
    {"delete conflicted, but it is deleting", sc::get, st::deleting, not_acc,
     pid, with(cl::deleting), re::apply_event, ev::delete_accepted},
    {"delete conflicted while it stops: retry", sc::get, st::deleting,
     not_acc, pid, with(cl::stopping), re::retry},
    {"reboot conflicted, but it is rebooting", sc::get, st::rebooting,
     not_acc, pid, with(cl::rebooting), re::apply_event, ev::reboot_accepted},
    {"reboot conflicted, it is provisioning: retry", sc::get, st::rebooting,
     not_acc, pid, with(cl::provisioning), re::retry},
    {"conflict check finds it gone", sc::get, st::stopping, not_acc, pid,
     error(ek::not_found, "404"), re::apply_event, ev::observed_gone},
    // -- stop, delete, reboot -------------------------------------------------
    {"stop accepted", sc::stop, st::stopping, not_acc, pid, with(cl::running),
     re::apply_event, ev::stop_accepted, false, true},
    {"stop of a gone server", sc::stop, st::stopping, not_acc, pid,
     error(ek::not_found, "404"), re::apply_event, ev::observed_gone},
    {"stop conflicted: look first", sc::stop, st::stopping, not_acc, pid,
     error(ek::conflict, "409"), re::check_server},
    {"stop refused for good", sc::stop, st::stopping, not_acc, pid,
     error(ek::permanent, "403"), re::apply_event, ev::failed_permanently},
    {"stop failed with 503", sc::stop, st::stopping, not_acc, pid,
     error(ek::transient, "503"), re::retry},
    {"delete accepted", sc::destroy, st::deleting, not_acc, pid,
     with(cl::deleting), re::apply_event, ev::delete_accepted, false, true},
    {"delete conflicted: look first", sc::destroy, st::deleting, not_acc, pid,
     error(ek::conflict, "409"), re::check_server},
    {"reboot accepted", sc::reboot, st::rebooting, not_acc, pid,
     with(cl::rebooting), re::apply_event, ev::reboot_accepted, false, true},
    {"reboot refused for good", sc::reboot, st::rebooting, not_acc, pid,
     error(ek::permanent, "422"), re::apply_event, ev::failed_permanently},
    {"late stop answer", sc::stop, st::stopping, not_acc, pid,
     with(cl::running), re::proceed, {}, false, false, st::hanging},
  };
  // clang-format on
}

server_record record_of(const row& r) {
  server_record rec;
  rec.id = "00000000-0000-4000-8000-000000000001";
  rec.status = r.now.value_or(r.status);
  rec.call_accepted = r.call_accepted;
  rec.provider_id = r.has_provider_id ? "p-9" : "";
  rec.create_attempts = 1;
  return rec;
}

} // namespace

BOOST_AUTO_TEST_SUITE(server_replies_tests)

BOOST_AUTO_TEST_CASE(every_row_means_what_it_says) {
  for (const auto& r : rows()) {
    BOOST_TEST_CONTEXT(to_string(r.call)
                       << " in " << to_string(r.status) << ": " << r.what) {
      auto out = interpret_reply(r.call, r.status, record_of(r), r.reply);
      BOOST_TEST((out.effect == r.want), "effect: got " << to_string(out.effect)
                                                        << ", want "
                                                        << to_string(r.want));
      if (r.event) {
        BOOST_TEST((out.event == *r.event),
                   "event: got " << to_string(out.event) << ", want "
                                 << to_string(*r.event));
      }
      BOOST_TEST(out.adopt == r.adopt);
      BOOST_TEST(out.reset_backoff == r.reset_backoff);
      BOOST_TEST(std::string{out.why}.size() > 0u);
      // Retries and conflicts carry the error they record.
      if (out.effect == re::retry || out.effect == re::check_server
          || out.effect == re::uncount_create)
        BOOST_TEST((out.error.kind != error_kind::none || r.reply.ok()));
    }
  }
}

BOOST_AUTO_TEST_CASE(a_failed_create_carries_the_providers_code_and_message) {
  server_record rec;
  rec.status = st::starting;
  rec.call_accepted = true;
  rec.provider_id = "p-9";
  auto out = interpret_reply(sc::observe, st::starting, rec, with(cl::failed));
  BOOST_TEST_REQUIRE((out.effect == re::apply_event));
  BOOST_TEST((out.event == ev::observed_failed));
  BOOST_TEST((out.error.kind == error_kind::permanent));
  BOOST_TEST(out.error.code == "image_not_found");
  BOOST_TEST(out.error.message == "create action failed: image not found");
  // The table turns it into errored, with the error recorded.
  auto t = fsm::step(rec.status, out.event);
  BOOST_TEST_REQUIRE(t.has_value());
  BOOST_TEST((t->to == st::errored));
  BOOST_TEST((t->act == fsm::action::mark_errored));
}

BOOST_AUTO_TEST_CASE(failure_of_falls_back_when_the_provider_gives_no_reason) {
  cloud_server srv;
  srv.state = cl::failed;
  srv.raw_state = "off";
  auto err = failure_of(srv);
  BOOST_TEST((err.kind == error_kind::permanent));
  BOOST_TEST(err.code == "off");
  BOOST_TEST(!err.message.empty());
  srv.raw_state.clear();
  BOOST_TEST(failure_of(srv).code == "failed");
  srv.failure = {error_kind::none, "X", "why", 0};
  err = failure_of(srv);
  BOOST_TEST((err.kind == error_kind::permanent));
  BOOST_TEST(err.code == "X");
  BOOST_TEST(err.message == "why");
}

BOOST_AUTO_TEST_CASE(every_event_a_reply_yields_is_a_row_of_the_table) {
  for (const auto& r : rows()) {
    auto rec = record_of(r);
    auto out = interpret_reply(r.call, r.status, rec, r.reply);
    if (out.effect != re::apply_event)
      continue;
    BOOST_TEST_CONTEXT(r.what) {
      BOOST_TEST(fsm::step(rec.status, out.event).has_value(),
                 to_string(out.event) << " in " << to_string(rec.status));
    }
  }
}

BOOST_AUTO_TEST_CASE(every_observation_is_accepted_by_the_table) {
  // An observation the table rejected would be dropped and stall the server
  // until its deadline; "keep polling" must be std::nullopt instead.
  for (size_t s = 0; s < server_status_count; ++s) {
    for (size_t c = 0; c < cloud_state_count; ++c) {
      auto status = static_cast<st>(s);
      auto state = static_cast<cl>(c);
      if (auto e = observation(status, state)) {
        BOOST_TEST_CONTEXT(to_string(status) << " sees " << to_string(state)) {
          BOOST_TEST(fsm::step(status, *e).has_value(), to_string(*e));
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(only_failed_ends_a_start_early_and_error_does_not) {
  for (size_t c = 0; c < cloud_state_count; ++c) {
    auto state = static_cast<cl>(c);
    auto e = observation(st::starting, state);
    BOOST_TEST_CONTEXT(to_string(state)) {
      if (state == cl::running)
        BOOST_TEST((e == ev::observed_running));
      else if (state == cl::failed)
        BOOST_TEST((e == ev::observed_failed));
      else
        BOOST_TEST(!e.has_value());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
