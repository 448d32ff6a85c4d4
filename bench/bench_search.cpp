// Strategy scoring speed (issue #6 target: ≥ 10,000 strategies per second on one core for GPT-3
// 175B on 1,024 GPUs; Calculon scores ~70 per second). Counter `strategies_per_s`.
// Run: ./build/bench/bench_search
#include <benchmark/benchmark.h>

#include "sim/scorer/strategy_scorer.hpp"
#include "sim/search/strategy_space.hpp"

using namespace trainsim;

namespace {
const Scenario& default_scenario() {
  static const Scenario sc = load_scenario(std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/default.json");
  return sc;
}

/// Every strategy of the default space for the default scenario, resolved (invalid ones dropped).
std::vector<Strategy> all_strategies(const Scenario& sc) {
  std::vector<Strategy> out;
  const auto space = default_space(sc.workload.model, sc.cluster.gpus_per_node);
  enumerate_strategies(space, sc.workload.model, sc.strategy, sc.cluster.gpus(), sc.strategy.global_batch,
                       [&](const Strategy& s0) {
                         Strategy s = s0;
                         try {
                           resolve_strategy(s, sc.workload.model, sc.workload.global_batch, sc.cluster.gpus(), "bench");
                           out.push_back(s);
                         } catch (const InputError&) {
                         }
                       });
  return out;
}
}  // namespace

// A fresh scorer per pass: includes costing each distinct layer shape once (the cache's cold start).
static void BM_ScoreWholeSpaceGpt3On1024(benchmark::State& state) {
  const auto& sc = default_scenario();
  const auto strategies = all_strategies(sc);
  std::int64_t scored = 0;
  for (auto _ : state) {
    const StrategyScorer scorer(sc);
    for (const auto& s : strategies) benchmark::DoNotOptimize(scorer.score(s).iteration_time_s);
    scored += static_cast<std::int64_t>(strategies.size());
  }
  state.counters["strategies"] = static_cast<double>(strategies.size());
  state.counters["strategies_per_s"] = benchmark::Counter(static_cast<double>(scored), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ScoreWholeSpaceGpt3On1024)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
