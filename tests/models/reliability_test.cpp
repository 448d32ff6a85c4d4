// Failures and goodput: Young (1974), Daly (2006), first-order goodput, Llama 3 derived rates
// and seeded failure injection, all hand-worked.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "models/reliability/checkpoint_interval.hpp"
#include "models/reliability/failure_injection.hpp"
#include "models/reliability/failure_model.hpp"
#include "models/util/errors.hpp"

using namespace trainsim;
using ::testing::HasSubstr;

// Young: sqrt(2 x 60 s x 86,400 s) = sqrt(10,368,000) = 3219.94 s.
TEST(Interval, Young) { EXPECT_NEAR(young_interval_s(60, 86400), 3219.938, 1e-3); }

// Daly eq. (37): x = 60 / 172,800 = 3.4722e-4; sqrt(x) = 0.0186339;
// 3219.938 x (1 + 0.0062113 + 0.0000386) - 60 = 3180.062 s.
TEST(Interval, Daly) {
  EXPECT_NEAR(daly_interval_s(60, 86400), 3180.062, 1e-3);
  // delta >= 2M: Daly sets tau = M.
  EXPECT_NEAR(daly_interval_s(500, 200), 200.0, 1e-12);
}

// tau 3600, delta 60, R 600, M 86,400: 3600/3660 x (1 - (600 + 1830)/86,400) = 0.9559426.
TEST(Goodput, FirstOrder) {
  EXPECT_NEAR(goodput_first_order(3600, 60, 600, 86400), 0.9559426, 1e-7);
  EXPECT_NEAR(goodput_first_order(3600, 60, 600, INFINITY), 3600.0 / 3660.0, 1e-12);
  EXPECT_NEAR(goodput_first_order(3600, 60, 600, 1000), 0.0, 1e-12);  // clamped
}

// Daly eq. (20) for 30 days of work: 86,400 e^{600/86400} (e^{3660/86400} - 1) x 720 = 2,710,570 s.
TEST(Goodput, DalyWallTime) {
  EXPECT_NEAR(expected_wall_time_s(2592000, 3600, 60, 600, 86400), 2710569.74, 0.5);
  TimeToTrain t = time_to_train(2592000, 60, 600, 86400, 3600);
  EXPECT_NEAR(t.goodput, 2592000.0 / 2710569.74, 1e-6);
  EXPECT_NEAR(t.expected_failures, 2710569.74 / 86400, 1e-4);
}

// At Daly's interval the wall time is minimal: it beats half and double the interval.
TEST(Goodput, DalyIntervalIsNearOptimal) {
  TimeToTrain opt = time_to_train(2592000, 60, 600, 86400);
  EXPECT_NEAR(opt.interval_s, 3180.062, 1e-3);
  EXPECT_LT(opt.wall_s, expected_wall_time_s(2592000, 1590, 60, 600, 86400));
  EXPECT_LT(opt.wall_s, expected_wall_time_s(2592000, 6360, 60, 600, 86400));
  EXPECT_GT(opt.goodput, 0.955);
  EXPECT_LT(opt.goodput, 0.96);
}

// Llama 3 (Dubey et al. 2024, Sec. 3.3.4): 419 unexpected interruptions in 54 days on 16,384 H100
// (2,048 nodes, 16,384 NIC links): job MTBF 1296 h / 419 = 3.0931 h.
TEST(Failures, LlamaRatesReproduceMtbf) {
  FailureRates f = default_failure_rates();
  EXPECT_NEAR(f.per_gpu_hour, 246.0 / (16384 * 1296.0), 1e-12);
  EXPECT_NEAR(job_mtbf_s(f, 16384, 2048, 16384) / 3600, 3.0931, 1e-3);
  // 1,024 GPUs (128 nodes): 16x fewer parts -> 16x the MTBF, 49.49 h.
  EXPECT_NEAR(job_mtbf_s(f, 1024, 128, 1024) / 3600, 49.489, 1e-2);
  EXPECT_TRUE(std::isinf(job_mtbf_s(FailureRates{}, 8, 1, 8)));
}

TEST(Failures, JsonOverridesAndErrors) {
  nlohmann::json j = nlohmann::json::parse(R"({"gpu_failures_per_hour": 1e-5, "restart_s": 300})");
  FailureRates f = parse_reliability(JsonReader(j, "<inline>", "$.cluster.reliability"));
  EXPECT_NEAR(f.per_gpu_hour, 1e-5, 1e-18);
  EXPECT_NEAR(f.restart_s, 300, 1e-12);
  EXPECT_NEAR(f.per_node_hour, 131.0 / (2048 * 1296.0), 1e-12);
  nlohmann::json bad = nlohmann::json::parse(R"({"restart_s": -1})");
  try {
    parse_reliability(JsonReader(bad, "<inline>", "$.cluster.reliability"));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("$.cluster.reliability.restart_s"));
    EXPECT_THAT(e.what(), HasSubstr("number -1"));
  }
}

// std::mt19937_64 with seed 5489 first yields 14514284786278117030 (C++ standard default-seed
// sequence); u = (x >> 11) / 2^53 = 0.78682095; -ln(1 - u) / 1e-3 = 1545.6229 s.
TEST(Injection, DeterministicFirstArrival) {
  auto t = exponential_arrivals(1e-3, 1e4, 5489);
  ASSERT_FALSE(t.empty());
  EXPECT_NEAR(t[0], 1545.6229, 1e-3);
  EXPECT_EQ(t, exponential_arrivals(1e-3, 1e4, 5489));
  EXPECT_NE(t, exponential_arrivals(1e-3, 1e4, 5490));
}

// Poisson count over 1e6 s at 1e-3/s: mean 1000, sd 31.6; +-5 sd.
TEST(Injection, CountAndOrdering) {
  auto t = exponential_arrivals(1e-3, 1e6, 42);
  EXPECT_GT(t.size(), 842u);
  EXPECT_LT(t.size(), 1158u);
  for (size_t i = 1; i < t.size(); ++i) ASSERT_LT(t[i - 1], t[i]);
  EXPECT_LT(t.back(), 1e6);
  EXPECT_TRUE(exponential_arrivals(0, 1e6, 1).empty());
  EXPECT_THROW(exponential_arrivals(1.0, 1e8, 1), InputError);
}

// Kinds follow the rate shares: GPU 246/419 = 58.7 % of the Llama-scale events.
TEST(Injection, KindsFollowRates) {
  FailureRates f = default_failure_rates();
  // 1e4 h horizon at 16,384 GPUs: ~3,233 events; GPU share 0.587 +- 0.05.
  auto ev = inject_failures(f, 16384, 2048, 16384, 1e4 * 3600, 7);
  ASSERT_GT(ev.size(), 3000u);
  int gpu = 0, node = 0, link = 0;
  for (const auto& e : ev) {
    if (e.kind == FailureKind::Gpu) {
      ++gpu;
      EXPECT_LT(e.index, 16384);
    }
    if (e.kind == FailureKind::Node) {
      ++node;
      EXPECT_LT(e.index, 2048);
    }
    if (e.kind == FailureKind::Link) ++link;
    EXPECT_GE(e.index, 0);
  }
  EXPECT_NEAR(static_cast<double>(gpu) / ev.size(), 246.0 / 419, 0.05);
  EXPECT_NEAR(static_cast<double>(node) / ev.size(), 131.0 / 419, 0.05);
  EXPECT_NEAR(static_cast<double>(link) / ev.size(), 42.0 / 419, 0.03);
  // Same seed, same failures; times equal to the bare arrival stream.
  auto again = inject_failures(f, 16384, 2048, 16384, 1e4 * 3600, 7);
  ASSERT_EQ(again.size(), ev.size());
  EXPECT_EQ(again[10].time_s, ev[10].time_s);
  EXPECT_EQ(again[10].index, ev[10].index);
  auto bare = exponential_arrivals(job_failure_rate_per_s(f, 16384, 2048, 16384), 1e4 * 3600, 7);
  EXPECT_EQ(bare.size(), ev.size());
}
