#pragma once
// trainsim explain: where the time of one iteration goes and why, in plain words, computed
// from the scenario, its Plan and the predicted Trace (never canned text):
//  - the pipeline bubble by the schedule's closed form, (p-1)/(m+p-1) for GPipe and 1F1B and
//    (p-1)/(v*m+p-1) interleaved (Narayanan et al. SC'21 eq. 1-2, as a fraction of the
//    iteration), next to the bubble the engine modelled (Metrics.breakdown);
//  - communication volume per group and iteration, summed from the Plan: Collective and Send ops
//    and the collectives compute blocks issue inline (TP/CP/EP), by GroupRole and kind;
//  - what recomputation costs (extra FLOPs and time) and saves (activation memory with and
//    without it, from the memory model), whether memory fits;
//  - a few actionable hints derived from those numbers.
#include <nlohmann/json.hpp>

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "models/util/human_units.hpp"
#include "sim/cost/op_costs.hpp"
#include "sim/evaluate/predict.hpp"
#include "sim/report/explain_experts.hpp"

namespace trainsim {

struct BubbleExplanation {
  int stages = 1, micro_batches = 1, chunks = 1;  ///< p, m, v
  std::string schedule;
  std::string formula;           ///< "(p-1)/(m+p-1)" or "(p-1)/(v*m+p-1)"
  std::string filled;            ///< the formula with the numbers filled in
  double fraction = 0;           ///< of the iteration, by the formula
  double of_ideal = 0;           ///< (p-1)/(v*m): relative to the bubble-free time (SC'21)
  double modelled_s = 0;         ///< Metrics.breakdown.pipeline_bubble
  double modelled_fraction = 0;  ///< modelled_s / iteration time
};

/// Communication of one kind on one group, per rank of a pipeline stage, per iteration.
struct CommVolume {
  std::string group;  ///< tp, cp, ep, dp, embedding, pp
  std::string kind;   ///< all-reduce, all-gather, ..., send
  std::string where;  ///< "inline in compute blocks", "pipeline send", "after the backward" ...
  int group_size = 1;
  int ranks_per_node = 1, nodes = 1;  ///< shape of the group on the cluster
  std::int64_t count = 0;             ///< operations per iteration
  double bytes = 0;                   ///< buffer bytes per rank per iteration (sum over ops)
  double wire_bytes = 0;              ///< bytes each rank sends per iteration, by each op's algorithm
  std::string algorithm;              ///< the algorithm most of the ops run with (collectives)
  double typical_op_bytes = 0;        ///< the most frequent per-op buffer size
  std::int64_t typical_op_count = 0;
  double per_layer_per_micro_batch = 0;  ///< count / (layers on the stage x micro-batches), inline only
  std::string size_formula;              ///< how typical_op_bytes follows from the model (when known)
};

struct RecomputeExplanation {
  std::string mode;        ///< none, selective, full
  double time_s = 0;       ///< breakdown.recompute
  double extra_flops = 0;  ///< hardware - model FLOPs per iteration, whole job
  double extra_flops_fraction = 0;
  /// Activation memory per GPU (largest stage) and total per GPU for each recompute mode.
  std::map<std::string, double> activations_bytes, total_bytes;
  std::map<std::string, bool> fits;
};

struct Explanation {
  std::string scenario, strategy, gpu, engine;
  int gpus = 0, gpus_per_node = 0;
  double iteration_time_s = 0, mfu = 0;
  std::vector<std::pair<std::string, double>> time_parts;  ///< breakdown, seconds, in report order
  int breakdown_stage = 0;
  BubbleExplanation bubble;
  int comm_stage = 0;  ///< stage whose rank the volumes describe (the breakdown's)
  std::vector<CommVolume> comm;
  /// Seconds the compute of comm_stage's rank runs longer because collectives beside it hold
  /// SMs (sim/cost/sm_contention.hpp), and the most SMs one of them holds, of sm_count.
  double sm_contention_s = 0;
  int sm_contention_sms = 0, sm_count = 0;
  /// Seconds the ZeRO-3 runtime's software path adds to comm_stage's rank's collectives
  /// (Strategy::zero_runtime, models/collective/zero_runtime.hpp), and their whole time.
  double runtime_overhead_s = 0, runtime_collectives_s = 0;
  double runtime_gather_Bps = 0, runtime_reduce_Bps = 0;  ///< its rates (ZeroRuntimeRates)
  std::string zero_runtime;
  /// With Strategy::tp_comm_overlap: comm_stage's rank's layer TP collectives that Transformer
  /// Engine overlaps, seconds, and what they still cost (exposed, or in their products' SMs).
  double tp_overlapped_s = 0, tp_overlap_cost_s = 0;
  RecomputeExplanation recompute;
  ExpertExplanation experts;  ///< MoE models: the busiest stage's expert layers
  double memory_total_bytes = 0, memory_capacity_bytes = 0;
  bool memory_fits = true;
  /// Slow GPUs and degraded NIC links of the job (ClusterSpec::slow_gpus, degraded_nics): how
  /// many, the slowest one as text, and the iteration the same engine gives without them.
  int slow_gpus = 0, degraded_nics = 0;
  std::string slowest_gpu, weakest_nic;
  double healthy_iteration_time_s = 0;
  std::vector<std::string> hints;
};

/// The closed-form bubble of a schedule: fraction of the iteration, and the formula as text.
BubbleExplanation bubble_formula(ScheduleKind kind, int stages, int micro_batches, int chunks);

/// Communication of one rank of `stage` over one iteration, summed from the Plan.
std::vector<CommVolume> communication_volumes(const Plan& plan, const OpCosts& costs, int stage);

Explanation explain(const Scenario& sc, const Prediction& p);

nlohmann::json to_json(const Explanation& e);
void print_explain_text(const Explanation& e, std::ostream& out);

}  // namespace trainsim
