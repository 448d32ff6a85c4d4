#pragma once
// StrategyScorer: the closed-form fast path of the analytic engine, for strategy search and
// sweeps that score thousands of strategies per second (issue #6: ≥ 10,000 per second for GPT-3
// 175B on 1,024 GPUs; Calculon, the closest analytic tool, scores ~70 per second in Python).
//
// It costs exactly the kernels and collectives the Planner would put in the Plan (same
// layer_forward/backward/recompute kernels, same OpCosts for collectives and pipeline transfers,
// same memory model), but replaces the replay of every micro-batch by the pipeline formula
//   T_pipe = m · t_max + (Σ_s t_s − t_max) / v
// (t_s: one micro-batch through all chunks of stage s; m micro-batches; v virtual stages), which
// is (m + p − 1) · t for uniform stages and the interleaved bubble (p − 1) · t / v of Narayanan
// et al., SC'21, Sec. 2.2. Data-parallel synchronisation and the optimizer step follow the Plan's
// rules (overlap only across chunks, ZeRO-3 per-layer gathers prefetched one layer ahead).
// tests/search/strategy_scorer_test.cpp checks it against the full analytic engine.
#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include "models/compute/compute_model.hpp"
#include "models/power/energy_model.hpp"
#include "sim/metrics/metrics.hpp"
#include "sim/scenario/scenario.hpp"

namespace trainsim {

struct FastScore {
  double iteration_time_s = 0;
  double tokens_per_s = 0;
  double model_tflops_per_gpu = 0, hardware_tflops_per_gpu = 0, mfu = 0, hfu = 0;
  double time_to_train_s = 0;    ///< train_tokens / tokens_per_s (0 without a token budget)
  double pipeline_bubble_s = 0;  ///< T_pipe − m · t_max of the slowest stage
  double dp_exposed_s = 0;       ///< data-parallel synchronisation after the last backward
  double optimizer_s = 0;
  double recompute_flops = 0;  ///< re-executed by recomputation per iteration, whole job
  MemoryReport memory;
  ActivityBreakdown activity;  ///< per GPU, per iteration (input of the energy model)
};

class StrategyScorer {
 public:
  /// `base` supplies the cluster, workload, options and calibration profile; its strategy is ignored.
  explicit StrategyScorer(const Scenario& base);

  /// Scores a resolved strategy (resolve_strategy) on the base scenario's cluster and workload.
  FastScore score(const Strategy& s) const;
  /// The same as Metrics (the shared metrics formulas, memory, energy and cost): the "fast" evaluator.
  Metrics metrics(const Strategy& s) const;

  const Scenario& base() const { return base_; }

 private:
  struct PhaseCost {
    double compute = 0, comm = 0;  ///< seconds: kernels, inline collectives
    double compute_bound = 0;      ///< seconds of compute in GEMM/attention kernels
    double flops = 0;
    /// The pass split as build_plan's module_pieces splits it (DeepSpeed 0.3.x): (weights, compute
    /// seconds) of each piece, the kernels before the first weighted module a piece of weight 0.
    std::vector<std::pair<double, double>> pieces;
  };
  struct LayerCost {
    PhaseCost fwd, bwd, rec;
  };
  static constexpr int kEmbedding = -1, kHead = -2;  ///< pseudo layer indices for layer_cost()
  using LayerKey = std::tuple<int, int, int, int, std::int64_t, int, int, int, int, int, int, int, int>;
  const LayerCost& layer_cost(const Strategy& s, const class OpCosts& costs, int layer) const;
  PhaseCost cost_kernels(const std::vector<Kernel>& ks, const class OpCosts& costs, const Strategy& s) const;

  Scenario base_;
  ComputeModel compute_;
  mutable std::map<LayerKey, LayerCost> cache_;
};

}  // namespace trainsim
