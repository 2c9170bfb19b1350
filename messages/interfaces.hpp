// Every typed actor interface of dynserv, one comment per handler.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"

#include "messages/atoms.hpp"
#include "messages/types.hpp"

namespace dynserv {

/// The SNAPSHOT actor: the only writer to the store. Groups the writes that
/// arrive together into one synced batch (group commit) and answers each put
/// once its batch is durable.
using snapshot_actor = caf::typed_actor<
  // Persists a server record and its events; replies with the last event seq.
  caf::replies_to<atom::put, server_record,
                  std::vector<event_record>>::with<uint64_t>,
  // Persists a pool record (desired count) and its events.
  caf::replies_to<atom::put, pool_record,
                  std::vector<event_record>>::with<uint64_t>,
  // Persists events alone (ServerLimitHit, ...).
  caf::replies_to<atom::put, std::vector<event_record>>::with<uint64_t>,
  // Reads up to N events with a seq greater than the given one.
  caf::replies_to<atom::events, uint64_t,
                  uint32_t>::with<std::vector<event_record>>,
  // Erases deleted server records older than the given wall-clock ms;
  // replies with how many were erased.
  caf::replies_to<atom::prune, int64_t>::with<uint64_t>,
  // Persists a policy decision and its events.
  caf::replies_to<atom::put, decision_record,
                  std::vector<event_record>>::with<uint64_t>,
  // Reads the N newest decisions of a pool, newest first.
  caf::replies_to<atom::decisions, std::string,
                  uint32_t>::with<std::vector<decision_record>>,
  // Erases decisions older than the given wall-clock ms; replies with how
  // many were erased.
  caf::replies_to<atom::prune, atom::decisions, int64_t>::with<uint64_t>,
  // Reads every server record in the store (after committing what is
  // queued), deleted ones included.
  caf::replies_to<atom::get>::with<std::vector<server_record>>,
  // Reads the delivery cursor of the named webhook; the reply tells whether
  // one is stored and where the event log ends.
  caf::replies_to<atom::cursor, std::string>::with<webhook_cursor>,
  // Persists a webhook's delivery cursor; replies with the seq of the last
  // committed event.
  caf::replies_to<atom::put, webhook_cursor>::with<uint64_t>,
  // Internal: commits everything queued so far.
  caf::reacts_to<atom::flush>>;

/// The PROVIDER actor: one per provider account. Serializes calls, applies the
/// token bucket, orders work delete > stop > create > other > poll, and serves
/// every `observe` of one tick with a single list call.
using provider_actor = caf::typed_actor<
  // Creates a server.
  caf::replies_to<atom::create, create_request>::with<provider_reply>,
  // Finds servers by their dynserv id label (resolves unknown creates).
  caf::replies_to<atom::lookup, std::string>::with<provider_reply>,
  // Reads one server by provider id.
  caf::replies_to<atom::get, std::string>::with<provider_reply>,
  // Reports (server id, provider id) at the next poll tick.
  caf::replies_to<atom::observe, std::string,
                  std::string>::with<provider_reply>,
  // Lists every server carrying this node's owner label.
  caf::replies_to<atom::list>::with<provider_reply>,
  // Stops, starts, reboots or deletes a server by provider id.
  caf::replies_to<atom::stop, std::string>::with<provider_reply>,
  caf::replies_to<atom::start, std::string>::with<provider_reply>,
  caf::replies_to<atom::reboot, std::string>::with<provider_reply>,
  caf::replies_to<atom::destroy, std::string>::with<provider_reply>,
  // Reports the API calls available now: the token bucket and, when the
  // provider reports one, its own remaining budget (the smaller counts).
  caf::replies_to<atom::limits>::with<rate_budget>,
  // Internal: the poll tick.
  caf::reacts_to<atom::tick>,
  // Internal: tokens are available again.
  caf::reacts_to<atom::drain>>;

/// A POOL supervisor: one per pool; owns the server actors of that pool and
/// reconciles their number towards the desired count.
using pool_actor = caf::typed_actor<
  // Sets the desired count (clamped to [min, max]).
  caf::replies_to<atom::ensure, int64_t>::with<scale_reply>,
  // Sets the desired count for the given reason (the pool's policy).
  caf::replies_to<atom::ensure, int64_t, std::string>::with<scale_reply>,
  // Pauses or resumes the pool's policy (a persisted flag); replies with
  // the pool.
  caf::replies_to<atom::pause>::with<pool_status>,
  caf::replies_to<atom::resume>::with<pool_status>,
  // Evaluates the pool's policy now; replies with the decision.
  caf::replies_to<atom::evaluate>::with<decision_record>,
  // Raises or lowers the desired count by N >= 0.
  caf::replies_to<atom::increase, int64_t>::with<scale_reply>,
  caf::replies_to<atom::decrease, int64_t>::with<scale_reply>,
  // Starts a rolling reboot of the pool's provisioned servers, at most
  // `max_unavailable` ("2" or "25%"; empty: the pool's default) rebooting at
  // once; starting and rebooting ones are rebooted once running. Replies with
  // the rollout (the running one, unchanged, if one is under way).
  caf::replies_to<atom::reboot, std::string>::with<rollout_record>,
  // Aborts the rolling reboot: no further server is rebooted (the ones
  // rebooting finish). Replies with the rollout.
  caf::replies_to<atom::abort>::with<rollout_record>,
  // Stops (and deletes) one server of this pool.
  caf::replies_to<atom::stop, std::string>::with<server_record>,
  // Reports the pool with its servers.
  caf::replies_to<atom::get>::with<pool_status>,
  // The config file declares this desired count; it applies if it differs
  // from the count last applied from the file.
  caf::replies_to<atom::reload, int64_t>::with<scale_reply>,
  // Internal: reconcile soon (coalesces bursts of record updates).
  caf::reacts_to<atom::reconcile>,
  // From a child server: its record after a persisted change.
  caf::reacts_to<atom::record, server_record>,
  // Takes over a server the node did not know (an orphan): persists the
  // record, then runs a server actor for it from its status. Replies with
  // the persisted record.
  caf::replies_to<atom::adopt, server_record>::with<server_record>,
  // Reconciles and re-arms the periodic tick.
  caf::reacts_to<atom::tick>>;

/// A POLICY actor: one per pool with a policy; evaluates it every
/// `policy.interval`, runs the guardrails, applies the result through the
/// pool and records the decision.
using policy_actor = caf::typed_actor<
  // Evaluates now; replies with the recorded decision.
  caf::replies_to<atom::evaluate>::with<decision_record>,
  // Internal: the periodic evaluation.
  caf::reacts_to<atom::tick>>;

/// A SERVER actor: one per cloud server; owns its transitions and timers.
using server_actor = caf::typed_actor<
  // Begins provisioning a pending server.
  caf::reacts_to<atom::start>,
  // Stops and deletes the server (cancels a pending one).
  caf::replies_to<atom::stop>::with<server_record>,
  // Reboots now if running, else remembers it.
  caf::replies_to<atom::reboot>::with<server_record>,
  // Reports the current record.
  caf::replies_to<atom::get>::with<server_record>,
  // The hanging deadline of the status armed with this generation fired.
  caf::reacts_to<atom::deadline, uint64_t>,
  // The retry/poll timer armed with this generation fired.
  caf::reacts_to<atom::retry, uint64_t>>;

/// A WEBHOOK actor: one per configured webhook, detached (it blocks on
/// HTTP). Reads the event log after its persisted cursor, POSTs each
/// matching event and advances the cursor only after a 2xx answer.
using webhook_actor = caf::typed_actor<
  // Reports cursor, lag, last error and next retry.
  caf::replies_to<atom::status>::with<webhook_status>,
  // Internal: read the next page of events or deliver the next event.
  caf::reacts_to<atom::tick>,
  // Internal: the retry or poll timer armed with this generation fired.
  caf::reacts_to<atom::retry, uint64_t>>;

/// What OPERATORS may ask a node: the commands of dynservctl and the HTTP
/// API, declared once. The node supervisor implements it; an admin session
/// implements it by forwarding each command to the node and answering its
/// client itself, so that no privileged handle ever crosses the wire.
using operator_actor = caf::typed_actor<
  // All pools with their servers.
  caf::replies_to<atom::status>::with<std::vector<pool_status>>,
  // One server by dynserv id.
  caf::replies_to<atom::server, std::string>::with<server_record>,
  // ensure/increase/decrease N on the named pool.
  caf::replies_to<atom::ensure, std::string, int64_t>::with<scale_reply>,
  caf::replies_to<atom::increase, std::string, int64_t>::with<scale_reply>,
  caf::replies_to<atom::decrease, std::string, int64_t>::with<scale_reply>,
  // Starts a rolling reboot of a pool (pool, max_unavailable or "").
  caf::replies_to<atom::reboot, std::string, std::string>::with<rollout_record>,
  // Aborts a pool's rolling reboot.
  caf::replies_to<atom::abort, std::string>::with<rollout_record>,
  // Stops (and deletes) one server by dynserv id.
  caf::replies_to<atom::stop, std::string>::with<server_record>,
  // Up to N events with a seq greater than the given one.
  caf::replies_to<atom::events, uint64_t,
                  uint32_t>::with<std::vector<event_record>>,
  // max_servers and how many servers count against it.
  caf::replies_to<atom::limits>::with<limits_info>,
  // Pauses or resumes the policy of the named pool.
  caf::replies_to<atom::pause, std::string>::with<pool_status>,
  caf::replies_to<atom::resume, std::string>::with<pool_status>,
  // The N newest policy decisions of the named pool, newest first.
  caf::replies_to<atom::decisions, std::string,
                  uint32_t>::with<std::vector<decision_record>>,
  // Every webhook's delivery status, sorted by name. The node lists a
  // webhook that does not answer within a short timeout (it may be blocked
  // on its receiver) with its last known status and an error text instead.
  caf::replies_to<atom::status,
                  atom::webhooks>::with<std::vector<webhook_status>>>;

/// What the node supervisor serves its own parts (pools, policies, the
/// orphan sweeper, start-up and reload); never reachable from a session.
using node_internal_actor = caf::typed_actor<
  // A pool asks for N creation slots; replies with the number granted.
  caf::replies_to<atom::reserve, std::string, int64_t>::with<int64_t>,
  // A pool returns N slots (servers deleted or cancelled).
  caf::reacts_to<atom::release, std::string, int64_t>,
  // Evaluates the named pool's policy now; replies with the decision.
  caf::replies_to<atom::evaluate, std::string>::with<decision_record>,
  // Applies the desired counts declared in a reloaded config file
  // (pool name -> count).
  caf::replies_to<atom::reload,
                  std::vector<pool_record>>::with<std::vector<scale_reply>>,
  // Adopts an orphan into the named pool; it counts towards max_servers
  // from then on (even above it: the server exists). Replies with the
  // persisted record.
  caf::replies_to<atom::adopt, std::string, server_record>::with<server_record>,
  // Start-up (attach_webhooks): the webhook actor named so, whose status
  // the node reports from now on.
  caf::reacts_to<atom::put, atom::webhooks, std::string, webhook_actor>,
  // Internal: periodic housekeeping (pruning old deleted records).
  caf::reacts_to<atom::tick>>;

/// The NODE supervisor: owns the pools, enforces `limits.max_servers`
/// exactly, and is the entry point for operators (console, API).
using node_actor = operator_actor::extend_with<node_internal_actor>;

/// The ORPHAN SWEEPER: one per node. Lists each provider account and
/// compares the servers carrying this node's owner label with the store;
/// reports, adopts or deletes the ones no record accounts for.
using orphan_sweeper_actor = caf::typed_actor<
  // Sweeps every account now; replies with the number of orphans known
  // after the sweep.
  caf::replies_to<atom::sweep>::with<uint64_t>,
  // Internal: the periodic sweep.
  caf::reacts_to<atom::tick>>;

/// An authenticated ADMIN SESSION: what `dynservctl` talks to. It serves
/// the operator interface by forwarding each command to the node (with
/// `request(...).then`, answering its client itself); a session exists only
/// after a successful login, so nothing reaches the node without the token.
using admin_session_actor = operator_actor::extend<
  // Internal: idle check; a session unused for 15 minutes ends.
  caf::reacts_to<atom::tick>>;

/// The ADMIN GATE published on `admin.listen`: trades the admin token for a
/// session. Wrong tokens are refused after a delay that grows with each
/// consecutive failure (throttling guessing).
using admin_gate_actor = caf::typed_actor<
  // Logs in with a token; replies with a session or ec::unauthorized.
  caf::replies_to<atom::login, std::string>::with<caf::actor>,
  // Internal: answers a refused login after its throttling delay.
  caf::reacts_to<atom::retry, uint64_t>>;

} // namespace dynserv
