#pragma once
// How fabric links map onto the links of the (possibly folded) SimGrid platform.
//
// Rank folding (docs/simgrid-engine.md#folding): the engine simulates one representative rank per
// `fold` tensor-parallel siblings of a node (ranks whose tp coordinate is a multiple of `fold`). The
// siblings run the same program on their own GPUs and NICs, so their traffic is the representative's
// shifted by one rail. A link direction of the platform therefore carries 1/fold of the real traffic
// of the links it stands for, and gets 1/fold of their capacity:
//  * per-GPU links (PCIe, NIC): shared by min(fold, GPUs per NIC) siblings -> capacity / that;
//  * ECMP trees (fat-tree, rail-optimized, cloud): equal-cost up-links of one switch (or pod) and the
//    down-links into one switch (or pod) form a bundle; real ECMP spreads the siblings over it, which
//    we model as perfect fluid balancing: one platform link of capacity sum(bundle) / fold;
//  * deterministic routes (dragonfly minimal, torus dimension order): siblings follow the same path,
//    so each link keeps its identity and gets capacity / fold.
// Fluid ECMP bundles are also used unfolded unless `fluid_ecmp` is false; then every link direction is
// its own platform link and flows follow the fabric's hashed ECMP paths (collisions included).
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "topologies/fabric_graph.hpp"

namespace trainsim {

struct PlatformLink {
  std::string name;  ///< human-readable ("leaf3->spine1", "leaf3 up-bundle")
  LinkClass cls = LinkClass::Nic;
  double capacity = 0;  ///< bytes/s in the platform (efficiency and folding applied)
  double latency = 0;   ///< seconds
  double divisor = 1;   ///< real link bytes = platform bytes x divisor
};

class LinkFolding {
 public:
  LinkFolding(const Fabric& f, int fold, bool fluid_ecmp = true);
  /// Platform link index of traversing edge `e` from vertex `from`.
  int link_of(EdgeId e, VertexId from);
  /// A platform link outside the Fabric graph (a storage server's link into the fabric).
  int add_link(PlatformLink p) {
    links_.push_back(std::move(p));
    return static_cast<int>(links_.size()) - 1;
  }
  const std::vector<PlatformLink>& links() const { return links_; }
  int fold() const { return fold_; }

 private:
  std::uint64_t key(EdgeId e, VertexId from, bool& bundled) const;
  const Fabric& f_;
  int fold_;
  bool ecmp_tree_;
  double efficiency_;
  std::unordered_map<std::uint64_t, double> bundle_capacity_;
  std::unordered_map<std::uint64_t, int> index_;
  std::vector<PlatformLink> links_;
};

}  // namespace trainsim
