// The closed-form scorer against the full analytic engine (plan + replay) on strategies that
// exercise each of its rules: pipeline depth and interleaving, micro-batch size, recompute,
// ZeRO-1 and ZeRO-3, overlapped gradient reduction, and a multi-node tensor-parallel group.
#include <gtest/gtest.h>

#include <cmath>

#include "sim/evaluate/predict.hpp"
#include "sim/scorer/strategy_scorer.hpp"
#include "tests/common/test_support.hpp"

using namespace trainsim;

namespace {

Scenario default_scenario() { return load_scenario(std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/default.json"); }

struct Case {
  int tp, pp, vp;
  std::int64_t mb;
  int zero;
  Recompute rec;
  bool overlap_grad;
  bool overlap_param = false;
};

}  // namespace

class ScorerAgreement : public ::testing::TestWithParam<Case> {};

TEST_P(ScorerAgreement, IterationTimeCloseToTheAnalyticEngine) {
  const Case c = GetParam();
  Scenario sc = default_scenario();
  sc.strategy.tp = c.tp;
  sc.strategy.pp = c.pp;
  sc.strategy.vp = c.vp;
  sc.strategy.schedule = c.vp > 1 ? ScheduleKind::Interleaved1F1B : ScheduleKind::OneFOneB;
  sc.strategy.micro_batch = c.mb;
  sc.strategy.zero = c.zero;
  sc.strategy.recompute = c.rec;
  sc.strategy.overlap_grad_reduce = c.overlap_grad;
  sc.strategy.overlap_param_gather = c.overlap_param;
  sc.strategy.dp = 0;
  resolve_strategy(sc.strategy, sc.workload.model, sc.workload.global_batch, sc.cluster.gpus(), "test");
  const Prediction full = predict(sc);
  const StrategyScorer scorer(sc);
  const FastScore fast = scorer.score(sc.strategy);
  const double T = full.metrics.iteration_time_s;
  const double tol = 0.01;
  EXPECT_NEAR(fast.iteration_time_s / T, 1.0, tol)
      << describe_strategy(sc.strategy) << ": fast " << fast.iteration_time_s << " s, engine " << T << " s";
  EXPECT_NEAR(fast.model_tflops_per_gpu / full.metrics.model_tflops_per_gpu, 1.0, tol);
  EXPECT_NEAR(fast.hardware_tflops_per_gpu / full.metrics.hardware_tflops_per_gpu, 1.0, tol);
  // Same memory model and inputs: identical.
  EXPECT_NEAR(fast.memory.parts.total(), full.metrics.memory.parts.total(), 1.0);
  EXPECT_EQ(fast.memory.fits, full.metrics.memory.fits);
}

INSTANTIATE_TEST_SUITE_P(
    Gpt3On1024A100, ScorerAgreement,
    ::testing::Values(Case{8, 16, 1, 1, 0, Recompute::Full, false},           // the published configuration
                      Case{8, 8, 1, 1, 0, Recompute::Full, false},            // shallower pipeline, DP 16
                      Case{4, 16, 1, 2, 0, Recompute::Full, false},           // TP 4, larger micro-batch
                      Case{8, 16, 3, 1, 0, Recompute::Full, false},           // interleaved, 2 layers per chunk
                      Case{8, 16, 1, 1, 1, Recompute::Selective, false},      // distributed optimizer
                      Case{8, 16, 2, 1, 1, Recompute::Full, true},            // overlapped reduce-scatter
                      Case{8, 16, 1, 1, 0, Recompute::Full, true},            // bucketed all-reduce, one chunk
                      Case{8, 8, 1, 1, 1, Recompute::Selective, true, true},  // + weights gathered in the forward
                      Case{16, 8, 1, 1, 0, Recompute::Full, false},           // TP across two nodes
                      Case{8, 4, 1, 1, 3, Recompute::Full, false}),           // ZeRO-3 / FSDP per layer
    [](const ::testing::TestParamInfo<Case>& i) {
      const Case& c = i.param;
      return "tp" + std::to_string(c.tp) + "_pp" + std::to_string(c.pp) + "_vp" + std::to_string(c.vp) + "_mb" +
             std::to_string(c.mb) + "_zero" + std::to_string(c.zero) + "_rec" +
             std::to_string(static_cast<int>(c.rec)) + (c.overlap_grad ? "_overlap" : "") +
             (c.overlap_param ? "_paramgather" : "");
    });

TEST(StrategyScorer, HybridShardingAgreesWithTheAnalyticEngine) {
  // FSDP HYBRID_SHARD over each node (shard_group 8) and ZeRO-1 sharded per node, GPT-3 on 1,024 A100.
  for (int zero : {1, 3}) {
    Scenario sc = default_scenario();
    sc.strategy.tp = 8;
    sc.strategy.pp = zero == 3 ? 4 : 16;
    sc.strategy.zero = zero;
    sc.strategy.shard_group = zero == 3 ? 4 : 2;
    sc.strategy.dp = 0;
    resolve_strategy(sc.strategy, sc.workload.model, sc.workload.global_batch, sc.cluster.gpus(), "test");
    ASSERT_TRUE(sc.strategy.hybrid_sharding());
    const Prediction full = predict(sc);
    const FastScore fast = StrategyScorer(sc).score(sc.strategy);
    EXPECT_NEAR(fast.iteration_time_s / full.metrics.iteration_time_s, 1.0, 0.01) << describe_strategy(sc.strategy);
    EXPECT_NEAR(fast.memory.parts.total(), full.metrics.memory.parts.total(), 1.0);
  }
}

TEST(StrategyScorer, FsdpFullPrecisionParametersAgreeWithTheAnalyticEngine) {
  // FSDP with fp32 parameters under autocast: 4-byte gathers and the per-use casts, in both.
  Scenario sc = default_scenario();
  sc.strategy.tp = 8;
  sc.strategy.pp = 4;
  sc.strategy.zero = 3;
  sc.strategy.fsdp_param_dtype = Precision::FP32;
  sc.strategy.grad_reduce_dtype = Precision::BF16;
  sc.strategy.dp = 0;
  resolve_strategy(sc.strategy, sc.workload.model, sc.workload.global_batch, sc.cluster.gpus(), "test");
  const Prediction full = predict(sc);
  const FastScore fast = StrategyScorer(sc).score(sc.strategy);
  EXPECT_NEAR(fast.iteration_time_s / full.metrics.iteration_time_s, 1.0, 0.01) << describe_strategy(sc.strategy);
  // And the casts cost something: slower than the same run with bf16 parameters.
  Scenario pure = sc;
  pure.strategy.fsdp_param_dtype.reset();
  EXPECT_GT(full.metrics.iteration_time_s, predict(pure).metrics.iteration_time_s);
}

TEST(StrategyScorer, SmContentionOfOverlappedCollectivesAgreesWithTheAnalyticEngine) {
  // FSDP over 2 DGX-H100 nodes: the gathers and reduce-scatters beside the compute take SMs from
  // it (sim/cost/sm_contention.hpp); the closed form charges the same overlaps.
  auto fsdp = [](int nccl_sms) {
    nlohmann::json cluster = {{"gpu", "H100-SXM5-80GB"}, {"nodes", 2},      {"gpus_per_node", 8},
                              {"nics_per_node", 8},      {"nic_gbps", 400}, {"nccl_sms", nccl_sms}};
    return trainsim::testing::make_scenario({{"tp", 1}, {"pp", 1}, {"dp", 16}, {"zero", 3}, {"micro_batch", 2}},
                                            cluster, trainsim::testing::small_gpt(16, 4096, 32), 32);
  };
  for (int sms : {-1, 16}) {
    const Scenario sc = fsdp(sms);
    const double engine = predict(sc).metrics.iteration_time_s;
    const double fast = StrategyScorer(sc).score(sc.strategy).iteration_time_s;
    EXPECT_NEAR(fast / engine, 1.0, 0.01) << "nccl_sms " << sms;
  }
  const Scenario held = fsdp(-1), free = fsdp(0);
  EXPECT_GT(StrategyScorer(held).score(held.strategy).iteration_time_s,
            1.01 * StrategyScorer(free).score(free.strategy).iteration_time_s);
}

TEST(StrategyScorer, BubbleOfUniformStagesIsTheOneF1BFormula) {
  // Uniform stages without a pipeline split of embedding/head costs: bubble = (p − 1) · t_stage.
  Scenario sc = default_scenario();
  const StrategyScorer scorer(sc);
  const FastScore f = scorer.score(sc.strategy);
  const double m = static_cast<double>(sc.strategy.micro_batches());
  // t_max · m + bubble = T_pipe; the bubble is between (p−1)/(m+p−1) of T_pipe ± the stage imbalance.
  const double frac = f.pipeline_bubble_s / (f.iteration_time_s - f.dp_exposed_s - f.optimizer_s);
  const double formula = (16.0 - 1) / (m + 16 - 1);
  EXPECT_NEAR(frac, formula, 0.01) << "bubble " << f.pipeline_bubble_s;
}

TEST(StrategyScorer, OptimizerOffloadAgreesWithTheAnalyticEngine) {
  // ZeRO-Offload on GPT-3 175B / 1,024 A100: D2H gradients, CPU Adam on the DGX A100 host, H2D
  // weights, with the distributed optimizer (small shard) and without ZeRO (whole stage on the host).
  for (int zero : {0, 1}) {
    Scenario sc = default_scenario();
    sc.strategy.tp = 8;
    sc.strategy.pp = 16;
    sc.strategy.zero = zero;
    sc.strategy.dp = 0;
    resolve_strategy(sc.strategy, sc.workload.model, sc.workload.global_batch, sc.cluster.gpus(), "test");
    const Prediction gpu = predict(sc);
    const FastScore fast_gpu = StrategyScorer(sc).score(sc.strategy);
    sc.strategy.optimizer_offload = true;
    const Prediction host = predict(sc);
    const FastScore fast_host = StrategyScorer(sc).score(sc.strategy);
    const double T = host.metrics.iteration_time_s;
    EXPECT_NEAR(fast_host.iteration_time_s / T, 1.0, 0.01) << "zero " << zero;
    // The time the offload adds, closed form against the engine.
    const double added = T - gpu.metrics.iteration_time_s,
                 fast_added = fast_host.iteration_time_s - fast_gpu.iteration_time_s;
    EXPECT_GT(added, 0.0);
    EXPECT_NEAR(fast_added / added, 1.0, 0.01)
        << "zero " << zero << ": fast +" << fast_added << " s, engine +" << added << " s";
    EXPECT_NEAR(fast_host.memory.parts.total(), host.metrics.memory.parts.total(), 1.0);
    // The same host-side activity: CPU Adam leaves the GPUs idle in both.
    const auto& a = host.metrics.energy_cost.energy.activity;
    EXPECT_NEAR(fast_host.activity.idle_s / a.idle_s, 1.0, 0.10) << "zero " << zero;
  }
}

TEST(StrategyScorer, DeepSpeed03Zero3AgreesWithTheAnalyticEngine) {
  // DeepSpeed 0.3.x stage 3 (module-by-module gathers for forward, recomputation and backward,
  // all-reduced gradients on the same stream, its software path's rates) on 2 DGX A100 nodes, at
  // a small and a large micro-batch (gathers exposed, then mostly hidden by the compute).
  for (int mb : {1, 4}) {
    nlohmann::json cluster = {
        {"gpu", "A100-SXM4-80GB"}, {"nodes", 2}, {"gpus_per_node", 8}, {"nics_per_node", 8}, {"nic_gbps", 200}};
    const Scenario sc = trainsim::testing::make_scenario({{"tp", 1},
                                                          {"pp", 1},
                                                          {"dp", 16},
                                                          {"zero", 3},
                                                          {"zero_runtime", "deepspeed-0.3"},
                                                          {"micro_batch", mb},
                                                          {"recompute", "full"},
                                                          {"precision", "fp16"}},
                                                         cluster, trainsim::testing::small_gpt(16, 4096, 32), 16 * mb);
    const double engine = predict(sc).metrics.iteration_time_s;
    const double fast = StrategyScorer(sc).score(sc.strategy).iteration_time_s;
    EXPECT_NEAR(fast / engine, 1.0, 0.01)
        << "micro-batch " << mb << ": scorer " << fast << " s, engine " << engine << " s";
  }
}
