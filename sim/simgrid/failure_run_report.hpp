#pragma once
// The "failure_injection" JSON object and text section of `trainsim run … --inject-failures SEED`
// (docs/simgrid-engine.md#failure-injection). Byte-deterministic for a seed: counts for every
// failure, details only for the first few (TrainingRunSpec::keep_failures).
#include <nlohmann/json.hpp>

#include <ostream>

#include "sim/simgrid/failure_run.hpp"

namespace trainsim {

nlohmann::json failure_run_json(const FailureRun& f);
void print_failure_run_text(const FailureRun& f, std::ostream& out);

}  // namespace trainsim
