// The SimGrid engine end to end: agreement with the analytic engine where there is no contention,
// the effect of oversubscription on data-parallel time, folding error, determinism, multi-job.
#include <gtest/gtest.h>

#include <sstream>

#include "sim/evaluate/predict.hpp"
#include "sim/plan/planner.hpp"
#include "sim/simgrid/multi_job.hpp"
#include "sim/simgrid/simgrid_engine.hpp"
#include "tests/simgrid/sim_test_util.hpp"

namespace trainsim {
namespace {

using sgtest::dgx_cluster;
using sgtest::scenario;

/// GPT 1.7B, TP 8, PP 2, DP 2 on 4 DGX-H100 nodes, one node per leaf (every inter-node flow crosses the spines).
Scenario pipeline_scenario() {
  return scenario(dgx_cluster(4, 16, 1.0), "workloads/gpt-sc21-1.7b.json",
                  {{"tp", 8}, {"pp", 2}, {"micro_batch", 1}, {"global_batch", 32}});
}

/// GPT 1.7B, TP 8, DP 16 on 16 nodes, one node per leaf; `oversub` on the leaf uplinks.
Scenario dp_scenario(double oversub) {
  return scenario(dgx_cluster(16, 16, oversub), "workloads/gpt-sc21-1.7b.json",
                  {{"tp", 8}, {"pp", 1}, {"micro_batch", 1}, {"global_batch", 64}});
}

double dp_seconds(const Trace& t, int rank) {
  double s = 0;
  for (const auto& e : t.events)
    if (e.rank == rank && e.stream == Stream::DpComm) s += e.end - e.start;
  return s;
}

Trace run_simgrid(const Scenario& sc, const Plan& plan) { return simgrid_execute(sc, plan, {}); }

TEST(SimgridEngine, AgreesWithAnalyticOnSmallPipeline) {
  const Scenario sc = pipeline_scenario();
  const Plan plan = build_plan(sc.workload.model, sc.strategy, sc.cluster.gpus_per_node);
  const Trace a = engine_registry().at("analytic")(sc, plan, {});
  const Trace s = run_simgrid(sc, plan);
  ASSERT_GT(a.iteration_time, 0);
  EXPECT_NEAR(s.iteration_time, a.iteration_time, 0.05 * a.iteration_time);
  // Representatives: tp coordinate 0 of every (pp, dp) -> 4 ranks, each with its full program.
  EXPECT_EQ(s.ranks.size(), 4u);
  size_t ops = 0;
  for (int r : s.ranks) ops += plan.programs[plan.coord(r).pp].ops.size();
  EXPECT_EQ(s.events.size(), ops);
}

TEST(SimgridEngine, OffloadedOptimizerStepCostsWhatTheAnalyticEngineCosts) {
  // ZeRO-Offload's D2H copy, CPU Adam and H2D copy are Plan compute ops: the same durations in
  // both engines, and the iteration still agrees.
  Scenario sc = scenario(
      dgx_cluster(4, 16, 1.0), "workloads/gpt-sc21-1.7b.json",
      {{"tp", 8}, {"pp", 2}, {"micro_batch", 1}, {"global_batch", 32}, {"zero", 1}, {"optimizer_offload", true}});
  const Plan plan = build_plan(sc.workload.model, sc.strategy, sc.cluster.gpus_per_node);
  const Trace a = engine_registry().at("analytic")(sc, plan, {});
  const Trace s = run_simgrid(sc, plan);
  auto optimizer_s = [](const Trace& t, int rank) {
    double d = 0;
    for (const auto& e : t.events)
      if (e.rank == rank && e.phase == Phase::Optimizer) d += e.end - e.start;
    return d;
  };
  const double step = optimizer_s(a, a.ranks.at(0));
  EXPECT_GT(step, 0.0);
  EXPECT_NEAR(optimizer_s(s, a.ranks.at(0)), step, 1e-9 * step);
  EXPECT_NEAR(s.iteration_time, a.iteration_time, 0.05 * a.iteration_time);
}

TEST(SimgridEngine, OverlappedCollectivesTakeSmsFromComputeAsInTheAnalyticEngine) {
  // FSDP over 2 DGX-H100 nodes: the parameter gathers and gradient reduce-scatters beside the
  // compute slow it (sim/cost/sm_contention.hpp) in both engines alike.
  auto fsdp = [](int nccl_sms) {
    auto cluster = dgx_cluster(2, 16, 1.0);
    cluster["nccl_sms"] = nccl_sms;
    return scenario(cluster, "workloads/gpt-sc21-1.7b.json",
                    {{"tp", 1}, {"pp", 1}, {"dp", 16}, {"zero", 3}, {"micro_batch", 4}, {"global_batch", 64}});
  };
  const Scenario held = fsdp(16), free = fsdp(0);
  const Plan plan = build_plan(held.workload.model, held.strategy, held.cluster.gpus_per_node);
  const Trace a = engine_registry().at("analytic")(held, plan, {});
  const Trace s = run_simgrid(held, plan), s0 = run_simgrid(free, plan);
  EXPECT_NEAR(s.iteration_time, a.iteration_time, 0.05 * a.iteration_time);
  EXPECT_GT(s.iteration_time, 1.01 * s0.iteration_time);
}

TEST(SimgridEngine, DeepSpeed03PathAddsTheSameSecondsAsInTheAnalyticEngine) {
  // DeepSpeed 0.3.x ZeRO-3 over 2 DGX A100-class nodes: the software path of every gather and
  // all-reduce (models/collective/zero_runtime.hpp) follows the flows in this engine and the
  // closed form in the analytic one; both give the same iteration, far slower than FSDP's.
  auto zero3 = [](const char* runtime) {
    return scenario(dgx_cluster(2, 16, 1.0), "workloads/gpt-sc21-1.7b.json",
                    {{"tp", 1},
                     {"pp", 1},
                     {"dp", 16},
                     {"zero", 3},
                     {"zero_runtime", runtime},
                     {"recompute", "full"},
                     {"micro_batch", 4},
                     {"global_batch", 64}});
  };
  const Scenario ds = zero3("deepspeed-0.3"), fsdp = zero3("fsdp");
  const Plan plan = build_plan(ds.workload.model, ds.strategy, ds.cluster.gpus_per_node);
  const Plan fplan = build_plan(fsdp.workload.model, fsdp.strategy, fsdp.cluster.gpus_per_node);
  const Trace a = engine_registry().at("analytic")(ds, plan, {});
  const Trace s = run_simgrid(ds, plan), sf = run_simgrid(fsdp, fplan);
  EXPECT_NEAR(s.iteration_time, a.iteration_time, 0.05 * a.iteration_time);
  EXPECT_GT(s.iteration_time, 1.2 * sf.iteration_time);
}

TEST(SimgridEngine, RankFoldingErrorIsSmall) {
  const Scenario sc = pipeline_scenario();
  const Plan plan = build_plan(sc.workload.model, sc.strategy, sc.cluster.gpus_per_node);
  const Trace folded = run_simgrid(sc, plan);
  default_sim_options().fold = false;
  const Trace full = run_simgrid(sc, plan);
  default_sim_options().fold = true;
  EXPECT_EQ(full.ranks.size(), static_cast<size_t>(plan.world()));
  EXPECT_NEAR(folded.iteration_time, full.iteration_time, 0.02 * full.iteration_time);
  EXPECT_NEAR(dp_seconds(folded, 0), dp_seconds(full, 0), 0.05 * dp_seconds(full, 0) + 1e-6);
  // Hashed ECMP (every rank, static per-pair paths) only adds collisions: never faster.
  default_sim_options().fold = false;
  default_sim_options().fluid_ecmp = false;
  const Trace hashed = run_simgrid(sc, plan);
  default_sim_options() = SimOptions{};
  std::printf("iteration: folded %.6f s, unfolded %.6f s, unfolded hashed ECMP %.6f s\n", folded.iteration_time,
              full.iteration_time, hashed.iteration_time);
  EXPECT_GE(hashed.iteration_time, full.iteration_time * (1 - 1e-9));
}

TEST(SimgridEngine, OversubscriptionSlowsDataParallel) {
  const Scenario a = dp_scenario(1.0), b = dp_scenario(4.0);
  const Plan plan = build_plan(a.workload.model, a.strategy, a.cluster.gpus_per_node);
  const Trace t1 = run_simgrid(a, plan), t4 = run_simgrid(b, plan);
  const double d1 = dp_seconds(t1, 0), d4 = dp_seconds(t4, 0);
  std::printf("DP time per iteration: 1:1 %.4f s, 4:1 %.4f s; iteration %.4f s vs %.4f s\n", d1, d4, t1.iteration_time,
              t4.iteration_time);
  EXPECT_GT(d4, 1.5 * d1);
  EXPECT_GT(t4.iteration_time, t1.iteration_time);
}

TEST(SimgridEngine, DeterministicOutput) {
  const Scenario sc = pipeline_scenario();
  auto once = [&]() {
    const Prediction p = predict(sc, "analytic");  // plan and metrics code paths
    const Trace t = run_simgrid(sc, p.plan);
    std::ostringstream os;
    write_chrome_trace(t, os);
    const Metrics m = compute_metrics(sc, p.plan, t);
    os << std::to_string(m.breakdown.stage) << " " << m.iteration_time_s;
    return os.str();
  };
  const std::string a = once(), b = once();
  EXPECT_GT(a.size(), 1000u);
  EXPECT_EQ(a, b);
}

TEST(SimgridEngine, MultiJobContiguousOnNonBlockingFabricDoesNotSlowDown) {
  const nlohmann::json strat = {{"tp", 8}, {"pp", 1}, {"micro_batch", 1}, {"global_batch", 32}};
  const nlohmann::json j = {
      {"name", "two jobs"},
      {"cluster", dgx_cluster(16, 16, 1.0)},
      {"jobs",
       {{{"name", "a"}, {"workload", "workloads/gpt-sc21-1.7b.json"}, {"strategy", strat}, {"gpus", 64}},
        {{"name", "b"}, {"workload", "workloads/gpt-sc21-1.7b.json"}, {"strategy", strat}, {"gpus", 64}}}},
      {"placement", "contiguous"}};
  const auto spec = parse_multi_job(j, "<test>", std::string(TRAINSIM_SOURCE_DIR) + "/scenarios");
  const auto place = place_jobs(spec);
  EXPECT_EQ(place[1][0], 64);
  const auto rows = run_multi_job(spec);
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& r : rows) {
    EXPECT_GT(r.alone_s, 0);
    EXPECT_NEAR(r.slowdown(), 1.0, 0.02) << r.name;
  }
}

TEST(SimgridEngine, RandomPlacementIsSeeded) {
  const nlohmann::json strat = {{"tp", 8}, {"pp", 1}, {"micro_batch", 1}, {"global_batch", 32}};
  nlohmann::json j = {{"cluster", dgx_cluster(16, 16, 1.0)},
                      {"jobs",
                       {{{"workload", "workloads/gpt-sc21-1.7b.json"}, {"strategy", strat}, {"gpus", 32}},
                        {{"workload", "workloads/gpt-sc21-1.7b.json"}, {"strategy", strat}, {"gpus", 32}}}},
                      {"placement", "random"},
                      {"seed", 7}};
  const std::string dir = std::string(TRAINSIM_SOURCE_DIR) + "/scenarios";
  const auto p1 = place_jobs(parse_multi_job(j, "<test>", dir));
  const auto p2 = place_jobs(parse_multi_job(j, "<test>", dir));
  EXPECT_EQ(p1, p2);
  j["seed"] = 8;
  EXPECT_NE(place_jobs(parse_multi_job(j, "<test>", dir)), p1);
}

TEST(SimgridEngine, AgreesWithTheAnalyticEngineOnTheShippedOversubscribedFabrics) {
  // The analytic engine charges the uplinks by where each group's nodes sit (uplink_slowdown);
  // SimGrid shares the real links. 4:1 leaves (DGX A100 SuperPOD) and a 1:7 tier above pods.
  for (const char* name : {"sg-gpt3-175b-fattree-4to1.json", "sg-gpt-18b-3tier-1to7.json"}) {
    SCOPED_TRACE(name);
    const Scenario sc = load_scenario(std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/" + name);
    const Plan plan = build_plan(sc.workload.model, sc.strategy, sc.cluster.used_per_node());
    const double a = engine_registry().at("analytic")(sc, plan, {}).iteration_time;
    const auto s = sgtest::in_child([&] { return std::vector<double>{run_simgrid(sc, plan).iteration_time}; });
    ASSERT_EQ(s.size(), 1u);
    EXPECT_NEAR(s[0], a, 0.05 * a);
    // The same job on a non-blocking fabric is faster in both engines.
    Scenario flat = sc;
    flat.cluster.fabric.oversubscription.assign(flat.cluster.fabric.oversubscription.size(), 1.0);
    const double af = engine_registry().at("analytic")(flat, plan, {}).iteration_time;
    const auto sf = sgtest::in_child([&] { return std::vector<double>{run_simgrid(flat, plan).iteration_time}; });
    ASSERT_EQ(sf.size(), 1u);
    EXPECT_LT(af, a);
    EXPECT_LT(sf[0], s[0]);
  }
}

}  // namespace
}  // namespace trainsim
