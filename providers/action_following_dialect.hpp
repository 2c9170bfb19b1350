// A REST cloud whose state changes run as asynchronous actions (Hetzner,
// DigitalOcean): following the actions a provider started.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "providers/provider_options.hpp"
#include "providers/rest_cloud_provider.hpp"

namespace dynserv {

/// Follows the actions a provider started, per server: reads pending ones
/// when the server is read (a list only those whose outcome the state does
/// not show, at most every `action_read_interval_ms`), reports failed ones
/// (a failed create makes the server `failed`), powers a server off when a
/// soft stop has not stopped it within `stop_timeout`, and sends a delete
/// whose action failed again.
class action_following_dialect : public rest_cloud_dialect {
public:
  /// How a cloud's actions show.
  struct rules {
    /// The state word of a server that is up ("running", "active").
    const char* up_state = "running";
    /// The state word of a stopped server.
    const char* off_state = "off";
    /// The state word of a server being deleted (a failed delete is sent
    /// again unless the server shows it).
    const char* deleting_state = "deleting";
    /// An up server with a pending stop action reads as stopping.
    bool pending_stop_reads_stopping = false;
    /// The cloud refuses a second action while one is pending: no hard
    /// stop while the soft one is.
    bool one_action_at_a_time = false;
    /// A soft stop that has not stopped the server this long after it was
    /// sent is followed by a hard stop.
    millis stop_timeout{60'000};
    /// What one action object (`{"id","status",...}`) says, in this
    /// cloud's words.
    http_support::action_report (*report_of)(const rapidjson::Value& action)
      = nullptr;
  };

  action_following_dialect(rest_cloud_facts facts, rules r);

  void powered(rest_session& session, provider_reply& reply,
               const std::string& id, http_support::action_kind kind,
               const rapidjson::Value* doc) override;

  void deleted(rest_session& session, const std::string& id,
               const rapidjson::Value* doc) override;

  void forget(const std::string& id) override;

  provider_error refresh(rest_session& session, provider_reply& reply,
                         cloud_server& srv) override;

  /// Reads the due actions of all `servers` together.
  void refresh_listed(rest_session& session, provider_reply& reply,
                      std::vector<cloud_server>& servers) override;

protected:
  /// Remembers action `aid` of server `id`, started at `now_ms`.
  void remember(const std::string& id, const std::string& aid,
                http_support::action_kind kind, int64_t now_ms);

  /// Remembers the create actions in `actions` (an action object or an
  /// array of them; each with an `id`) for the new server `srv`.
  void remember_created(rest_session& session, const cloud_server& srv,
                        const rapidjson::Value* actions);

  /// Reads `ids`; by default one `GET /actions/{id}` each.
  virtual http_support::action_reports
  read_actions(rest_session& session, provider_reply& reply,
               std::vector<std::string> ids);

  /// Reads action `aid` with `GET /actions/{aid}` into `out`: a 404 reports
  /// it gone, another failure leaves it unread.
  void read_action(rest_session& session, provider_reply& reply,
                   const std::string& aid, http_support::action_reports& out);

private:
  std::vector<std::string> due_actions(const cloud_server& srv, bool listing,
                                       int64_t now_ms);

  provider_error apply(rest_session& session, provider_reply& reply,
                       cloud_server& srv,
                       const http_support::action_reports& reports);

  provider_error
  note_failure(http_support::server_track& track, const cloud_server& srv,
               http_support::action_kind kind,
               const http_support::action_report& report, int64_t now_ms);

  void show_pending(const http_support::server_track& track,
                    cloud_server& srv) const;

  void follow_up(rest_session& session, provider_reply& reply,
                 cloud_server& srv, http_support::server_track& track);

  rules rules_;
  /// Servers with pending actions or a soft stop in progress, by id.
  std::map<std::string, http_support::server_track> tracks_;
};

} // namespace dynserv
