// Analytic engine speed: one prediction of the default scenario (GPT-3 175B, 1,024 A100,
// 192 micro-batches x 16 stages), and plan building alone.
// Run: ./build/bench/bench_analytic
#include <benchmark/benchmark.h>

#include "sim/evaluate/predict.hpp"

using namespace trainsim;

namespace {
const Scenario& default_scenario() {
  static const Scenario sc = load_scenario(std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/default.json");
  return sc;
}
}  // namespace

static void BM_PredictDefaultScenario(benchmark::State& state) {
  const auto& sc = default_scenario();
  for (auto _ : state) benchmark::DoNotOptimize(predict(sc).metrics.iteration_time_s);
}
BENCHMARK(BM_PredictDefaultScenario)->Unit(benchmark::kMillisecond);

static void BM_BuildPlanDefaultScenario(benchmark::State& state) {
  const auto& sc = default_scenario();
  for (auto _ : state)
    benchmark::DoNotOptimize(build_plan(sc.workload.model, sc.strategy, sc.cluster.gpus_per_node).blocks.size());
}
BENCHMARK(BM_BuildPlanDefaultScenario)->Unit(benchmark::kMillisecond);

// Scoring many strategies for one model and cluster (the inner loop of a strategy search):
// micro-batch x pipeline size x tensor size over 1,024 GPUs.
static void BM_ScoreStrategies(benchmark::State& state) {
  const auto& base = default_scenario();
  std::int64_t scored = 0;
  for (auto _ : state) {
    for (int tp : {4, 8})
      for (int pp : {8, 16, 32}) {
        Scenario sc = base;
        sc.strategy.tp = tp;
        sc.strategy.pp = pp;
        sc.strategy.dp = 0;
        resolve_strategy(sc.strategy, sc.workload.model, sc.workload.global_batch, sc.cluster.gpus(), "bench");
        benchmark::DoNotOptimize(predict(sc).metrics.iteration_time_s);
        ++scored;
      }
  }
  state.counters["strategies_per_s"] = benchmark::Counter(static_cast<double>(scored), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ScoreStrategies)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
