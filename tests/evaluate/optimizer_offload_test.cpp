// Optimizer-state offload (ZeRO-Offload): the Plan's three host-side steps, their cost against a
// hand computation, the memory they save and the time they add, and the cluster's "host" keys.
#include <gtest/gtest.h>

#include <functional>

#include "sim/cost/op_costs.hpp"
#include "sim/evaluate/predict.hpp"
#include "sim/plan/planner.hpp"
#include "tests/common/test_support.hpp"

using namespace trainsim;
using trainsim::testing::error_of;
using trainsim::testing::make_scenario;
using trainsim::testing::small_cluster;

namespace {

/// GPT 8 x 1024 on one 8 x A100 node (DGX A100 host), data parallel 8, distributed optimizer, bf16.
Scenario offload_scenario(bool offload, nlohmann::json cluster = small_cluster(1, 8)) {
  return make_scenario({{"tp", 1}, {"pp", 1}, {"zero", 1}, {"precision", "bf16"}, {"optimizer_offload", offload}},
                       cluster);
}

/// Indices of the optimizer-phase compute ops of stage 0.
std::vector<int> optimizer_ops(const Plan& plan) {
  std::vector<int> v;
  const auto& ops = plan.programs.at(0).ops;
  for (size_t i = 0; i < ops.size(); ++i)
    if (ops[i].kind == OpKind::Compute && ops[i].phase == Phase::Optimizer) v.push_back(static_cast<int>(i));
  return v;
}

}  // namespace

TEST(OptimizerOffload, StepIsD2HThenCpuAdamThenH2DAndCostsTheirHandSum) {
  const Scenario sc = offload_scenario(true);
  ASSERT_EQ(sc.strategy.dp, 8);
  const Plan plan = build_plan(sc.workload.model, sc.strategy, sc.cluster.gpus_per_node);
  const auto opt = optimizer_ops(plan);
  ASSERT_EQ(opt.size(), 3u);
  const auto& ops = plan.programs[0].ops;
  const KernelKind kinds[] = {KernelKind::HostCopy, KernelKind::HostMemory, KernelKind::HostCopy};
  for (int i = 0; i < 3; ++i) {
    const Block& b = plan.blocks[ops[opt[i]].block];
    ASSERT_EQ(b.kernels.size(), 1u) << b.name;
    EXPECT_EQ(b.kernels[0].kind, kinds[i]) << b.name;
  }
  EXPECT_EQ(plan.blocks[ops[opt[0]].block].kernels[0].copy, CopyDirection::DeviceToHost);
  EXPECT_EQ(plan.blocks[ops[opt[2]].block].kernels[0].copy, CopyDirection::HostToDevice);
  // Dependencies: the D2H copy waits for the gradient reduce-scatter, Adam for the copy, the H2D
  // copy for Adam, and the ZeRO all-gather of the updated weights for the H2D copy.
  bool after_grad_sync = false;
  for (int d : ops[opt[0]].deps) after_grad_sync |= ops[d].phase == Phase::GradSync;
  EXPECT_TRUE(after_grad_sync);
  EXPECT_EQ(ops[opt[1]].deps, std::vector<int>{opt[0]});
  EXPECT_EQ(ops[opt[2]].deps, std::vector<int>{opt[1]});
  ASSERT_EQ(static_cast<int>(ops.size()), opt[2] + 2);
  EXPECT_EQ(ops.back().phase, Phase::ParamSync);
  EXPECT_EQ(ops.back().deps, std::vector<int>{opt[2]});

  // By hand: the rank's ZeRO shard of the parameters; A100 PCIe Gen4 x16 = 32 GB/s per direction,
  // pinned copies at 47/64 (D2H) and 55/64 (H2D) of it; DGX A100 host memory 2 sockets x 8 channels
  // x 3200 MT/s x 8 B at 0.8 x 30/44, shared by the node's 8 GPUs; 4 B/param down (fp32 gradients),
  // 30 B/param of host memory (read g, w, m, v: 16; write w, m, v: 12; write bf16 copy: 2), 2 B/param up.
  const double local = params_per_rank(sc.workload.model, sc.strategy, 0) / 8;
  const double d2h = local * 4 / (32e9 * 47 / 64);
  const double adam = local * 30 / (2 * 8 * 3200e6 * 8 * (0.8 * 30 / 44) / 8);
  const double h2d = local * 2 / (32e9 * 55 / 64);
  const ComputeModel cm(sc.cluster.gpu);
  const OpCosts costs(plan, sc.cluster, cm);
  EXPECT_NEAR(costs.block(ops[opt[0]].block).total(), d2h, 1e-6 * d2h);
  EXPECT_NEAR(costs.block(ops[opt[1]].block).total(), adam, 1e-6 * adam);
  EXPECT_NEAR(costs.block(ops[opt[2]].block).total(), h2d, 1e-6 * h2d);

  // The analytic engine's trace and breakdown carry the same step.
  const Prediction p = predict(sc);
  double traced = 0;
  for (const auto& e : p.trace.events)
    if (e.rank == p.trace.ranks.at(0) && e.phase == Phase::Optimizer) traced += e.end - e.start;
  const double step = d2h + adam + h2d;
  EXPECT_NEAR(traced, step, 1e-6 * step);
  EXPECT_NEAR(p.metrics.breakdown.optimizer, step, 1e-6 * step);
}

TEST(OptimizerOffload, FreesTheOptimizerStateAndLengthensTheIterationByTheStep) {
  const Prediction gpu = predict(offload_scenario(false));
  const Prediction host = predict(offload_scenario(true));
  const double local = params_per_rank(gpu.plan.model, gpu.plan.strategy, 0) / 8;
  // GPU memory: the fp32 master weights and Adam moments (12 B/param of the shard) leave it.
  EXPECT_NEAR(gpu.metrics.memory.parts.optimizer, local * 12, 1.0);
  EXPECT_EQ(host.metrics.memory.parts.optimizer, 0.0);
  EXPECT_NEAR(gpu.metrics.memory.parts.total() - host.metrics.memory.parts.total(), local * 12, 1.0);
  // Time: the step sits on the critical path between the gradient reduce-scatter and the weight
  // all-gather, so the iteration grows by the offloaded step minus the GPU step it replaces.
  const double t_gpu = gpu.metrics.breakdown.optimizer, t_host = host.metrics.breakdown.optimizer;
  EXPECT_GT(t_host, 10 * t_gpu);
  const double grown = host.metrics.iteration_time_s - gpu.metrics.iteration_time_s;
  EXPECT_NEAR(grown, t_host - t_gpu, 1e-6 * t_host);
  // Energy activity: the copies count as communication, CPU Adam leaves the GPU idle.
  ASSERT_TRUE(host.metrics.energy_cost.valid);
  const auto& a_gpu = gpu.metrics.energy_cost.energy.activity;
  const auto& a_host = host.metrics.energy_cost.energy.activity;
  EXPECT_NEAR(a_host.memory_s, a_gpu.memory_s - t_gpu, 1e-6 * t_host);
  EXPECT_GT(a_host.idle_s - a_gpu.idle_s, 0.5 * t_host);
}

TEST(OptimizerOffload, HostMemoryIsSharedByTheGpusOfTheNode) {
  // The same shard per rank (dp 8) on 8-GPU nodes and on 2-GPU nodes: CPU Adam runs 4x faster
  // when 2 instead of 8 ranks share each host's memory; the PCIe copies do not change.
  const Scenario wide = offload_scenario(true, small_cluster(1, 8));
  const Scenario narrow = offload_scenario(true, small_cluster(4, 2));
  auto step_times = [](const Scenario& sc) {
    const Plan plan = build_plan(sc.workload.model, sc.strategy, sc.cluster.gpus_per_node);
    const ComputeModel cm(sc.cluster.gpu);
    const OpCosts costs(plan, sc.cluster, cm);
    std::vector<double> t;
    for (int i : optimizer_ops(plan)) t.push_back(costs.block(plan.programs[0].ops[i].block).total());
    return t;
  };
  const auto w = step_times(wide), n = step_times(narrow);
  ASSERT_EQ(w.size(), 3u);
  ASSERT_EQ(n.size(), 3u);
  EXPECT_NEAR(w[0], n[0], 1e-12);
  EXPECT_NEAR(w[1] / n[1], 4.0, 1e-9);
  EXPECT_NEAR(w[2], n[2], 1e-12);
}

TEST(OptimizerOffload, HostKeysOverrideTheDefaults) {
  nlohmann::json c = small_cluster(1, 8);
  c["host"] = {{"memory_gbytes_per_s", 500},
               {"memory_efficiency", 0.5},
               {"h2d_gbytes_per_s", 20},
               {"d2h_gbytes_per_s", 10},
               {"active_w", 3000}};
  const Scenario sc = offload_scenario(true, c);
  EXPECT_DOUBLE_EQ(sc.cluster.host.memory_bw, 500e9);
  EXPECT_DOUBLE_EQ(sc.cluster.host.memory_efficiency, 0.5);
  EXPECT_DOUBLE_EQ(sc.cluster.host.h2d_bw, 20e9);
  EXPECT_DOUBLE_EQ(sc.cluster.host.d2h_bw, 10e9);
  const Prediction p = predict(sc);  // the power model reads active_w from the same object
  const double local = params_per_rank(sc.workload.model, sc.strategy, 0) / 8;
  const double step = local * 4 / 10e9 + local * 30 / (500e9 * 0.5 / 8) + local * 2 / 20e9;
  EXPECT_NEAR(p.metrics.breakdown.optimizer, step, 1e-6 * step);
}

TEST(OptimizerOffload, InvalidHostFieldsNameTheirPath) {
  struct Bad {
    const char* key;
    nlohmann::json value;
  };
  for (const Bad& b :
       {Bad{"memory_gbytes_per_s", -5}, Bad{"memory_gbytes_per_s", "fast"}, Bad{"memory_efficiency", 1.5},
        Bad{"h2d_gbytes_per_s", 0}, Bad{"d2h_gbytes_per_s", nlohmann::json::array()}, Bad{"pcie_gbps", 64}}) {
    nlohmann::json c = small_cluster(1, 8);
    c["host"] = {{b.key, b.value}};
    const std::string msg = error_of([&] { offload_scenario(true, c); });
    EXPECT_NE(msg.find(std::string("$.cluster.host.") + b.key), std::string::npos) << b.key << ": " << msg;
  }
}
