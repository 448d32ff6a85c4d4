// The CPU device executes a tiny Plan on one rank: every op is traced with end >= start, and
// collectives (on one-rank groups) pass their result checks.
#include <gtest/gtest.h>

#include "hw-backend/exec/executor.hpp"
#include "sim/plan/planner.hpp"
#include "sim/scenario/scenario.hpp"
#include "tests/hw/mpi_env.hpp"

using namespace trainsim;
using namespace trainsim::hw;

static auto* const kMpiEnv = ::testing::AddGlobalTestEnvironment(new test::MpiEnvironment);

TEST(CpuDevice, RunsTinyPlanOnOneRank) {
  nlohmann::json j = {
      {"name", "tiny one rank"},
      {"cluster",
       {{"gpu", "CPU-HOST"},
        {"nodes", 1},
        {"gpus_per_node", 1},
        {"cost", {{"cloud", {{"on_demand_usd_per_gpu_hour", 0.085}}}}}}},
      {"workload",
       {{"model", {{"layers", 2}, {"hidden", 64}, {"heads", 2}, {"ffn", 256}, {"vocab", 512}, {"seq_len", 32}}},
        {"global_batch", 2}}},
      {"strategy", {{"tp", 1}, {"pp", 1}, {"micro_batch", 1}}}};
  Scenario sc = parse_scenario(j, "<test>", ".");
  Plan plan = build_plan(sc.workload.model, sc.strategy, sc.cluster.gpus_per_node);
  ASSERT_EQ(plan.world(), 1);
  DeviceOptions o;
  o.timeout_s = 30;
  auto dev = make_device("cpu", MPI_COMM_WORLD, o);
  RunOptions r;
  r.iterations = 2;
  r.warmup = 1;
  MeasuredRun m = execute(plan, *dev, MPI_COMM_WORLD, r);
  ASSERT_EQ(m.traces.size(), 2u);
  const auto& t = m.traces.back();
  EXPECT_EQ(t.events.size(), plan.programs[0].ops.size());
  for (const auto& e : t.events) {
    EXPECT_GE(e.end, e.start) << e.name;
    EXPECT_GE(e.start, 0.0);
  }
  EXPECT_GT(t.iteration_time, 0.0);
  EXPECT_EQ(m.verify.failed, 0);
  EXPECT_GT(m.classes.back().gemm, 0.0);
}
