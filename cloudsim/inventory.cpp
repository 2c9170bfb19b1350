// The simulated clouds' resources and their lazily applied future steps.
#include "cloudsim/inventory.hpp"

#include <algorithm>

namespace dynserv::cloudsim {

namespace {

/// Finished actions kept for GET /actions/{id}; older ones are forgotten.
constexpr size_t max_actions = 50000;

} // namespace

std::string inventory::key(provider_kind p, const std::string& id) {
  std::string out{to_string(p)};
  out += '/';
  out += id;
  return out;
}

sim_server& inventory::add(sim_server srv) {
  srv.serial = next_serial_++;
  by_key_[key(srv.provider, srv.id)] = srv.serial;
  auto serial = srv.serial;
  return servers_.emplace(serial, std::move(srv)).first->second;
}

sim_server* inventory::find(provider_kind p, const std::string& id) {
  auto i = by_key_.find(key(p, id));
  if (i == by_key_.end())
    return nullptr;
  auto j = servers_.find(i->second);
  return j == servers_.end() ? nullptr : &j->second;
}

std::vector<sim_server*> inventory::servers(provider_kind p) {
  std::vector<sim_server*> out;
  for (auto& [serial, srv] : servers_)
    if (srv.provider == p)
      out.push_back(&srv);
  return out;
}

std::vector<const sim_server*> inventory::all() const {
  std::vector<const sim_server*> out;
  out.reserve(servers_.size());
  for (auto& [serial, srv] : servers_)
    out.push_back(&srv);
  return out;
}

size_t inventory::count(provider_kind p) const {
  size_t n = 0;
  for (auto& [serial, srv] : servers_)
    if (srv.provider == p)
      ++n;
  return n;
}

void inventory::remove(provider_kind p, const std::string& id, int64_t now_ms) {
  auto i = by_key_.find(key(p, id));
  if (i == by_key_.end())
    return;
  auto j = servers_.find(i->second);
  by_key_.erase(i);
  if (j == servers_.end())
    return;
  auto& srv = j->second;
  auto running = srv.actions;
  for (auto id : running)
    finish_action(id, true, now_ms);
  for (auto& uuid : srv.storages)
    if (auto st = storage(uuid))
      st->server.clear();
  servers_.erase(j);
}

void inventory::schedule(sim_step step) {
  auto at = step.at_ms;
  steps_.emplace(std::make_pair(at, next_seq_++), std::move(step));
}

void inventory::cancel_steps(sim_server& srv) {
  ++srv.gen;
}

void inventory::settle(int64_t now_ms) {
  while (!steps_.empty() && steps_.begin()->first.first <= now_ms) {
    auto step = std::move(steps_.begin()->second);
    steps_.erase(steps_.begin());
    apply(step, step.at_ms);
  }
}

std::optional<std::string> inventory::final_state(const sim_server& srv) const {
  std::optional<std::string> out;
  for (auto& [k, step] : steps_)
    if (step.provider == srv.provider && step.server_id == srv.id
        && step.gen == srv.gen && step.state)
      out = step.state;
  return out;
}

void inventory::apply(const sim_step& step, int64_t now_ms) {
  if (!step.storage.empty()) {
    storages_.erase(step.storage);
    return;
  }
  auto srv = find(step.provider, step.server_id);
  if (srv == nullptr || srv->gen != step.gen)
    return;
  if (step.action != 0)
    finish_action(step.action, step.action_ok, now_ms, step.error_code,
                  step.error_message);
  if (step.state)
    srv->state = *step.state;
  if (step.remove)
    remove(step.provider, step.server_id, now_ms);
}

std::string inventory::next_server_id(provider_kind p) {
  if (p == provider_kind::digitalocean)
    return std::to_string(next_digitalocean_id_++);
  return std::to_string(next_hetzner_id_++);
}

sim_action& inventory::start_action(sim_server& srv, std::string command,
                                    int64_t now_ms) {
  prune_actions();
  auto id = next_action_id_++;
  sim_action act;
  act.id = id;
  act.provider = srv.provider;
  act.command = std::move(command);
  act.started_ms = now_ms;
  act.server_id = srv.id;
  act.region = srv.zone;
  srv.actions.push_back(id);
  return actions_.emplace(id, std::move(act)).first->second;
}

sim_action& inventory::finished_action(sim_server& srv, std::string command,
                                       int64_t now_ms) {
  prune_actions();
  auto id = next_action_id_++;
  sim_action act;
  act.id = id;
  act.provider = srv.provider;
  act.command = std::move(command);
  act.status = action_status::success;
  act.progress = 100;
  act.started_ms = now_ms;
  act.finished_ms = now_ms;
  act.server_id = srv.id;
  act.region = srv.zone;
  return actions_.emplace(id, std::move(act)).first->second;
}

sim_action* inventory::action(uint64_t id) {
  auto i = actions_.find(id);
  return i == actions_.end() ? nullptr : &i->second;
}

void inventory::finish_action(uint64_t id, bool ok, int64_t now_ms,
                              const std::string& error_code,
                              const std::string& error_message) {
  auto act = action(id);
  if (act == nullptr || act->status != action_status::running)
    return;
  act->status = ok ? action_status::success : action_status::error;
  act->finished_ms = now_ms;
  if (ok) {
    act->progress = 100;
  } else {
    // Hetzner's documented example of a failed action.
    act->error_code = error_code.empty() ? "action_failed" : error_code;
    act->error_message = error_message.empty() ? "Action failed"
                                               : error_message;
  }
  if (auto srv = find(act->provider, act->server_id)) {
    auto& v = srv->actions;
    v.erase(std::remove(v.begin(), v.end(), id), v.end());
  }
}

void inventory::prune_actions() {
  // Drop the oldest finished actions first; running ones stay.
  for (auto i = actions_.begin();
       actions_.size() >= max_actions && i != actions_.end();) {
    if (i->second.status != action_status::running)
      i = actions_.erase(i);
    else
      ++i;
  }
}

sim_storage& inventory::add_storage(sim_storage st) {
  auto uuid = st.uuid;
  return storages_.insert_or_assign(uuid, std::move(st)).first->second;
}

sim_storage* inventory::storage(const std::string& uuid) {
  auto i = storages_.find(uuid);
  return i == storages_.end() ? nullptr : &i->second;
}

std::vector<const sim_storage*> inventory::storages() const {
  std::vector<const sim_storage*> out;
  for (auto& [uuid, st] : storages_)
    out.push_back(&st);
  return out;
}

void inventory::delete_storage(const std::string& uuid, int64_t gone_ms) {
  auto st = storage(uuid);
  if (st == nullptr)
    return;
  st->state = "maintenance";
  sim_step step;
  step.at_ms = gone_ms;
  step.storage = uuid;
  schedule(std::move(step));
}

} // namespace dynserv::cloudsim
