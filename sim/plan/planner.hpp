#pragma once
// Planner: turns (model, strategy, cluster shape) into a Plan — the per-stage programs of compute
// blocks, pipeline sends/receives and data-parallel collectives, with dependencies. In two steps:
// plan_units (sim/plan/plan_units.hpp) states what the iteration is made of; expand_schedule
// orders it by the pipeline schedule into per-micro-batch programs.
#include "sim/plan/plan.hpp"
#include "sim/plan/plan_units.hpp"

namespace trainsim {

/// `strategy` must be resolved (resolve_strategy). `gpus_per_node` places ranks on nodes.
/// expand_schedule(plan_units(model, strategy, gpus_per_node)).
Plan build_plan(const TransformerConfig& model, const Strategy& strategy, int gpus_per_node);

/// The Plan of the units: every stage's program in the order of its pipeline schedule
/// (sim/plan/pipeline_schedule.hpp), blocks with their kernels.
Plan expand_schedule(const PlanUnits& units);

/// The optimizer step of a stage as compute blocks, each one op: mixed-precision Adam on the GPU,
/// or with optimizer offload its host-link copies and CPU Adam (models/workload/optimizer_kernels.hpp).
std::vector<Block> optimizer_steps(const PlanUnits& units, const StageTail& tail);

/// Layer ranges [first, first + count) of each virtual stage (vs = chunk * pp + stage). Layers
/// split evenly; when they do not divide, the first and last virtual stages (which also hold the
/// embedding and the output layer) get the fewer layers, as Llama 3 405B did: 126 layers on 16
/// stages, one layer less on the first and last (Dubey et al. 2024, Sec. 3.3.2).
std::vector<std::pair<int, int>> virtual_stage_layer_ranges(int layers, int virtual_stages);

/// Transformer layers one rank of `stage` holds (all its chunks).
int stage_layers(const TransformerConfig& m, const Strategy& s, int stage);

/// Parameters one rank of `stage` holds before ZeRO sharding (TP/EP split applied).
double params_per_rank(const TransformerConfig& model, const Strategy& s, int stage);
/// The same for every stage at once.
std::vector<double> params_per_rank_by_stage(const TransformerConfig& model, const Strategy& s);

/// Parameters of transformer layer `layer` held by one rank (its TP shard; its EP share of experts).
double layer_params_rank(const TransformerConfig& model, const ParamCount& pc, const Strategy& s, int layer);
/// Of those, the routed experts' (0 for a dense layer): the layer's experts over ep x etp ranks.
double layer_expert_params_rank(const TransformerConfig& model, const ParamCount& pc, const Strategy& s, int layer);

/// Parameters outside the layers held by one rank: the word (and learned position) embedding of
/// the first stage, and the final norm plus the output layer (untied, or the tied copy a split
/// pipeline keeps) of the last stage.
struct EdgeParams {
  double embedding = 0, head = 0;
};
EdgeParams edge_params_rank(const TransformerConfig& model, const ParamCount& pc, const Strategy& s);

/// How one layer is split over a rank under `s` (micro-batch, TP/SP, CP, EP, precision, kernels).
LayerShard layer_shard(const Strategy& s);

/// Bytes per parameter of gradients: Strategy::grad_reduce_dtype when set; else fp32 accumulation
/// for bf16/fp8 runs (Megatron --accumulate-allreduce-grads-in-fp32, forced with bf16), the run's
/// half precision otherwise.
double gradient_bytes(const Strategy& s);
/// ZeRO-3 / FSDP with full-precision parameters cast per use (Strategy::fsdp_param_dtype fp32).
bool fp32_fsdp_params(const Strategy& s);
/// Bytes per parameter of a ZeRO-3 / FSDP parameter all-gather (Strategy::fsdp_param_dtype).
double param_gather_bytes(const Strategy& s);
/// Bytes per parameter of the weights the forward pass reads.
double weight_bytes(const Strategy& s);

}  // namespace trainsim
