// Google Benchmark: wall time and peak memory of one simulated training iteration on the SimGrid
// engine (issue #3 item 6). Each simulation runs in a forked child (one SimGrid Engine per process);
// the child's peak RSS is read with getrusage(RUSAGE_CHILDREN) and reported as a counter.
//   ./build-sg/bench/bench_simgrid --benchmark_filter=Default
//   ./build-sg/bench/bench_simgrid --benchmark_filter=Llama3_405B_16k
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <string>

#include "sim/plan/planner.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/simgrid/simgrid_engine.hpp"

namespace {

using namespace trainsim;

void run_scenario(benchmark::State& state, const std::string& rel) {
  const Scenario sc = load_scenario(std::string(TRAINSIM_SOURCE_DIR) + "/" + rel);
  const Plan plan = build_plan(sc.workload.model, sc.strategy, sc.cluster.gpus_per_node);
  const Fabric fabric(sc.cluster);
  SimJob job{sc.name, &plan, sc.cluster, nullptr, {}};
  SimOptions opt;
  opt.link_stats = false;
  SimResult r;
  for (auto _ : state) {
    r = simulate(fabric, {job}, opt);
    benchmark::DoNotOptimize(r.traces[0].iteration_time);
  }
  rusage ru{};
  getrusage(RUSAGE_CHILDREN, &ru);
  state.counters["simulated_iteration_s"] = r.traces[0].iteration_time;
  state.counters["flows"] = static_cast<double>(r.flows);
  state.counters["events"] = static_cast<double>(r.traces[0].events.size());
  state.counters["child_peak_rss_MB"] = ru.ru_maxrss / 1024.0;
}

void Default_GPT3_175B_1024(benchmark::State& s) { run_scenario(s, "scenarios/default.json"); }
void Llama3_405B_16k(benchmark::State& s) { run_scenario(s, "scenarios/llama3-405b-16k.json"); }

BENCHMARK(Default_GPT3_175B_1024)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();
BENCHMARK(Llama3_405B_16k)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
