// The interface every cloud provider implementation offers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "messages/types.hpp"

namespace dynserv {

/// What a provider can do natively; the provider actor and server actors pick
/// their strategy from these flags.
struct provider_capabilities {
  /// `list(selector)` filters by labels on the provider side.
  bool list_by_labels = true;
  /// A running server can be deleted without stopping it first.
  bool delete_running = false;
  /// Stopped servers can be started again.
  bool start_stopped = true;
  /// Reboot is a single provider call.
  bool reboot = true;
};

/// A provider account. Calls are synchronous (they may block on the network)
/// and are only ever made from the provider actor, one at a time, so
/// implementations need no locking. Every failure is reported in
/// `provider_reply::error`, never thrown.
class provider {
public:
  virtual ~provider();

  /// Short type name used in logs and config, e.g. "simulated".
  virtual std::string type_name() const = 0;

  virtual provider_capabilities capabilities() const = 0;

  /// Creates a server carrying `req.labels`; the reply holds the server.
  virtual provider_reply create(const create_request& req) = 0;

  /// Reads one server; `error_kind::not_found` if it does not exist.
  virtual provider_reply get(const std::string& provider_id) = 0;

  /// Lists every server whose labels include all of `selector`.
  virtual provider_reply list(const label_map& selector) = 0;

  virtual provider_reply stop(const std::string& provider_id) = 0;

  virtual provider_reply start(const std::string& provider_id) = 0;

  virtual provider_reply reboot(const std::string& provider_id) = 0;

  /// Deletes the server (and its disks). `error_kind::not_found` when it is
  /// already gone.
  virtual provider_reply destroy(const std::string& provider_id) = 0;
};

using provider_ptr = std::unique_ptr<provider>;

} // namespace dynserv
