// Oversubscription charged by placement (issue #20 item 2): how many of a group's nodes share a
// leaf or a pod decides how much of its traffic meets the oversubscribed uplinks.
#include <gtest/gtest.h>

#include "models/gpu/gpu_catalog.hpp"
#include "sim/cost/collective_costs.hpp"

namespace trainsim {
namespace {

ClusterSpec tree(int radix, std::vector<double> oversubscription, int levels) {
  ClusterSpec c;
  c.gpu = gpu_by_name("H100-SXM5-80GB");
  c.nodes = 512;
  c.gpus_per_node = 8;
  c.nics_per_node = 8;
  c.nic_bw = 50e9;
  c.intra = {IntraNodeKind::NVSwitch, 450e9, 2e-6, 0.8};
  c.fabric.topology = TopologyKind::FatTree;
  c.fabric.levels = levels;
  c.fabric.switch_radix = radix;
  c.fabric.oversubscription = std::move(oversubscription);
  c.fabric.hop_latency_s = 1e-6;
  c.fabric.efficiency = 0.9;
  c.fabric.core_link_bw = 50e9;
  return c;
}

TEST(UplinkSlowdown, RingsFeelTheRatioOnlyAsFarAsTheirNodesAreSpreadOut) {
  // Radix 64 at 4:1: 51 down ports, 6 nodes of 8 NICs per leaf.
  const ClusterSpec c = tree(64, {4.0}, 2);
  ASSERT_EQ(c.nodes_per_leaf(), 6);
  GroupShape adjacent{16, 1, 16, 1};  // 6 of its nodes per leaf: 16 channels over 12 uplink NIC rates
  EXPECT_DOUBLE_EQ(uplink_slowdown(c, CollectiveKind::AllReduce, adjacent), 1.0);
  GroupShape strided{16, 1, 16, 8};  // one node per leaf: every channel leaves it, 4 x
  EXPECT_DOUBLE_EQ(uplink_slowdown(c, CollectiveKind::AllReduce, strided), 4.0);
  // All-to-all: 10 of each node's 15 peers are off the leaf: 4 x 10 / 15.
  EXPECT_NEAR(uplink_slowdown(c, CollectiveKind::AllToAll, adjacent), 4.0 * 10 / 15, 1e-12);
  GroupShape inside{32, 8, 4, 1};  // 4 nodes under one leaf: no uplink
  EXPECT_DOUBLE_EQ(uplink_slowdown(c, CollectiveKind::AllToAll, inside), 1.0);
  EXPECT_DOUBLE_EQ(uplink_slowdown(tree(64, {1.0}, 2), CollectiveKind::AllToAll, adjacent), 1.0);
}

TEST(UplinkSlowdown, APodBoundaryAtOneToSevenSlowsWhatCrossesIt) {
  // Radix 16, 1:1 leaves, 7:1 above the pods: 1 node per leaf, 14 leaves (nodes) per pod.
  const ClusterSpec c = tree(16, {1.0, 7.0}, 3);
  ASSERT_EQ(c.nodes_per_pod(), 14);
  GroupShape stages{2, 1, 2, 16};  // a pipeline hand-off 16 nodes away: every pod node sends out
  EXPECT_DOUBLE_EQ(uplink_slowdown(c, CollectiveKind::AllGather, stages), 7.0);
  GroupShape ring{16, 1, 16, 1};  // 14 of its nodes in a pod: one channel in 14 leaves it
  EXPECT_DOUBLE_EQ(uplink_slowdown(c, CollectiveKind::AllGather, ring), 1.0);
  // A collective's seconds carry it: the strided ring pays 7x on its inter-node bandwidth.
  GroupShape strided{16, 1, 16, 16};
  const double slow = collective_cost(c, CollectiveKind::AllGather, 1e9, strided, CollectiveAlgorithm::Ring).seconds;
  const double fast =
      collective_cost(tree(16, {1.0, 1.0}, 3), CollectiveKind::AllGather, 1e9, strided, CollectiveAlgorithm::Ring)
          .seconds;
  EXPECT_NEAR(slow / fast, 7.0, 0.35);
}

}  // namespace
}  // namespace trainsim
