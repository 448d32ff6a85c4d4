// Expert all-to-alls on the fabric in the SimGrid engine (sim/cost/inline_fabric.hpp): an MoE
// layer's dispatch and combine, when the expert-parallel group spans nodes, run as flows between
// the nodes instead of the closed form's oversubscription formula. Checked against the analytic
// engine on a non-blocking fabric, and against a bound computed by hand on 4:1 leaf uplinks.
#include <gtest/gtest.h>

#include <cstdio>

#include "sim/evaluate/predict.hpp"
#include "sim/plan/planner.hpp"
#include "sim/simgrid/link_report.hpp"
#include "sim/simgrid/simgrid_engine.hpp"
#include "tests/simgrid/sim_test_util.hpp"

namespace trainsim {
namespace {

/// Qwen3-30B-A3B (128 experts, top-8), EP 32 over 4 DGX H100 nodes, each node alone under its
/// leaf switch (radix 16: 8 NICs down, 8 up); `oversub` on the leaf uplinks. Gradient
/// reductions after the backward pass, so that only the all-to-alls share the uplinks while the
/// layers run.
Scenario ep_scenario(double oversub) {
  return sgtest::scenario(sgtest::dgx_cluster(4, 16, oversub), "workloads/qwen3-30b-a3b.json",
                          {{"tp", 1},
                           {"pp", 1},
                           {"ep", 32},
                           {"micro_batch", 1},
                           {"global_batch", 64},
                           {"recompute", "none"},
                           {"moe_dispatcher", "alltoall"},
                           {"overlap_grad_reduce", false}});
}

struct SimRun {
  double iteration = 0, compute_rank0 = 0, leaf_spine_bytes = 0, leaf_spine_peak = 0;
};

SimRun simulate(const Scenario& sc, const Plan& plan) {
  LinkStatsObserver links;
  const Trace t = simgrid_execute(sc, plan, {&links});
  SimRun r;
  r.iteration = t.iteration_time;
  for (const auto& e : t.events)
    if (e.rank == 0 && e.stream == Stream::Compute) r.compute_rank0 += e.end - e.start;
  for (const auto& c : links.stats.classes)
    if (c.cls == "leaf-spine") {
      r.leaf_spine_bytes = c.bytes;
      r.leaf_spine_peak = c.peak_util;
    }
  return r;
}

double analytic(const Scenario& sc, const Plan& plan) {
  return engine_registry().at("analytic")(sc, plan, {}).iteration_time;
}

TEST(SimgridExpertAllToAll, AgreesWithTheAnalyticEngineOnANonBlockingFabric) {
  const Scenario sc = ep_scenario(1.0);
  const Plan plan = build_plan(sc.workload.model, sc.strategy, sc.cluster.gpus_per_node);
  const SimRun s = simulate(sc, plan);
  const double a = analytic(sc, plan);
  std::printf("non-blocking: simgrid %.6f s, analytic %.6f s; leaf-spine %.4g B\n", s.iteration, a, s.leaf_spine_bytes);
  EXPECT_NEAR(s.iteration, a, 0.03 * a);
}

TEST(SimgridExpertAllToAll, OversubscribedUplinksSlowTheAllToAllsToTheHandComputedBound) {
  const Scenario flat = ep_scenario(1.0), over = ep_scenario(4.0);
  const Plan plan = build_plan(flat.workload.model, flat.strategy, flat.cluster.gpus_per_node);
  const SimRun s1 = simulate(flat, plan), s4 = simulate(over, plan);

  // By hand: a dispatch or combine moves T x top_k x hidden x 2 bytes per rank (4,096 tokens, top
  // 8, hidden 2048, bf16); 24 of the 32 ranks are on other nodes, so 3/4 of it leaves through the
  // rank's NIC. Four per MoE layer and micro-batch (forward dispatch and combine, their backward),
  // 48 layers, 2 micro-batches.
  const double S = 4096.0 * 8 * 2048 * 2;
  const double nic_bytes = 48 * 2 * 4 * 0.75 * S;
  // Uncontended, at the NIC's rate (400 Gb/s x the fabric's efficiency) on the n_1/2 curve of the
  // 134 MB buffer; on 4:1 uplinks the 8 NICs of a leaf share 2 NICs' worth of uplink, and all of
  // their all-to-all traffic leaves the leaf: 4 times as long, 3 flow-times more.
  const auto& fab = flat.cluster.fabric;
  const double flow_s = nic_bytes * (S + fab.half_bw_bytes) / S / (flat.cluster.nic_bw * fab.efficiency);
  const double extra = s4.compute_rank0 - s1.compute_rank0;
  std::printf("all-to-all NIC time %.4f s; compute ops of rank 0: 1:1 %.4f s, 4:1 %.4f s (+%.4f s, bound %.4f s)\n",
              flow_s, s1.compute_rank0, s4.compute_rank0, extra, 3 * flow_s);
  EXPECT_NEAR(extra, 3 * flow_s, 0.05 * 3 * flow_s);

  // The link report carries them: every rank's all-to-all bytes cross the leaf uplinks (and down
  // again on the far side: each byte counted on two leaf-spine bundles), the uplinks saturate.
  const double a2a_uplink_bytes = 2 * 32 * nic_bytes;
  std::printf("leaf-spine bytes %.4g (all-to-all %.4g), peak %.1f%%\n", s4.leaf_spine_bytes, a2a_uplink_bytes,
              100 * s4.leaf_spine_peak);
  EXPECT_GE(s4.leaf_spine_bytes, a2a_uplink_bytes);
  EXPECT_LE(s4.leaf_spine_bytes, 1.10 * a2a_uplink_bytes);  // the rest: the gradient sync (~6%)
  EXPECT_GT(s4.leaf_spine_peak, 0.99);

  // The analytic engine's closed form (uplink_slowdown: o (m - k) / (m - 1) = 4 with one node per
  // leaf) agrees with the simulated links.
  const double a4 = analytic(over, plan);
  EXPECT_NEAR(s4.iteration, a4, 0.03 * a4);
  EXPECT_GT(s4.iteration, s1.iteration + 2.5 * flow_s);
}

// Above SimOptions::inline_flow_budget (a 2,048-GPU EP 64 job: 1.25e7 flows per iteration) the
// all-to-alls fall back to the closed form: the analytic engine's time, no all-to-all bytes on the
// links.
TEST(SimgridExpertAllToAll, FallsBackToTheClosedFormAboveTheFlowBudget) {
  const Scenario over = ep_scenario(4.0);
  const Plan plan = build_plan(over.workload.model, over.strategy, over.cluster.gpus_per_node);
  default_sim_options().inline_flow_budget = 0;
  const SimRun s = simulate(over, plan);
  default_sim_options() = SimOptions{};
  const double a2a_uplink_bytes = 2 * 32 * 48 * 2 * 4 * 0.75 * (4096.0 * 8 * 2048 * 2);
  EXPECT_LT(s.leaf_spine_bytes, 0.1 * a2a_uplink_bytes);
  EXPECT_NEAR(s.iteration, analytic(over, plan), 0.01 * s.iteration);
}

}  // namespace
}  // namespace trainsim
