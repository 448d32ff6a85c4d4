#pragma once
// Predicted vs measured: the analytic engine's prediction of the same Plan (sim/analytic) per op
// class and per iteration, against what the device measured; optionally again with a calibration
// profile (compute rates via ComputeProfile, collective link via the profile's alpha-beta fit).
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "hw-backend/exec/executor.hpp"
#include "sim/scenario/scenario.hpp"

namespace trainsim::hw {

struct Predicted {
  double iteration_time = 0;
  ClassTimes classes;  ///< mean over ranks (= over stages: every stage has the same rank count)
};

/// Prediction of `sc` with its own options (profile included when it names one).
Predicted predict_classes(const Scenario& sc);

/// Applies a profile to a scenario: options.profile for compute, the link fit for collectives.
Scenario with_profile(Scenario sc, const std::string& profile_path);

/// {"iteration": {...}, "classes": {class: {predicted, measured, error_pct}}} for one prediction.
nlohmann::json compare(const Predicted& p, const MeasuredRun& m);

}  // namespace trainsim::hw
