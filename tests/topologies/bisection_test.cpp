// Bisection bandwidth from max-flow on the built graph, against hand-worked formulas.
#include <gtest/gtest.h>

#include "tests/topologies/fabric_test_util.hpp"

namespace trainsim {
namespace {
using namespace trainsim::testing;

TEST(Bisection, NonBlockingFatTreeIsHalfTheInjection) {
  // 64 GPUs, one 50 GB/s NIC each: N * B / 2 (Leiserson 1985: a full fat-tree has full bisection).
  EXPECT_DOUBLE_EQ(Fabric(fat_tree_2l()).bisection_bandwidth(), 64 * kNic / 2);
  EXPECT_DOUBLE_EQ(Fabric(fat_tree_3l()).bisection_bandwidth(), 32 * kNic / 2);
}

TEST(Bisection, TwoToOneOversubscriptionHalvesIt) {
  EXPECT_DOUBLE_EQ(Fabric(fat_tree_2l(2.0)).bisection_bandwidth(), 64 * kNic / 4);
}

TEST(Bisection, FasterCoreLinksKeepNonBlocking) {
  auto c = fat_tree_2l();
  c.fabric.core_link_bw = 2 * kNic;  // 800G uplinks: half as many, same capacity
  Fabric f(c);
  EXPECT_EQ(f.count(LinkClass::LeafSpine), 32u);
  EXPECT_DOUBLE_EQ(f.bisection_bandwidth(), 64 * kNic / 2);
}

TEST(Bisection, SharedNicLimitsIt) {
  // 4 GPUs per node share 1 NIC: the NICs of half the nodes bound the cut.
  auto c = base_cluster(16, 4, 1, TopologyKind::SingleSwitch);
  EXPECT_DOUBLE_EQ(Fabric(c).bisection_bandwidth(), 8 * kNic);
}

TEST(Bisection, SingleNodeNvSwitch) {
  // Half the GPUs each push their NVLink rate across the crossbar.
  EXPECT_DOUBLE_EQ(Fabric(base_cluster(1, 8, 0, TopologyKind::FatTree)).bisection_bandwidth(), 4 * kNvl);
}

TEST(Bisection, DragonflyGlobalLinksAcrossHalves) {
  // g = 4 groups, one global link per pair: (g/2)^2 = 4 links cross (Kim et al. 2008, Sec. 3.2).
  EXPECT_DOUBLE_EQ(Fabric(dragonfly_small()).bisection_bandwidth(), 4 * kNic);
}

TEST(Bisection, TorusFormula) {
  // k-ary n-cube with wrap-around: 2 N / k links across the largest even ring k (Dally & Towles).
  EXPECT_DOUBLE_EQ(Fabric(torus({4, 4})).bisection_bandwidth(), 2 * 16 / 4 * kNic);
  EXPECT_DOUBLE_EQ(Fabric(torus({8, 4})).bisection_bandwidth(), 2 * 32 / 8 * kNic);
  // A ring of 2 has no wrap link: N / 2 links across it; here 16 < 2*32/4.
  EXPECT_DOUBLE_EQ(Fabric(torus({4, 4, 2})).bisection_bandwidth(), 16 * kNic);
}

TEST(Diameter, PerTopology) {
  EXPECT_EQ(Fabric(base_cluster(1, 8, 0, TopologyKind::FatTree)).diameter_hops(), 2);
  EXPECT_EQ(Fabric(fat_tree_2l()).diameter_hops(), 6);
  EXPECT_EQ(Fabric(fat_tree_3l()).diameter_hops(), 8);
  EXPECT_EQ(Fabric(dragonfly_small()).diameter_hops(), 7);
  EXPECT_EQ(Fabric(torus({4, 4})).diameter_hops(), 4 + 4);  // 2 + 2 ring hops + GPU-NIC-switch each end
}

}  // namespace
}  // namespace trainsim
