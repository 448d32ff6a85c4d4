#pragma once
// Seeded failure injection for a scenario (`trainsim run … --engine simgrid --inject-failures SEED`,
// docs/simgrid-engine.md#failure-injection): the inputs of a training-run replay (training_run.hpp)
// taken from a simulated iteration and the cluster's reliability section, the replay with
// FailureStream(seed), and Daly's closed-form expectation for the very same timeline.
#include <cstdint>
#include <string>

#include "models/reliability/failure_model.hpp"
#include "sim/metrics/metrics.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/simgrid/training_run.hpp"

namespace trainsim {

struct FailureRunSetup {
  TrainingRunSpec spec;
  FailureRates rates;                  ///< the cluster's "reliability" section over the cited defaults
  int gpus = 0, nodes = 0, links = 0;  ///< the parts that fail (links: one per NIC)
  double job_mtbf_s = 0;               ///< +infinity when every rate is 0
  double requested_interval_s = 0;     ///< compute between checkpoints before rounding to whole iterations
  std::string interval_source;         ///< "reliability.checkpoint_interval_s", "daly" or "whole run"
  std::string checkpoint_source;       ///< "closed_form" or "simulated_on_fabric"
  std::string iterations_source;       ///< "--iterations" or "workload.train_tokens"
};

/// Expected values of the replayed timeline, Daly (2006) eq. (20) per segment (training_run.hpp).
struct FailureRunClosedForm {
  double wall_clock_s = 0;
  double goodput = 0;            ///< iterations x iteration time / wall_clock_s
  double expected_failures = 0;  ///< wall_clock_s / MTBF (Wald's identity for a Poisson process)
};

struct FailureRun {
  std::uint64_t seed = 0;
  FailureRunSetup setup;
  TrainingRunResult run;
  FailureRunClosedForm closed_form;
};

/// The replay's inputs. `iterations` > 0 overrides the run length, otherwise it is the workload's
/// token budget in whole iterations; InputError naming --iterations when there is neither.
/// `m` must hold the energy/cost report of the simulated iteration (compute_metrics does).
FailureRunSetup failure_run_setup(const Scenario& sc, const Metrics& m, std::int64_t iterations = 0);

/// sum over segments of M e^{R/M} (e^{(k_i T + delta)/M} - 1), R = restart overhead + restore;
/// iterations x T + segments x delta when mtbf_s is infinite.
FailureRunClosedForm failure_run_closed_form(const TrainingRunSpec& spec, double mtbf_s);

/// Setup, replay (in a forked SimGrid child) and closed form. InputError when the closed form
/// expects more than 10^7 failures (the rates are too high for the run to make progress).
FailureRun simulate_failure_run(const Scenario& sc, const Metrics& m, std::uint64_t seed, std::int64_t iterations = 0);

}  // namespace trainsim
