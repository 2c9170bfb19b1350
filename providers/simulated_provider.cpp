// The embedded local cloud: a provider whose inventory lives in RocksDB.
#include "providers/simulated_provider.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <stdlib.h> // mkdtemp (POSIX)
#include <string_view>
#include <system_error>
#include <utility>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include "messages/errors.hpp"
#include "providers/backoff.hpp"

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

/// Keys of the inventory: one record per server, plus the id counter.
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
    case sim_op::destroy: return {cloud_state::deleting, done};
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

std::string server_key(const std::string& id) {
  std::string result{server_prefix};
  result += id;
  return result;
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
    e.labels.emplace(std::string{i->name.GetString(),
                                 i->name.GetStringLength()},
                     std::string{i->value.GetString(),
                                 i->value.GetStringLength()});
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
  /// Private directory of a secondary instance; removed on close.
  std::string secondary_dir;
  std::unique_ptr<rocksdb::DB> db;
  /// Draws durations and faults; seeded from `opts.seed`.
  std::mt19937_64 rng;
  /// Mirror of the stored inventory (tombstones included), keyed by id.
  std::map<std::string, entry> servers;
  /// Number of the next server; persisted with each create.
  uint64_t next_id = 1;
  std::map<std::string, uint64_t> calls;

  ~impl() {
    db.reset();
    if (!secondary_dir.empty()) {
      std::error_code err;
      std::filesystem::remove_all(secondary_dir, err);
    }
  }

  /// Replaces the mirror by the stored inventory; returns an error message.
  std::string load() {
    std::map<std::string, entry> loaded;
    uint64_t next = 1;
    std::unique_ptr<rocksdb::Iterator> it{
      db->NewIterator(rocksdb::ReadOptions{})};
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      auto key = it->key().ToString();
      if (key == next_id_key) {
        auto value = it->value().ToString();
        char* end = nullptr;
        auto n = std::strtoull(value.c_str(), &end, 10);
        if (value.empty() || *end != '\0')
          return "corrupt id counter in " + dir;
        next = std::max<uint64_t>(next, n);
      } else if (key.compare(0, server_prefix.size(), server_prefix) == 0) {
        entry e;
        if (!decode(it->value().ToString(), e)
            || key.compare(server_prefix.size(), std::string::npos, e.id) != 0)
          return "corrupt server record " + key + " in " + dir;
        // Guards against a lost counter: ids are "sim-" + number.
        auto n = std::strtoull(e.id.c_str() + std::min<size_t>(4, e.id.size()),
                               nullptr, 10);
        next = std::max<uint64_t>(next, n + 1);
        loaded.emplace(e.id, std::move(e));
      }
    }
    if (!it->status().ok())
      return "cannot read " + dir + ": " + it->status().ToString();
    servers = std::move(loaded);
    next_id = next;
    return {};
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
      auto st = db->TryCatchUpWithPrimary();
      if (!st.ok())
        return failure(error_kind::transient, "500",
                       "cannot catch up with the simulated cloud: "
                         + st.ToString());
      if (auto msg = load(); !msg.empty())
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
    rocksdb::WriteBatch batch;
    batch.Put(server_key(e.id), encode(e));
    if (new_next_id != 0)
      batch.Put(rocksdb::Slice{next_id_key.data(), next_id_key.size()},
                std::to_string(new_next_id));
    rocksdb::WriteOptions wopts;
    // No fsync: Write returns after the WAL record reached the OS, so the
    // inventory survives kill -9 of the node (what crash tests do), though
    // not a power cut. That is enough for a simulation and keeps it fast.
    wopts.sync = false;
    auto st = db->Write(wopts, &batch);
    if (!st.ok())
      return {error_kind::transient, "500",
              "simulated cloud storage failed: " + st.ToString(), 0};
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
      return provider_reply{std::move(err), {}};
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
    return provider_reply{std::move(err), {}};
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
    return provider_reply{std::move(err), {}};
  *e = std::move(next);
  return success(to_cloud_server(*e, now));
}

// -- inspection ---------------------------------------------------------------

std::vector<cloud_server> simulated_provider::history() {
  auto& st = *impl_;
  if (st.read_only) {
    // On failure, answer from the last successful read.
    if (st.db->TryCatchUpWithPrimary().ok())
      st.load();
  }
  auto now = st.now_ms();
  std::vector<cloud_server> result;
  result.reserve(st.servers.size());
  for (const auto& [id, e] : st.servers)
    result.emplace_back(to_cloud_server(e, now));
  return result;
}

size_t simulated_provider::live_count() {
  auto& st = *impl_;
  if (st.read_only) {
    if (st.db->TryCatchUpWithPrimary().ok())
      st.load();
  }
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

caf::expected<std::unique_ptr<simulated_provider>>
open_simulated_provider(const std::string& dir, simulated_options opts,
                        std::function<int64_t()> now_ms, bool read_only) {
  if (auto err = validate(opts))
    return err;
  if (!now_ms)
    return make_error(ec::invalid_argument,
                      "the simulated cloud needs a clock");
  auto st = std::make_unique<simulated_provider::impl>();
  st->dir = dir;
  st->rng.seed(opts.seed);
  st->opts = std::move(opts);
  st->now_ms = std::move(now_ms);
  st->read_only = read_only;
  rocksdb::Options ropts;
  ropts.keep_log_file_num = 2;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status status;
  if (read_only) {
    auto pattern = (std::filesystem::temp_directory_path()
                    / "dynserv-sim-secondary-XXXXXX")
                     .string();
    if (mkdtemp(pattern.data()) == nullptr)
      return make_error(ec::storage_failure,
                        "cannot create a directory for a secondary instance");
    st->secondary_dir = pattern;
    // Secondary instances must keep all files open (RocksDB's advice).
    ropts.max_open_files = -1;
    status = rocksdb::DB::OpenAsSecondary(ropts, dir, st->secondary_dir, &raw);
  } else {
    std::error_code err;
    std::filesystem::create_directories(dir, err);
    if (err)
      return make_error(ec::storage_failure,
                        "cannot create " + dir + ": " + err.message());
    ropts.create_if_missing = true;
    status = rocksdb::DB::Open(ropts, dir, &raw);
  }
  st->db.reset(raw);
  if (!status.ok())
    return make_error(ec::storage_failure, "cannot open the simulated cloud in "
                                             + dir + ": " + status.ToString());
  if (auto msg = st->load(); !msg.empty())
    return make_error(ec::corrupt_record, std::move(msg));
  return std::make_unique<simulated_provider>(std::move(st));
}

} // namespace dynserv
