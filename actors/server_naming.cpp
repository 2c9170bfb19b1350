// Ids and provider-side names of new servers.
#include "actors/server_naming.hpp"

#include <algorithm>
#include <cstdio>

namespace dynserv {

std::string make_uuid(std::mt19937_64& rng) {
  uint64_t hi = rng();
  uint64_t lo = rng();
  hi = (hi & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull; // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull; // variant 1
  char buf[37];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF),
                static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFull));
  return buf;
}

std::string server_name(const std::string& pool, const std::string& id) {
  auto name = "dynserv-" + pool + "-" + id.substr(0, 8);
  std::replace(name.begin(), name.end(), '_', '-');
  return name;
}

} // namespace dynserv
