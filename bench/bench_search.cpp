// Strategy scoring speed of the closed-form scorer (issue #17 target: >= 40,000 strategies per
// second on one core for each space; Calculon scores ~70 per second). Counter `strategies_per_s`.
// Spaces: GPT-3 175B on 1,024 A100 (the default scenario), DeepSeek-V3 on 2,048 H800 (MoE: expert
// parallelism, ZeRO-3, interleaving) and Llama 3 405B at 16k tokens on 16,384 H100 (context
// parallelism), each with every ZeRO stage of the default space.
// Run: ./build/bench/bench_search
#include <benchmark/benchmark.h>

#include <map>

#include "models/util/errors.hpp"
#include "sim/scorer/strategy_scorer.hpp"
#include "sim/search/strategy_space.hpp"

using namespace trainsim;

namespace {
const Scenario& scenario(const std::string& rel) {
  static std::map<std::string, Scenario> cache;
  auto it = cache.find(rel);
  if (it == cache.end()) it = cache.emplace(rel, load_scenario(std::string(TRAINSIM_SOURCE_DIR) + "/" + rel)).first;
  return it->second;
}

/// Every strategy of the default space for the scenario, resolved (invalid ones dropped).
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

// A fresh scorer per pass: includes costing each distinct layer segment once (the cache's cold start).
void score_space(benchmark::State& state, const std::string& rel) {
  const auto& sc = scenario(rel);
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
}  // namespace

static void BM_ScoreWholeSpaceGpt3On1024(benchmark::State& s) { score_space(s, "scenarios/default.json"); }
static void BM_ScoreWholeSpaceDeepSeekV3On2048(benchmark::State& s) {
  score_space(s, "scenarios/deepseek-v3-2048xh800.json");
}
static void BM_ScoreWholeSpaceLlama3_405B_16k(benchmark::State& s) { score_space(s, "scenarios/llama3-405b-16k.json"); }
BENCHMARK(BM_ScoreWholeSpaceGpt3On1024)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ScoreWholeSpaceDeepSeekV3On2048)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ScoreWholeSpaceLlama3_405B_16k)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
