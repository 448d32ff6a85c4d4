#pragma once
// Closed-form (alpha-beta) costs of collectives over a two-level hierarchy: GPUs inside a node
// joined by NVLink/NVSwitch/PCIe, nodes joined by NICs. Formulas: Thakur, Rabenseifner & Gropp,
// "Optimization of Collective Communication Operations in MPICH" (IJHPCA 2005) for ring,
// recursive halving-doubling and trees; NCCL's multi-channel rings (one ring per NIC) and
// double binary trees (Sanders et al. 2009; NCCL 2.4 release notes) for the multi-node case.
#include <string>

#include "models/compute/kernel.hpp"

namespace trainsim {

enum class CollectiveAlgorithm { Auto, Ring, Tree, HalvingDoubling, Hierarchical };

CollectiveAlgorithm parse_collective_algorithm(const std::string& s, const std::string& where);
const char* to_string(CollectiveAlgorithm a);

/// How a communicator's ranks sit on nodes (ranks spread evenly over `nodes`).
struct GroupShape {
  int size = 1;
  int ranks_per_node = 1;
  int nodes = 1;
  /// Nodes from one of the group's nodes to the next (1: adjacent nodes; a data-parallel group
  /// of a pipeline stage strided over the other stages has more): how many of its nodes share a
  /// leaf or a pod, and so how much of its traffic crosses their oversubscribed uplinks.
  int node_stride = 1;
  bool operator==(const GroupShape&) const = default;
};

/// Effective link parameters seen by one rank (efficiency already applied).
struct LinkLevel {
  double bw = 0;       ///< bytes/s per rank per direction (asymptotic, efficiency applied)
  double latency = 0;  ///< seconds per algorithm step (software + wire + switch hops)
  /// Message size at which half of `bw` is reached, beyond latency (Hockney's n_1/2, "The
  /// Science of Computer Benchmarking", 1996): NCCL's pipelined rings need large messages to fill
  /// their channels (nccl-tests issue #212: 256 MB is too small to reach the NVLink peak).
  double half_bw_bytes = 0;
  /// Effective bandwidth for a message of `bytes` per step.
  double effective_bw(double bytes) const { return half_bw_bytes > 0 ? bw * bytes / (bytes + half_bw_bytes) : bw; }
};

struct CollectiveEnv {
  LinkLevel intra;  ///< inside a node
  LinkLevel inter;  ///< across nodes, per rank (its share of the node's NICs)
};

/// Bytes one rank sends over a whole collective: on every link, and across nodes through its
/// share of the node's NICs (0 for a group inside one node).
struct CollectiveTraffic {
  double sent_bytes = 0;
  double nic_bytes = 0;
};

struct CollectiveCost {
  double seconds = 0;
  CollectiveAlgorithm algorithm = CollectiveAlgorithm::Ring;
  CollectiveTraffic traffic;  ///< of `algorithm`
};

/// What `algorithm` (not Auto) moves per rank for a collective of `kind` over `bytes` per rank on
/// `g`, from the bandwidth terms of the formulas collective_time uses: a ring moves f(p-1)/p of
/// the buffer (f = 2 for an all-reduce), its k ranks per node sharing the node's NICs; a tree all-
/// reduce the whole buffer twice; the hierarchical scheme f(k-1)/k inside the node and f(n-1)/n of
/// its 1/k shard across; an all-to-all (p-1)/p of it, (p-k)/p across nodes.
CollectiveTraffic collective_traffic(CollectiveKind kind, CollectiveAlgorithm algorithm, double bytes,
                                     const GroupShape& g);

/// Time of one collective. `bytes` is the per-rank buffer: the full vector of an all-reduce,
/// the gathered output of an all-gather, the input of a reduce-scatter, the send buffer of an
/// all-to-all, the message of a broadcast. Auto picks the fastest algorithm (as NCCL's tuner does).
CollectiveCost collective_time(CollectiveKind kind, double bytes, const GroupShape& g, const CollectiveEnv& env,
                               CollectiveAlgorithm algorithm = CollectiveAlgorithm::Auto);

/// Asymptotic bandwidth per rank of NCCL's multi-channel ring over `g` (the bus bandwidth its
/// all-gather, reduce-scatter and all-reduce approach for large buffers).
double collective_bus_bw(const GroupShape& g, const CollectiveEnv& env);

/// SMs that NCCL's kernel holds while a collective of bus bandwidth `bus_bw` runs: one CTA per
/// channel, each on an SM of its own ("NCCL CTAs won't share an SM with compute kernels"), and
/// "the minimal number of SMs to achieve the performance of the platform": 2 SMs for a PCIe node
/// with one 12-24 GB/s NIC, 16 SMs for a DGX with 8 NICs at 190 GB/s (S. Jeaugey, NVIDIA/nccl
/// issue #689, 2023). 12 GB/s per SM gives both: ceil(bus_bw / 12 GB/s), at least 2 and at
/// most 32 (NCCL 2.x's MAXCHANNELS).
int nccl_sms(double bus_bw);

/// Point-to-point transfer: latency + bytes / bandwidth.
double p2p_time(double bytes, const LinkLevel& link);

}  // namespace trainsim
