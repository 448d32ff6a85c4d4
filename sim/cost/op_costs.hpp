#pragma once
// OpCosts: the closed-form duration of every Plan op on a cluster — compute blocks through the
// ComputeModel (and the host model for optimizer offload's host-side kernels), collectives and
// pipeline transfers through the alpha-beta collective model over the node/fabric hierarchy.
// Shared by the analytic engine and (for compute) the SimGrid engine.
#include <array>
#include <vector>

#include "models/collective/collective_model.hpp"
#include "models/compute/compute_model.hpp"
#include "sim/plan/plan.hpp"
#include "topologies/cluster_spec.hpp"

namespace trainsim {

struct BlockCost {
  double compute = 0;  ///< seconds in compute kernels
  double comm = 0;     ///< seconds in inline collectives (TP/CP/EP), not overlapped
  /// Of those, the layer TP collectives Transformer Engine overlaps (Strategy::tp_comm_overlap):
  /// their whole time, and what they still cost (exposed, or paid in their products' SMs).
  double tp_overlapped = 0, tp_overlap_cost = 0;
  double total() const { return compute + comm; }
};

/// What the overlaps of a block's inline collectives depend on.
struct InlineOverlap {
  bool tp_comm_overlap = false;  ///< Strategy::tp_comm_overlap (Transformer Engine userbuffers)
  int cp = 1;
  double nccl_sm_share = 0;  ///< SMs of an inline TP collective's NCCL kernel over the GPU's
  /// The GPU's SMs: with it, each userbuffers overlap pays its Kernel::ub SM budget (a pipelined
  /// reduce-scatter confines its product to the other SMs; a bulk overlap shares them); without
  /// it (0), every overlapped collective costs max(0, t_comm - t_product).
  int sm_count = 0;
};

/// Seconds each inline collective of a block leaves on the critical path, given every kernel's
/// time (`t[i]`: compute time, or the collective's time); compute kernels get 0. Without overlap
/// that is a collective's whole time. With `tp_comm_overlap`, a layer's TP all-gather is
/// overlapped with the next product and a TP reduce-scatter with the previous one, by the method
/// and SM budget of its Kernel::ub (without a GPU SM count: max(0, t_comm - t_product)). A
/// collective marked Kernel::async_before_product otherwise hides behind the next product, which
/// runs slower by `nccl_sm_share` while they overlap. The K/V ring of context parallelism
/// (`cp` > 1) always overlaps the attention it feeds: of its cp-1 steps, each is hidden behind
/// one block of the attention (1/cp of it), so (cp-1) x max(0, t_comm/(cp-1) - t_attention/cp)
/// stays exposed (Liu et al., "Ring Attention with Blockwise Transformers", 2023; Megatron-Core
/// context parallelism).
std::vector<double> exposed_inline_comm(const std::vector<Kernel>& ks, const std::vector<double>& t,
                                        const InlineOverlap& o);

/// Link parameters a rank sees on `cluster` (efficiency applied): NVLink/PCIe inside a node,
/// its share of the node's NICs across nodes. `spans_leaves` applies the fabric's oversubscription.
CollectiveEnv collective_env(const ClusterSpec& cluster, bool spans_leaves);

class OpCosts {
 public:
  OpCosts(const Plan& plan, const ClusterSpec& cluster, const ComputeModel& compute);

  const BlockCost& block(int index) const { return blocks_.at(index); }
  /// Duration of a Collective op on its group.
  double collective(const Op& op) const;
  /// Seconds the strategy's ZeRO-3 runtime adds to a parameter gather or gradient reduction op
  /// beyond the NCCL collective, whatever the fabric (Strategy::zero_runtime,
  /// models/collective/zero_runtime); 0 for other ops and for runtimes at NCCL rates.
  /// collective() includes it.
  double runtime_overhead(const Op& op) const;
  /// SMs a Collective op's NCCL kernel holds while it runs (ClusterSpec::nccl_sms, or NCCL's
  /// choice from the bus bandwidth of its group: models/collective nccl_sms).
  int collective_sms(const Op& op) const;
  /// The same for any collective on a group of `role`.
  int group_sms(GroupRole role) const;
  /// Share of the GPU's SMs an inline tensor-parallel collective's NCCL kernel holds (0 without TP).
  double tp_sm_share() const;
  /// What the overlaps of `s`'s inline collectives depend on, on this cluster.
  InlineOverlap inline_overlap(const Strategy& s) const;
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

 private:
  const Plan& plan_;
  const ClusterSpec& cluster_;
  const ComputeModel& compute_;
  std::vector<BlockCost> blocks_;
  /// Group shape per GroupRole, computed on first use (every group of a role has the same shape).
  mutable std::array<GroupShape, 16> shapes_{};
  mutable std::array<bool, 16> shape_known_{};
};

}  // namespace trainsim
