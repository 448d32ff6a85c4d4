#pragma once
// ClusterSpec: what a cluster is made of — nodes of GPUs joined by an intra-node fabric
// (NVSwitch, NVLink mesh, PCIe) and NICs into an inter-node fabric (InfiniBand, RoCE,
// Ethernet) of a given topology. Builders in this folder turn it into a link graph.
#include <string>
#include <vector>

#include "models/gpu/gpu_catalog.hpp"
#include "models/gpu/host_catalog.hpp"
#include "models/util/json_reader.hpp"

namespace trainsim {

enum class IntraNodeKind { NVSwitch, NVLinkMesh, PCIe };
enum class FabricKind { InfiniBand, RoCE, Ethernet };
enum class TopologyKind { FatTree, RailOptimized, Dragonfly, Torus, Cloud, SingleSwitch };

struct IntraNodeSpec {
  IntraNodeKind kind = IntraNodeKind::NVSwitch;
  double bw = 0;                ///< bytes/s per GPU per direction into the node fabric
  double latency_s = 0;         ///< one hop, including software launch of a transfer
  double efficiency = 0;        ///< achievable fraction of `bw` for large collectives
  double half_bw_bytes = 16e6;  ///< message size reaching half the bandwidth (n_1/2)
};

struct DragonflySpec {
  int groups = 0, routers_per_group = 0, terminals_per_router = 0, global_links_per_router = 0;
};

struct FabricSpec {
  FabricKind kind = FabricKind::InfiniBand;
  TopologyKind topology = TopologyKind::FatTree;
  int levels = 2;                        ///< fat-tree levels (2 or 3)
  int switch_radix = 40;                 ///< ports per switch (HDR Quantum: 40; NDR Quantum-2: 64)
  std::vector<double> oversubscription;  ///< per level above the leaves, down:up bandwidth (1 = non-blocking)
  double hop_latency_s = 0;              ///< per switch hop
  double efficiency = 0;                 ///< achievable fraction of NIC line rate for large messages
  double half_bw_bytes = 8e6;            ///< message size reaching half the bandwidth (n_1/2)
  double core_link_bw = 0;               ///< bytes/s of each switch-to-switch link (default: NIC rate)
  DragonflySpec dragonfly;
  std::vector<int> torus_dims;  ///< 2 or 3 sizes, product = number of nodes
  /// Where the fabric was read ("clusters/x.json: $.fabric"), for errors found when it is built.
  std::string where = "fabric";
};

/// One-way latency a cloud VM without RDMA pays in its host's TCP/IP stack at each end of an
/// inter-node transfer (the low end of the ~10-25 us measured for virtualised NICs, cluster_spec.cpp).
/// Both the fabric graph (topologies/builders) and the collective model (sim/cost) charge it.
constexpr double kCloudHostLatencyS = 10e-6;

struct ClusterSpec {
  std::string name;
  GpuSpec gpu;
  int nodes = 0;
  int gpus_per_node = 0;
  IntraNodeSpec intra;
  int nics_per_node = 0;
  double nic_bw = 0;  ///< bytes/s per NIC per direction
  FabricSpec fabric;
  HostSpec host;  ///< CPUs' memory and each GPU's host link (optimizer offload, checkpoints)
  /// SMs a collective running beside compute takes from it (JSON "nccl_sms"): -1 = NCCL's own
  /// choice from the collective's bandwidth (models/collective nccl_sms), 0 = no contention.
  int nccl_sms = -1;

  int gpus() const { return nodes * gpus_per_node; }
  /// Injection bandwidth per GPU into the inter-node fabric (bytes/s per direction).
  double nic_bw_per_gpu() const;
  /// Worst oversubscription factor a flow leaving its leaf switch may meet.
  double max_oversubscription() const;
  /// Nodes under one leaf (ToR) switch: radix/2 down ports for a non-blocking leaf, scaled by the
  /// first-level oversubscription, in NICs; a rail-optimized leaf holds one NIC from each node.
  int nodes_per_leaf() const;
};

const char* to_string(IntraNodeKind k);
const char* to_string(FabricKind k);
const char* to_string(TopologyKind k);

/// Reads a cluster object (see docs/scenarios.md#cluster). Errors name the JSON path.
ClusterSpec parse_cluster(const JsonReader& r);

}  // namespace trainsim
