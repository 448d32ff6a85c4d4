// Every scenario shipped under scenarios/ loads and predicts with the analytic engine, and its
// throughput is consistent with its batch: shipped examples must never rot as models change.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "models/util/json_reader.hpp"
#include "sim/evaluate/predict.hpp"
#include "sim/scenario/scenario.hpp"

namespace trainsim {
namespace {

TEST(ShippedScenarios, EveryScenarioLoadsAndPredicts) {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(TRAINSIM_SOURCE_DIR) / "scenarios";
  int checked = 0;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file() || e.path().extension() != ".json") continue;
    const auto j = read_json_file(e.path().string());
    // Full scenarios only: parts (clusters/, workloads/, strategies/), sweeps and multi-job files differ.
    if (!j.is_object() || !j.contains("cluster") || !j.contains("workload") || !j.contains("strategy")) continue;
    SCOPED_TRACE(e.path().string());
    const Scenario sc = load_scenario(e.path().string());
    const Prediction p = predict(sc, "analytic");
    const auto& m = p.metrics;
    ASSERT_TRUE(std::isfinite(m.iteration_time_s));
    EXPECT_GT(m.iteration_time_s, 0.0);
    const double tokens = static_cast<double>(sc.strategy.global_batch) * sc.workload.model.seq_len;
    EXPECT_NEAR(m.tokens_per_s * m.iteration_time_s / tokens, 1.0, 1e-9);
    EXPECT_GT(m.mfu, 0.0);
    EXPECT_LT(m.mfu, 1.0);
    ++checked;
  }
  EXPECT_GE(checked, 38);  // 38 full scenarios shipped on 2026-11-25
}

}  // namespace
}  // namespace trainsim
