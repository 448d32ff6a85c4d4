#pragma once
// Side-by-side comparison of two predicted scenarios (trainsim compare), in the metrics of
// HPC-vs-cloud studies (e.g. Sharma et al.'s HPC-enhanced vs traditional cloud comparison): time
// per iteration and to train, time reduction % = (1 - t_B / t_A) x 100, cost per training run,
// energy, achieved FLOP/s per GPU and the FLOP/s ratio, scaling when the token budget doubles,
// and the ROI of buying the on-prem side when the other side rents cloud GPUs.
#include <nlohmann/json.hpp>

#include <optional>
#include <ostream>
#include <string>

#include "models/cost/roi.hpp"
#include "sim/evaluate/predict.hpp"

namespace trainsim {

struct CompareSide {
  std::string scenario, gpu, strategy, cost_model;
  int gpus = 0;
  double train_tokens = 0;
  double iteration_time_s = 0, iteration_time_with_io_s = 0;
  double time_to_train_s = 0;        ///< expected wall clock, failures included
  double time_to_train_ideal_s = 0;  ///< failure-free
  double cost_usd = 0;               ///< per training run, failures included
  double usd_per_million_tokens = 0;
  double energy_kwh = 0;  ///< per training run, failures included
  double co2_kg = 0;
  double model_tflops_per_gpu = 0;  ///< achieved, model FLOPs
  double job_pflops = 0;            ///< achieved, whole job
  double mfu = 0;
  double memory_gb = 0, memory_capacity_gb = 0;  ///< per GPU, at the peak stage
  bool fits = true;  ///< false: the job would not start (its times are what it would take if it fitted)
  // The same with the token budget doubled.
  double time_to_train_2x_s = 0, cost_2x_usd = 0, energy_2x_kwh = 0;
};

struct CompareResult {
  CompareSide a, b;
  double iteration_time_reduction_pct = 0;  ///< (1 - T_B / T_A) x 100, iteration with I/O
  double time_reduction_pct = 0;            ///< (1 - time_to_train_B / time_to_train_A) x 100
  double cost_reduction_pct = 0;            ///< (1 - cost_B / cost_A) x 100
  double energy_reduction_pct = 0;
  double flops_per_gpu_ratio = 0;       ///< TFLOP/s per GPU, B / A
  double job_flops_ratio = 0;           ///< whole-job FLOP/s, B / A
  std::optional<RoiInputs> roi_inputs;  ///< when exactly one side is on-prem and the other cloud
  std::optional<RoiResult> roi;
  std::string roi_side;               ///< "a" or "b": the on-prem side
  bool runs_per_year_stated = false;  ///< else utilisation x hours per year / the run's wall time
};

/// Compares two predictions. `train_tokens` > 0 overrides both scenarios' token budgets (needed
/// when a workload has none); `runs_per_year` > 0 is how many such runs the on-prem cluster would
/// do a year for the ROI (default: as many as its utilisation leaves room for, i.e. nothing else).
CompareResult compare_predictions(const Scenario& sa, const Prediction& pa, const Scenario& sb, const Prediction& pb,
                                  double train_tokens = 0, double runs_per_year = 0);

nlohmann::json to_json(const CompareResult& r);
void print_compare_text(const CompareResult& r, std::ostream& out);

}  // namespace trainsim
