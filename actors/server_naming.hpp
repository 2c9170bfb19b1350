// Ids and provider-side names of new servers.
#pragma once

#include <random>
#include <string>

namespace dynserv {

/// Returns a random (version 4) UUID in canonical lower-case form.
std::string make_uuid(std::mt19937_64& rng);

/// Returns the provider-side name of a server: `dynserv-<pool>-<first 8 hex
/// digits of the id>`, a valid host name (underscores become dashes).
std::string server_name(const std::string& pool, const std::string& id);

} // namespace dynserv
