// The SimGrid configuration of the engine against closed forms (shared/reference/simgrid-3.32-notes.md:
// with CM02, no cross-traffic and no TCP-gamma, transfers match L + S/B exactly), and the error of
// folding a ring all-reduce into one flow per ring edge.
#include <gtest/gtest.h>

#include <cmath>

#include "sim/simgrid/flow_primitives.hpp"
#include "tests/simgrid/sim_test_util.hpp"

namespace trainsim {
namespace {

using sgtest::in_child;
using sgtest::tiny_cluster;

TEST(SimgridFlows, SingleTransferIsLatencyPlusSizeOverBandwidth) {
  const Fabric f(tiny_cluster());
  const double S = 100e6;
  const auto t = in_child([&] { return simulate_flows_here(f, {{0, 7, S}}); });
  const auto path = f.route(0, 7);
  const double expected = f.path_latency(path) + S / f.bottleneck_bandwidth(path);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_NEAR(t[0], expected, 1e-9 * expected) << "L + S/B";
  EXPECT_NEAR(t[0], 6e-6 + 0.002, 2e-5);  // ~2 ms at 50 GB/s, a few hops of latency
}

TEST(SimgridFlows, TwoFlowsSharingALinkEachGetHalf) {
  const Fabric f(tiny_cluster());
  const double S = 50e6;
  // Both leave GPU 0 through its one NIC (50 GB/s), the bottleneck of either path alone.
  const auto t = in_child([&] { return simulate_flows_here(f, {{0, 6, S}, {0, 7, S}}); });
  const double B = f.bottleneck_bandwidth(f.route(0, 6));
  ASSERT_EQ(B, 50e9);
  const double lat = std::max(f.path_latency(f.route(0, 6)), f.path_latency(f.route(0, 7)));
  EXPECT_NEAR(t[0], lat + S / (B / 2), 1e-3 * t[0]);
  EXPECT_NEAR(t[1], lat + S / (B / 2), 1e-3 * t[1]);
}

TEST(SimgridFlows, UncontendedRingAllReduceMatchesClosedForm) {
  const Fabric f(tiny_cluster());
  const std::vector<int> g = {0, 2, 4, 6};  // one GPU per node, own NICs: no two ring edges share a link
  const double M = 64e6, G = 4;
  double alpha = 0;
  for (size_t j = 0; j < g.size(); ++j) alpha = std::max(alpha, f.path_latency(f.route(g[j], g[(j + 1) % 4])));
  const double B = 50e9;
  const double expected = 2 * (G - 1) * (alpha + M / (G * B));  // Thakur et al. 2005
  const auto step = in_child([&] { return ring_allreduce_here(f, {g}, M, false); });
  const auto folded = in_child([&] { return ring_allreduce_here(f, {g}, M, true); });
  EXPECT_NEAR(step[0], expected, 1e-6 * expected);
  EXPECT_NEAR(folded[0], expected, 1e-6 * expected);
}

TEST(SimgridFlows, FoldedRingErrorUnderContentionIsBounded) {
  // Rings of different sizes whose edges collide on the leaf-spine links of a 2:1 oversubscribed
  // tree: folding keeps the bytes per link but loses the per-step synchronisation.
  const Fabric f(tiny_cluster(2.0));
  const std::vector<std::vector<int>> groups = {{0, 2, 4, 6}, {1, 5}, {3, 7}};
  const double M = 64e6;
  const auto step = in_child([&] { return ring_allreduce_here(f, groups, M, false); });
  const auto folded = in_child([&] { return ring_allreduce_here(f, groups, M, true); });
  for (size_t i = 0; i < groups.size(); ++i) {
    const double err = (folded[i] - step[i]) / step[i];
    RecordProperty("folded_error_group" + std::to_string(i), std::to_string(err));
    std::printf("group %zu: step-by-step %.6f s, folded %.6f s, error %+.2f%%\n", i, step[i], folded[i], 100 * err);
    EXPECT_LT(std::abs(err), 0.30);
  }
}

}  // namespace
}  // namespace trainsim
