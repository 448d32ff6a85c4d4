// Calibration profile: interpolation returns measured points exactly and interpolates between
// them in log space; least-squares fits recover known lines; JSON round trip.
#include <gtest/gtest.h>

#include <cmath>

#include "models/calibration/profile.hpp"
#include "models/util/errors.hpp"

using namespace trainsim;

TEST(CalibrationProfile, GemmInterpolationExactAtPointsAndBetween) {
  CalibrationProfile p;
  p.gemm = {{256, 256, 64, 1, Precision::BF16, 10e9}, {256, 256, 256, 1, Precision::BF16, 40e9}};
  EXPECT_DOUBLE_EQ(p.gemm_flops(256, 256, 64, 1, Precision::BF16), 10e9);
  EXPECT_DOUBLE_EQ(p.gemm_flops(256, 256, 256, 1, Precision::BF16), 40e9);
  // k = 128 lies half-way in log space: the geometric mean.
  EXPECT_NEAR(p.gemm_flops(256, 256, 128, 1, Precision::BF16), 20e9, 1e3);
  const double mid = p.gemm_flops(256, 256, 100, 1, Precision::BF16);
  EXPECT_GT(mid, 10e9);
  EXPECT_LT(mid, 40e9);
  EXPECT_LE(p.gemm_flops(256, 256, 128, 1, Precision::FP8), 0.0);  // no fp8 points: unknown
}

TEST(CalibrationProfile, AttentionAndMemory) {
  CalibrationProfile p;
  p.attention = {{128, 64, 4, Precision::BF16, 5e9}, {512, 64, 4, Precision::BF16, 20e9}};
  EXPECT_DOUBLE_EQ(p.attention_flops(512, 64, Precision::BF16), 20e9);
  EXPECT_NEAR(p.attention_flops(256, 64, Precision::BF16), 10e9, 1e3);
  // t = 1 us + bytes / 8 GB/s
  for (double b : {1e6, 4e6, 16e6, 64e6}) p.memory.push_back({b, 1e-6 + b / 8e9});
  EXPECT_NEAR(p.memory_bandwidth(), 8e9, 8e9 * 1e-6);
  EXPECT_NEAR(fit_linear_time(p.memory).intercept, 1e-6, 1e-9);
}

TEST(CalibrationProfile, AllReduceFitRecoversAlphaBeta) {
  const double alpha = 3e-6, beta = 5e9;
  const int g = 4;
  std::vector<CollectivePoint> pts;
  for (double b : {4e3, 64e3, 1e6, 8e6})
    pts.push_back({CollectiveKind::AllReduce, g, b, 2.0 * (g - 1) * alpha + 2.0 * (g - 1) / g * b / beta});
  auto l = fit_allreduce_link(pts, g);
  ASSERT_TRUE(l);
  EXPECT_NEAR(l->latency_s, alpha, alpha * 1e-6);
  EXPECT_NEAR(l->bandwidth, beta, beta * 1e-6);
}

TEST(CalibrationProfile, JsonRoundTrip) {
  CalibrationProfile p;
  p.device = "cpu";
  p.ranks = 4;
  p.overhead_s = 2e-6;
  p.gemm = {{128, 256, 512, 2, Precision::FP16, 1.5e10}};
  p.attention = {{128, 64, 4, Precision::BF16, 5e9}};
  p.memory = {{1e6, 1e-4}, {2e6, 2e-4}};
  p.collectives = {{CollectiveKind::AllReduce, 2, 1e6, 1e-3}};
  p.idle_w = 70;
  const auto q = CalibrationProfile::from_json(p.to_json(), "test");
  EXPECT_EQ(q.device, "cpu");
  EXPECT_EQ(q.ranks, 4);
  ASSERT_EQ(q.gemm.size(), 1u);
  EXPECT_EQ(q.gemm[0].batch, 2);
  EXPECT_EQ(q.gemm[0].precision, Precision::FP16);
  EXPECT_DOUBLE_EQ(q.gemm_flops(128, 256, 512, 2, Precision::FP16), 1.5e10);
  EXPECT_DOUBLE_EQ(q.kernel_overhead(), 2e-6);
  EXPECT_EQ(q.collectives.size(), 1u);
  EXPECT_DOUBLE_EQ(q.idle_w, 70);
  nlohmann::json bad = {{"format", "other"}};
  EXPECT_THROW(CalibrationProfile::from_json(bad, "x"), InputError);
}

#include <cstdio>
#include <fstream>

#include "sim/evaluate/predict.hpp"
#include "sim/scenario/scenario.hpp"

// A scenario's options.profile reaches the analytic engine (predict.cpp's loader): a profile that
// makes every product 10x slower than the datasheet model lengthens the predicted iteration.
TEST(CalibrationProfile, ScenarioOptionsProfileIsUsedByPredict) {
  const std::string file = std::string(TRAINSIM_BINARY_DIR) + "/test_hw_slow_profile.json";
  CalibrationProfile p;
  p.device = "cpu";
  for (std::int64_t s : {64, 256, 1024, 8192})
    p.gemm.push_back({s, s, s, 1, Precision::BF16, 0.016e12 * 0.081});  // a tenth of CPU-HOST's modelled rate
  std::ofstream(file) << p.to_json().dump();
  nlohmann::json j = {
      {"name", "profile hook"},
      {"cluster",
       {{"gpu", "CPU-HOST"},
        {"nodes", 1},
        {"gpus_per_node", 1},
        {"cost", {{"cloud", {{"on_demand_usd_per_gpu_hour", 0.085}}}}}}},
      {"workload",
       {{"model", {{"layers", 2}, {"hidden", 256}, {"heads", 4}, {"ffn", 1024}, {"vocab", 1024}, {"seq_len", 128}}},
        {"global_batch", 2}}},
      {"strategy", {{"tp", 1}, {"pp", 1}, {"micro_batch", 1}}}};
  const Scenario plain = parse_scenario(j, "<test>", ".");
  j["options"] = {{"profile", file}};
  const Scenario calibrated = parse_scenario(j, "<test>", ".");
  const double t0 = predict(plain).trace.iteration_time;
  const double t1 = predict(calibrated).trace.iteration_time;
  EXPECT_GT(t1, 2.0 * t0);
  std::remove(file.c_str());
}
