// Which stage holds the memory peak, and why (`trainsim run` prints it; issue #18).
#include <gtest/gtest.h>

#include "sim/evaluate/predict.hpp"
#include "sim/metrics/metrics.hpp"
#include "sim/plan/planner.hpp"

using namespace trainsim;

namespace {
Scenario gpt(int pp, int vp) {
  const nlohmann::json j = {
      {"cluster", {{"gpu", "H100-SXM5-80GB"}, {"nodes", pp}, {"gpus_per_node", 8}}},
      {"workload",
       {{"model", {{"layers", 16}, {"hidden", 4096}, {"heads", 32}, {"seq_len", 4096}, {"vocab", 51200}}},
        {"global_batch", 64}}},
      {"strategy",
       {{"tp", 8}, {"pp", pp}, {"vp", vp}, {"micro_batch", 1}, {"schedule", vp > 1 ? "interleaved-1f1b" : "1f1b"}}}};
  return parse_scenario(j, "test", ".");
}
MemoryReport peak(const Scenario& sc) {
  return memory_report(sc, build_plan(sc.workload.model, sc.strategy, sc.cluster.gpus_per_node));
}
}  // namespace

// 1F1B: the first stage holds pp micro-batches of activations (Narayanan et al. 2021, PipeDream-
// Flush) and the embedding; the report names both.
TEST(MemoryPeak, OneFOneBFirstStageHoldsPpMicroBatches) {
  const auto m = peak(gpt(4, 1));
  EXPECT_EQ(m.stage, 0);
  EXPECT_EQ(m.stages, 4);
  EXPECT_EQ(m.layers, 4);
  EXPECT_DOUBLE_EQ(m.in_flight, 4.0);
  EXPECT_NE(m.why.find("activations of 4 micro-batches in flight (1f1b: pp - stage)"), std::string::npos) << m.why;
  EXPECT_NE(m.why.find("the embedding"), std::string::npos) << m.why;
}

// Interleaved 1F1B: Megatron-LM's warm-up on the first stage, 2(pp - 1) + (vp - 1) pp + 1 chunks,
// is pp (1 + (pp - 1) / (pp vp)) micro-batches' worth of its layers (Korthikanti et al. 2022,
// Sec. 4.2.3: the interleaved schedule's extra activation memory): 5.5 at pp 4, vp 2.
TEST(MemoryPeak, InterleavedHoldsOnePlusOneOverVpMore) {
  const auto m = peak(gpt(4, 2));
  EXPECT_EQ(m.stage, 0);
  EXPECT_NEAR(m.in_flight, 4.0 * (1.0 + 3.0 / 8.0), 1e-9);
  EXPECT_NE(m.why.find("5.5 micro-batches"), std::string::npos) << m.why;
  const auto one = peak(gpt(4, 1));
  EXPECT_NEAR(m.parts.activations / one.parts.activations, 5.5 / 4.0, 0.02);
}
