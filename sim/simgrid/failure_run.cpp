#include "sim/simgrid/failure_run.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "models/reliability/checkpoint_interval.hpp"
#include "models/util/errors.hpp"
#include "sim/metrics/energy_cost.hpp"

namespace trainsim {

namespace {
// The bound of exponential_arrivals and of the replay's loop (training_run.cpp).
constexpr double kMaxExpectedFailures = 1e7;
// Largest run accepted: 10^12 iterations is ~10^4 times Llama 3 405B's 1.2 M steps; beyond, the
// iteration counts stop being exact in a double.
constexpr double kMaxIterations = 1e12;
}  // namespace

FailureRunSetup failure_run_setup(const Scenario& sc, const Metrics& m, std::int64_t iterations) {
  const EnergyCostReport& ec = m.energy_cost;
  if (!ec.valid) throw InternalError("failure injection: the metrics carry no energy/cost report");
  const ReliabilityReport& rl = ec.reliability;
  const StorageReport& st = ec.storage;
  FailureRunSetup s;
  // The same rates, part counts and checkpoint model as the closed-form reliability report
  // (sim/metrics/energy_cost.cpp), so the replay and Daly's expectation describe one system.
  s.rates = default_failure_rates();
  if (auto r = cluster_reader(sc).opt_object("reliability")) s.rates = parse_reliability(*r);
  s.gpus = m.gpus;
  s.nodes = ec.energy.counts.nodes;
  s.links = ec.energy.counts.nics;
  s.job_mtbf_s = job_mtbf_s(s.rates, s.gpus, s.nodes, s.links);

  TrainingRunSpec& spec = s.spec;
  // The iteration as simulated, storage stall included (simulated on the fabric when it was).
  spec.iteration_s = st.simulated.simulated ? st.simulated_iteration_time_with_io_s : st.iteration_time_with_io_s;
  if (!(spec.iteration_s > 0)) throw InternalError("failure injection: the simulated iteration takes no time");
  if (st.simulated.simulated && st.simulated.checkpoint_bytes > 0) {
    // --checkpoint-in-iteration wrote the state as flows on the fabric: use that write time.
    spec.checkpoint_s = st.simulated.checkpoint_s;
    s.checkpoint_source = "simulated_on_fabric";
  } else {
    spec.checkpoint_s = rl.checkpoint_blocking_s;
    s.checkpoint_source = "closed_form";
  }
  // After a failure the job restarts (detect, reschedule, re-initialise: reliability.restart_s) and
  // reads its last checkpoint back (the checkpoint model's restore time).
  spec.restart_overhead_s = rl.restart_s;
  spec.restore_s = rl.checkpoint_restore_s;

  if (iterations > 0) {
    s.iterations_source = "--iterations";
  } else if (ec.energy.iterations > 0) {
    // Whole iterations covering the token budget: the last, partial batch is still a full step.
    if (ec.energy.iterations > kMaxIterations)
      throw InputError(sc.origin + ": $.workload.train_tokens", "at most 1e12 iterations' worth of tokens",
                       std::to_string(ec.energy.iterations) + " iterations");
    iterations = static_cast<std::int64_t>(std::ceil(ec.energy.iterations - 1e-9));
    s.iterations_source = "workload.train_tokens";
  } else {
    throw InputError("--iterations", "a number of iterations to simulate (the workload has no train_tokens)", "none");
  }
  spec.iterations = iterations;

  // Checkpoint interval: the cluster's, else Daly's optimum for this write time and MTBF (as the
  // closed-form report), else (no failures) one checkpoint at the end of the run.
  if (s.rates.checkpoint_interval_s > 0) {
    s.requested_interval_s = s.rates.checkpoint_interval_s;
    s.interval_source = "reliability.checkpoint_interval_s";
  } else if (std::isfinite(s.job_mtbf_s)) {
    s.requested_interval_s = daly_interval_s(spec.checkpoint_s, s.job_mtbf_s);
    s.interval_source = "daly";
  } else {
    s.requested_interval_s = static_cast<double>(iterations) * spec.iteration_s;
    s.interval_source = "whole run";
  }
  // Megatron-LM's --save-interval counts iterations: round to the nearest whole number, at least one.
  const double k = std::round(s.requested_interval_s / spec.iteration_s);
  spec.checkpoint_every = static_cast<std::int64_t>(std::clamp(k, 1.0, static_cast<double>(iterations)));
  return s;
}

FailureRunClosedForm failure_run_closed_form(const TrainingRunSpec& spec, double mtbf_s) {
  FailureRunClosedForm c;
  const std::int64_t full = spec.iterations / spec.checkpoint_every, rest = spec.iterations % spec.checkpoint_every;
  const double restart = spec.restart_overhead_s + spec.restore_s;
  // Daly's eq. (20) for T_s = tau is one segment's expected time; the run is `full` such segments
  // and one shorter one.
  auto segment = [&](std::int64_t k) {
    const double work = static_cast<double>(k) * spec.iteration_s;
    return expected_wall_time_s(work, work, spec.checkpoint_s, restart, mtbf_s);
  };
  c.wall_clock_s = static_cast<double>(full) * segment(spec.checkpoint_every) + (rest > 0 ? segment(rest) : 0.0);
  c.goodput = static_cast<double>(spec.iterations) * spec.iteration_s / c.wall_clock_s;
  c.expected_failures = std::isfinite(mtbf_s) ? c.wall_clock_s / mtbf_s : 0.0;
  return c;
}

FailureRun simulate_failure_run(const Scenario& sc, const Metrics& m, std::uint64_t seed, std::int64_t iterations) {
  FailureRun f;
  f.seed = seed;
  f.setup = failure_run_setup(sc, m, iterations);
  f.closed_form = failure_run_closed_form(f.setup.spec, f.setup.job_mtbf_s);
  const double segments =
      std::ceil(static_cast<double>(f.setup.spec.iterations) / static_cast<double>(f.setup.spec.checkpoint_every));
  if (!(f.closed_form.expected_failures + segments <= kMaxExpectedFailures)) {
    const JsonReader cr = cluster_reader(sc);
    throw InputError(cr.origin() + ": " + cr.path() + ".reliability",
                     "failure rates and a run length giving at most 1e7 failures and checkpoint segments",
                     std::to_string(f.closed_form.expected_failures) + " expected failures and " +
                         std::to_string(segments) + " segments (job MTBF " + std::to_string(f.setup.job_mtbf_s) +
                         " s)");
  }
  f.run = replay_training_run(f.setup.spec, f.setup.rates, f.setup.gpus, f.setup.nodes, f.setup.links, seed);
  return f;
}

}  // namespace trainsim
