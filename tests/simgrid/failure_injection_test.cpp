// Seeded failure injection in the SimGrid engine (issue #5, item 4): a training run's timeline
// (segments of k iterations, a checkpoint after each, failures that lose the work since the last
// checkpoint and pay a restart) replayed in SimGrid's simulated time; docs/simgrid-engine.md.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <sstream>
#include <vector>

#include "models/reliability/checkpoint_interval.hpp"
#include "models/reliability/failure_injection.hpp"
#include "models/util/errors.hpp"
#include "sim/metrics/energy_cost.hpp"
#include "sim/metrics/metrics.hpp"
#include "sim/plan/planner.hpp"
#include "sim/simgrid/failure_run.hpp"
#include "sim/simgrid/failure_run_report.hpp"
#include "sim/simgrid/simgrid_engine.hpp"
#include "sim/simgrid/training_run.hpp"
#include "tests/simgrid/sim_test_util.hpp"

namespace trainsim {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// A failure source replaying a fixed list, then no more failures.
FailureSource fixed(std::vector<FailureEvent> events) {
  auto list = std::make_shared<std::vector<FailureEvent>>(std::move(events));
  auto next = std::make_shared<std::size_t>(0);
  return [list, next]() {
    FailureEvent none;
    none.time_s = kInf;
    return *next < list->size() ? (*list)[(*next)++] : none;
  };
}

FailureEvent at(double t, FailureKind k, int index) {
  FailureEvent e;
  e.time_s = t;
  e.kind = k;
  e.index = index;
  return e;
}

/// GPT 1.7B, TP 8, PP 2, DP 2 on 4 DGX-H100 nodes, with the cluster's `reliability` section.
Scenario reliability_scenario(const nlohmann::json& reliability) {
  nlohmann::json c = sgtest::dgx_cluster(4, 16, 1.0);
  c["reliability"] = reliability;
  return sgtest::scenario(c, "workloads/gpt-sc21-1.7b.json",
                          {{"tp", 8}, {"pp", 2}, {"micro_batch", 1}, {"global_batch", 32}});
}

/// The iteration simulated by the SimGrid engine and its metrics (what `trainsim run --engine simgrid` computes).
Metrics simulated_metrics(const Scenario& sc) {
  const Plan plan = build_plan(sc.workload.model, sc.strategy, sc.cluster.gpus_per_node);
  return compute_metrics(sc, plan, simgrid_execute(sc, plan, {}));
}

void expect_parts_add_up(const TrainingRunResult& r) {
  EXPECT_NEAR(r.useful_s + r.checkpoint_s + r.lost_work_s + r.restart_s, r.wall_clock_s, 1e-9 * r.wall_clock_s);
}

TEST(FailureInjection, StreamStartsWithTheInjectedFailures) {
  // The replay draws from FailureStream; its prefix must be inject_failures' list for the seed.
  FailureRates f = default_failure_rates();
  const auto list = inject_failures(f, 16384, 2048, 16384, 1e3 * 3600, 11);
  ASSERT_GT(list.size(), 100u);
  FailureStream s(f, 16384, 2048, 16384, 11);
  for (const auto& e : list) {
    const FailureEvent g = s.next();
    ASSERT_EQ(g.time_s, e.time_s);
    ASSERT_EQ(g.kind, e.kind);
    ASSERT_EQ(g.index, e.index);
  }
  EXPECT_GE(s.next().time_s, 1e3 * 3600);
  FailureRates none;
  EXPECT_EQ(FailureStream(none, 8, 1, 8, 1).next().time_s, kInf);
}

TEST(FailureInjection, WithoutFailuresTheWallClockIsIterationsPlusCheckpoints) {
  // 1,000 iterations of 2.5 s, a 10 s checkpoint every 64 iterations: ceil(1000/64) = 16 writes
  // (15 full segments and one of 40 iterations, saved at the end as Megatron-LM does):
  // 1000 x 2.5 + 16 x 10 = 2,660 s; one sleep per segment.
  TrainingRunSpec spec;
  spec.iterations = 1000;
  spec.iteration_s = 2.5;
  spec.checkpoint_every = 64;
  spec.checkpoint_s = 10;
  spec.restore_s = 7;
  spec.restart_overhead_s = 600;
  const auto r = replay_training_runs(spec, {fixed({})}).at(0);
  EXPECT_NEAR(r.wall_clock_s, 2660.0, 1e-9);
  EXPECT_EQ(r.iterations, 1000);
  EXPECT_EQ(r.checkpoints, 16);
  EXPECT_EQ(r.failures, 0);
  EXPECT_EQ(r.sleeps, 16);
  EXPECT_DOUBLE_EQ(r.useful_s, 2500.0);
  EXPECT_DOUBLE_EQ(r.checkpoint_s, 160.0);
  EXPECT_EQ(r.lost_work_s, 0.0);
  EXPECT_EQ(r.restart_s, 0.0);
  EXPECT_NEAR(failure_run_closed_form(spec, kInf).wall_clock_s, 2660.0, 1e-9);
}

TEST(FailureInjection, ZeroFailureRateScenarioRunsIterationsPlusCheckpoints) {
  // End to end: rates 0, a 10 s checkpoint interval. The write time is the checkpoint model's
  // state / write bandwidth = params x 14 B / 65 GB/s (one parallel-FS server for 4 nodes, its
  // 65 GB/s below the nodes' 4 x 50 GB/s NICs; docs/energy-cost-storage-failures.md).
  const Scenario sc = reliability_scenario({{"gpu_failures_per_hour", 0},
                                            {"node_failures_per_hour", 0},
                                            {"link_failures_per_hour", 0},
                                            {"checkpoint_interval_s", 10}});
  const Metrics m = simulated_metrics(sc);
  const FailureRun f = simulate_failure_run(sc, m, 42, 1000);
  const double T = m.iteration_time_s + m.energy_cost.storage.data_stall_s;
  const double delta = checkpoint_state_bytes(sc.workload.model) / 65e9;
  EXPECT_DOUBLE_EQ(f.setup.spec.iteration_s, T);
  EXPECT_NEAR(f.setup.spec.checkpoint_s, delta, 1e-12 * delta);
  EXPECT_EQ(f.setup.checkpoint_source, "closed_form");
  const std::int64_t k = std::llround(10.0 / T);
  EXPECT_EQ(f.setup.spec.checkpoint_every, k);
  EXPECT_EQ(f.setup.interval_source, "reliability.checkpoint_interval_s");
  const std::int64_t writes = (1000 + k - 1) / k;
  std::printf("zero rates: T %.6f s, k %lld, delta %.6f s, %lld writes, wall %.6f s\n", T, static_cast<long long>(k),
              delta, static_cast<long long>(writes), f.run.wall_clock_s);
  EXPECT_EQ(f.run.checkpoints, writes);
  EXPECT_EQ(f.run.failures, 0);
  EXPECT_NEAR(f.run.wall_clock_s, 1000 * T + writes * delta, 1e-9 * f.run.wall_clock_s);
  EXPECT_NEAR(f.closed_form.wall_clock_s, f.run.wall_clock_s, 1e-9 * f.run.wall_clock_s);
  const auto j = failure_run_json(f);
  EXPECT_TRUE(j.at("job_mtbf_s").is_null());
  EXPECT_DOUBLE_EQ(j.at("goodput").get<double>(), 1000 * T / f.run.wall_clock_s);
}

TEST(FailureInjection, FailureJustBeforeACheckpointCompletesLosesTheWholeInterval) {
  // 300 iterations of 1 s, checkpoint (5 s) every 100; restart 10 s + restore 2 s.
  // Segment 1 ends at 105. Segment 2 computes [105, 205) and writes [205, 210).
  TrainingRunSpec spec;
  spec.iterations = 300;
  spec.iteration_s = 1;
  spec.checkpoint_every = 100;
  spec.checkpoint_s = 5;
  spec.restore_s = 2;
  spec.restart_overhead_s = 10;
  const double eps = 1e-6;
  const auto r = replay_training_runs(
      spec, {// (a) 1 us before the write completes: the segment's 100 iterations and 5 s of writing are
             // lost; a second failure at 215 cuts the restart, which starts again: 227 + 2 x 105 = 437.
             fixed({at(210 - eps, FailureKind::Gpu, 3), at(215, FailureKind::Node, 1)}),
             // (b) just before the write starts: the 100 iterations are lost.
             fixed({at(205 - eps, FailureKind::Link, 0)}),
             // (c) exactly when the write completes: nothing is lost, only the restart is paid.
             fixed({at(210, FailureKind::Gpu, 0)})});
  const auto& a = r.at(0);
  EXPECT_NEAR(a.lost_work_s, 105 - eps, 1e-9);
  EXPECT_NEAR(a.restart_s, (215 - (210 - eps)) + 12, 1e-9);
  EXPECT_NEAR(a.wall_clock_s, 437, 1e-9);
  EXPECT_EQ(a.checkpoints, 3);
  EXPECT_EQ(a.failures, 2);
  EXPECT_EQ(a.failures_during_restart, 1);
  EXPECT_EQ(a.by_kind[static_cast<int>(FailureKind::Gpu)], 1);
  EXPECT_EQ(a.by_kind[static_cast<int>(FailureKind::Node)], 1);
  ASSERT_EQ(a.first_failures.size(), 2u);
  EXPECT_EQ(a.first_failures[0].phase, "checkpoint");
  EXPECT_EQ(a.first_failures[0].resume_iteration, 100);
  EXPECT_EQ(a.first_failures[0].event.index, 3);
  EXPECT_EQ(a.first_failures[1].phase, "restart");
  expect_parts_add_up(a);
  const auto& b = r.at(1);
  EXPECT_NEAR(b.lost_work_s, 100 - eps, 1e-9);
  EXPECT_EQ(b.first_failures.at(0).phase, "compute");
  EXPECT_NEAR(b.wall_clock_s, 315 + 12 + 100 - eps, 1e-9);
  const auto& c = r.at(2);
  EXPECT_EQ(c.lost_work_s, 0.0);
  EXPECT_EQ(c.first_failures.at(0).resume_iteration, 200);
  EXPECT_NEAR(c.wall_clock_s, 315 + 12, 1e-9);
}

TEST(FailureInjection, SameSeedSameReportOtherSeedOtherFailures) {
  // 32 GPUs failing 0.2 times per hour each (plus nodes and links): a job MTBF of ~8 min, so a
  // 10^5-iteration run (~6 h) sees dozens of failures.
  const Scenario sc = reliability_scenario({{"gpu_failures_per_hour", 0.2},
                                            {"node_failures_per_hour", 0.1},
                                            {"link_failures_per_hour", 0.01},
                                            {"restart_s", 60}});
  const Metrics m = simulated_metrics(sc);
  auto report = [&](std::uint64_t seed) {
    const FailureRun f = simulate_failure_run(sc, m, seed, 100000);
    std::ostringstream os;
    os << failure_run_json(f).dump(2);
    print_failure_run_text(f, os);
    return std::make_pair(f, os.str());
  };
  const auto [f1, s1] = report(1);
  const auto [f1b, s1b] = report(1);
  const auto [f2, s2] = report(2);
  std::printf("seed 1: %lld failures, wall %.1f s, goodput %.4f (closed form %.4f), %lld activities\n",
              static_cast<long long>(f1.run.failures), f1.run.wall_clock_s, f1.run.useful_s / f1.run.wall_clock_s,
              f1.closed_form.goodput, static_cast<long long>(f1.run.sleeps));
  EXPECT_EQ(s1, s1b);
  EXPECT_NE(s1, s2);
  EXPECT_GT(f1.run.failures, 10);
  ASSERT_FALSE(f2.run.first_failures.empty());
  EXPECT_NE(f1.run.first_failures.at(0).event.time_s, f2.run.first_failures.at(0).event.time_s);
  EXPECT_EQ(f1.run.first_failures.size(), 10u);  // bounded, while the counts cover every failure
  EXPECT_EQ(f1.run.by_kind[0] + f1.run.by_kind[1] + f1.run.by_kind[2], f1.run.failures);
  EXPECT_EQ(f1.run.iterations, 100000);
  expect_parts_add_up(f1.run);
  // No activity per iteration: one sleep per segment, plus one per failure and per restart.
  const std::int64_t segments = (100000 + f1.setup.spec.checkpoint_every - 1) / f1.setup.spec.checkpoint_every;
  EXPECT_LE(f1.run.sleeps, segments + 2 * f1.run.failures);
  EXPECT_EQ(f1.setup.interval_source, "daly");
}

TEST(FailureInjection, MeanWallClockOverSeedsMatchesDalysExpectation) {
  // 100 segments of 60 x 10 s plus a 30 s write; restart 100 s + restore 20 s; job MTBF 1 h
  // (8 GPUs at 1/16 per hour and one node at 1/2 per hour). Daly's eq. (20) per segment gives the
  // exact expectation of this renewal process (failures during a write or a restart included):
  // 100 x 3600 e^{120/3600} (e^{630/3600} - 1) = 71,181 s, i.e. ~20 failures per run.
  TrainingRunSpec spec;
  spec.iterations = 6000;
  spec.iteration_s = 10;
  spec.checkpoint_every = 60;
  spec.checkpoint_s = 30;
  spec.restore_s = 20;
  spec.restart_overhead_s = 100;
  FailureRates rates;
  rates.per_gpu_hour = 1.0 / 16;
  rates.per_node_hour = 0.5;
  const double M = job_mtbf_s(rates, 8, 1, 0);
  ASSERT_NEAR(M, 3600, 1e-9);
  const FailureRunClosedForm cf = failure_run_closed_form(spec, M);
  EXPECT_NEAR(cf.wall_clock_s, 100 * 3600 * std::exp(120.0 / 3600) * std::expm1(630.0 / 3600), 1e-6);
  constexpr int n = 1000;
  std::vector<FailureSource> sources;
  for (int i = 0; i < n; ++i) {
    auto s = std::make_shared<FailureStream>(rates, 8, 1, 0, 1000 + i);
    sources.push_back([s]() { return s->next(); });
  }
  const auto runs = replay_training_runs(spec, sources);
  double sum = 0, sum2 = 0, fsum = 0, fsum2 = 0;
  for (const auto& r : runs) {
    ASSERT_EQ(r.iterations, 6000);
    sum += r.wall_clock_s;
    sum2 += r.wall_clock_s * r.wall_clock_s;
    fsum += static_cast<double>(r.failures);
    fsum2 += static_cast<double>(r.failures) * static_cast<double>(r.failures);
  }
  const double mean = sum / n, sd = std::sqrt((sum2 - n * mean * mean) / (n - 1));
  const double fmean = fsum / n, fsd = std::sqrt((fsum2 - n * fmean * fmean) / (n - 1));
  const double se = sd / std::sqrt(n), fse = fsd / std::sqrt(n);
  std::printf(
      "%d seeds: mean wall %.1f s (sd %.1f, se %.1f) vs Daly %.1f s (%+.3f%%); failures %.3f (se %.3f) vs %.3f\n", n,
      mean, sd, se, cf.wall_clock_s, 100 * (mean / cf.wall_clock_s - 1), fmean, fse, cf.expected_failures);
  // The n runs are independent (disjoint seeds), so by the central limit theorem their mean is
  // normal around the true expectation with standard error sd / sqrt(n); |z| < 4 fails by chance
  // with probability 6e-5. The standard error itself must be small (< 0.25 % of the expectation,
  // i.e. a tolerance under 1 %), or the test would not detect a wrong model: forgetting the
  // restart (100 x 3600 (e^{630/3600} - 1) = 68,849 s, -3.3 %) or charging a whole segment per
  // failure instead of the elapsed part (~100 x (630 + 0.191 x 750) = 77,344 s, +8.7 %) fails it.
  EXPECT_LT(se, 0.0025 * cf.wall_clock_s);
  EXPECT_NEAR(mean, cf.wall_clock_s, 4 * se);
  // Wald's identity for the Poisson failure process stopped at the end of the run: E[failures] = E[wall] / M.
  EXPECT_NEAR(fmean, cf.expected_failures, 4 * fse);
}

TEST(FailureInjection, BadInputsNameTheField) {
  const Scenario sc = reliability_scenario({{"gpu_failures_per_hour", 1}, {"restart_s", 1e6}});
  Metrics m = simulated_metrics(sc);
  // Restarts of 10^6 s against a job MTBF of ~2 min: e^{R/M} failures expected, far beyond 10^7.
  try {
    simulate_failure_run(sc, m, 1, 1000);
    ADD_FAILURE() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("$.cluster.reliability"), std::string::npos) << e.what();
  }
  m.energy_cost.energy.iterations = 0;  // a workload without train_tokens
  try {
    failure_run_setup(sc, m, 0);
    ADD_FAILURE() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where(), "--iterations");
  }
}

}  // namespace
}  // namespace trainsim
