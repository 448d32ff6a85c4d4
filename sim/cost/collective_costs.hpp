#pragma once
// What a collective costs on a cluster: the link parameters a rank sees (NVLink/PCIe inside a node,
// its share of the node's NICs across nodes), the algorithm NCCL's tuner would pick (or the one a
// strategy forces), its seconds and the bytes it moves per rank (models/collective). One function
// for every user: the analytic engine and the scorer (closed form, the fabric's oversubscription
// charged by formula), the SimGrid engine (which simulates the fabric's links itself and maps the
// NIC bytes to flows) and `trainsim explain` (the real algorithm's wire bytes).
#include "models/collective/collective_model.hpp"
#include "topologies/cluster_spec.hpp"

namespace trainsim {

/// How the fabric's contention is accounted for.
enum class FabricContention {
  ClosedForm,  ///< by formula: all-to-all and trees that span leaves share the oversubscribed uplinks
  Simulated,   ///< by the engine, on the fabric's links (SimGrid): no closed-form penalty
};

/// Link parameters a rank sees on `cluster` (efficiency applied): NVLink/PCIe inside a node, its
/// share of the node's NICs across nodes. `spans_leaves` adds the switch hops between leaves.
CollectiveEnv collective_env(const ClusterSpec& cluster, bool spans_leaves);

/// How many times slower the inter-node part of a ring or all-to-all on a group of shape `g` runs
/// because the leaf and pod uplinks above its nodes are oversubscribed, given how many of its nodes
/// share a leaf or a pod (docs/models.md, oversubscription by placement); 1 on a non-blocking fabric.
double uplink_slowdown(const ClusterSpec& cluster, CollectiveKind kind, const GroupShape& g);

/// A collective of `kind` over `bytes` per rank on a group of shape `g`: `algorithm` (Auto: the
/// fastest, as NCCL's tuner), its seconds and traffic.
CollectiveCost collective_cost(const ClusterSpec& cluster, CollectiveKind kind, double bytes, const GroupShape& g,
                               CollectiveAlgorithm algorithm, FabricContention fabric = FabricContention::ClosedForm);

/// SMs NCCL's kernel holds for a collective on a group of shape `g` (ClusterSpec::nccl_sms, or
/// NCCL's choice from the group's bus bandwidth: models/collective nccl_sms); 0 for one rank.
int collective_sms(const ClusterSpec& cluster, const GroupShape& g);

/// The link of a pipeline transfer between two ranks (inside a node, or across).
LinkLevel p2p_link(const ClusterSpec& cluster, bool same_node);

}  // namespace trainsim
