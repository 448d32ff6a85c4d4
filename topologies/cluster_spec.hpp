#pragma once
// ClusterSpec: what a cluster is made of — nodes of GPUs joined by an intra-node fabric
// (NVSwitch, NVLink mesh, PCIe) and NICs into an inter-node fabric (InfiniBand, RoCE,
// Ethernet) of a given topology. Builders in this folder turn it into a link graph.
#include <algorithm>
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

/// A GPU running slower than its peers (a straggler: a bad part, a lower clock, thermal
/// throttling): `clock` is the fraction of its normal speed its kernels run at.
struct SlowGpu {
  int gpu = 0;
  double clock = 1.0;
};

/// A NIC link running at a fraction of its rate (a flapping cable, a degraded optic, a port
/// renegotiated to a lower speed): NIC `nic` of node `node` (ClusterSpec's node: the domain).
struct DegradedNic {
  int node = 0, nic = 0;
  double bandwidth_fraction = 1.0;
};

/// A cluster as the network sees it: `nodes` scale-up domains of `gpus_per_node` GPUs joined by
/// the `intra` fabric, each with `nics_per_node` NICs into the scale-out `fabric`. A domain is one
/// server (an HGX board) or, with a JSON "scale_up_domain", several compute trays on NVLink
/// switches (GB200 NVL72: 18 trays of 4 GPUs, NVIDIA GB200 NVL72 datasheet); what belongs to a
/// tray (host memory, host power, the server price, node failures) is counted per tray.
struct ClusterSpec {
  std::string name;
  GpuSpec gpu;
  int nodes = 0;           ///< scale-up domains (servers, or NVL72 racks)
  int gpus_per_node = 0;   ///< GPUs of a scale-up domain
  IntraNodeSpec intra;     ///< the scale-up fabric (NVSwitch / NVLink switch / PCIe)
  int nics_per_node = 0;   ///< NICs of a scale-up domain (its trays' NICs together)
  double nic_bw = 0;       ///< bytes/s per NIC per direction
  int trays_per_node = 1;  ///< compute trays (hosts) per scale-up domain
  /// GPUs of each domain a job's ranks are placed on (scale_up_domain.gpus_used: 64 of 72 keeps
  /// groups of 8, 16, 32 or 64 inside a domain); the others idle. Equal to gpus_per_node by default.
  int ranks_per_node = 0;
  /// scale_up_domain.placement "domain-aware": the scenario sets ranks_per_node from its strategy
  /// (domain_aware_ranks) so that tensor x context and expert groups stay inside a domain.
  bool domain_aware_placement = false;
  FabricSpec fabric;
  HostSpec host;  ///< CPUs' memory and each GPU's host link (optimizer offload, checkpoints)
  /// SMs a collective running beside compute takes from it (JSON "nccl_sms"): -1 = NCCL's own
  /// choice from the collective's bandwidth (models/collective nccl_sms), 0 = no contention.
  int nccl_sms = -1;
  /// Slow GPUs (JSON "stragglers": listed, drawn at random, thermally throttled), by GPU index,
  /// sorted, each GPU once with its lowest clock; and degraded NIC links ("degraded_links").
  std::vector<SlowGpu> slow_gpus;
  std::vector<DegradedNic> degraded_nics;

  int gpus() const { return nodes * gpus_per_node; }
  /// GPUs a job spanning the cluster runs ranks on (all but the idle ones of a partly used domain).
  int job_gpus() const { return nodes * used_per_node(); }
  int used_per_node() const { return ranks_per_node > 0 ? ranks_per_node : gpus_per_node; }
  /// GPUs per compute tray (host): the server's GPUs, or a scale-up domain's share per tray.
  int gpus_per_tray() const { return gpus_per_node / std::max(1, trays_per_node); }
  /// GPU index of job rank `rank` (ranks fill the used GPUs of each domain in order).
  int gpu_of_rank(int rank) const {
    const int u = used_per_node();
    return rank / u * gpus_per_node + rank % u;
  }
  /// Injection bandwidth per GPU into the inter-node fabric (bytes/s per direction).
  double nic_bw_per_gpu() const;
  /// Worst oversubscription factor a flow leaving its leaf switch may meet.
  double max_oversubscription() const;
  /// Nodes under one leaf (ToR) switch: radix/2 down ports for a non-blocking leaf, scaled by the
  /// first-level oversubscription, in NICs; a rail-optimized leaf holds one NIC from each node.
  int nodes_per_leaf() const;
  /// Nodes under one pod (the spines of a 3-level tree: what sits below its second
  /// oversubscription), as topologies/builders/tree_builder.cpp cables it; 0 without pods.
  int nodes_per_pod() const;
};

/// GPUs of a `domain`-GPU scale-up domain that a domain-aware placement uses: the most whole
/// blocks of lcm(tp x cp, expert_tp x ep) consecutive ranks (Megatron's tensor x context and
/// expert groups) that fit, so that no such group straddles two domains; `domain` itself when the
/// blocks divide it or do not fit at all.
int domain_aware_ranks(int domain, int tp, int cp, int expert_tp, int ep);

const char* to_string(IntraNodeKind k);
const char* to_string(FabricKind k);
const char* to_string(TopologyKind k);

/// Reads a cluster object (see docs/scenarios.md#cluster). Errors name the JSON path.
ClusterSpec parse_cluster(const JsonReader& r);

}  // namespace trainsim
