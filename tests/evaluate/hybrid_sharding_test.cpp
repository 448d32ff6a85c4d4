// Hybrid sharding (FSDP HYBRID_SHARD / MiCS): ZeRO state sharded inside groups of `shard_group`
// consecutive data-parallel ranks and replicated across them. Checks the groups, the memory (state
// divided by the group, not by DP), the collectives the planner issues, and that keeping the
// parameter gathers on NVLink pays off on a slow inter-node network.
#include <gtest/gtest.h>

#include "sim/cost/op_costs.hpp"
#include "sim/evaluate/predict.hpp"
#include "sim/plan/planner.hpp"
#include "tests/common/test_support.hpp"

namespace trainsim {
namespace {

using testing::make_scenario;
using testing::small_cluster;
using testing::small_gpt;

nlohmann::json fsdp(int shard_group) {
  nlohmann::json s = {{"tp", 1}, {"pp", 1}, {"zero", 3}, {"micro_batch", 1}};
  if (shard_group > 0) s["shard_group"] = shard_group;
  return s;
}

TEST(HybridSharding, ShardGroupIsOneNodeAndReplicasSpanNodes) {
  const Scenario sc = make_scenario(fsdp(8), small_cluster(2, 8));  // dp 16 on 2 nodes
  const Plan plan = build_plan(sc.workload.model, sc.strategy, sc.cluster.gpus_per_node);
  EXPECT_EQ(plan.group_members(0, GroupRole::DPShard), (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(plan.group_members(9, GroupRole::DPShard), (std::vector<int>{8, 9, 10, 11, 12, 13, 14, 15}));
  EXPECT_EQ(plan.group_members(3, GroupRole::DPReplica), (std::vector<int>{3, 11}));
  int rpn = 0, nodes = 0;
  plan.group_shape(GroupRole::DPShard, rpn, nodes);
  EXPECT_EQ(nodes, 1);
  plan.group_shape(GroupRole::DPReplica, rpn, nodes);
  EXPECT_EQ(nodes, 2);
}

TEST(HybridSharding, StateIsDividedByTheShardGroupNotByDp) {
  const Scenario full = make_scenario(fsdp(0), small_cluster(2, 8));
  const Scenario hybrid = make_scenario(fsdp(8), small_cluster(2, 8));
  const auto mf = predict(full).metrics.memory.parts, mh = predict(hybrid).metrics.memory.parts;
  // ZeRO-3: weights, gradients and optimizer state each shard over 16 vs 8 ranks: exactly 2x.
  EXPECT_NEAR(mh.weights / mf.weights, 2.0, 1e-12);
  EXPECT_NEAR(mh.gradients / mf.gradients, 2.0, 1e-12);
  EXPECT_NEAR(mh.optimizer / mf.optimizer, 2.0, 1e-12);
}

TEST(HybridSharding, GradientsReduceScatterInTheGroupThenAllReduceTheShardAcrossReplicas) {
  const Scenario sc = make_scenario(fsdp(8), small_cluster(2, 8));
  const Plan plan = build_plan(sc.workload.model, sc.strategy, sc.cluster.gpus_per_node);
  double rs = 0, ar = 0, ag = 0;
  for (const auto& op : plan.programs[0].ops) {
    if (op.kind != OpKind::Collective) continue;
    if (op.group == GroupRole::DPShard && op.collective == CollectiveKind::ReduceScatter) rs += op.bytes;
    if (op.group == GroupRole::DPReplica && op.collective == CollectiveKind::AllReduce) ar += op.bytes;
    if (op.group == GroupRole::DPShard && op.collective == CollectiveKind::AllGather) ag += op.bytes;
    EXPECT_NE(op.group, GroupRole::DP) << "no collective over the whole DP group with hybrid sharding";
  }
  ASSERT_GT(rs, 0.0);
  EXPECT_NEAR(ar / rs, 1.0 / 8.0, 1e-12);  // each rank all-reduces only its 1/8 shard
  EXPECT_GT(ag, 0.0);
}

TEST(HybridSharding, KeepsParameterGathersOnNvlinkOverASlowNetwork) {
  // 4 nodes of 8 GPUs on one 100 Gb/s NIC per node: full sharding gathers every layer across nodes.
  nlohmann::json cluster = small_cluster(4, 8);
  cluster["nics_per_node"] = 1;
  cluster["nic_gbps"] = 100;
  const auto model = small_gpt(16, 4096, 32);
  auto first_gather_s = [&](int shard_group) {
    const Scenario sc = make_scenario(fsdp(shard_group), cluster, model, 64);
    const Plan plan = build_plan(sc.workload.model, sc.strategy, sc.cluster.gpus_per_node);
    const ComputeModel compute(sc.cluster.gpu);
    const OpCosts costs(plan, sc.cluster, compute);
    for (const auto& op : plan.programs[0].ops)
      if (op.kind == OpKind::Collective && op.collective == CollectiveKind::AllGather) return costs.collective(op);
    return -1.0;
  };
  const double full = first_gather_s(0), hybrid = first_gather_s(8);
  ASSERT_GT(full, 0.0);
  // Ring over 32 ranks through one 12.5 GB/s NIC per node vs a ring inside one NVSwitch node: the
  // bandwidth terms differ by NVLink x efficiency / 12.5 GB/s, far more than 10x.
  EXPECT_LT(hybrid, 0.1 * full) << "hybrid " << hybrid << " s, full " << full << " s";
}

TEST(HybridSharding, BadShardGroupsNameTheField) {
  for (const auto& [strategy, what] : std::vector<std::pair<nlohmann::json, std::string>>{
           {{{"zero", 3}, {"shard_group", 6}}, "a divisor of dp x cp"},
           {{{"zero", 0}, {"shard_group", 8}}, "a zero stage of 1 or more"}}) {
    try {
      make_scenario(strategy, small_cluster(2, 8));
      FAIL() << strategy.dump();
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("shard_group"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace trainsim
