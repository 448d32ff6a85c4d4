#pragma once
// JSON and text sections for the storage, energy, reliability and cost of a run
// (sim/metrics/energy_cost.hpp), emitted by to_json / print_text when the report is valid.
#include <nlohmann/json.hpp>

#include <ostream>

#include "sim/metrics/energy_cost.hpp"

namespace trainsim {

/// Adds data_stall_s, iteration_time_with_io_s and the "storage", "energy", "reliability" and
/// "cost" objects to `j` (nothing when !r.valid).
void add_energy_cost_json(const EnergyCostReport& r, nlohmann::json& j);
void print_energy_cost_text(const EnergyCostReport& r, std::ostream& out);

}  // namespace trainsim
