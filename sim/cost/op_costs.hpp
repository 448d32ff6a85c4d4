#pragma once
// OpCosts: the closed-form duration of every Plan op on a cluster — compute blocks through the
// ComputeModel (and the host model for optimizer offload's host-side kernels), collectives and
// pipeline transfers through the alpha-beta collective model over the node/fabric hierarchy
// (sim/cost/collective_costs.hpp). The one cost model: the analytic and SimGrid engines cost the
// expanded Plan with it, the closed-form scorer the plan units, `trainsim explain` both.
//
// A block is costed segment by segment (sim/plan/plan.hpp BlockSegment): the kernels of one part of
// the model in one pass, with the overlaps of their inline collectives (sim/cost/inline_overlap.hpp).
// Layers of one kind cost the same, so a segment is costed once per kind; a SegmentCostCache shared
// by several OpCosts (the scorer's strategies) keeps them across strategies, keyed by everything a
// segment's cost depends on.
#include <array>
#include <memory>
#include <vector>

#include "models/collective/collective_model.hpp"
#include "models/compute/compute_model.hpp"
#include "sim/cost/collective_costs.hpp"
#include "sim/cost/inline_overlap.hpp"
#include "sim/plan/plan.hpp"
#include "topologies/cluster_spec.hpp"

namespace trainsim {

struct BlockCost {
  double compute = 0;  ///< seconds in compute kernels
  double comm = 0;     ///< seconds in inline collectives (TP/CP/EP), not overlapped
  /// Of those, the layer TP collectives Transformer Engine overlaps (Strategy::tp_comm_overlap):
  /// their whole time, and what they still cost (exposed, or paid in their products' SMs).
  double tp_overlapped = 0, tp_overlap_cost = 0;
  double compute_bound = 0;  ///< of `compute`, seconds in matrix products and attention kernels
  double flops = 0;          ///< executed by the compute kernels
  double total() const { return compute + comm; }
  BlockCost& operator+=(const BlockCost& o);
};

/// Everything a layer segment's cost depends on besides the model and the cluster: how the layer is
/// split, the recomputation kind, the tensor-parallel algorithm, the inline overlaps and the
/// shapes of the groups its inline collectives run on.
struct SegmentContext {
  LayerShard shard;
  Recompute recompute = Recompute::None;
  CollectiveAlgorithm tp_algorithm = CollectiveAlgorithm::Auto;
  InlineOverlap overlap;
  std::array<GroupShape, 4> groups{};  ///< TP, CP, EP, EDP
  bool operator==(const SegmentContext&) const = default;
};

/// Segment costs kept across OpCosts of one model on one cluster (the scorer's strategies).
class SegmentCostCache {
 public:
  SegmentCostCache();
  ~SegmentCostCache();
  struct Impl;
  Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

class OpCosts {
 public:
  /// Distinct segments of a strategy: 3 parts x 3 passes x layer kinds (TransformerConfig::layer_kind).
  static constexpr int kLayerKinds = 4, kSegmentSlots = 3 * 3 * kLayerKinds;

  /// Costs for the ranks of `layout` running `model` on `cluster`; `shared` (may be null) keeps
  /// segment costs across OpCosts of the same model, cluster and compute model.
  OpCosts(const RankLayout& layout, const TransformerConfig& model, const ClusterSpec& cluster,
          const ComputeModel& compute, const SegmentCostCache* shared = nullptr);
  /// The same for an expanded Plan, with every block of it costed (block()).
  OpCosts(const Plan& plan, const ClusterSpec& cluster, const ComputeModel& compute);

  /// A block of the Plan given to the constructor.
  const BlockCost& block(int index) const { return blocks_.at(index); }
  /// Any block: the sum of its segments' costs, or kernel by kernel when it has no segments.
  BlockCost cost(const Block& b) const;
  /// The segments [first, last) of a pass (sim/plan/plan_units.hpp UnitPass), summed.
  BlockCost cost(const BlockSegment* first, const BlockSegment* last) const;
  /// One segment (cached by part, pass and layer kind).
  BlockCost segment(const BlockSegment& g) const;
  /// Kernel by kernel: every kernel's time, inline collectives' exposure from inline_overlap().
  BlockCost cost(const std::vector<Kernel>& kernels) const;

  /// Duration of a Collective op on its group (ZeRO-3 runtime overhead included).
  double collective(const Op& op) const;
  /// The same for a collective of `kind` over `bytes` per rank on the group of `role`, issued in
  /// `phase` (the phase decides the ZeRO-3 runtime's overhead: gathers in ParamSync, reductions in
  /// GradSync).
  double collective(CollectiveKind kind, double bytes, GroupRole role, Phase phase) const;
  /// Its algorithm, seconds and traffic; `fabric` says whether the fabric's oversubscription is
  /// charged here (closed form) or simulated by the engine. Seconds exclude the runtime overhead.
  CollectiveCost collective_cost(const Op& op, FabricContention fabric = FabricContention::ClosedForm) const;
  /// A collective of `kind` over `bytes` per rank on the rank's group of `role` (the strategy's
  /// tp_algorithm / dp_algorithm for TP / DP groups).
  CollectiveCost collective_cost(CollectiveKind kind, double bytes, GroupRole role,
                                 FabricContention fabric = FabricContention::ClosedForm) const;
  /// Seconds the strategy's ZeRO-3 runtime adds to a parameter gather or gradient reduction op
  /// beyond the NCCL collective, whatever the fabric (Strategy::zero_runtime,
  /// models/collective/zero_runtime); 0 for other ops and for runtimes at NCCL rates.
  /// collective() includes it.
  double runtime_overhead(const Op& op) const;
  double runtime_overhead(GroupRole role, Phase phase, double bytes) const;
  /// SMs a Collective op's NCCL kernel holds while it runs (ClusterSpec::nccl_sms, or NCCL's
  /// choice from the bus bandwidth of its group: models/collective nccl_sms).
  int collective_sms(const Op& op) const;
  /// The same for any collective on a group of `role`.
  int group_sms(GroupRole role) const;
  /// Share of the GPU's SMs an inline tensor-parallel collective's NCCL kernel holds (0 without TP).
  double tp_sm_share() const;
  /// What the overlaps of the strategy's inline collectives depend on, on this cluster.
  InlineOverlap inline_overlap() const;
  /// Duration of a Send from `stage` to `peer_stage`.
  double p2p(int stage, int peer_stage, double bytes) const;
  /// Cost of one inline collective kernel on the rank's group of kernel.group.
  double kernel_collective(const Kernel& k) const;
  /// Seconds of any kernel of a block: compute kinds through the ComputeModel, inline collectives
  /// through kernel_collective, host-side kinds (optimizer offload) through the cluster's host
  /// (models/compute/host_model.hpp) with the node's GPUs sharing its memory.
  double kernel_time(const Kernel& k) const;
  /// GPUs of one node that share its host memory: min(GPUs per node, world).
  int ranks_sharing_host() const;
  GroupShape shape(GroupRole role) const;
  const ClusterSpec& cluster() const { return cluster_; }
  const TransformerConfig& model() const { return model_; }
  /// How the strategy splits a layer and what its segments' costs depend on (SegmentContext).
  const SegmentContext& context() const { return context_; }
  /// The cluster a collective on a group of `role` runs on: the cluster itself, or, when one of
  /// the role's groups crosses nodes through a degraded NIC (ClusterSpec::degraded_nics), the
  /// cluster with its NIC rate at the slowest such NIC's fraction: a ring or all-to-all moves at
  /// the pace of its slowest link, and every group of a role meets in the same step.
  const ClusterSpec& cluster_for(GroupRole role) const;

 private:
  const RankLayout& layout_;
  const TransformerConfig& model_;
  const ClusterSpec& cluster_;
  const ComputeModel& compute_;
  const SegmentCostCache* shared_ = nullptr;
  SegmentContext context_;
  std::vector<BlockCost> blocks_;
  /// Group shape per GroupRole, computed on first use (every group of a role has the same shape).
  mutable std::array<GroupShape, 16> shapes_{};
  mutable std::array<bool, 16> shape_known_{};
  /// cluster_for() per GroupRole (null: the cluster itself), computed on first use.
  mutable std::array<std::shared_ptr<const ClusterSpec>, 16> degraded_{};
  mutable std::array<bool, 16> degraded_known_{};
  /// Segment costs by (part, pass, layer kind) for this strategy (segment_slot).
  mutable std::array<BlockCost, kSegmentSlots> segments_{};
  mutable std::array<bool, kSegmentSlots> segment_known_{};
};

}  // namespace trainsim
