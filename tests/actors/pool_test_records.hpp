// Records and children for the unit tests of the pool planners (no actors:
// the children carry invalid handles).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>

#include "actors/pool_children.hpp"

namespace dynserv::test {

/// A server record with an id, a status, a local creation time and a time
/// since the status holds.
inline server_record make_record(std::string id, server_status status,
                                 int64_t created_ms = 0,
                                 int64_t status_since_ms = 0) {
  server_record rec;
  rec.id = std::move(id);
  rec.pool = "web";
  rec.status = status;
  rec.created_at_ms = created_ms;
  rec.status_since_ms = status_since_ms;
  return rec;
}

/// Children with the given records.
inline pool_children
make_children(std::initializer_list<server_record> records) {
  pool_children result;
  for (const auto& rec : records)
    result.add(server_actor{}, rec);
  return result;
}

} // namespace dynserv::test
