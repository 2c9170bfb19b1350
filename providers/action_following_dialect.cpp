// A REST cloud whose state changes run as asynchronous actions (Hetzner,
// DigitalOcean): following the actions a provider started.
#include "providers/action_following_dialect.hpp"

#include <rapidjson/document.h>

#include "http/http_client.hpp"

namespace dynserv {

using namespace http_support;

namespace {

/// The id of `{"action":{"id":...}}`.
std::optional<std::string> action_id(const rapidjson::Value* doc) {
  return as_id(path(doc, {"action", "id"}));
}

} // namespace

action_following_dialect::action_following_dialect(rest_cloud_facts facts,
                                                   rules r)
  : rest_cloud_dialect(std::move(facts)), rules_(r) {
  // nop
}

void action_following_dialect::remember(const std::string& id,
                                        const std::string& aid,
                                        action_kind kind, int64_t now_ms) {
  tracks_[id].add(aid, kind, now_ms);
}

void action_following_dialect::remember_created(
  rest_session& session, const cloud_server& srv,
  const rapidjson::Value* actions) {
  auto one = [&](const rapidjson::Value& action) {
    if (auto aid = as_id(member(&action, "id")))
      remember(srv.provider_id, *aid, action_kind::create, session.now_ms());
  };
  if (actions != nullptr && actions->IsArray()) {
    for (const auto& item : actions->GetArray())
      one(item);
  } else if (actions != nullptr) {
    one(*actions);
  }
}

void action_following_dialect::powered(rest_session& session, provider_reply&,
                                       const std::string& id, action_kind kind,
                                       const rapidjson::Value* doc) {
  auto now = session.now_ms();
  if (auto aid = action_id(doc))
    remember(id, *aid, kind, now);
  if (kind == action_kind::soft_stop) {
    auto& track = tracks_[id];
    track.soft_stop_ms = now;
    track.hard_stop_sent = false;
  }
}

void action_following_dialect::deleted(rest_session& session,
                                       const std::string& id,
                                       const rapidjson::Value* doc) {
  // Only the delete matters from now on.
  tracks_.erase(id);
  if (auto aid = action_id(doc))
    remember(id, *aid, action_kind::destroy, session.now_ms());
}

void action_following_dialect::forget(const std::string& id) {
  tracks_.erase(id);
}

provider_error action_following_dialect::refresh(rest_session& session,
                                                 provider_reply& reply,
                                                 cloud_server& srv) {
  auto due = due_actions(srv, false, session.now_ms());
  return apply(session, reply, srv,
               read_actions(session, reply, std::move(due)));
}

void action_following_dialect::refresh_listed(
  rest_session& session, provider_reply& reply,
  std::vector<cloud_server>& servers) {
  std::vector<std::string> due;
  for (const auto& srv : servers) {
    auto ids = due_actions(srv, true, session.now_ms());
    due.insert(due.end(), ids.begin(), ids.end());
  }
  auto reports = read_actions(session, reply, std::move(due));
  // A list reports the servers as they are; the errors are a get's.
  for (auto& srv : servers)
    apply(session, reply, srv, reports);
}

// -- reading actions ----------------------------------------------------------

action_reports action_following_dialect::read_actions(
  rest_session& session, provider_reply& reply, std::vector<std::string> ids) {
  action_reports result;
  for (const auto& aid : ids)
    read_action(session, reply, aid, result);
  return result;
}

void action_following_dialect::read_action(rest_session& session,
                                           provider_reply& reply,
                                           const std::string& aid,
                                           action_reports& out) {
  http_response rsp;
  provider_error err;
  if (!session.side_request(reply, rest_op::get,
                            {"GET", "/actions/" + url_encode(aid), {}}, rsp,
                            &err)) {
    // An action that no longer exists cannot tell us anything.
    if (err.kind == error_kind::not_found)
      out[aid] = action_report{action_status::gone, {}, {}};
    return;
  }
  rapidjson::Document doc;
  if (auto x = parse_json(rsp.body, doc) ? member(&doc, "action") : nullptr)
    out[aid] = rules_.report_of(*x);
}

std::vector<std::string>
action_following_dialect::due_actions(const cloud_server& srv, bool listing,
                                      int64_t now_ms) {
  // True if the listed state already shows how an action of `kind` ended
  // (successfully), so that reading it can tell nothing new. A reboot or
  // delete cannot be seen this way.
  auto shows_outcome = [&](action_kind kind) {
    switch (kind) {
      case action_kind::create:
      case action_kind::start:
        return srv.raw_state == rules_.up_state;
      case action_kind::soft_stop:
      case action_kind::hard_stop:
        return srv.raw_state == rules_.off_state;
      case action_kind::reboot:
      case action_kind::destroy:
        return false;
    }
    return false;
  };
  std::vector<std::string> result;
  auto i = tracks_.find(srv.provider_id);
  if (i == tracks_.end())
    return result;
  auto& actions = i->second.actions;
  for (auto a = actions.begin(); a != actions.end();) {
    if (listing && shows_outcome(a->second.kind)) {
      a = actions.erase(a);
      continue;
    }
    if (!listing || now_ms >= a->second.next_read_ms) {
      a->second.next_read_ms = now_ms + action_read_interval_ms;
      result.push_back(a->first);
    }
    ++a;
  }
  return result;
}

// -- applying what the reads found --------------------------------------------

provider_error action_following_dialect::apply(rest_session& session,
                                               provider_reply& reply,
                                               cloud_server& srv,
                                               const action_reports& reports) {
  provider_error result;
  auto i = tracks_.find(srv.provider_id);
  if (i == tracks_.end())
    return result;
  auto& track = i->second;
  auto now = session.now_ms();
  for (auto a = track.actions.begin(); a != track.actions.end();) {
    auto r = reports.find(a->first);
    if (r == reports.end() || r->second.status == action_status::running) {
      ++a;
      continue;
    }
    auto kind = a->second.kind;
    a = track.actions.erase(a);
    if (r->second.status != action_status::failed)
      continue;
    if (auto err = note_failure(track, srv, kind, r->second, now);
        err.kind != error_kind::none)
      result = std::move(err);
  }
  if (track.create_failure.kind != error_kind::none)
    mark_create_failed(srv, track.create_failure);
  show_pending(track, srv);
  // After reporting a failure, the follow-up waits for the next read, so
  // that a get answers with the error first.
  if (result.kind == error_kind::none)
    follow_up(session, reply, srv, track);
  if (track.empty())
    tracks_.erase(i);
  return result;
}

provider_error action_following_dialect::note_failure(
  server_track& track, const cloud_server& srv, action_kind kind,
  const action_report& report, int64_t now_ms) {
  auto code = report.code.empty() ? std::string{"action_failed"} : report.code;
  auto msg = report.message.empty() ? std::string{"the action failed"}
                                    : report.message;
  switch (kind) {
    case action_kind::create:
      // The server will never run: the create failed at the cloud.
      track.create_failure = make_error(error_kind::permanent, code, msg);
      break;
    case action_kind::soft_stop:
    case action_kind::hard_stop:
      // Power off at the next read; the actor keeps polling.
      track.soft_stop_ms = now_ms - rules_.stop_timeout.count();
      track.hard_stop_sent = false;
      return make_error(error_kind::transient, "action_failed",
                        "stopping server " + srv.provider_id
                          + " failed: " + msg);
    case action_kind::destroy:
      track.resend_delete = true;
      return make_error(error_kind::transient, "action_failed",
                        "deleting server " + srv.provider_id
                          + " failed: " + msg);
    case action_kind::start:
    case action_kind::reboot:
      // The state shows whether it worked; the actor's deadline covers a
      // server that never gets there.
      break;
  }
  return {};
}

void action_following_dialect::show_pending(const server_track& track,
                                            cloud_server& srv) const {
  // An up server with a pending reboot (or, where the cloud shows no
  // stopping state of its own, stop) is on its way.
  if (srv.raw_state != rules_.up_state)
    return;
  for (const auto& [aid, pending] : track.actions) {
    if (pending.kind == action_kind::reboot)
      srv.state = cloud_state::rebooting;
    else if (rules_.pending_stop_reads_stopping
             && (pending.kind == action_kind::soft_stop
                 || pending.kind == action_kind::hard_stop))
      srv.state = cloud_state::stopping;
  }
}

void action_following_dialect::follow_up(rest_session& session,
                                         provider_reply& reply,
                                         cloud_server& srv,
                                         server_track& track) {
  auto now = session.now_ms();
  http_response rsp;
  rapidjson::Document doc;
  auto busy = false;
  for (const auto& [aid, pending] : track.actions)
    busy = busy || pending.kind == action_kind::soft_stop;
  if (track.soft_stop_ms >= 0) {
    if (srv.raw_state == rules_.off_state) {
      track.soft_stop_ms = -1;
      track.hard_stop_sent = false;
    } else if (srv.raw_state == rules_.up_state && !track.hard_stop_sent
               && now - track.soft_stop_ms >= rules_.stop_timeout.count()
               && !(rules_.one_action_at_a_time && busy)
               && session.side_request(
                 reply, rest_op::stop,
                 power_request(srv.provider_id, action_kind::hard_stop), rsp)) {
      track.hard_stop_sent = true;
      if (rules_.pending_stop_reads_stopping)
        srv.state = cloud_state::stopping;
      if (parse_json(rsp.body, doc))
        if (auto aid = action_id(&doc))
          track.add(*aid, action_kind::hard_stop, now);
    }
  }
  if (track.resend_delete && srv.raw_state != rules_.deleting_state
      && session.side_request(reply, rest_op::destroy,
                              {"DELETE", delete_target(srv.provider_id), {}},
                              rsp)) {
    track.resend_delete = false;
    if (parse_json(rsp.body, doc))
      if (auto aid = action_id(&doc))
        track.add(*aid, action_kind::destroy, now);
  }
}

} // namespace dynserv
