#pragma once
// The calibration profile a scenario names (options.profile: what `trainsim calibrate` or
// `trainsim-hw calibrate` wrote), loaded for the compute and collective models.
#include <memory>

#include "models/calibration/profile.hpp"
#include "sim/scenario/scenario.hpp"

namespace trainsim {

/// The scenario's calibration profile when it names one (nullptr otherwise). Errors name the file.
std::shared_ptr<const ComputeProfile> load_profile_for(const Scenario& sc);

}  // namespace trainsim
