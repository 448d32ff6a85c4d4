#pragma once
// Small ClusterSpecs for the fabric tests, built field by field so each hand count is visible.
#include "models/gpu/gpu_catalog.hpp"
#include "topologies/cluster_spec.hpp"
#include "topologies/fabric_graph.hpp"

namespace trainsim::testing {

constexpr double kNic = 50e9;   // 400 Gb/s NIC, bytes/s per direction
constexpr double kNvl = 450e9;  // H100 NVLink per GPU per direction
constexpr double kHop = 1e-6;

inline ClusterSpec base_cluster(int nodes, int gpn, int nics, TopologyKind topo) {
  ClusterSpec c;
  c.name = "test";
  c.gpu = gpu_by_name("H100-SXM5-80GB");  // PCIe 64 GB/s > NIC 50 GB/s: the NIC is the bottleneck
  c.nodes = nodes;
  c.gpus_per_node = gpn;
  c.intra = {IntraNodeKind::NVSwitch, kNvl, 2e-6, 0.8};
  c.nics_per_node = nics;
  c.nic_bw = kNic;
  c.fabric.topology = topo;
  c.fabric.levels = 2;
  c.fabric.switch_radix = 16;
  c.fabric.oversubscription = {1.0};
  c.fabric.hop_latency_s = kHop;
  c.fabric.efficiency = 0.9;
  c.fabric.core_link_bw = kNic;
  return c;
}

/// 16 nodes x 4 GPUs x 4 NICs, radix 16: 8 leaves of 2 nodes (8 NICs), 8 uplinks each, 4 spines.
inline ClusterSpec fat_tree_2l(double oversub = 1.0) {
  auto c = base_cluster(16, 4, 4, TopologyKind::FatTree);
  c.fabric.oversubscription = {oversub};
  return c;
}

/// 16 nodes x 2 GPUs x 2 NICs, radix 8, 3 levels: 8 leaves (4 NICs, 4 uplinks), 2 pods of 4 leaves,
/// 4 spines per pod, 4 core planes of 1 core (8 ports: 2 pods x 4 lanes).
inline ClusterSpec fat_tree_3l() {
  auto c = base_cluster(16, 2, 2, TopologyKind::FatTree);
  c.fabric.levels = 3;
  c.fabric.switch_radix = 8;
  return c;
}

/// 4 groups x 2 routers x 2 terminals, 2 global links per router: one global link per group pair.
inline ClusterSpec dragonfly_small() {
  auto c = base_cluster(16, 1, 1, TopologyKind::Dragonfly);
  c.fabric.dragonfly = {4, 2, 2, 2};
  return c;
}

inline ClusterSpec torus(std::vector<int> dims) {
  int n = 1;
  for (int d : dims) n *= d;
  auto c = base_cluster(n, 1, 1, TopologyKind::Torus);
  c.fabric.torus_dims = std::move(dims);
  return c;
}

}  // namespace trainsim::testing
