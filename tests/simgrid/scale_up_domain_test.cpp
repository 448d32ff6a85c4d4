// GB200 NVL72 domains in both engines (issue #20 item 1): tensor-parallel groups of 16 straddle
// racks of 72 GPUs under Megatron's rank order (the fifth group of a rack is 8 + 8 GPUs); a job
// using 64 of each rack's 72 GPUs keeps every group inside its rack. Both engines see the same.
#include <gtest/gtest.h>

#include "sim/evaluate/predict.hpp"
#include "sim/plan/planner.hpp"
#include "sim/simgrid/multi_job.hpp"
#include "sim/simgrid/simgrid_engine.hpp"
#include "tests/simgrid/sim_test_util.hpp"

namespace trainsim {
namespace {

nlohmann::json two_racks(int gpus_used) {
  nlohmann::json domain = {{"gpus", 72}};
  if (gpus_used > 0) domain["gpus_used"] = gpus_used;
  if (gpus_used < 0) domain["placement"] = "domain-aware";
  return {{"gpu", "GB200"},
          {"nodes", 36},
          {"gpus_per_node", 4},
          {"scale_up_domain", domain},
          {"nics_per_node", 4},
          {"nic_gbps", 400},
          {"fabric", {{"topology", "rail-optimized"}, {"levels", 2}, {"switch_radix", 64}}}};
}

/// GPT 18.4B (hidden 6144) with TP 16, 8 micro-batches per data-parallel rank.
Scenario tp16(int gpus_used, int dp) {
  return sgtest::scenario(two_racks(gpus_used), "workloads/gpt-sc21-18.4b.json",
                          {{"tp", 16}, {"pp", 1}, {"micro_batch", 1}, {"global_batch", 8 * dp}, {"zero", 1}});
}

TEST(ScaleUpDomainEngines, StraddlingTensorParallelGroupsCostInterRackTimeInBothEngines) {
  const Scenario straddling = tp16(0, 9);  // 144 GPUs: groups 64..79 of each rack pair cross
  const Scenario inside = tp16(64, 8);     // 128 GPUs: 4 groups of 16 per rack
  const Plan ps = build_plan(straddling.workload.model, straddling.strategy, straddling.cluster.used_per_node());
  const Plan pi = build_plan(inside.workload.model, inside.strategy, inside.cluster.used_per_node());
  const Trace as = engine_registry().at("analytic")(straddling, ps, {});
  const Trace ai = engine_registry().at("analytic")(inside, pi, {});
  // Same work per GPU (0.49 s vs 0.42 s, both engines); the straddling layout waits on eight
  // 400 Gb/s NICs per rack for a fifth of its groups' all-reduces, and the data-parallel
  // all-reduce makes every group wait for the slowest.
  EXPECT_GT(as.iteration_time, 1.1 * ai.iteration_time);
  const auto sg = sgtest::in_child([&] {
    return std::vector<double>{simgrid_execute(straddling, ps, {}).iteration_time,
                               simgrid_execute(inside, pi, {}).iteration_time};
  });
  ASSERT_EQ(sg.size(), 2u);
  EXPECT_NEAR(sg[0], as.iteration_time, 0.05 * as.iteration_time);
  EXPECT_NEAR(sg[1], ai.iteration_time, 0.05 * ai.iteration_time);
}

}  // namespace
TEST(ScaleUpDomainEngines, DomainAwarePlacementKeepsTheGroupsInsideARack) {
  // The policy picks 64 of 72 GPUs for TP 16 by itself: the same plan and time as stating it.
  const Scenario aware = tp16(-1, 8), stated = tp16(64, 8);
  EXPECT_EQ(aware.cluster.used_per_node(), 64);
  EXPECT_EQ(aware.strategy.dp, 8);
  EXPECT_DOUBLE_EQ(predict(aware, "analytic").metrics.iteration_time_s,
                   predict(stated, "analytic").metrics.iteration_time_s);
}

TEST(ScaleUpDomainEngines, JobsSharingNvl72RacksGetWholeRacks) {
  // Two 72-GPU jobs on two racks: each job's cluster is one rack of 18 trays, placed on its own.
  const nlohmann::json job = {{"workload", "workloads/gpt-sc21-1.7b.json"},
                              {"strategy", {{"tp", 8}, {"pp", 1}, {"micro_batch", 1}, {"global_batch", 72}}},
                              {"gpus", 72}};
  const nlohmann::json j = {{"cluster", two_racks(0)}, {"jobs", {job, job}}};
  const MultiJobSpec spec = parse_multi_job(j, "<test>", std::string(TRAINSIM_SOURCE_DIR) + "/scenarios");
  ASSERT_EQ(spec.jobs.size(), 2u);
  for (const auto& sc : spec.jobs) {
    EXPECT_EQ(sc.cluster.gpus(), 72);
    EXPECT_EQ(sc.cluster.nodes, 1);
    EXPECT_EQ(sc.cluster.trays_per_node, 18);
  }
  const auto placed = place_jobs(spec);
  ASSERT_EQ(placed.size(), 2u);
  EXPECT_EQ(placed[0].front() / 72, 0);
  EXPECT_EQ(placed[1].front() / 72, 1);
}

}  // namespace trainsim
