// SM contention: NCCL's kernels hold SMs while they run beside the compute stream, so the
// compute they overlap falls behind by overlap x SMs taken / SMs (sim/cost/sm_contention.hpp).
#include <gtest/gtest.h>

#include <algorithm>

#include "models/collective/collective_model.hpp"
#include "sim/cost/op_costs.hpp"
#include "sim/evaluate/predict.hpp"
#include "tests/common/test_support.hpp"

using namespace trainsim;
using trainsim::testing::error_of;
using trainsim::testing::make_scenario;
using trainsim::testing::small_cluster;
using trainsim::testing::small_gpt;

namespace {
/// FSDP (ZeRO-3) over 2 DGX-H100 nodes: per-layer gathers prefetched behind the compute and
/// reduce-scatters beside the backward, both on their own streams.
Scenario fsdp_scenario(int nccl_sms) {
  auto cluster = small_cluster(2, 8, "H100-SXM5-80GB");
  cluster["nic_gbps"] = 400;
  if (nccl_sms != -1) cluster["nccl_sms"] = nccl_sms;
  return make_scenario({{"tp", 1}, {"pp", 1}, {"dp", 16}, {"zero", 3}, {"micro_batch", 2}}, cluster,
                       small_gpt(16, 4096, 32), 32);
}

/// Seconds of compute of `rank` that run while a collective of the data-parallel or the
/// parameter stream runs.
double overlapped_compute(const Trace& t, int rank) {
  std::vector<const TraceEvent*> compute, side;
  for (const auto& e : t.events) {
    if (e.rank != rank) continue;
    if (e.stream == Stream::Compute) compute.push_back(&e);
    if (e.stream == Stream::DpComm || e.stream == Stream::ParamComm) side.push_back(&e);
  }
  double o = 0;
  for (const auto* c : compute)
    for (const auto* s : side) o += std::max(0.0, std::min(c->end, s->end) - std::max(c->start, s->start));
  return o;
}
}  // namespace

TEST(NcclSms, TheMaintainersTwoFiguresAndNcclsChannelLimit) {
  // NVIDIA/nccl #689: a DGX with 8 NICs at 190 GB/s -> 16 SMs; a PCIe node, one 12-24 GB/s NIC -> 2.
  EXPECT_EQ(nccl_sms(190e9), 16);
  EXPECT_EQ(nccl_sms(24e9), 2);
  EXPECT_EQ(nccl_sms(12e9), 2);
  EXPECT_EQ(nccl_sms(1e9), 2);    // never fewer than 2
  EXPECT_EQ(nccl_sms(1e13), 32);  // at most one SM per channel of NCCL's 32
  EXPECT_EQ(nccl_sms(100e9), 9);
}

TEST(SmContention, DgxA100DataParallelCollectivesHoldSixteenSms) {
  // The chain cluster -> group bandwidth -> SMs lands on the maintainer's DGX figure.
  const auto sc = make_scenario({{"tp", 1}, {"pp", 1}, {"dp", 32}, {"zero", 3}}, small_cluster(4, 8), small_gpt(), 64);
  const auto p = predict(sc);
  ComputeModel cm(sc.cluster.gpu);
  const OpCosts costs(p.plan, sc.cluster, cm);
  Op gather;
  gather.kind = OpKind::Collective;
  gather.group = GroupRole::DP;
  gather.collective = CollectiveKind::AllGather;
  gather.bytes = 1e9;
  EXPECT_EQ(costs.collective_sms(gather), 16);
}

TEST(SmContention, OverlappedCollectivesSlowTheComputeBySmsTakenOverSms) {
  const Prediction free = predict(fsdp_scenario(0));
  const Prediction held = predict(fsdp_scenario(16));
  const int rank = free.trace.ranks.at(0);
  const double overlap = overlapped_compute(free.trace, rank);
  ASSERT_GT(overlap, 0.2 * free.metrics.iteration_time_s) << "the FSDP gathers should overlap the compute";
  const double expected = overlap * 16.0 / 132.0;  // H100: 132 SMs
  const double extra = held.metrics.iteration_time_s - free.metrics.iteration_time_s;
  EXPECT_NEAR(extra, expected, 0.2 * expected) << "overlap " << overlap << " s";
  // Blocking collectives do not contend: ZeRO-1 without overlap takes the same time either way.
  auto blocking = [](int sms) {
    auto cluster = small_cluster(2, 8);
    cluster["nccl_sms"] = sms;
    return predict(make_scenario({{"tp", 1}, {"pp", 1}, {"dp", 16}, {"zero", 1}, {"overlap_grad_reduce", false}},
                                 cluster, small_gpt(), 64))
        .metrics.iteration_time_s;
  };
  EXPECT_DOUBLE_EQ(blocking(0), blocking(16));
}

TEST(SmContention, NcclSmsOutOfRangeNamesTheField) {
  auto cluster = small_cluster(2, 8);
  cluster["nccl_sms"] = 500;  // an A100 has 108
  const auto msg = error_of([&] { make_scenario({{"tp", 1}}, cluster); });
  EXPECT_NE(msg.find("$.cluster.nccl_sms"), std::string::npos) << msg;
  EXPECT_NE(msg.find("108"), std::string::npos) << msg;
}
