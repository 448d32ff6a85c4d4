#pragma once
// The fabric part of a compute block's inline collectives: the expert all-to-alls (and any
// tensor- or context-parallel collective) whose group spans nodes. The analytic engine and the
// scorer charge them in closed form inside the block's time (OpCosts, the fabric's
// oversubscription by formula: uplink_slowdown); the SimGrid engine runs their NIC bytes as flows on
// the fabric's links instead (docs/simgrid-engine.md, "Inline collectives across nodes").
//
// Per block and group role, what a rank sends across nodes: the sum over the block's collectives
// of that role (an MoE layer's dispatch and combine, forward or backward) -- one aggregate per
// role, sent to every other node of the group (all-to-all) or to the ring successor (other kinds).
// With the seconds those collectives account for in the block's closed-form time, an engine can
// replace exactly that part: uncontended, the flows take the closed form's bandwidth time.
#include <vector>

#include "sim/cost/op_costs.hpp"

namespace trainsim {

/// One group role's inter-node traffic in a block, for one rank.
struct InlineFabricRole {
  GroupRole role = GroupRole::None;
  bool all_to_all = false;  ///< to every other node of the group; else to the ring successor
  double nic_bytes = 0;     ///< bytes the rank's NIC sends, summed over the role's collectives
  double flow_bytes = 0;    ///< the same, each collective's share padded for the n_1/2 curve
  double flow_s = 0;        ///< flow_bytes at the rank's uncontended inter-node bandwidth
};

struct InlineFabric {
  std::vector<InlineFabricRole> roles;  ///< empty: no inline collective of the block crosses nodes
  /// Of BlockCost::comm, the seconds of these collectives (closed form, as the block is charged).
  double closed_exposed_s = 0;
  /// Their whole seconds with the fabric simulated (FabricContention::Simulated), overlap ignored.
  double simulated_s = 0;
  /// Of their closed-form seconds, what the block's overlaps hid behind compute.
  double hidden_s = 0;
  double flow_s() const;
  bool empty() const { return roles.empty(); }
  InlineFabric& operator+=(const InlineFabric& o);
};

/// Whether any inline collective group (TP, CP, EP, EDP) of `costs`' strategy spans nodes: without
/// one, no block has inline fabric traffic.
bool has_inline_fabric_traffic(const OpCosts& costs);

/// The fabric traffic of one segment's inline collectives under `costs`' strategy and cluster.
InlineFabric inline_fabric(const OpCosts& costs, const BlockSegment& segment);
/// The same for a whole block (its segments summed; a block costed kernel by kernel, from its kernels).
InlineFabric inline_fabric(const OpCosts& costs, const Block& block);

}  // namespace trainsim
