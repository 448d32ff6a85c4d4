#pragma once
// predict() and the evaluators: the whole pipeline for one scenario. An engine (analytic, simgrid)
// executes the scenario's Plan into a Trace, from which the shared metrics code computes the
// Metrics; the closed-form scorer ("fast") yields the same Metrics without expanding the Plan.
// Every evaluator is reached by name through evaluate(), so sweeps, search and reports treat
// them alike.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "sim/metrics/metrics.hpp"
#include "sim/plan/planner.hpp"
#include "sim/scenario/scenario_profile.hpp"

namespace trainsim {

struct Prediction {
  Plan plan;
  Trace trace;
  Metrics metrics;
};

/// An engine executes a Plan on the scenario's cluster and returns a Trace.
using EngineFn = std::function<Trace(const Scenario&, const Plan&, const std::vector<ExecutionObserver*>&)>;
/// Engines by name: "analytic" always; "simgrid" when the build has it (the command line registers
/// it, sim/cli/cmd_simgrid_engine.cpp).
std::map<std::string, EngineFn>& engine_registry();

/// Plans the scenario, executes it on `engine` and computes its metrics.
Prediction predict(const Scenario& sc, const std::string& engine = "analytic",
                   const std::vector<ExecutionObserver*>& observers = {});

/// An evaluator yields the Metrics of a scenario (its own strategy on its own cluster).
using EvaluatorFn = std::function<Metrics(const Scenario&)>;
/// Evaluators that are not engines, by name: "fast" (the closed-form scorer, sim/scorer).
std::map<std::string, EvaluatorFn>& evaluator_registry();
/// Every evaluator's name: the engines and the others, sorted.
std::vector<std::string> evaluator_names();
/// Throws an InputError naming `where` and the evaluators this build has unless `name` is one.
void check_evaluator(const std::string& name, const std::string& where);
/// The Metrics of `sc` from the evaluator `name` (an engine through predict(), or a registered
/// evaluator). An unknown name is an InputError naming `where` and the evaluators this build has.
Metrics evaluate(const Scenario& sc, const std::string& name, const std::string& where = "--engine");

}  // namespace trainsim
