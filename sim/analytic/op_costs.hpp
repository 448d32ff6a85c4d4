#pragma once
// OpCosts: the closed-form duration of every Plan op on a cluster — compute blocks through the
// ComputeModel, collectives and pipeline transfers through the alpha-beta collective model over
// the node/fabric hierarchy. Shared by the analytic engine and (for compute) the SimGrid engine.
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
  double total() const { return compute + comm; }
};

/// Link parameters a rank sees on `cluster` (efficiency applied): NVLink/PCIe inside a node,
/// its share of the node's NICs across nodes. `spans_leaves` applies the fabric's oversubscription.
CollectiveEnv collective_env(const ClusterSpec& cluster, bool spans_leaves);

class OpCosts {
 public:
  OpCosts(const Plan& plan, const ClusterSpec& cluster, const ComputeModel& compute);

  const BlockCost& block(int index) const { return blocks_.at(index); }
  /// Duration of a Collective op on its group.
  double collective(const Op& op) const;
  /// Duration of a Send from `stage` to `peer_stage`.
  double p2p(int stage, int peer_stage, double bytes) const;
  /// Cost of one inline collective kernel on the rank's group of kernel.group.
  double kernel_collective(const Kernel& k) const;
  GroupShape shape(GroupRole role) const;

 private:
  const Plan& plan_;
  const ClusterSpec& cluster_;
  std::vector<BlockCost> blocks_;
  /// Group shape per GroupRole, computed on first use (every group of a role has the same shape).
  mutable std::array<GroupShape, 8> shapes_{};
  mutable std::array<bool, 8> shape_known_{};
};

}  // namespace trainsim
