// Routed experts synchronise over the expert data-parallel group (PlanUnits::expert_groups), as
// Megatron-Core's DDP and distributed optimizer do: their gradients are reduced, their optimizer
// state sharded and their updated weights gathered over the tp x cp x dp / (etp x ep) ranks that
// hold the same experts, the other parameters over the data-parallel group. Checked on
// Qwen3-30B-A3B (48 MoE layers, 128 experts of 3 x 2048 x 768) on 32 GPUs, with parameter counts
// by hand from its config.json.
#include <gtest/gtest.h>

#include "sim/evaluate/predict.hpp"
#include "sim/metrics/metrics.hpp"
#include "sim/plan/planner.hpp"
#include "tests/common/test_support.hpp"

namespace trainsim {
namespace {

Scenario qwen3_on_32(int ep, int zero) {
  const nlohmann::json j = {{"cluster", testing::small_cluster(4, 8, "H100-SXM5-80GB")},
                            {"workload", "workloads/qwen3-30b-a3b.json"},
                            {"strategy",
                             {{"tp", 1},
                              {"pp", 1},
                              {"ep", ep},
                              {"zero", zero},
                              {"micro_batch", 1},
                              {"global_batch", 64},
                              {"overlap_grad_reduce", false},
                              {"overlap_param_gather", false}}}};
  return parse_scenario(j, "<test>", std::string(TRAINSIM_SOURCE_DIR) + "/scenarios");
}

// Per rank: attention (q, k, v, o), router and two norms of 48 layers, untied embedding and output
// matrices, final norm; the routed experts, 128 / ep of them per layer.
constexpr double kDense = 48 * (2048.0 * 5120 + 4096.0 * 2048 + 2048.0 * 128 + 2 * 2048) + 2 * 151936.0 * 2048 + 2048;
double experts_per_rank(int ep) { return 48 * (128.0 / ep) * 3 * 2048 * 768; }

struct Sync {
  double dp_bytes = 0, edp_bytes = 0, dp_gather = 0, edp_gather = 0;
  int edp_ops = 0;
};

Sync syncs(const Plan& plan) {
  Sync s;
  for (const Op& op : plan.programs[0].ops) {
    if (op.kind != OpKind::Collective) continue;
    const bool edp = op.group == GroupRole::EDP;
    if (op.phase == Phase::GradSync) (edp ? s.edp_bytes : s.dp_bytes) += op.bytes, s.edp_ops += edp;
    if (op.phase == Phase::ParamSync) (edp ? s.edp_gather : s.dp_gather) += op.bytes;
  }
  return s;
}

TEST(ExpertDataParallel, ExpertsNeedNoSynchronisationWhenEveryRankHoldsItsOwn) {
  const Scenario sc = qwen3_on_32(32, 1);  // edp = 32 / 32 = 1
  ASSERT_EQ(sc.strategy.edp(), 1);
  const Plan plan = build_plan(sc.workload.model, sc.strategy, sc.cluster.gpus_per_node);
  const Sync s = syncs(plan);
  const double gb = gradient_bytes(sc.strategy), wb = weight_bytes(sc.strategy);
  EXPECT_NEAR(s.dp_bytes, kDense * gb, 1.0);  // the dense parameters alone, over 32 ranks
  EXPECT_EQ(s.edp_ops, 0);
  EXPECT_NEAR(s.dp_gather, kDense * wb, 1.0);
  EXPECT_EQ(s.edp_gather, 0.0);
  // Optimizer state: dense sharded over 32, each rank's 4 experts per layer kept whole (12 B each).
  const MemoryReport m = memory_report(sc, plan);
  EXPECT_NEAR(m.parts.optimizer, (kDense / 32 + experts_per_rank(32)) * 12, 1e3);
}

TEST(ExpertDataParallel, ExpertsSynchroniseOverTheRanksHoldingTheSameExperts) {
  const Scenario sc = qwen3_on_32(8, 1);  // edp = 32 / 8 = 4
  ASSERT_EQ(sc.strategy.edp(), 4);
  const Plan plan = build_plan(sc.workload.model, sc.strategy, sc.cluster.gpus_per_node);
  EXPECT_EQ(plan.group_members(0, GroupRole::EDP).size(), 4u);
  const Sync s = syncs(plan);
  const double gb = gradient_bytes(sc.strategy), wb = weight_bytes(sc.strategy);
  EXPECT_NEAR(s.dp_bytes, kDense * gb, 1.0);
  EXPECT_NEAR(s.edp_bytes, experts_per_rank(8) * gb, 1.0);
  EXPECT_EQ(s.edp_ops, 1);
  EXPECT_NEAR(s.edp_gather, experts_per_rank(8) * wb, 1.0);
  const MemoryReport m = memory_report(sc, plan);
  EXPECT_NEAR(m.parts.optimizer, (kDense / 32 + experts_per_rank(8) / 4) * 12, 1e3);
  // Both engines and the scorer read the same units: the same iteration within the scorer's bound.
  const double analytic = predict(sc, "analytic").metrics.iteration_time_s;
  const double fast = evaluate(sc, "fast").iteration_time_s;
  EXPECT_NEAR(fast, analytic, 0.02 * analytic);
}

// ZeRO-3 / FSDP keeps sharding every parameter over the data-parallel group.
TEST(ExpertDataParallel, FullyShardedParametersStayOnTheDataParallelGroup) {
  const Scenario sc = qwen3_on_32(8, 3);
  const Plan plan = build_plan(sc.workload.model, sc.strategy, sc.cluster.gpus_per_node);
  EXPECT_EQ(syncs(plan).edp_ops, 0);
  const MemoryReport m = memory_report(sc, plan);
  EXPECT_NEAR(m.parts.optimizer, (kDense + experts_per_rank(8)) / 32 * 12, 1e3);
}

}  // namespace
}  // namespace trainsim
