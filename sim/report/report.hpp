#pragma once
// Reports of a Metrics record: readable text, one JSON object, or CSV (header + row).
#include <nlohmann/json.hpp>

#include <ostream>
#include <string>

#include "models/util/human_units.hpp"
#include "sim/metrics/metrics.hpp"

namespace trainsim {

nlohmann::json to_json(const Metrics& m);
void print_text(const Metrics& m, std::ostream& out);
/// Flattens to_json into dotted column names; one header line and one row.
void print_csv(const Metrics& m, std::ostream& out, bool header = true);
/// Flattened (column, value) pairs in a stable order, for CSV writers and sweeps.
std::vector<std::pair<std::string, std::string>> flatten(const nlohmann::json& j);

}  // namespace trainsim
