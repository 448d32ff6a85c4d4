// Stragglers and degraded NIC links (issue #20 item 4) in both engines and in `explain`: a slow
// GPU stalls its tensor-parallel group every layer, its pipeline at every hand-off and every
// replica at the gradient reduction; a degraded NIC slows every collective crossing nodes through it.
#include <gtest/gtest.h>

#include "sim/cost/stragglers.hpp"
#include "sim/evaluate/predict.hpp"
#include "sim/plan/planner.hpp"
#include "sim/report/explain.hpp"
#include "sim/simgrid/simgrid_engine.hpp"
#include "tests/simgrid/sim_test_util.hpp"

namespace trainsim {
namespace {

/// GPT 1.7B on 4 DGX-H100 nodes; `extra` adds cluster keys (stragglers, degraded_links).
Scenario gpt(const nlohmann::json& strategy, const nlohmann::json& extra = nlohmann::json::object()) {
  nlohmann::json c = sgtest::dgx_cluster(4, 16, 1.0);
  for (const auto& [k, v] : extra.items()) c[k] = v;
  return sgtest::scenario(c, "workloads/gpt-sc21-1.7b.json", strategy);
}

double analytic(const Scenario& sc) {
  const Plan plan = build_plan(sc.workload.model, sc.strategy, sc.cluster.used_per_node());
  return engine_registry().at("analytic")(sc, plan, {}).iteration_time;
}

/// Seconds of compute kernels in stage `stage`'s program (no inline communication).
double stage_compute(const Scenario& sc, int stage) {
  const Plan plan = build_plan(sc.workload.model, sc.strategy, sc.cluster.used_per_node());
  const ComputeModel cm(sc.cluster.gpu, load_profile_for(sc));
  const OpCosts costs(plan, sc.cluster, cm);
  double s = 0;
  for (const auto& op : plan.programs.at(stage).ops)
    if (op.kind == OpKind::Compute) s += costs.block(op.block).compute;
  return s;
}

nlohmann::json slow_gpu(int gpu, double clock) {
  return {{"stragglers", {{"gpus", {{{"gpu", gpu}, {"clock", clock}}}}}}};
}

TEST(Stragglers, WithoutAPipelineTheSlowGpuAddsItsComputeAtItsClock) {
  // TP 8 x DP 4, no pipeline, gradients reduced after the backward pass: the iteration is the
  // slowest rank's compute, then the all-reduce. GPU 13 (replica 1) at 80 % clock: its TP group's
  // compute takes 1/0.8 as long, and every replica waits for it in the all-reduce.
  const nlohmann::json s = {{"tp", 8}, {"pp", 1}, {"micro_batch", 1}, {"global_batch", 32}};
  const Scenario base = gpt(s), slow = gpt(s, slow_gpu(13, 0.8));
  const double compute = stage_compute(base, 0);
  EXPECT_NEAR(analytic(slow) - analytic(base), compute * (1 / 0.8 - 1), 0.01 * compute * 0.25);
}

TEST(Stragglers, ASlowStagePacesThePipeline) {
  // 1F1B, p = 4, m = 8, stage 2 at half clock. Hand bounds: the slow stage must run all its ops
  // one after another (its busy time, compute doubled, is a floor), and its extra compute cannot
  // cost more than (m + p - 1) / m of itself (it delays each micro-batch slot once). The last
  // stage (logits) paced the healthy pipeline, so less than the whole extra shows.
  const nlohmann::json s = {{"tp", 8}, {"pp", 4}, {"micro_batch", 1}, {"global_batch", 8}};
  const Scenario base = gpt(s), slow = gpt(s, slow_gpu(16, 0.5));  // GPU 16: stage 2 (8 GPUs a stage)
  const Plan plan = build_plan(base.workload.model, base.strategy, 8);
  ASSERT_EQ(plan.coord(16).pp, 2);
  const ComputeModel cm(base.cluster.gpu, load_profile_for(base));
  const OpCosts costs(plan, base.cluster, cm);
  double busy = 0, compute = 0;
  for (const auto& op : plan.programs[2].ops)
    if (op.kind == OpKind::Compute) busy += costs.block(op.block).total(), compute += costs.block(op.block).compute;
  const double extra = compute * (1 / 0.5 - 1), t = analytic(slow), delta = t - analytic(base);
  EXPECT_GE(t, busy + extra);
  EXPECT_LE(delta, extra * (8 + 4 - 1) / 8.0);
  EXPECT_GT(delta, 0.5 * extra);
}

TEST(Stragglers, CoupledReplicasShareTheSlowestClockButLooseOnesDoNot) {
  Strategy dense;
  dense.tp = 2, dense.dp = 4, dense.pp = 2;
  RankLayout l{dense, 8};
  ClusterSpec c;
  c.nodes = 2, c.gpus_per_node = 8;
  c.slow_gpus = {{3, 0.9}};  // rank 3: tp 1, dp 1, stage 0
  auto r = replica_clocks(l, c);
  ASSERT_EQ(r.size(), 2u);  // a healthy replica and replica 1
  EXPECT_EQ(r[0].dp, 0);
  EXPECT_EQ(r[0].stage_clock, (std::vector<double>{1.0, 1.0}));
  EXPECT_EQ(r[1].dp, 1);
  EXPECT_EQ(r[1].stage_clock, (std::vector<double>{0.9, 1.0}));
  const auto clocks = rank_group_clocks(l, c);
  EXPECT_EQ(clocks[2], 0.9);  // rank 2: the other half of GPU 3's TP group
  EXPECT_EQ(clocks[4], 1.0);
  l.strategy.zero = 3;  // ZeRO-3 gathers every layer across replicas: one merged replica
  r = replica_clocks(l, c);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].stage_clock, (std::vector<double>{0.9, 1.0}));
  EXPECT_EQ(rank_group_clocks(l, c)[4], 0.9);
}

TEST(Stragglers, DegradedNicSlowsOnlyTheCollectivesThatCrossNodesThroughIt) {
  // DP 4 across the 4 nodes (TP 8 inside): GPU 0's data-parallel ring leaves node 0 through NIC 0.
  const nlohmann::json s = {{"tp", 8}, {"pp", 1}, {"micro_batch", 1}, {"global_batch", 32}};
  const nlohmann::json nic0 = {{"degraded_links", {{{"node", 0}, {"nic", 0}, {"bandwidth_fraction", 0.25}}}}};
  const Scenario base = gpt(s), degraded = gpt(s, nic0);
  const Plan plan = build_plan(base.workload.model, base.strategy, 8);
  const ComputeModel cm(base.cluster.gpu, nullptr);
  const OpCosts healthy(plan, base.cluster, cm), slow(plan, degraded.cluster, cm);
  const double bytes = 1e9;
  const double h = healthy.collective_cost(CollectiveKind::AllReduce, bytes, GroupRole::DP).seconds;
  const double d = slow.collective_cost(CollectiveKind::AllReduce, bytes, GroupRole::DP).seconds;
  EXPECT_GT(d, 3.0 * h);  // the inter-node ring at a quarter of its rate
  EXPECT_LT(d, 4.2 * h);
  // The TP group stays inside node 0: its collectives keep their speed.
  EXPECT_DOUBLE_EQ(slow.collective_cost(CollectiveKind::AllReduce, bytes, GroupRole::TP).seconds,
                   healthy.collective_cost(CollectiveKind::AllReduce, bytes, GroupRole::TP).seconds);
}

TEST(Stragglers, BothEnginesAgreeAndExplainNamesTheCost) {
  const nlohmann::json s = {{"tp", 8}, {"pp", 2}, {"micro_batch", 1}, {"global_batch", 32}};
  nlohmann::json extra = slow_gpu(20, 0.85);
  extra["degraded_links"] = {{{"node", 1}, {"nic", 3}, {"bandwidth_fraction", 0.5}}};
  const Scenario base = gpt(s), slow = gpt(s, extra);
  const Plan plan = build_plan(slow.workload.model, slow.strategy, 8);
  const double a = analytic(slow), a0 = analytic(base);
  EXPECT_GT(a, 1.05 * a0);
  const auto sg = sgtest::in_child([&] {
    return std::vector<double>{simgrid_execute(slow, plan, {}).iteration_time,
                               simgrid_execute(base, plan, {}).iteration_time};
  });
  ASSERT_EQ(sg.size(), 2u);
  EXPECT_NEAR(sg[0], a, 0.05 * a);
  EXPECT_NEAR(sg[1], a0, 0.05 * a0);
  const Explanation e = explain(slow, predict(slow, "analytic"));
  EXPECT_EQ(e.slow_gpus, 1);
  EXPECT_EQ(e.degraded_nics, 1);
  EXPECT_NEAR(e.healthy_iteration_time_s, a0, 1e-9 * a0);
  EXPECT_NE(e.slowest_gpu.find("GPU 20 at 85% clock"), std::string::npos) << e.slowest_gpu;
  EXPECT_NE(e.weakest_nic.find("NIC 3 of node 1"), std::string::npos) << e.weakest_nic;
  const auto j = to_json(e);
  EXPECT_NEAR(j["stragglers"]["cost_s"].get<double>(), a - a0, 1e-9 * a);
}

}  // namespace
}  // namespace trainsim
