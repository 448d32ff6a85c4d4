// Alpha-beta collective costs against the closed forms of Thakur et al. (2005).
#include <gtest/gtest.h>

#include "models/collective/collective_model.hpp"

using namespace trainsim;

namespace {
CollectiveEnv env(double bw_intra, double lat_intra, double bw_inter, double lat_inter) {
  CollectiveEnv e;
  e.intra = {bw_intra, lat_intra, 0};
  e.inter = {bw_inter, lat_inter, 0};
  return e;
}
}  // namespace

TEST(Collective, RingAllReduceInsideNode) {
  // 2(p-1) alpha + 2(p-1)/p * S/B.
  const auto e = env(200e9, 2e-6, 25e9, 5e-6);
  GroupShape g{8, 8, 1};
  const double S = 1e9;
  auto c = collective_time(CollectiveKind::AllReduce, S, g, e, CollectiveAlgorithm::Ring);
  EXPECT_NEAR(c.seconds, 14 * 2e-6 + 2.0 * 7 / 8 * S / 200e9, 1e-9);
  auto ag = collective_time(CollectiveKind::AllGather, S, g, e, CollectiveAlgorithm::Ring);
  EXPECT_NEAR(ag.seconds, 7 * 2e-6 + 7.0 / 8 * S / 200e9, 1e-9);
}

TEST(Collective, MultiNodeRingUsesOneNicPerRank) {
  // 4 nodes x 8 ranks: 8 rings in parallel, each through its own NIC -> node bandwidth 8 x 25 GB/s,
  // capped by NVLink (200 GB/s).
  const auto e = env(200e9, 2e-6, 25e9, 5e-6);
  GroupShape g{32, 8, 4};
  const double S = 4e9;
  auto c = collective_time(CollectiveKind::AllReduce, S, g, e, CollectiveAlgorithm::Ring);
  // Latency as NCCL's tuner counts it (src/graph/tuning.cc): per pass, 28 NVLink steps and the
  // 3 steps from node to node over the network.
  EXPECT_NEAR(c.seconds, 2 * (28 * 2e-6 + 3 * 5e-6) + 2.0 * 31 / 32 * S / 200e9, 1e-9);
  // One rank per node: the ring runs at the NIC rate.
  GroupShape dp{8, 1, 8};
  auto d = collective_time(CollectiveKind::AllReduce, S, dp, e, CollectiveAlgorithm::Ring);
  EXPECT_NEAR(d.seconds, 14 * 5e-6 + 2.0 * 7 / 8 * S / 25e9, 1e-6);
}

TEST(Collective, HierarchicalAndAutoChoice) {
  const auto e = env(200e9, 2e-6, 25e9, 5e-6);
  GroupShape g{64, 8, 8};
  const double S = 1e9;
  auto h = collective_time(CollectiveKind::AllReduce, S, g, e, CollectiveAlgorithm::Hierarchical);
  const double expect = 2 * 7 * 2e-6 + 2.0 * 7 / 8 * S / 200e9 + 2 * 7 * 5e-6 + 2.0 * 7 / 8 * (S / 8) / 25e9;
  EXPECT_NEAR(h.seconds, expect, 1e-9);
  // Small messages: the tree's logarithmic latency wins; auto must pick the cheapest.
  auto small = collective_time(CollectiveKind::AllReduce, 1e3, GroupShape{1024, 8, 128}, e);
  auto ring = collective_time(CollectiveKind::AllReduce, 1e3, GroupShape{1024, 8, 128}, e, CollectiveAlgorithm::Ring);
  EXPECT_EQ(small.algorithm, CollectiveAlgorithm::Tree);
  EXPECT_LT(small.seconds, ring.seconds / 10);
}

TEST(Collective, HalfBandwidthMessageSize) {
  CollectiveEnv e = env(200e9, 0, 25e9, 0);
  e.intra.half_bw_bytes = 16e6;
  GroupShape g{2, 2, 1};
  // At S = n_1/2 the bandwidth is half: all-reduce of 2 ranks moves S/2 per direction twice.
  auto c = collective_time(CollectiveKind::AllReduce, 16e6, g, e, CollectiveAlgorithm::Ring);
  EXPECT_NEAR(c.seconds, 2.0 * 0.5 * 16e6 / 100e9, 1e-9);
}
