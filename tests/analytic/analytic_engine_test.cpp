// The analytic engine's critical path against pipeline-schedule closed forms.
#include <gtest/gtest.h>

#include "../plan/test_support.hpp"
#include "sim/analytic/op_costs.hpp"
#include "sim/analytic/predict.hpp"
#include "sim/plan/pipeline_schedule.hpp"
#include "sim/report/report.hpp"

using namespace trainsim;
using trainsim::testing::make_scenario;

namespace {
// A cluster whose links are so fast that communication vanishes: only the schedule remains.
nlohmann::json fast_cluster() {
  return {{"gpu", "A100-SXM4-80GB"}, {"nodes", 4}, {"gpus_per_node", 2}, {"nics_per_node", 2}, {"nic_gbps", 1e5},
          {"intra_node", {{"kind", "nvswitch"}, {"bandwidth_gbytes_per_s", 1e5}, {"latency_us", 0}, {"half_bandwidth_mb", 0}}},
          {"fabric", {{"hop_latency_us", 0}, {"half_bandwidth_mb", 0}}}};
}
}  // namespace

TEST(AnalyticEngine, OneFOneBMatchesClosedForm) {
  // p = 8 stages, m = 32 micro-batches, uniform middle stages: T ~ (m + p - 1) * (t_f + t_b).
  // A small vocabulary keeps the first and last stages (embedding, logits) like the others.
  auto model = trainsim::testing::small_gpt(32, 1024, 16);
  model["vocab"] = 128;
  auto sc = make_scenario({{"tp", 1}, {"pp", 8}, {"micro_batch", 1}}, fast_cluster(), model, 32);
  auto p = predict(sc);
  ComputeModel cm(sc.cluster.gpu);
  OpCosts costs(p.plan, sc.cluster, cm);
  // Stage 3's blocks (no embedding, no head).
  double tf = 0, tb = 0;
  for (const auto& b : p.plan.blocks)
    if (b.virtual_stage == 3) (b.phase == Phase::Forward ? tf : tb) += costs.block(&b - p.plan.blocks.data()).total();
  const double closed = (32 + 8 - 1) * (tf + tb);
  EXPECT_NEAR(p.metrics.iteration_time_s, closed, 0.06 * closed);
  // The bubble is (p-1)/m of the ideal time.
  EXPECT_NEAR(p.metrics.breakdown.pipeline_bubble / (32 * (tf + tb)), bubble_fraction(8, 32, 1), 0.06);
}

TEST(AnalyticEngine, InterleavingShrinksTheBubble) {
  // Bubble relative to the stage's compute: (p-1)/m for 1F1B, (p-1)/(v*m) interleaved (SC'21 Sec. 2.2).
  auto model = trainsim::testing::small_gpt(32, 1024, 16);
  model["vocab"] = 128;
  auto base = predict(make_scenario({{"tp", 1}, {"pp", 4}, {"micro_batch", 1}}, fast_cluster(), model, 32));
  auto inter = predict(make_scenario({{"tp", 1}, {"pp", 4}, {"vp", 4}, {"micro_batch", 1}}, fast_cluster(), model, 32));
  auto frac = [](const Metrics& m) {
    return m.breakdown.pipeline_bubble / (m.breakdown.forward + m.breakdown.backward);
  };
  EXPECT_NEAR(frac(base.metrics), 3.0 / 16, 0.015);
  EXPECT_NEAR(frac(inter.metrics), 3.0 / 64, 0.015);
  EXPECT_LT(inter.metrics.iteration_time_s, base.metrics.iteration_time_s);
}

TEST(AnalyticEngine, GradientOverlapHidesDataParallelTime) {
  auto slow = trainsim::testing::small_cluster(4, 8);
  slow["nic_gbps"] = 10;  // make the gradient all-reduce expensive
  auto a = predict(make_scenario({{"tp", 8}, {"pp", 1}, {"micro_batch", 1}}, slow, trainsim::testing::small_gpt(), 32));
  auto b = predict(make_scenario({{"tp", 8}, {"pp", 1}, {"micro_batch", 1}, {"overlap_grad_reduce", true}}, slow,
                                 trainsim::testing::small_gpt(), 32));
  EXPECT_GT(a.metrics.breakdown.dp_comm_exposed, 0.01);
  // With one chunk and no pipeline, the reduction starts after the last backward: nothing to hide
  // behind, so overlap cannot help more than the reduction itself.
  EXPECT_LE(b.metrics.iteration_time_s, a.metrics.iteration_time_s * 1.0001);
  // Breakdown parts add up to the iteration time.
  const auto& d = a.metrics.breakdown;
  EXPECT_NEAR(d.forward + d.backward + d.recompute + d.tp_comm_exposed + d.pipeline_bubble + d.dp_comm_exposed + d.optimizer,
              a.metrics.iteration_time_s, 1e-9 + 1e-6 * a.metrics.iteration_time_s);
}

TEST(AnalyticEngine, DefaultScenarioNearPublished) {
  // Megatron-LM README: GPT-3 175B on 1,024 A100, about 32 s per iteration (138 TFLOP/s per GPU).
  // The target is 10%; the datasheet models are at -10.3% (docs/validation.md). This guard
  // keeps them from drifting further.
  const auto sc = load_scenario(std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/default.json");
  const auto p = predict(sc);
  EXPECT_NEAR(p.metrics.iteration_time_s, 32.0, 32.0 * 0.12);
  EXPECT_TRUE(p.metrics.memory.fits);
  // Same input, same output.
  EXPECT_EQ(to_json(predict(sc).metrics).dump(), to_json(p.metrics).dump());
}
