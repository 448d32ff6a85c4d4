#pragma once
// Metrics: what users read — iteration time, throughput, MFU/HFU (Narayanan et al. 2021 and
// Chowdhery et al. 2022 conventions), the time breakdown of the critical stage, memory per GPU and
// time-to-train. Computed from a Plan and a Trace, so every engine (and a measured run) shares it.
#include <string>
#include <vector>

#include "models/memory/memory_model.hpp"
#include "sim/metrics/energy_cost.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/trace/trace.hpp"

namespace trainsim {

struct TimeBreakdown {
  double forward = 0, backward = 0, recompute = 0;
  double tp_comm_exposed = 0;  ///< inline TP/CP/EP collectives (on the critical path)
  double pipeline_bubble = 0;  ///< idle compute stream inside the pipeline (incl. waiting for transfers)
  double dp_comm_exposed = 0;  ///< gradient/parameter synchronisation not hidden behind compute
  double optimizer = 0;
  int stage = 0;  ///< the pipeline stage this breakdown describes (the busiest)
};

struct MemoryReport {
  MemoryBreakdown parts;
  double capacity = 0;
  bool fits = true;
  int stage = 0;  ///< stage with the largest footprint (0: the first)
  int stages = 1;
  int layers = 0;        ///< transformer layers the peak stage holds (all its chunks)
  double in_flight = 1;  ///< micro-batches whose activations it holds at its peak
  std::string why;       ///< what makes it the peak, in words (trainsim run prints it)
};

struct Metrics {
  std::string scenario, engine, gpu, strategy;
  /// The framework profile the strategy resolved through, and why it was chosen (empty: none).
  std::string framework;
  int gpus = 0;
  double iteration_time_s = 0;
  double tokens_per_s = 0, samples_per_s = 0;
  double model_flops = 0, hardware_flops = 0;  ///< per iteration, whole job
  double model_tflops_per_gpu = 0, hardware_tflops_per_gpu = 0, mfu = 0, hfu = 0;
  TimeBreakdown breakdown;
  MemoryReport memory;
  double train_tokens = 0, time_to_train_s = 0, gpu_hours = 0;
  std::int64_t micro_batches = 0;
  /// Storage stall, energy, failures/goodput and cost (sim/metrics/energy_cost.hpp; issue #5).
  EnergyCostReport energy_cost;
  /// Why the prediction deserves a second look (plausibility_warnings); printed by `trainsim run`.
  std::vector<std::string> warnings;
};

/// Warnings on a predicted MFU against what was measured on the GPU (GpuSpec::best_published_mfu,
/// mamf_fraction): above the best published training run by more than 10%, above the largest
/// matrix-product rate measured, or no published run to check it with. None for a device
/// without published figures (the hardware backend's CPU) or a calibrated scenario (`calibrated`).
std::vector<std::string> plausibility_warnings(const GpuSpec& gpu, Precision p, double mfu, bool calibrated);

/// Memory of every stage; the report keeps the largest.
MemoryReport memory_report(const Scenario& sc, const Plan& plan);
/// The same from what it reads of a plan: the model, the strategy and each stage's parameters.
/// `explain` false: without `why` (the search scorer rates thousands of strategies a second and
/// words the peak of the one it reports with memory_peak_why).
MemoryReport memory_report(const Scenario& sc, const TransformerConfig& model, const Strategy& s,
                           const std::vector<double>& params_per_rank_by_stage, bool explain = true);
/// MemoryReport::why of a report of strategy `s`.
std::string memory_peak_why(const MemoryReport& m, const Strategy& s);

/// Throughput, FLOP rates, MFU, HFU and time to train of one iteration (the numbers of Metrics).
struct IterationRates {
  double tokens_per_s = 0, samples_per_s = 0;
  double model_flops = 0, hardware_flops = 0;  ///< per iteration, whole job
  double model_tflops_per_gpu = 0, hardware_tflops_per_gpu = 0, mfu = 0, hfu = 0;
  double time_to_train_s = 0, gpu_hours = 0;  ///< 0 without a token budget
};
/// The formulas every evaluator shares: model FLOPs by formula (Narayanan et al. 2021 eq. 3 without
/// recomputation), hardware FLOPs adding what recomputation re-executes (`recompute_flops`, whole
/// job), MFU/HFU over the GPU's dense peak in the strategy's precision.
IterationRates iteration_rates(const TransformerConfig& model, const Strategy& s, const GpuSpec& gpu,
                               double iteration_s, double recompute_flops, double train_tokens);

/// Throughput (tokens and samples per second), model and hardware FLOPs and FLOP rates, MFU, HFU,
/// time to train and GPU-hours of an iteration of `iteration_s` seconds of `model` under strategy
/// `s` in which recomputation re-executed `recompute_flops` (whole job): the formulas every
/// evaluator shares. Breakdown, memory and energy are left empty.
Metrics iteration_metrics(const Scenario& sc, const TransformerConfig& model, const Strategy& s, double iteration_s,
                          double recompute_flops);

/// The Metrics of an engine's (or a measured) iteration: iteration_metrics with the recomputed FLOPs
/// of the Plan, the breakdown of the busiest stage from the Trace, memory, energy and cost.
Metrics compute_metrics(const Scenario& sc, const Plan& plan, const Trace& trace);

/// "tp8 pp16 dp8 mb1 gbs1536 1f1b recompute=full" — one line describing the strategy.
std::string describe_strategy(const Strategy& s);

}  // namespace trainsim
