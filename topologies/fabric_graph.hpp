#pragma once
// Fabric: the link graph of a cluster — GPUs, NICs and switches joined by full-duplex links —
// with structure-aware routing, bisection bandwidth and diameter.
//
// Like SimGrid's s4u interface, this header is the whole public face: the Boost.Graph model,
// the per-topology routing tables and the builders stay behind `FabricModel`
// (topologies/fabric_model.hpp, for exporters and tests that want Boost algorithms).
//
// Vertex ids: GPU `g` of node `n` is vertex `n * gpus_per_node + g`, i.e. a GPU's vertex id is its
// global rank-order index, so a rank maps to its vertex without a lookup. Other vertices follow.
// Edge ids are dense [0, link_count()). A link is full duplex: `bandwidth` is per direction, and
// a route traverses it from one end to the other (see `path_vertices`).
//
// Typical use (the discrete-event engine):
//   Fabric f(cluster);
//   std::vector<EdgeId> path;
//   f.route(src_rank, dst_rank, flow_id, RoutingPolicy::Default, path);  // no allocation once warm
//   double lat = f.path_latency(path), bw = f.bottleneck_bandwidth(path);
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "topologies/cluster_spec.hpp"

namespace trainsim {

using VertexId = std::uint32_t;
using EdgeId = std::uint32_t;

enum class VertexKind {
  Gpu,          ///< one accelerator (vertex id = global rank)
  NvSwitch,     ///< the NVSwitch fabric of one node, modelled as one non-blocking crossbar
  PcieSwitch,   ///< the PCIe switch of a node without NVLink (GPUs and NICs below it)
  Nic,          ///< a host channel adapter / Ethernet NIC
  Leaf,         ///< leaf / ToR / rail switch (fat-tree level 1)
  Spine,        ///< fat-tree level 2
  Core,         ///< fat-tree level 3
  Router,       ///< dragonfly router
  TorusSwitch,  ///< the router of one node in a torus (its NICs attach to it)
};
inline constexpr int kVertexKindCount = 9;

enum class LinkClass {
  NVLink,           ///< GPU <-> NVSwitch, or GPU <-> GPU in an NVLink mesh
  PCIe,             ///< GPU <-> NIC (GPUDirect RDMA path), GPU/NIC <-> PCIe switch
  Nic,              ///< NIC <-> first fabric switch (leaf, ToR, router, torus switch)
  LeafSpine,        ///< fat-tree / rail-optimized leaf <-> spine
  SpineCore,        ///< spine <-> core
  DragonflyLocal,   ///< router <-> router inside a dragonfly group
  DragonflyGlobal,  ///< router <-> router between groups
  Torus,            ///< torus neighbour link (wrap-around included)
  CloudTorSpine,    ///< cloud ToR <-> spine (Ethernet, oversubscribed)
};
inline constexpr int kLinkClassCount = 9;

enum class RoutingPolicy {
  Default,         ///< the topology's usual policy: ECMP (trees), Minimal (dragonfly), DimensionOrder (torus)
  Ecmp,            ///< fat-trees: hash (src, dst, flow) over all equal-cost up/down paths
  Minimal,         ///< dragonfly: at most local-global-local
  Valiant,         ///< dragonfly: via a random (hashed) intermediate group (Valiant & Brebner 1981)
  DimensionOrder,  ///< torus: correct dimension 0, then 1, then 2, shortest way round each ring
};

const char* to_string(VertexKind k);
const char* to_string(LinkClass c);
const char* to_string(RoutingPolicy p);

struct VertexInfo {
  VertexKind kind = VertexKind::Gpu;
  int node = -1;   ///< owning node for GPUs, NICs and node switches; -1 for fabric switches
  int index = 0;   ///< index within its kind (rank for GPUs, global NIC index, leaf number, ...)
  int group = -1;  ///< pod (fat-tree leaf/spine), plane (core), group (dragonfly router); else -1
};

struct LinkInfo {
  double bandwidth = 0;  ///< bytes/s per direction
  double latency_s = 0;  ///< one-way propagation + switching share, seconds
  LinkClass cls = LinkClass::NVLink;
  VertexId a = 0, b = 0;  ///< endpoints as built; a->b is the "UP" direction of exports
};

struct FabricModel;  // Boost.Graph model and routing tables (topologies/fabric_model.hpp)

class Fabric {
 public:
  /// Builds the graph for `spec`. Throws InputError when the topology cannot be built with the
  /// given radix/parameters (e.g. a 2-level fat-tree with more leaves than spine ports).
  explicit Fabric(const ClusterSpec& spec);
  ~Fabric();
  Fabric(Fabric&&) noexcept;
  Fabric& operator=(Fabric&&) noexcept;
  Fabric(const Fabric&) = delete;
  Fabric& operator=(const Fabric&) = delete;

  const ClusterSpec& spec() const;
  int gpus() const;
  int nodes() const;
  std::size_t vertex_count() const;
  std::size_t link_count() const;
  /// Number of vertices of a kind / links of a class.
  std::size_t count(VertexKind k) const;
  std::size_t count(LinkClass c) const;

  static constexpr VertexId gpu_vertex(int rank) { return static_cast<VertexId>(rank); }
  const VertexInfo& vertex(VertexId v) const;
  const LinkInfo& link(EdgeId e) const;
  /// Stable, human-readable name: gpu12, nvsw1, pciesw0, nic9, leaf3, spine4, core0, router7, torus5.
  std::string vertex_name(VertexId v) const;

  /// The links a flow from GPU `src` to GPU `dst` crosses, in order. Same node: stays inside the
  /// node. Deterministic: the same (src, dst, flow, policy) always gives the same path. A policy
  /// that does not apply to the topology (Valiant on a fat-tree) falls back to Default.
  std::vector<EdgeId> route(int src, int dst, std::uint64_t flow = 0,
                            RoutingPolicy policy = RoutingPolicy::Default) const;
  /// Same, into `out` (cleared first): allocation-free once `out` has grown.
  void route(int src, int dst, std::uint64_t flow, RoutingPolicy policy, std::vector<EdgeId>& out) const;

  /// The vertices a path from `src` visits (path.size() + 1 of them); throws InternalError if the
  /// links are not consecutive.
  std::vector<VertexId> path_vertices(VertexId src, std::span<const EdgeId> path) const;
  /// Sum of link latencies (seconds).
  double path_latency(std::span<const EdgeId> path) const;
  /// Smallest link bandwidth on the path (bytes/s); +inf for an empty path.
  double bottleneck_bandwidth(std::span<const EdgeId> path) const;
  /// Switch vertices (any kind but GPU and NIC) a path from `src` passes through.
  int switches_on_path(VertexId src, std::span<const EdgeId> path) const;

  /// Bisection bandwidth, bytes/s in one direction: the minimum over structured balanced cuts of
  /// the GPUs (first half of ranks vs second half; each torus dimension halved) of the max flow
  /// between the halves on the built graph (max-flow = min-cut, Ford & Fulkerson 1956).
  /// Computed on first call and cached.
  double bisection_bandwidth() const;
  /// Largest GPU-to-GPU shortest-path length in links, from breadth-first searches started at
  /// up to 16 evenly spread GPUs (exact on vertex-transitive fabrics). Cached.
  int diameter_hops() const;
  /// Bandwidth a GPU can inject into the inter-node fabric (bytes/s per direction): its share of
  /// its NICs, capped by its GPU-to-NIC path. 0 on a single node.
  double injection_bandwidth_per_gpu() const;

  /// Fat-tree levels actually built (0 for non-tree topologies and single nodes).
  int tree_levels() const;

  const FabricModel& model() const { return *m_; }

 private:
  std::unique_ptr<FabricModel> m_;
};

}  // namespace trainsim
