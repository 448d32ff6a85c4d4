#pragma once
// How a Plan communication op becomes SimGrid flows (docs/simgrid-engine.md#collectives).
//
// The algorithm, seconds and NIC bytes are the cost library's (OpCosts::collective_cost with
// FabricContention::Simulated: NCCL-style tuner over ring, double binary tree, halving-doubling and
// hierarchical, or the strategy's tp_algorithm / dp_algorithm; no oversubscription penalty, the
// simulation models the fabric's links itself). Its inter-node bandwidth term becomes one folded
// flow per rank, carrying the bytes that rank's NIC moves over the whole collective (ring
// all-reduce: 2(G-1)M/G per rank over its k ranks per node), padded by the n_1/2 term so that an
// uncontended flow takes exactly the analytic bandwidth time. Everything else the analytic formula contains (per-step
// latencies, intra-node NVLink phases) is kept as an analytic residual added after the flows finish.
// Uncontended, simgrid == analytic; contention only ever adds time to the flows.
#include "models/collective/collective_model.hpp"
#include "sim/cost/op_costs.hpp"
#include "sim/plan/plan.hpp"
#include "topologies/cluster_spec.hpp"

namespace trainsim {

struct CommMapping {
  CollectiveAlgorithm algorithm = CollectiveAlgorithm::Ring;
  double analytic_s = 0;    ///< closed-form duration (plain environment)
  double wire_bytes = 0;    ///< bytes each participating rank sends across nodes
  double flow_bytes = 0;    ///< wire_bytes padded for the n_1/2 bandwidth curve
  double flow_time = 0;     ///< flow_bytes / inter-node bandwidth: the part the flows replace
  bool inter_node = false;  ///< false: no flows, the whole op is analytic
  /// Seconds still to add once the flows end, given the flows' uncontended path latency.
  double residual(double path_latency) const {
    const double r = analytic_s - flow_time - path_latency;
    return r > 0 ? r : 0.0;
  }
};

/// A collective op of a Plan, costed by `costs` (its algorithm, seconds and NIC bytes as the cost
/// library gives them for a simulated fabric, sim/cost/collective_costs.hpp).
CommMapping map_collective(const Op& op, const OpCosts& costs);
/// A pipeline send of `bytes` between ranks on different nodes (same_node: analytic only).
CommMapping map_p2p(double bytes, bool same_node, const ClusterSpec& cluster);

}  // namespace trainsim
