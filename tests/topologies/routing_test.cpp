// Routes: valid paths, hop counts per locality, ECMP spread, Valiant vs minimal, dimension order,
// determinism.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "tests/topologies/fabric_test_util.hpp"

namespace trainsim {
namespace {
using namespace trainsim::testing;

// A valid route: consecutive links share a vertex, starts at src, ends at dst, visits no vertex twice.
void expect_valid(const Fabric& f, int src, int dst, const std::vector<EdgeId>& path) {
  auto vs = f.path_vertices(Fabric::gpu_vertex(src), path);
  ASSERT_EQ(vs.front(), Fabric::gpu_vertex(src));
  ASSERT_EQ(vs.back(), Fabric::gpu_vertex(dst)) << src << "->" << dst;
  std::set<VertexId> seen(vs.begin(), vs.end());
  ASSERT_EQ(seen.size(), vs.size()) << "loop in route " << src << "->" << dst;
}

void all_pairs_valid(const Fabric& f, RoutingPolicy p = RoutingPolicy::Default) {
  std::vector<EdgeId> path;
  for (int s = 0; s < f.gpus(); ++s)
    for (int d = 0; d < f.gpus(); ++d)
      for (std::uint64_t flow : {0ULL, 7ULL, 123456789ULL}) {
        f.route(s, d, flow, p, path);
        if (s == d) {
          ASSERT_TRUE(path.empty());
          continue;
        }
        expect_valid(f, s, d, path);
      }
}

TEST(Routing, AllPairsValidOnEveryTopology) {
  all_pairs_valid(Fabric(fat_tree_2l()));
  all_pairs_valid(Fabric(fat_tree_2l(2.0)));
  all_pairs_valid(Fabric(fat_tree_3l()));
  all_pairs_valid(Fabric(base_cluster(8, 8, 8, TopologyKind::RailOptimized)));
  all_pairs_valid(Fabric(dragonfly_small()));
  all_pairs_valid(Fabric(dragonfly_small()), RoutingPolicy::Valiant);
  all_pairs_valid(Fabric(torus({4, 4})));
  all_pairs_valid(Fabric(torus({3, 2, 2})));
  auto pcie = base_cluster(4, 4, 2, TopologyKind::SingleSwitch);
  pcie.intra = {IntraNodeKind::PCIe, 32e9, 5e-6, 0.8};
  all_pairs_valid(Fabric(pcie));
  auto mesh = fat_tree_2l();
  mesh.intra.kind = IntraNodeKind::NVLinkMesh;
  all_pairs_valid(Fabric(mesh));
}

TEST(Routing, FatTreeHopCounts) {
  Fabric f(fat_tree_3l());  // 2 GPUs/node, 2 nodes/leaf, 4 leaves/pod
  auto sw = [&](int s, int d) {
    auto p = f.route(s, d);
    return std::pair<int, int>{static_cast<int>(p.size()), f.switches_on_path(Fabric::gpu_vertex(s), p)};
  };
  EXPECT_EQ(sw(0, 1), (std::pair<int, int>{2, 1}));   // same node: GPU-NVSwitch-GPU
  EXPECT_EQ(sw(0, 2), (std::pair<int, int>{4, 1}));   // same leaf: NIC-leaf-NIC
  EXPECT_EQ(sw(0, 4), (std::pair<int, int>{6, 3}));   // same pod: leaf-spine-leaf
  EXPECT_EQ(sw(0, 31), (std::pair<int, int>{8, 5}));  // other pod: up to a core
  // Latency: 2 x 0.5 us GPU-NIC + hop/2 per NIC link + one hop per switch-switch link.
  EXPECT_NEAR(f.path_latency(f.route(0, 2)), 1e-6 + kHop, 1e-12);
  EXPECT_NEAR(f.path_latency(f.route(0, 31)), 1e-6 + 5 * kHop, 1e-12);
  EXPECT_NEAR(f.path_latency(f.route(0, 1)), 2e-6, 1e-12);
  EXPECT_DOUBLE_EQ(f.bottleneck_bandwidth(f.route(0, 31)), kNic);
  EXPECT_DOUBLE_EQ(f.bottleneck_bandwidth(f.route(0, 1)), kNvl);
}

TEST(Routing, EcmpSpreadsOverAllSpinesAndUplinks) {
  Fabric f(fat_tree_2l());  // leaf 0 = GPUs 0..7, leaf 1 = GPUs 8..15; 4 spines, 8 uplinks
  std::map<VertexId, int> spines;
  std::map<EdgeId, int> uplinks;
  const int flows = 8000;
  for (int fl = 0; fl < flows; ++fl) {
    auto p = f.route(0, 8, static_cast<std::uint64_t>(fl));
    auto vs = f.path_vertices(0, p);
    ASSERT_EQ(vs.size(), 7u);
    ASSERT_EQ(f.vertex(vs[3]).kind, VertexKind::Spine);
    ++spines[vs[3]];
    ++uplinks[p[2]];
  }
  ASSERT_EQ(spines.size(), 4u);
  ASSERT_EQ(uplinks.size(), 8u);
  for (auto [v, n] : spines) EXPECT_NEAR(n, flows / 4, flows / 4 * 0.1) << f.vertex_name(v);
  for (auto [e, n] : uplinks) EXPECT_NEAR(n, flows / 8, flows / 8 * 0.15);
}

TEST(Routing, EcmpSpreadsOverCoresAcrossPods) {
  Fabric f(fat_tree_3l());
  std::map<VertexId, int> cores;
  const int flows = 4000;
  for (int fl = 0; fl < flows; ++fl) {
    auto vs = f.path_vertices(0, f.route(0, 31, static_cast<std::uint64_t>(fl)));
    ASSERT_EQ(f.vertex(vs[4]).kind, VertexKind::Core);
    ++cores[vs[4]];
  }
  ASSERT_EQ(cores.size(), 4u);
  for (auto [v, n] : cores) EXPECT_NEAR(n, flows / 4, flows / 4 * 0.1);
}

TEST(Routing, RailOptimizedStaysOnRail) {
  Fabric f(base_cluster(8, 8, 8, TopologyKind::RailOptimized));
  // GPU 0 of node 0 -> GPU 0 of node 5: both on rail 0, one switch.
  auto same_rail = f.route(0, 5 * 8 + 0);
  EXPECT_EQ(same_rail.size(), 4u);
  EXPECT_EQ(f.switches_on_path(0, same_rail), 1);
  // GPU 0 -> GPU 1 of node 5: rail 0 to rail 1 through a spine.
  auto cross = f.route(0, 5 * 8 + 1);
  EXPECT_EQ(cross.size(), 6u);
  EXPECT_EQ(f.switches_on_path(0, cross), 3);
}

int global_links(const Fabric& f, const std::vector<EdgeId>& p) {
  int n = 0;
  for (EdgeId e : p) n += f.link(e).cls == LinkClass::DragonflyGlobal;
  return n;
}

TEST(Routing, DragonflyMinimalAndValiant) {
  Fabric f(dragonfly_small());  // GPU r on router r/2; group = r/4
  // Same router, same group, other group.
  EXPECT_EQ(f.route(0, 1).size(), 4u);
  EXPECT_EQ(f.route(0, 2).size(), 5u);
  // Valiant always crosses two global links; counted in links it is longer on average, though a
  // minimal route needing local hops at both ends (7 links) can beat a lucky Valiant one (6).
  std::size_t mn_links = 0, va_links = 0;
  for (int s = 0; s < 16; ++s)
    for (int d = 0; d < 16; ++d) {
      if (s / 4 == d / 4) continue;
      for (std::uint64_t fl = 0; fl < 4; ++fl) {
        auto mn = f.route(s, d, fl, RoutingPolicy::Minimal);
        auto va = f.route(s, d, fl, RoutingPolicy::Valiant);
        EXPECT_EQ(global_links(f, mn), 1);
        EXPECT_EQ(global_links(f, va), 2);
        EXPECT_LE(mn.size(), 7u);  // GPU-NIC, NIC-router, local, global, local, router-NIC, NIC-GPU
        EXPECT_GE(va.size(), 6u);
        mn_links += mn.size();
        va_links += va.size();
      }
    }
  EXPECT_GT(static_cast<double>(va_links), 1.2 * static_cast<double>(mn_links));
  // Valiant's intermediate group varies with the flow id.
  std::set<VertexId> mid;
  for (std::uint64_t fl = 0; fl < 64; ++fl) {
    auto vs = f.path_vertices(0, f.route(0, 4, fl, RoutingPolicy::Valiant));
    for (VertexId v : vs)
      if (f.vertex(v).kind == VertexKind::Router && f.vertex(v).group != 0 && f.vertex(v).group != 1)
        mid.insert(static_cast<VertexId>(f.vertex(v).group));
  }
  EXPECT_EQ(mid, (std::set<VertexId>{2, 3}));
}

TEST(Routing, TorusDimensionOrder) {
  Fabric f(torus({4, 4}));  // node = x + 4 y, one GPU per node
  auto torus_hops = [&](int s, int d) {
    int n = 0;
    for (EdgeId e : f.route(s, d)) n += f.link(e).cls == LinkClass::Torus;
    return n;
  };
  EXPECT_EQ(torus_hops(0, 10), 4);  // (0,0) -> (2,2)
  EXPECT_EQ(torus_hops(0, 3), 1);   // (0,0) -> (3,0) over the wrap-around link
  EXPECT_EQ(torus_hops(0, 15), 2);  // (0,0) -> (3,3): both wraps
  // X is corrected before Y: (0,0) -> (1,1) visits (1,0), not (0,1).
  auto vs = f.path_vertices(0, f.route(0, 5));
  std::vector<int> torus_nodes;
  for (VertexId v : vs)
    if (f.vertex(v).kind == VertexKind::TorusSwitch) torus_nodes.push_back(f.vertex(v).index);
  EXPECT_EQ(torus_nodes, (std::vector<int>{0, 1, 5}));
}

TEST(Routing, IntraNodeStaysInsideTheNode) {
  Fabric f(fat_tree_2l());
  for (int s = 4; s < 8; ++s)
    for (int d = 4; d < 8; ++d) {
      if (s == d) continue;
      for (VertexId v : f.path_vertices(static_cast<VertexId>(s), f.route(s, d, 99))) EXPECT_EQ(f.vertex(v).node, 1);
    }
}

TEST(Routing, Deterministic) {
  Fabric a(fat_tree_3l()), b(fat_tree_3l());
  Fabric da(dragonfly_small()), db(dragonfly_small());
  for (int s = 0; s < 32; ++s)
    for (std::uint64_t fl = 0; fl < 5; ++fl) {
      int d = (s * 7 + 3) % 32;
      EXPECT_EQ(a.route(s, d, fl), b.route(s, d, fl));
      EXPECT_EQ(a.route(s, d, fl), a.route(s, d, fl));
      EXPECT_EQ(da.route(s % 16, d % 16, fl, RoutingPolicy::Valiant),
                db.route(s % 16, d % 16, fl, RoutingPolicy::Valiant));
    }
  // Different flows between the same pair do take different paths (ECMP is not a constant).
  std::set<std::vector<EdgeId>> paths;
  for (std::uint64_t fl = 0; fl < 50; ++fl) paths.insert(a.route(0, 31, fl));
  EXPECT_GT(paths.size(), 10u);
}

TEST(Routing, OutOfRangeIsAnInternalError) {
  Fabric f(fat_tree_2l());
  EXPECT_THROW(f.route(0, 64), InternalError);
  EXPECT_THROW(f.route(-1, 3), InternalError);
}

}  // namespace
}  // namespace trainsim
