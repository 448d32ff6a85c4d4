#pragma once
// FabricModel: what is behind `Fabric` — the Boost.Graph adjacency list and the per-topology
// tables that make routing O(path length) (no graph search per query). Builders fill it,
// routing.cpp reads it. Exporters and tests may include this header to run Boost algorithms.
#include <boost/graph/adjacency_list.hpp>

#include <cstdint>
#include <optional>
#include <vector>

#include "topologies/fabric_graph.hpp"

namespace trainsim {

/// Vertices and edges carry the public info structs; edge property also has its dense id.
struct EdgeProps {
  EdgeId id = 0;
};
using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS, VertexInfo, EdgeProps>;

/// Fat-tree (also rail-optimized, cloud, single switch): leaves, spines in pods, cores in planes.
/// Every leaf of a pod reaches every spine of its pod; spine p of every pod reaches the cores of
/// plane p. Parallel links ("lanes") between the same two switches are separate edges.
struct TreeTables {
  int levels = 0;  ///< 1 (single switch), 2 or 3
  int leaves_per_pod = 0;
  int spines_per_pod = 0;  ///< = number of core planes
  int cores_per_plane = 0;
  int pods = 0;
  std::vector<VertexId> leaf_v, spine_v, core_v;
  std::vector<int> leaf_pod;                                 ///< pod of each leaf
  std::vector<std::vector<EdgeId>> leaf_up;                  ///< per leaf: uplink edges (to spines of its pod)
  std::vector<std::vector<std::vector<EdgeId>>> spine_down;  ///< [spine][leaf in pod] -> lanes
  std::vector<std::vector<EdgeId>> spine_up;                 ///< per spine: uplink edges to cores of its plane
  std::vector<std::vector<std::vector<EdgeId>>> core_down;   ///< [core][pod] -> lanes to that pod's spine
};

/// Dragonfly (Kim, Dally, Scott, Abts, ISCA 2008): groups of all-to-all routers, global links
/// between groups.
struct DragonflyTables {
  int groups = 0, routers_per_group = 0, terminals_per_router = 0;
  std::vector<VertexId> router_v;  ///< group-major
  std::vector<EdgeId> local;       ///< [group][i][j] -> edge (i != j)
  struct Global {
    EdgeId edge;
    int from_router, to_router;  ///< router indices within their groups
  };
  std::vector<std::vector<Global>> global;  ///< [from_group * groups + to_group]
};

/// k-ary n-cube of nodes (2-D or 3-D torus).
struct TorusTables {
  std::vector<int> dims;
  std::vector<VertexId> switch_v;           ///< per node
  std::vector<std::optional<EdgeId>> plus;  ///< [node * ndims + d] -> link to the +1 neighbour
  std::vector<int> coords(int node) const;
  int node_of(const std::vector<int>& c) const;
};

struct FabricModel {
  ClusterSpec spec;
  Graph g;
  std::vector<LinkInfo> links;                ///< by EdgeId
  std::vector<Graph::edge_descriptor> edesc;  ///< by EdgeId

  // Node interior.
  std::vector<VertexId> node_switch;  ///< per node: NVSwitch or PCIe switch vertex (if any)
  std::vector<EdgeId> gpu_up;         ///< per GPU: edge to its node switch (NVSwitch/PCIe kinds)
  std::vector<EdgeId> mesh;           ///< NVLink mesh: [node][i][j] -> edge (i != j)
  // NICs (created only for multi-node clusters).
  int nics_per_gpu = 0;               ///< NIC choices per GPU (>1 when NICs outnumber GPUs)
  std::vector<int> local_nic_of_gpu;  ///< [local gpu][k] -> local NIC index
  std::vector<VertexId> nic_v;        ///< global NIC index (node * nics + i) -> vertex
  std::vector<EdgeId> gpu_nic;        ///< NVSwitch/mesh: [gpu][k] -> direct GPU-NIC PCIe edge
  std::vector<EdgeId> nic_host;       ///< PCIe kind: per NIC, edge to the node's PCIe switch
  std::vector<EdgeId> nic_fabric;     ///< per NIC: edge to its first fabric switch
  std::vector<int> nic_attach;        ///< per NIC: leaf / router / node index it attaches to

  TopologyKind topology = TopologyKind::FatTree;
  std::optional<TreeTables> tree;
  std::optional<DragonflyTables> dfly;
  std::optional<TorusTables> torus;

  // Cached analyses (mutable: computed lazily by const queries).
  mutable std::optional<double> bisection;
  mutable std::optional<int> diameter;

  VertexId add_vertex(VertexKind kind, int node, int index, int group = -1);
  EdgeId add_link(VertexId a, VertexId b, double bw, double lat, LinkClass cls);
  VertexId other_end(EdgeId e, VertexId from) const {
    const auto& l = links[e];
    return l.a == from ? l.b : l.a;
  }
};

// Builders (topologies/builders/*.cpp). Each fills the model for its part of the cluster.
void build_node_interiors(FabricModel& m);
void build_nics(FabricModel& m);
void build_tree(FabricModel& m);  ///< fat-tree, rail-optimized, cloud, single switch
void build_dragonfly(FabricModel& m);
void build_torus(FabricModel& m);

// Routing between NIC endpoints (topologies/routing.cpp); appends to `out`.
void route_tree(const FabricModel& m, int src_nic, int dst_nic, std::uint64_t h, std::vector<EdgeId>& out);
void route_dragonfly(const FabricModel& m, int src_nic, int dst_nic, std::uint64_t h, bool valiant,
                     std::vector<EdgeId>& out);
void route_torus(const FabricModel& m, int src_nic, int dst_nic, std::vector<EdgeId>& out);

/// SplitMix64 finaliser (Steele, Lea, Flood, OOPSLA 2014): a cheap, well-mixed deterministic hash
/// used for ECMP and Valiant choices, standing in for a switch's 5-tuple hash.
inline std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace trainsim
