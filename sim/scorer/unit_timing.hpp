#pragma once
// The closed-form timing of one iteration from the plan units, without the Plan: the scorer's
// counterpart of expanding the schedule into ops and replaying them. Each piece is a named step:
//  - step_costs (sim/scorer/step_costs.hpp): each virtual stage's forward and backward step in the
//    steady state of its stage (ZeRO-3 prefetch overlap, gather-bound waits, SM contention);
//  - time_pipeline_steady (sim/scorer/pipeline_timing.hpp): the pipeline schedule over those steps,
//    the weight buckets' gathers delaying each chunk's first forward (gather_lead);
//  - per stage after its last backward (stage_tail): the gradient buckets' reductions still running
//    (gradient_tail), the ZeRO-3 reduce-scatter backlog, the gradient synchronisation, the
//    tied-embedding all-reduce with its partner stage, the optimizer step, the weight gather;
//  - each stage's metric sums, from the steps' and the tail's (sim/metrics/timeline.hpp).
#include <vector>

#include "sim/metrics/timeline.hpp"
#include "sim/scorer/pipeline_timing.hpp"
#include "sim/scorer/unit_costs.hpp"

namespace trainsim {

struct UnitTiming {
  double iteration_s = 0;
  std::vector<RankSums> stages;  ///< one representative rank per pipeline stage
  bool extrapolated = false;     ///< the pipeline timed at fewer micro-batches and extended linearly
};

/// `sm_count`: the GPU's SMs; `contention` false when the cluster's collectives take none
/// (ClusterSpec::nccl_sms = 0); `memo` (may be null) keeps pipeline timings across calls.
UnitTiming time_units(const PlanUnits& units, const UnitScheduleCosts& costs, int sm_count, bool contention,
                      PipelineMemo* memo = nullptr);

}  // namespace trainsim
