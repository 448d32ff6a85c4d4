#pragma once
// Calibration from whole training runs (`trainsim calibrate --runs`): most teams have logs of jobs
// they ran, not a free GPU. Each measured run (a published-runs record, or the iteration-time lines
// of a Megatron-LM, NeMo or torchtitan log with the scenario it ran) gives one equation
// log T_predicted(theta) = log T_measured in a few efficiency factors theta the runs can identify:
// one compute factor per GPU type (on its dense peaks) and one bus factor per link class
// (intra-node, inter-node). The factors are fitted by regularised Gauss-Newton least squares on
// log times with Eigen (ridge toward 1.0, the datasheet models), their identifiability is read off
// the Jacobian, and the leave-one-out error before and after says what the fit is worth. The
// result is written as a calibration profile's "efficiency" part (models/calibration/profile.hpp),
// which `trainsim run` applies to a scenario's cluster (sim/scenario/scenario_profile.hpp).
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "models/calibration/profile.hpp"
#include "sim/scenario/scenario.hpp"

namespace trainsim {

struct MeasuredRun {
  std::string id;
  nlohmann::json scenario;  ///< the run's scenario (strategy fully stated)
  double measured_s = 0;    ///< measured iteration time
  std::string origin;       ///< where the measurement came from
};

/// The runs of a published-runs file (records predicted by `validate`'s rules: the scenario of
/// each is the one validate predicts; its measured iteration time is the published figure turned
/// into seconds). `only_prefix` keeps ids that start with it. Rows that cannot be predicted are
/// skipped and named in `skipped`.
std::vector<MeasuredRun> runs_from_records(const std::string& file, const std::string& only_prefix,
                                           std::vector<std::string>& skipped);

/// Iteration times of a training log: Megatron-LM ("elapsed time per iteration (ms): X"), NeMo
/// ("train_step_timing in s: X" or "=X") or torchtitan ("tps: X", tokens per second per GPU,
/// turned into seconds with the scenario's tokens per iteration and GPUs). The first
/// `warmup` matches are dropped; the median of the rest is the run's time.
MeasuredRun run_from_log(const std::string& log_file, const std::string& scenario_file, int warmup = 2);

struct CalibrationOptions {
  std::string engine = "analytic";
  double ridge = 0.05;  ///< weight of (log factor)^2: a prior of +-22% (one sigma) at 5% run noise
  bool leave_one_out = true;
};

struct RunError {
  std::string id;
  double measured_s = 0;
  double before_pct = 0;  ///< default models
  double fitted_pct = 0;  ///< with the factors fitted on every run (in-sample)
  double loo_pct = 0;     ///< with the factors fitted on the other runs
};

struct CalibrationResult {
  std::vector<std::string> parameters;  ///< "compute H100-SXM5-80GB", "intra_node", "inter_node"
  std::vector<double> factors;          ///< fitted, in that order
  std::vector<std::string> notes;       ///< what the runs could not identify or separate
  std::vector<RunError> runs;
  double mape_before = 0, mape_fitted = 0, mape_loo = 0;
  EfficiencyFactors efficiency() const;
};

/// Fits the factors the runs exercise (a GPU type appears in a run; a link class carries traffic
/// in one) and reports the leave-one-out error. Needs at least one run.
CalibrationResult calibrate_from_runs(const std::vector<MeasuredRun>& runs, const CalibrationOptions& opt);

nlohmann::json to_json(const CalibrationResult& r);

}  // namespace trainsim
