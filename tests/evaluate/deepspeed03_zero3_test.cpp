// DeepSpeed 0.3.x ZeRO-3 (strategy.zero_runtime "deepspeed-0.3", models/collective/zero_runtime):
// its measured software rates, the plan it implies (a gather per weighted module before every
// forward, recomputation and backward; gradients all-reduced on the gathers' stream) and the
// time its path adds to each collective.
#include <gtest/gtest.h>

#include "models/collective/zero_runtime.hpp"
#include "sim/cost/op_costs.hpp"
#include "sim/evaluate/predict.hpp"
#include "sim/plan/planner.hpp"
#include "tests/common/test_support.hpp"

namespace trainsim {
namespace {

using testing::error_of;
using testing::make_scenario;
using testing::small_cluster;
using testing::small_gpt;

nlohmann::json zero3(const char* runtime, const char* recompute = "full") {
  return {{"tp", 1},
          {"pp", 1},
          {"zero", 3},
          {"micro_batch", 1},
          {"precision", "fp16"},
          {"recompute", recompute},
          {"zero_runtime", runtime}};
}

TEST(ZeroRuntime, DeepSpeed03RatesAreIssue1174LessNcclsShare) {
  // 10.2 GB of fp16 parameters: 420 ms of gathers less 7/8 x 10.2 GB / 230 GB/s of NCCL,
  // 360 ms of gradient all-reduce less twice that (the header's derivation).
  const ZeroRuntimeRates r = zero_runtime_rates(ZeroRuntime::DeepSpeed03);
  const double nccl_gather = 7.0 / 8.0 * 10.2e9 / 230e9;
  EXPECT_NEAR(r.gather_Bps / 1e9, 10.2 / (0.420 - nccl_gather), 0.01);
  EXPECT_NEAR(r.reduce_Bps / 1e9, 10.2 / (0.360 - 2 * nccl_gather), 0.01);
  EXPECT_NEAR(r.gather_Bps / 1e9, 26.8, 0.1);
  EXPECT_NEAR(r.reduce_Bps / 1e9, 36.1, 0.1);
  EXPECT_EQ(zero_runtime_rates(ZeroRuntime::Fsdp).gather_Bps, 0.0);
  EXPECT_EQ(zero_runtime_overhead(ZeroRuntime::Fsdp, true, 1e9), 0.0);
  EXPECT_NEAR(zero_runtime_overhead(ZeroRuntime::DeepSpeed03, true, 26.8e9), 1.0, 0.01);
}

TEST(DeepSpeed03, EveryWeightedModuleIsGatheredForForwardRecomputationAndBackward) {
  // dp 16, global batch 16: one micro-batch per iteration.
  const Scenario ds = make_scenario(zero3("deepspeed-0.3"), small_cluster(2, 8), small_gpt(), 16);
  const Scenario fsdp = make_scenario(zero3("fsdp"), small_cluster(2, 8), small_gpt(), 16);
  const Plan pd = build_plan(ds.workload.model, ds.strategy, ds.cluster.gpus_per_node);
  const Plan pf = build_plan(fsdp.workload.model, fsdp.strategy, fsdp.cluster.gpus_per_node);
  auto sum = [](const Plan& p, CollectiveKind kind, int& count) {
    double bytes = 0;
    count = 0;
    for (const auto& op : p.programs[0].ops)
      if (op.kind == OpKind::Collective && op.collective == kind && op.group == GroupRole::DP)
        bytes += op.bytes, ++count;
    return bytes;
  };
  int ag_ds = 0, ag_f = 0, ar_ds = 0, rs_f = 0;
  const double gathered_ds = sum(pd, CollectiveKind::AllGather, ag_ds),
               gathered_f = sum(pf, CollectiveKind::AllGather, ag_f);
  const double reduced_ds = sum(pd, CollectiveKind::AllReduce, ar_ds);
  const double scattered_f = sum(pf, CollectiveKind::ReduceScatter, rs_f);
  // FSDP gathers each layer twice (forward; recomputation and backward share one); DeepSpeed's
  // hooks gather again for the recomputation: 3/2 the bytes, in pieces of one module each.
  EXPECT_NEAR(gathered_ds / gathered_f, 1.5, 1e-9);
  const int layers = ds.workload.model.layers;
  EXPECT_GE(ag_ds, 3 * 4 * layers);  // qkv, attn_out, mlp_up, mlp_down
  EXPECT_EQ(ag_f, 2 * layers);
  // Gradients: all-reduced (contiguous_gradients false), one per module, same bytes as FSDP's.
  EXPECT_NEAR(reduced_ds / scattered_f, 1.0, 1e-9);
  EXPECT_GE(ar_ds, 4 * layers);
  EXPECT_EQ(sum(pd, CollectiveKind::ReduceScatter, rs_f), 0.0);
  // One process group, one NCCL stream: reductions queue with the gathers.
  for (const auto& op : pd.programs[0].ops)
    if (op.kind == OpKind::Collective && op.group == GroupRole::DP) EXPECT_EQ(op.stream, Stream::ParamComm);
  // Every block is run by some op (the whole-layer units are replaced by their module pieces).
  std::vector<bool> used(pd.blocks.size(), false);
  for (const auto& op : pd.programs[0].ops)
    if (op.block >= 0) used[op.block] = true;
  for (size_t b = 0; b < used.size(); ++b) EXPECT_TRUE(used[b]) << pd.blocks[b].name;
  // The module pieces hold the layer's kernels: same FLOPs as FSDP's plan.
  auto flops = [](const Plan& p) {
    double f = 0;
    for (const auto& op : p.programs[0].ops)
      if (op.kind == OpKind::Compute) f += p.blocks[op.block].flops();
    return f;
  };
  EXPECT_NEAR(flops(pd) / flops(pf), 1.0, 1e-9);
}

TEST(DeepSpeed03, ItsPathAddsBytesOverItsRateToEachCollective) {
  const Scenario ds = make_scenario(zero3("deepspeed-0.3"), small_cluster(2, 8));
  const Scenario fsdp = make_scenario(zero3("fsdp"), small_cluster(2, 8));
  const Plan pd = build_plan(ds.workload.model, ds.strategy, ds.cluster.gpus_per_node);
  const Plan pf = build_plan(fsdp.workload.model, fsdp.strategy, fsdp.cluster.gpus_per_node);
  const ComputeModel cm(ds.cluster.gpu);
  const OpCosts cd(pd, ds.cluster, cm), cf(pf, fsdp.cluster, cm);
  const ZeroRuntimeRates rates = zero_runtime_rates(ZeroRuntime::DeepSpeed03);
  int checked = 0;
  for (const auto& op : pd.programs[0].ops) {
    if (op.kind != OpKind::Collective || op.group != GroupRole::DP || op.bytes <= 0) continue;
    const bool gather = op.phase == Phase::ParamSync;
    const double added = op.bytes / (gather ? rates.gather_Bps : rates.reduce_Bps);
    EXPECT_NEAR(cd.runtime_overhead(op), added, 1e-12 + 1e-9 * added);
    EXPECT_NEAR(cd.collective(op) - cf.collective(op), added, 1e-9 + 1e-6 * added);  // same NCCL part
    EXPECT_EQ(cf.runtime_overhead(op), 0.0);
    ++checked;
  }
  EXPECT_GT(checked, 0);
  // It makes the iteration slower than FSDP at NCCL rates, by more than the extra bytes alone.
  EXPECT_GT(predict(ds).metrics.iteration_time_s, 1.2 * predict(fsdp).metrics.iteration_time_s);
}

TEST(DeepSpeed03, WrongCombinationsNameTheField) {
  nlohmann::json z2 = zero3("deepspeed-0.3");
  z2["zero"] = 2;
  const std::string e = error_of([&] { make_scenario(z2); });
  EXPECT_NE(e.find("zero_runtime"), std::string::npos) << e;
  EXPECT_NE(e.find("zero 2"), std::string::npos) << e;
  nlohmann::json hybrid = zero3("deepspeed-0.3");
  hybrid["shard_group"] = 8;
  const std::string h = error_of([&] { make_scenario(hybrid); });
  EXPECT_NE(h.find("zero_runtime"), std::string::npos) << h;
  nlohmann::json bad = zero3("deepspeed-0.9");
  const std::string b = error_of([&] { make_scenario(bad); });
  EXPECT_NE(b.find("zero_runtime"), std::string::npos) << b;
}

}  // namespace
}  // namespace trainsim
