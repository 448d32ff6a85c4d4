// The CUDA device (built only with -DTRAINSIM_CUDA=ON): a tiny Plan on one GPU, every op traced
// with end >= start and collective checks passing; a product's timing is positive. Skips with a
// clear message when no GPU is present. MPI is initialised by cpu_device_test.cpp's environment.
#ifdef TRAINSIM_HAVE_CUDA
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include "hw-backend/exec/executor.hpp"
#include "sim/plan/planner.hpp"
#include "sim/scenario/scenario.hpp"

using namespace trainsim;
using namespace trainsim::hw;

namespace {
bool have_gpu() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
}
}  // namespace

TEST(CudaDevice, RunsTinyPlanOnOneGpu) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA GPU present: the CUDA device test needs one";
  nlohmann::json j = {
      {"name", "tiny one gpu"},
      {"cluster", {{"gpu", "H100-SXM5-80GB"}, {"nodes", 1}, {"gpus_per_node", 1}}},
      {"workload",
       {{"model", {{"layers", 2}, {"hidden", 512}, {"heads", 4}, {"ffn", 2048}, {"vocab", 4096}, {"seq_len", 256}}},
        {"global_batch", 2}}},
      {"strategy", {{"tp", 1}, {"pp", 1}, {"micro_batch", 1}}}};
  Scenario sc = parse_scenario(j, "<test>", ".");
  Plan plan = build_plan(sc.workload.model, sc.strategy, sc.cluster.gpus_per_node);
  DeviceOptions o;
  o.timeout_s = 60;
  auto dev = make_device("cuda", MPI_COMM_WORLD, o);
  RunOptions r;
  r.iterations = 2;
  MeasuredRun m = execute(plan, *dev, MPI_COMM_WORLD, r);
  ASSERT_EQ(m.traces.size(), 2u);
  for (const auto& e : m.traces.back().events) EXPECT_GE(e.end, e.start) << e.name;
  EXPECT_GT(m.traces.back().iteration_time, 0.0);
  EXPECT_EQ(m.verify.failed, 0);
  EXPECT_GT(m.classes.back().gemm, 0.0);
}

TEST(CudaDevice, GemmTimingIsPositive) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA GPU present: the CUDA device test needs one";
  auto dev = make_device("cuda", MPI_COMM_WORLD, {});
  const double t = dev->time_kernel(gemm_kernel("g", 2048, 2048, 2048, 1, Precision::BF16, 2), 5);
  EXPECT_GT(t, 0.0);
  EXPECT_LT(t, 1.0);
}
#endif
