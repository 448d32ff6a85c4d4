#pragma once
// StrategyScorer: the closed-form evaluator ("fast") for strategy search and sweeps that score tens
// of thousands of strategies per second (Calculon, the closest analytic tool, scores ~70 per second
// in Python).
//
// It evaluates exactly what the engines evaluate, without expanding the schedule into per-micro-
// batch ops: the planner's plan units (sim/plan/plan_units.hpp: units, segments, buckets, byte
// counts, synchronisation rules), costed by the engines' cost library (sim/cost: each distinct
// layer segment once per shard, shared across strategies), timed under the pipeline schedule by
// sim/scorer/unit_timing.hpp (the engines' event rules on units, extended linearly in the
// micro-batch count once the pipeline is full), and turned into metrics by the shared metrics code
// (sim/metrics: rates, breakdown, activity, energy). The memory report is the engines' own.
// tests/evaluate checks it against the analytic engine on a few hundred random strategies.
#include "models/compute/compute_model.hpp"
#include "sim/cost/op_costs.hpp"
#include "sim/metrics/metrics.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scorer/pipeline_timing.hpp"

namespace trainsim {

struct FastScore {
  double iteration_time_s = 0;
  double tokens_per_s = 0;
  double model_tflops_per_gpu = 0, hardware_tflops_per_gpu = 0, mfu = 0, hfu = 0;
  double time_to_train_s = 0;    ///< train_tokens / tokens_per_s (0 without a token budget)
  double recompute_flops = 0;    ///< re-executed by recomputation per iteration, whole job
  TimeBreakdown breakdown;       ///< of the busiest stage, as Metrics::breakdown
  double pipeline_bubble_s = 0;  ///< breakdown.pipeline_bubble
  double dp_exposed_s = 0;       ///< breakdown.dp_comm_exposed
  double optimizer_s = 0;        ///< breakdown.optimizer
  MemoryReport memory;
  ActivityBreakdown activity;  ///< per GPU, per iteration (input of the energy model)
  bool extrapolated = false;   ///< timed at fewer micro-batches and extended linearly
};

class StrategyScorer {
 public:
  /// `base` supplies the cluster, workload, options and calibration profile; its strategy is ignored.
  explicit StrategyScorer(const Scenario& base);

  /// Scores a resolved strategy (resolve_strategy) on the base scenario's cluster and workload.
  FastScore score(const Strategy& s) const;
  /// The same as Metrics (memory, energy and cost included): the "fast" evaluator.
  Metrics metrics(const Strategy& s) const;

  const Scenario& base() const { return base_; }

 private:
  Scenario base_;
  ComputeModel compute_;
  SegmentCostCache segments_;
  mutable PipelineMemo pipelines_;
};

}  // namespace trainsim
