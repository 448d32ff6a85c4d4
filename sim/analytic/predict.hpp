#pragma once
// predict(): the whole pipeline for one scenario — plan, execute on an engine, metrics.
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "models/compute/compute_model.hpp"
#include "sim/metrics/metrics.hpp"
#include "sim/plan/planner.hpp"

namespace trainsim {

struct Prediction {
  Plan plan;
  Trace trace;
  Metrics metrics;
};

/// An engine executes a Plan on the scenario's cluster and returns a Trace.
using EngineFn = std::function<Trace(const Scenario&, const Plan&, const std::vector<ExecutionObserver*>&)>;
/// Engines by name ("analytic" always; "simgrid" when built and registered).
std::map<std::string, EngineFn>& engine_registry();

/// Loads the scenario's calibration profile when it names one (nullptr otherwise).
std::shared_ptr<const ComputeProfile> load_profile_for(const Scenario& sc);
/// Hook for the calibration library to provide profile loading without a dependency cycle.
using ProfileLoader = std::function<std::shared_ptr<const ComputeProfile>(const std::string& path)>;
void set_profile_loader(ProfileLoader loader);

Prediction predict(const Scenario& sc, const std::string& engine = "analytic",
                   const std::vector<ExecutionObserver*>& observers = {});

}  // namespace trainsim
