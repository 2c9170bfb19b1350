// The children of a pool supervisor: every change keeps the counts in step.
#include "actors/pool_children.hpp"

#include "messages/status.hpp"

namespace dynserv {

bool is_active(const pool_child& child) {
  const auto& rec = child.rec;
  auto counts = rec.status == server_status::pending
                || is_provisioned(rec.status);
  return counts && !rec.stop_requested && !child.stop_sent && !child.retiring;
}

namespace {

bool is_troubled(server_status x) {
  return x == server_status::hanging || x == server_status::errored;
}

} // namespace

void pool_children::count(const pool_child& child, int sign) {
  auto active = is_active(child);
  active_ += active ? sign : 0;
  active_running_ += active && child.rec.status == server_status::running ? sign
                                                                          : 0;
  rebooting_ += child.rec.status == server_status::rebooting ? sign : 0;
  retiring_ += child.retiring ? sign : 0;
  if (!is_troubled(child.rec.status))
    return;
  if (sign > 0)
    troubled_.insert(child.rec.id);
  else
    troubled_.erase(child.rec.id);
}

template <class F>
void pool_children::change(const std::string& id, F f) {
  auto i = children_.find(id);
  if (i == children_.end())
    return;
  count(i->second, -1);
  f(i->second);
  count(i->second, 1);
}

const pool_child& pool_children::add(server_actor handle, server_record rec) {
  auto id = rec.id;
  erase(id);
  if (handle)
    ids_by_addr_[handle.address()] = id;
  auto& child = children_[id] = pool_child{std::move(handle), std::move(rec)};
  count(child, 1);
  return child;
}

void pool_children::update_record(const std::string& id, server_record rec) {
  change(id, [&rec](pool_child& c) { c.rec = std::move(rec); });
}

void pool_children::set_stop_sent(const std::string& id, bool value) {
  change(id, [value](pool_child& c) { c.stop_sent = value; });
}

void pool_children::set_retiring(const std::string& id, bool value) {
  change(id, [value](pool_child& c) { c.retiring = value; });
}

void pool_children::erase(const std::string& id) {
  auto i = children_.find(id);
  if (i == children_.end())
    return;
  count(i->second, -1);
  children_.erase(i);
}

std::optional<std::string>
pool_children::take_address(const caf::actor_addr& addr) {
  auto i = ids_by_addr_.find(addr);
  if (i == ids_by_addr_.end())
    return std::nullopt;
  auto id = std::move(i->second);
  ids_by_addr_.erase(i);
  return id;
}

const pool_child* pool_children::find(const std::string& id) const {
  auto i = children_.find(id);
  return i == children_.end() ? nullptr : &i->second;
}

} // namespace dynserv
