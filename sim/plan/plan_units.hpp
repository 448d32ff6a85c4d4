#pragma once
// Plan units: what one training iteration is made of, stated once, before any schedule.
//
// Per virtual stage (vs = chunk * pp + stage), its units of work in forward order: the layers
// whose passes run as one compute op each, whose parameters a ZeRO-3 runtime gathers together and
// whose gradients are synchronised together. A unit is the whole chunk, except with ZeRO-3 / FSDP
// (each layer is its own unit: FSDP wraps each transformer block, gathering its parameters just
// before use and reduce-scattering its gradients just after; Zhao et al., "PyTorch FSDP", VLDB
// 2023, Sec. 3) and with bucketed data-parallel synchronisation (its buckets fill layer by layer).
// With each unit: its passes as segments (what the kernels compute, sim/plan/plan.hpp), its
// parameters, and the buckets its gradients and weights are synchronised in. Per pipeline stage,
// what follows the last backward (StageTail). And the rules that tie them together: which
// collective a gradient synchronisation is, how far ahead a gather is prefetched, what a pipeline
// transfer carries and on which stream.
//
// expand_schedule (sim/plan/planner.hpp) turns the units into the Plan's per-stage programs for
// the engines; the closed-form scorer (sim/scorer) times the same units without expanding them.
// Every byte count, group and rule is read from here by both.
#include <span>
#include <vector>

#include "sim/plan/plan.hpp"

namespace trainsim {

/// The segments [begin, end) of PlanUnits::segments one pass of a unit runs.
struct UnitPass {
  int begin = 0, end = 0;
  bool empty() const { return begin == end; }
};

struct PlanUnit {
  int first_layer = 0, layers = 0;
  /// Parameters one rank holds for the unit before ZeRO sharding: its layers, plus the embedding
  /// (first unit of the first virtual stage) or the output layer and final norm (last unit of the
  /// last virtual stage).
  double params = 0;
  /// Of those, the ones with gradients and optimizer state: all of them, or a LoRA model's
  /// adapters alone (the base is frozen). Gradient buckets fill with these.
  double trainable = 0;
  /// Of the trainable ones, the routed experts' (PlanUnits::expert_groups): synchronised over the
  /// expert data-parallel group instead of the data-parallel one.
  double expert_trainable = 0;
  UnitPass forward, backward, recompute;  ///< recompute is empty without recomputation
};

/// Consecutive units of a pass whose gradients (or weights) are synchronised as one collective
/// (Megatron-Core DDP and PyTorch DDP buckets): filled in the order the pass meets the units, a
/// bucket closing once it holds Strategy::bucket_size() parameters. A view into PlanUnits.
struct Buckets {
  const int* of = nullptr;         ///< bucket of each unit, indexed by its position in the pass
  const double* params = nullptr;  ///< parameters of each bucket
  const double* expert = nullptr;  ///< of those, routed-expert parameters (PlanUnit::expert_trainable)
  std::size_t units = 0, count = 0;
  /// Whether position i closes its bucket (the last unit of the pass, or the next unit opens another).
  bool closes(std::size_t i) const { return i + 1 == units || of[i + 1] != of[i]; }
  bool opens(std::size_t i) const { return i == 0 || of[i - 1] != of[i]; }
};

struct VirtualStageUnits {
  int first_layer = 0, layers = 0;
  int first_unit = 0, unit_count = 0;  ///< its units in PlanUnits::units, in forward order
  /// Its buckets in PlanUnits::bucket_of / bucket_params (-1: none): gradients over the backward
  /// order (PlanUnits::grads_in_buckets), weights over the forward order (gathers_in_forward).
  int grad_of = -1, grad_params = -1, grad_count = 0;
  int weight_of = -1, weight_params = -1, weight_count = 0;
};

/// A collective of the data-parallel side streams: its kind, group and per-rank bytes.
struct SideCollective {
  CollectiveKind kind = CollectiveKind::AllReduce;
  GroupRole group = GroupRole::DP;
  double bytes = 0;
};

/// What a pipeline stage runs after its last backward.
struct StageTail {
  double params = 0;            ///< held by one rank of the stage before ZeRO sharding
  double trainable = 0;         ///< of those, with gradients and optimizer state (PlanUnit::trainable)
  double expert_trainable = 0;  ///< of those, routed-expert parameters (PlanUnit::expert_trainable)
  /// The whole stage's gradients synchronised once the backward is done (no overlap): empty when
  /// they are synchronised in buckets, per unit, or not at all.
  std::vector<SideCollective> grad_sync;
  double embedding_grad_bytes = 0;            ///< tied word embeddings: all-reduce of the copies (0: none)
  double optimizer_params = 0;                ///< parameters this rank's optimizer step updates (ZeRO-sharded)
  std::vector<SideCollective> weight_gather;  ///< updated weights gathered after the step (empty: none)
};

struct PlanUnits : RankLayout {
  TransformerConfig model;
  LayerShard shard;  ///< how every layer is split over a rank
  int micro_batches = 1;
  bool layer_units = false;            ///< one layer per unit (ZeRO-3, bucketed synchronisation)
  std::vector<BlockSegment> segments;  ///< the segments of every unit pass
  std::vector<PlanUnit> units;         ///< every unit, by virtual stage, each in forward order
  std::vector<int> bucket_of;          ///< every pass's bucket of each unit (VirtualStageUnits)
  std::vector<double> bucket_params;
  std::vector<double> bucket_expert_params;  ///< of bucket_params, routed-expert parameters
  std::vector<VirtualStageUnits> vstages;    ///< pp x vp of them
  std::vector<StageTail> tails;              ///< one per pipeline stage

  // Pipeline transfers.
  double p2p_bytes = 0;  ///< activations (or their gradients) of one micro-batch, per send
  /// Megatron's schedules wait for each send before the next compute unless --overlap-p2p-comm.
  Stream p2p_send_stream = Stream::Compute;

  // Data-parallel synchronisation rules (the flags of Strategy they follow are named).
  /// ZeRO-3 / FSDP over more than one rank: each unit's parameters are gathered before each of
  /// its passes, on the parameter stream, prefetched `prefetch_units` compute ops ahead (FSDP's
  /// forward/backward prefetch of one unit), and its gradients synchronised after its backward.
  bool unit_gathers = false;
  int prefetch_units = 1;
  /// DeepSpeed 0.3.x stage 3 (Strategy::deepspeed03_zero3): the units run module by module
  /// (module_pieces), each behind its own gather; a module's gradient all-reduce is queued on the
  /// parameter stream after the next module's gather (its post-backward hook runs after that
  /// gather was prefetched; both share the process group's one NCCL stream).
  bool module_pieces = false;
  /// Gradients of a chunk's last backward reduced bucket by bucket while it runs
  /// (Strategy::overlap_grad_reduce with bucketed_dp_sync()).
  bool grads_in_buckets = false;
  /// Updated weights gathered bucket by bucket before the chunk's first forward
  /// (Strategy::overlap_param_gather with the distributed optimizer).
  bool gathers_in_forward = false;
  GroupRole shard_role = GroupRole::DP;  ///< DPShard with hybrid sharding
  /// MoE with Megatron-Core's DDP / distributed optimizer (ZeRO 0-2): the routed experts'
  /// gradients are reduced, their optimizer state sharded and their updated weights gathered over
  /// the expert data-parallel group (Strategy::edp(): tp x cp x dp / (etp x ep) ranks holding the
  /// same experts), the other parameters over the data-parallel group (Megatron-LM
  /// megatron/core/distributed/distributed_data_parallel.py: parameters with allreduce=False go to
  /// the expert-parallel buffers of the expert data-parallel group; megatron/core/optimizer:
  /// their optimizer over intra_expt_dp_group). With edp = 1 the experts need no synchronisation.
  /// ZeRO-3 / FSDP shards every parameter over the data-parallel group, as before.
  bool expert_groups = false;
  double grad_bytes_per_param = 4, gather_bytes_per_param = 2, weight_bytes_per_param = 2;

  int virtual_stages() const { return static_cast<int>(vstages.size()); }
  /// The units of virtual stage `vs`, in forward order (the backward runs them in reverse).
  std::span<const PlanUnit> units_of(int vs) const {
    return {units.data() + vstages[vs].first_unit, static_cast<std::size_t>(vstages[vs].unit_count)};
  }
  Buckets grad_buckets(int vs) const;
  Buckets weight_buckets(int vs) const;
  /// The segments of one pass.
  const BlockSegment* begin(const UnitPass& p) const { return segments.data() + p.begin; }
  const BlockSegment* end(const UnitPass& p) const { return segments.data() + p.end; }
  /// A gradient synchronisation of `bytes` per rank: reduce-scatter over the sharding group (an
  /// all-reduce without ZeRO, and for DeepSpeed 0.3.x, whose contiguous_gradients is false), then
  /// with hybrid sharding an all-reduce of the shard across the replicas (FSDP HYBRID_SHARD; MiCS).
  /// `expert_bytes` of them are routed experts' (expert_groups: reduce-scattered, or all-reduced,
  /// over the expert data-parallel group; nothing when it has one rank).
  std::vector<SideCollective> gradient_sync(double bytes, double expert_bytes = 0) const;
  /// The ZeRO-3 gather of a unit (or module) holding `params` parameters.
  SideCollective param_gather(double params) const;
  /// The gather of `params` updated weights (distributed optimizer, ZeRO-1/2), `expert` of them
  /// over the expert data-parallel group (expert_groups).
  std::vector<SideCollective> weight_gather(double params, double expert = 0) const;
  /// Ranks a parameter's optimizer state is sharded over (ZeRO >= 1), for dense and expert ones.
  int optimizer_shard(bool expert) const;
};

/// The units of `model` under the resolved strategy `s` (resolve_strategy) on nodes of
/// `gpus_per_node` GPUs. Costs nothing per kernel: segments only.
PlanUnits plan_units(const TransformerConfig& model, const Strategy& s, int gpus_per_node);

/// The kernels of one segment under `shard` (and `recompute` for a recomputation pass).
std::vector<Kernel> segment_kernels(const TransformerConfig& model, const LayerShard& shard, Recompute recompute,
                                    const BlockSegment& segment);

/// A block split at its modules, as a runtime that fetches parameters per module sees it
/// (DeepSpeed 0.3.x's pre-forward/pre-backward hooks on each nn.Linear): one piece per weighted
/// module, opening at the kernel that carries its weights (Kernel::weights) and running to the
/// next. The block's parameters go to the pieces in proportion to their weights; what the modules
/// do not hold (embedding, norms, biases) goes to the first piece, with the kernels before the
/// first module.
std::vector<Block> module_pieces(const Block& b);

}  // namespace trainsim
