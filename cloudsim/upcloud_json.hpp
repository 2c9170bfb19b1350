// The UpCloud API 1.3 wire format of dynserv-cloudsim: server list items and
// details with UpCloud's quirks (numbers as strings, yes/no, singular-key
// list wrappers).
#pragma once

#include <string>

#include "cloudsim/inventory.hpp"
#include "cloudsim/sim_json.hpp"

namespace dynserv::cloudsim {

/// Writes the fields list items and details share (no addresses).
void write_upcloud_common(json_writer& w, const sim_server& s);

/// `{"server":{...}}` with every detail: addresses, interfaces and the
/// storage devices `inv` holds for `s`; `password` only when not empty.
std::string upcloud_details(const sim_server& s, inventory& inv,
                            const std::string& password);

} // namespace dynserv::cloudsim
