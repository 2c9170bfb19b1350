// The field tables of a `simulated` provider account: operation times,
// randomness and fault injection.
#include "config/sections.hpp"

namespace dynserv::schema {

namespace {

constexpr const char* simulated_operations[]
  = {"create", "get", "list", "stop", "start", "reboot", "delete"};

/// One row per operation: the chance that a call of it fails.
const table<simulated_faults>& error_rate_table() {
  static const auto result = [] {
    table<simulated_faults> rows_of_ops;
    for (auto op : simulated_operations)
      rows_of_ops.push_back(rows<simulated_faults>::number(
        op, [op](simulated_faults& f) -> double& { return f.error_rate[op]; },
        unit_interval(), "Chance that a call fails with a 503."));
    return rows_of_ops;
  }();
  return result;
}

simulated_faults& self(simulated_faults& cfg) {
  return cfg;
}

const table<simulated_faults>& faults_table() {
  using row = rows<simulated_faults>;
  static const table<simulated_faults> result{
    row::object("error_rate", self, error_rate_table, nullptr, "`{}`",
                "Per operation, the chance that a call fails."),
    row::number("never_start_rate", &simulated_faults::never_start_rate,
                unit_interval(),
                "Chance that a created server never leaves provisioning."),
    row::number("lost_create_response_rate",
                &simulated_faults::lost_create_response_rate, unit_interval(),
                "Chance that the answer to a successful create is lost."),
  };
  return result;
}

} // namespace

const table<simulated_options>& simulated_table() {
  using row = rows<simulated_options>;
  static const table<simulated_options> result{
    row::duration("create_time", &simulated_options::create_time, {},
                  "How long a create takes."),
    row::duration("start_time", &simulated_options::start_time, {},
                  "How long a start takes."),
    row::duration("stop_time", &simulated_options::stop_time, {},
                  "How long a stop takes."),
    row::duration("delete_time", &simulated_options::delete_time, {},
                  "How long a delete takes."),
    row::duration("reboot_time", &simulated_options::reboot_time, {},
                  "How long a reboot takes."),
    row::number("jitter", &simulated_options::jitter, unit_interval(),
                "Random spread of each duration."),
    row::integer("seed", &simulated_options::seed, {},
                 "Seed of the random generator."),
    row::number("time_scale", &simulated_options::time_scale, positive(),
                "Durations are divided by this factor."),
    row::object("faults", &simulated_options::faults, faults_table, nullptr,
                "no faults", "Fault injection."),
  };
  return result;
}

void document_simulated(std::vector<table_doc>& out) {
  out.push_back(document("### Type `simulated`", simulated_table()));
  out.push_back(document("#### `providers.<name>.faults`", faults_table()));
}

} // namespace dynserv::schema
