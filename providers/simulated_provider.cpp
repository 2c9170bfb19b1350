// The embedded local cloud: a provider whose inventory persists in a store.
#include "providers/simulated_provider.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>
#include <string_view>
#include <utility>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "messages/errors.hpp"
#include "providers/backoff.hpp"
#include "storage/rocksdb_store.hpp"
#include "storage/store.hpp"

namespace dynserv {

namespace {

// -- vocabulary ---------------------------------------------------------------

/// The last operation applied to a server; with its timestamps it determines
/// the server's state.
enum class sim_op : uint8_t { create, start, stop, reboot, destroy };

constexpr std::string_view op_names[] = {"create", "start", "stop", "reboot",
                                         "delete"};

std::string_view to_string(sim_op x) {
  return op_names[static_cast<size_t>(x)];
}

bool from_string(std::string_view str, sim_op& x) {
  for (size_t i = 0; i < std::size(op_names); ++i) {
    if (op_names[i] == str) {
      x = static_cast<sim_op>(i);
      return true;
    }
  }
  return false;
}

/// Names of the API operations, as used in `error_rate` and `call_counts`.
constexpr const char* api_operations[] = {"create", "get",    "list",  "stop",
                                          "start",  "reboot", "delete"};

/// Raw state of servers that are gone.
constexpr const char* deleted_state = "deleted";

/// Keys of the inventory below the key prefix: one record per server, plus
/// the id counter.
constexpr std::string_view server_prefix = "server/";
constexpr std::string_view next_id_key = "meta/next_id";

/// Version of the stored server records.
constexpr int record_version = 1;

/// Keeps simulated durations within int64 range whatever the options.
constexpr double max_duration_ms = 1e15;

/// One server of the inventory as stored.
struct entry {
  std::string id;
  std::string name;
  label_map labels;
  int64_t created_at_ms = 0;
  /// The last operation and when it started and ends.
  sim_op op = sim_op::create;
  int64_t op_since_ms = 0;
  int64_t op_until_ms = 0;
  /// The create never completes (fault `never_start_rate`).
  bool stuck = false;
};

/// The state of a server at some point in time.
struct observation {
  cloud_state state = cloud_state::unknown;
  /// Deleted and past `delete_time`: invisible to the API.
  bool gone = false;
};

observation observe(const entry& e, int64_t now_ms) {
  auto done = !e.stuck && now_ms >= e.op_until_ms;
  switch (e.op) {
    case sim_op::create:
    case sim_op::start:
      return {done ? cloud_state::running : cloud_state::provisioning, false};
    case sim_op::stop:
      return {done ? cloud_state::stopped : cloud_state::stopping, false};
    case sim_op::reboot:
      return {done ? cloud_state::running : cloud_state::rebooting, false};
    case sim_op::destroy:
      return {cloud_state::deleting, done};
  }
  return {};
}

cloud_server to_cloud_server(const entry& e, int64_t now_ms) {
  auto obs = observe(e, now_ms);
  cloud_server result;
  result.provider_id = e.id;
  result.name = e.name;
  result.labels = e.labels;
  result.state = obs.state;
  result.raw_state = obs.gone ? deleted_state : to_string(obs.state);
  result.created_at_ms = e.created_at_ms;
  return result;
}

bool has_labels(const label_map& labels, const label_map& selector) {
  return std::all_of(selector.begin(), selector.end(), [&](const auto& kvp) {
    auto i = labels.find(kvp.first);
    return i != labels.end() && i->second == kvp.second;
  });
}

std::string make_id(uint64_t n) {
  auto digits = std::to_string(n);
  if (digits.size() < 8)
    digits.insert(0, 8 - digits.size(), '0');
  return "sim-" + digits;
}

// -- record codec -------------------------------------------------------------

std::string encode(const entry& e) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  auto str = [&w](std::string_view x) {
    w.String(x.data(), static_cast<rapidjson::SizeType>(x.size()));
  };
  w.StartObject();
  w.Key("v");
  w.Int(record_version);
  w.Key("id");
  str(e.id);
  w.Key("name");
  str(e.name);
  w.Key("labels");
  w.StartObject();
  for (const auto& [key, value] : e.labels) {
    w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    str(value);
  }
  w.EndObject();
  w.Key("created_at_ms");
  w.Int64(e.created_at_ms);
  w.Key("op");
  str(to_string(e.op));
  w.Key("op_since_ms");
  w.Int64(e.op_since_ms);
  w.Key("op_until_ms");
  w.Int64(e.op_until_ms);
  w.Key("stuck");
  w.Bool(e.stuck);
  w.EndObject();
  return std::string{buf.GetString(), buf.GetSize()};
}

bool decode(const std::string& json, entry& e) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject())
    return false;
  auto member = [&doc](const char* key) -> const rapidjson::Value* {
    auto i = doc.FindMember(key);
    return i != doc.MemberEnd() ? &i->value : nullptr;
  };
  auto string_member = [&](const char* key, std::string& out) {
    auto val = member(key);
    if (val == nullptr || !val->IsString())
      return false;
    out.assign(val->GetString(), val->GetStringLength());
    return true;
  };
  auto int_member = [&](const char* key, int64_t& out) {
    auto val = member(key);
    if (val == nullptr || !val->IsInt64())
      return false;
    out = val->GetInt64();
    return true;
  };
  auto version = member("v");
  if (version == nullptr || !version->IsInt()
      || version->GetInt() != record_version)
    return false;
  std::string op;
  if (!string_member("id", e.id) || !string_member("name", e.name)
      || !int_member("created_at_ms", e.created_at_ms)
      || !string_member("op", op) || !from_string(op, e.op)
      || !int_member("op_since_ms", e.op_since_ms)
      || !int_member("op_until_ms", e.op_until_ms))
    return false;
  auto stuck = member("stuck");
  if (stuck == nullptr || !stuck->IsBool())
    return false;
  e.stuck = stuck->GetBool();
  auto labels = member("labels");
  if (labels == nullptr || !labels->IsObject())
    return false;
  e.labels.clear();
  for (auto i = labels->MemberBegin(); i != labels->MemberEnd(); ++i) {
    if (!i->value.IsString())
      return false;
    e.labels.emplace(
      std::string{i->name.GetString(), i->name.GetStringLength()},
      std::string{i->value.GetString(), i->value.GetStringLength()});
  }
  return true;
}

// -- replies ------------------------------------------------------------------

provider_reply failure(error_kind kind, std::string code, std::string message) {
  provider_reply result;
  result.error.kind = kind;
  result.error.code = std::move(code);
  result.error.message = std::move(message);
  return result;
}

provider_reply failure(provider_error err) {
  provider_reply result;
  result.error = std::move(err);
  return result;
}

provider_reply success(cloud_server server) {
  provider_reply result;
  result.servers.emplace_back(std::move(server));
  return result;
}

provider_reply not_found() {
  return failure(error_kind::not_found, "404", "SERVER_NOT_FOUND");
}

provider_reply conflict(cloud_state state) {
  return failure(error_kind::conflict, "409",
                 std::string{"server is "} + to_string(state));
}

// -- options ------------------------------------------------------------------

bool is_probability(double x) {
  return std::isfinite(x) && x >= 0.0 && x <= 1.0;
}

caf::error validate(const simulated_options& opts) {
  for (auto d : {opts.create_time, opts.start_time, opts.stop_time,
                 opts.delete_time, opts.reboot_time})
    if (d.count() < 0)
      return make_error(ec::invalid_config,
                        "simulated durations must not be negative");
  if (!is_probability(opts.jitter))
    return make_error(ec::invalid_config, "jitter must be within [0, 1]");
  if (!std::isfinite(opts.time_scale) || opts.time_scale <= 0.0)
    return make_error(ec::invalid_config, "time_scale must be positive");
  for (const auto& [op, rate] : opts.faults.error_rate) {
    auto known = std::find(std::begin(api_operations), std::end(api_operations),
                           op)
                 != std::end(api_operations);
    if (!known)
      return make_error(ec::invalid_config,
                        "unknown operation in error_rate: " + op);
    if (!is_probability(rate))
      return make_error(ec::invalid_config,
                        "error_rate of " + op + " must be within [0, 1]");
  }
  if (!is_probability(opts.faults.never_start_rate))
    return make_error(ec::invalid_config,
                      "never_start_rate must be within [0, 1]");
  if (!is_probability(opts.faults.lost_create_response_rate))
    return make_error(ec::invalid_config,
                      "lost_create_response_rate must be within [0, 1]");
  return caf::none;
}

} // namespace

// -- state --------------------------------------------------------------------

struct simulated_provider::impl {
  std::string dir;
  simulated_options opts;
  std::function<int64_t()> now_ms;
  bool read_only = false;
  /// The store opened for `dir`, if this instance opened one.
  store_ptr owned;
  /// Where the inventory persists; `owned` or a store of the caller's.
  store* db = nullptr;
  /// Prepended to every key, so that the inventory may share a store.
  std::string key_prefix;
  /// Draws durations and faults; seeded from `opts.seed`.
  std::mt19937_64 rng;
  /// Mirror of the stored inventory (tombstones included), keyed by id.
  std::map<std::string, entry> servers;
  /// Number of the next server; persisted with each create.
  uint64_t next_id = 1;
  std::map<std::string, uint64_t> calls;

  std::string server_key(const std::string& id) const {
    return key_prefix + std::string{server_prefix} + id;
  }

  std::string counter_key() const {
    return key_prefix + std::string{next_id_key};
  }

  /// Where the inventory lives, for messages.
  std::string where() const {
    return dir.empty() ? "the store (keys " + key_prefix + "...)" : dir;
  }

  /// Reads the id counter into `next`; returns an error message.
  std::string load_counter(uint64_t& next) {
    auto value = db->get(counter_key());
    if (!value)
      return "cannot read " + where() + ": " + describe(value.error());
    if (!*value)
      return {};
    auto& text = **value;
    char* end = nullptr;
    auto n = std::strtoull(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0')
      return "corrupt id counter in " + where();
    next = std::max<uint64_t>(next, n);
    return {};
  }

  /// Replaces the mirror by the stored inventory; returns an error message.
  std::string load() {
    std::map<std::string, entry> loaded;
    uint64_t next = 1;
    if (auto msg = load_counter(next); !msg.empty())
      return msg;
    auto prefix = key_prefix + std::string{server_prefix};
    std::string problem;
    auto err = db->scan(prefix, [&](std::string_view key,
                                    std::string_view value) {
      entry e;
      if (!decode(std::string{value}, e) || key.substr(prefix.size()) != e.id) {
        problem = "corrupt server record " + std::string{key} + " in "
                  + where();
        return false;
      }
      // Guards against a lost counter: ids are "sim-" + number.
      auto n = std::strtoull(e.id.c_str() + std::min<size_t>(4, e.id.size()),
                             nullptr, 10);
      next = std::max<uint64_t>(next, n + 1);
      loaded.emplace(e.id, std::move(e));
      return true;
    });
    if (err)
      return "cannot read " + where() + ": " + describe(err);
    if (!problem.empty())
      return problem;
    servers = std::move(loaded);
    next_id = next;
    return {};
  }

  /// Catches up with the store's writer (read-only instances); on failure
  /// the mirror keeps the last successful read.
  std::string refresh() {
    if (auto err = db->refresh())
      return "cannot catch up with the simulated cloud: " + describe(err);
    return load();
  }

  /// Counts the call and fails it if it cannot or should not proceed;
  /// returns a reply without error otherwise.
  provider_reply admit(const char* op, bool mutating) {
    ++calls[op];
    if (read_only) {
      if (mutating)
        return failure(error_kind::permanent, "403",
                       "the simulated cloud is opened read-only");
      // A secondary instance sees new writes only after catching up.
      if (auto msg = refresh(); !msg.empty())
        return failure(error_kind::transient, "500", msg);
      return {};
    }
    auto i = opts.faults.error_rate.find(op);
    if (roll(i != opts.faults.error_rate.end() ? i->second : 0.0))
      return failure(error_kind::transient, "503",
                     "simulated service unavailable");
    return {};
  }

  /// Returns true with probability `rate`; always draws exactly one number so
  /// that the sequence of outcomes depends only on the seed and the calls.
  bool roll(double rate) {
    return unit_interval(rng) < rate;
  }

  /// Returns `base` scaled by `time_scale` and jittered, in milliseconds.
  int64_t duration(millis base) {
    auto factor = 1.0 + opts.jitter * (2.0 * unit_interval(rng) - 1.0);
    auto ms = static_cast<double>(base.count()) / opts.time_scale * factor;
    return std::llround(std::clamp(ms, 0.0, max_duration_ms));
  }

  /// Stores `e` (and the id counter if `new_next_id` is not 0) before the
  /// call returns.
  provider_error persist(const entry& e, uint64_t new_next_id = 0) {
    write_batch batch;
    batch.put(server_key(e.id), encode(e));
    if (new_next_id != 0)
      batch.put(counter_key(), std::to_string(new_next_id));
    if (auto err = db->write(batch))
      return {error_kind::transient, "500",
              "simulated cloud storage failed: " + describe(err), 0};
    return {};
  }

  /// Returns the server with `id` unless it is unknown or gone.
  entry* find_live(const std::string& id, int64_t now) {
    auto i = servers.find(id);
    if (i == servers.end() || observe(i->second, now).gone)
      return nullptr;
    return &i->second;
  }

  /// Starts `op` on a server that must be in state `required`.
  provider_reply transition(const char* name, const std::string& id,
                            cloud_state required, sim_op op, millis base) {
    if (auto reply = admit(name, true); !reply.ok())
      return reply;
    auto now = now_ms();
    auto e = find_live(id, now);
    if (e == nullptr)
      return not_found();
    if (auto state = observe(*e, now).state; state != required)
      return conflict(state);
    auto next = *e;
    next.op = op;
    next.op_since_ms = now;
    next.op_until_ms = now + duration(base);
    next.stuck = false;
    if (auto err = persist(next); err.kind != error_kind::none)
      return failure(std::move(err));
    *e = std::move(next);
    return success(to_cloud_server(*e, now));
  }
};

// -- provider interface -------------------------------------------------------

simulated_provider::simulated_provider(std::unique_ptr<impl> ptr)
  : impl_(std::move(ptr)) {
  for (auto op : api_operations)
    impl_->calls.emplace(op, 0);
}

simulated_provider::~simulated_provider() = default;

std::string simulated_provider::type_name() const {
  return "simulated";
}

provider_capabilities simulated_provider::capabilities() const {
  provider_capabilities result;
  result.list_by_labels = true;
  result.delete_running = false;
  result.start_stopped = true;
  result.reboot = true;
  return result;
}

provider_reply simulated_provider::create(const create_request& req) {
  auto& st = *impl_;
  if (auto reply = st.admit("create", true); !reply.ok())
    return reply;
  if (req.name.empty())
    return failure(error_kind::permanent, "422", "name must not be empty");
  if (req.server_id.empty())
    return failure(error_kind::permanent, "422", "server_id must not be empty");
  auto now = st.now_ms();
  entry e;
  e.id = make_id(st.next_id);
  e.name = req.name;
  e.labels = req.labels;
  e.created_at_ms = now;
  e.op = sim_op::create;
  e.op_since_ms = now;
  e.stuck = st.roll(st.opts.faults.never_start_rate);
  auto lost = st.roll(st.opts.faults.lost_create_response_rate);
  e.op_until_ms = now + st.duration(st.opts.create_time);
  if (auto err = st.persist(e, st.next_id + 1); err.kind != error_kind::none)
    return failure(std::move(err));
  ++st.next_id;
  auto server = to_cloud_server(e, now);
  st.servers.emplace(e.id, std::move(e));
  if (lost)
    return failure(error_kind::outcome_unknown, "timeout",
                   "simulated timeout: the response was lost");
  return success(std::move(server));
}

provider_reply simulated_provider::get(const std::string& provider_id) {
  auto& st = *impl_;
  if (auto reply = st.admit("get", false); !reply.ok())
    return reply;
  auto now = st.now_ms();
  auto e = st.find_live(provider_id, now);
  if (e == nullptr)
    return not_found();
  return success(to_cloud_server(*e, now));
}

provider_reply simulated_provider::list(const label_map& selector) {
  auto& st = *impl_;
  if (auto reply = st.admit("list", false); !reply.ok())
    return reply;
  auto now = st.now_ms();
  provider_reply result;
  for (const auto& [id, e] : st.servers)
    if (!observe(e, now).gone && has_labels(e.labels, selector))
      result.servers.emplace_back(to_cloud_server(e, now));
  return result;
}

provider_reply simulated_provider::stop(const std::string& provider_id) {
  return impl_->transition("stop", provider_id, cloud_state::running,
                           sim_op::stop, impl_->opts.stop_time);
}

provider_reply simulated_provider::start(const std::string& provider_id) {
  return impl_->transition("start", provider_id, cloud_state::stopped,
                           sim_op::start, impl_->opts.start_time);
}

provider_reply simulated_provider::reboot(const std::string& provider_id) {
  return impl_->transition("reboot", provider_id, cloud_state::running,
                           sim_op::reboot, impl_->opts.reboot_time);
}

provider_reply simulated_provider::destroy(const std::string& provider_id) {
  auto& st = *impl_;
  if (auto reply = st.admit("delete", true); !reply.ok())
    return reply;
  auto now = st.now_ms();
  auto e = st.find_live(provider_id, now);
  if (e == nullptr)
    return not_found();
  // Deleting again while the first delete runs succeeds, like a real API.
  if (e->op == sim_op::destroy)
    return success(to_cloud_server(*e, now));
  // Like UpCloud, only stopped servers may be deleted; a server whose build
  // hangs forever is the exception, or it could never be cleaned up.
  if (auto state = observe(*e, now).state;
      state != cloud_state::stopped && !e->stuck)
    return conflict(state);
  auto next = *e;
  next.op = sim_op::destroy;
  next.op_since_ms = now;
  next.op_until_ms = now + st.duration(st.opts.delete_time);
  next.stuck = false;
  if (auto err = st.persist(next); err.kind != error_kind::none)
    return failure(std::move(err));
  *e = std::move(next);
  return success(to_cloud_server(*e, now));
}

// -- inspection ---------------------------------------------------------------

std::vector<cloud_server> simulated_provider::history() {
  auto& st = *impl_;
  if (st.read_only)
    st.refresh(); // On failure, answer from the last successful read.
  auto now = st.now_ms();
  std::vector<cloud_server> result;
  result.reserve(st.servers.size());
  for (const auto& [id, e] : st.servers)
    result.emplace_back(to_cloud_server(e, now));
  return result;
}

size_t simulated_provider::live_count() {
  auto& st = *impl_;
  if (st.read_only)
    st.refresh();
  auto now = st.now_ms();
  return static_cast<size_t>(
    std::count_if(st.servers.begin(), st.servers.end(), [now](const auto& kvp) {
      return !observe(kvp.second, now).gone;
    }));
}

std::map<std::string, uint64_t> simulated_provider::call_counts() const {
  return impl_->calls;
}

bool simulated_provider::read_only() const {
  return impl_->read_only;
}

const std::string& simulated_provider::dir() const {
  return impl_->dir;
}

// -- factory ------------------------------------------------------------------

namespace {

/// Checks the arguments and builds the state around `db`.
caf::expected<std::unique_ptr<simulated_provider::impl>>
make_state(simulated_options opts, std::function<int64_t()> now_ms,
           bool read_only) {
  if (auto err = validate(opts))
    return err;
  if (!now_ms)
    return make_error(ec::invalid_argument,
                      "the simulated cloud needs a clock");
  auto st = std::make_unique<simulated_provider::impl>();
  st->rng.seed(opts.seed);
  st->opts = std::move(opts);
  st->now_ms = std::move(now_ms);
  st->read_only = read_only;
  return st;
}

/// Reads the inventory and hands the state to a provider.
caf::expected<std::unique_ptr<simulated_provider>>
finish(std::unique_ptr<simulated_provider::impl> st) {
  if (auto msg = st->load(); !msg.empty())
    return make_error(ec::corrupt_record, std::move(msg));
  return std::make_unique<simulated_provider>(std::move(st));
}

} // namespace

caf::expected<std::unique_ptr<simulated_provider>>
open_simulated_provider(const std::string& dir, simulated_options opts,
                        std::function<int64_t()> now_ms, bool read_only) {
  auto st = make_state(std::move(opts), std::move(now_ms), read_only);
  if (!st)
    return std::move(st.error());
  // The same RocksDB directory and keys as before the store interface, so
  // existing inventories open unchanged. No fsync: a write returns once the
  // WAL record reached the OS, so the inventory survives kill -9 of the node
  // (what crash tests do), though not a power cut. That is enough for a
  // simulation and keeps it fast.
  auto opened
    = open_rocksdb_store(dir, read_only ? rocksdb_open_mode::read_only
                                        : rocksdb_open_mode::primary_unsynced);
  if (!opened)
    return make_error(ec::storage_failure, "cannot open the simulated cloud in "
                                             + dir + ": "
                                             + describe(opened.error()));
  (*st)->dir = dir;
  (*st)->owned = std::move(*opened);
  (*st)->db = (*st)->owned.get();
  return finish(std::move(*st));
}

caf::expected<std::unique_ptr<simulated_provider>>
open_simulated_provider(store& inventory, std::string key_prefix,
                        simulated_options opts, std::function<int64_t()> now_ms,
                        bool read_only) {
  auto st = make_state(std::move(opts), std::move(now_ms), read_only);
  if (!st)
    return std::move(st.error());
  (*st)->db = &inventory;
  (*st)->key_prefix = std::move(key_prefix);
  return finish(std::move(*st));
}

} // namespace dynserv
