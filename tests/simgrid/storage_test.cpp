// Storage traffic on the fabric (issue #5): with the cluster's parallel FS on the compute fabric the
// SimGrid engine adds the iteration's data loading (and optionally a checkpoint write) as flows
// between storage-server endpoints and every GPU, sharing links with the training flows.
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>

#include "sim/evaluate/predict.hpp"
#include "sim/metrics/energy_cost.hpp"
#include "sim/metrics/metrics.hpp"
#include "sim/plan/planner.hpp"
#include "sim/report/report.hpp"
#include "sim/simgrid/simgrid_engine.hpp"
#include "tests/simgrid/sim_test_util.hpp"

namespace trainsim {
namespace {

using sgtest::dgx_cluster;
using sgtest::scenario;

/// GPT 1.7B, TP 8, DP 16 on 16 DGX-H100 nodes (8 x 400 Gb/s NICs), one node per leaf of a
/// non-blocking radix-16 fat-tree; `storage`: the cluster's storage section (null: none).
Scenario storage_scenario(const nlohmann::json& storage) {
  nlohmann::json c = dgx_cluster(16, 16, 1.0);
  if (!storage.is_null()) c["storage"] = storage;
  return scenario(c, "workloads/gpt-sc21-1.7b.json", {{"tp", 8}, {"pp", 1}, {"micro_batch", 1}, {"global_batch", 64}});
}

Plan plan_of(const Scenario& sc) { return build_plan(sc.workload.model, sc.strategy, sc.cluster.gpus_per_node); }

double dp_seconds(const Trace& t, int rank) {
  double s = 0;
  for (const auto& e : t.events)
    if (e.rank == rank && e.stream == Stream::DpComm) s += e.end - e.start;
  return s;
}

constexpr double kNicBw = 400e9 / 8;  // bytes/s, one NIC per GPU

TEST(SimgridStorage, ThinStorageStallsTheIterationByBytesOverServerBandwidth) {
  // 2 servers of 1 MB/s each: the data of one iteration (64 x 2048 x 4 B = 524,288 B) takes
  // B / (servers x read bw) = 0.262 s, longer than the iteration (~0.13 s): the servers' links are the
  // bottleneck and the iteration waits for its data.
  const Scenario sc = storage_scenario(
      {{"source", "parallel_fs"}, {"parallel_fs", {{"servers", 2}, {"read_gbytes_per_s_per_server", 0.001}}}});
  const Plan plan = plan_of(sc);
  const StorageLoad want = storage_load(sc, plan);
  ASSERT_EQ(want.servers, 2);
  EXPECT_DOUBLE_EQ(want.load_bytes, 64.0 * 2048 * 4);
  EXPECT_DOUBLE_EQ(want.checkpoint_bytes, 0.0);
  const Trace t = simgrid_execute(sc, plan, {});
  ASSERT_TRUE(t.storage.simulated);
  const double T0 = t.storage.iteration_time_without_storage;
  ASSERT_GT(T0, 0);
  const double bound = want.load_bytes / (want.servers * want.read_bw);  // bytes / bottleneck bandwidth
  const Metrics m = compute_metrics(sc, plan, t);
  const auto& st = m.energy_cost.storage;
  std::printf("thin storage: load %.6f s (bound %.6f s), iteration %.6f s without storage, %.6f s with I/O\n",
              t.storage.load_s, bound, T0, st.simulated_iteration_time_with_io_s);
  EXPECT_NEAR(t.storage.load_s, bound, 0.01 * bound);
  // The iteration with storage traffic is slower than without by (bytes / bandwidth) - T0, within 1 %.
  const double slower = st.simulated_iteration_time_with_io_s - T0;
  EXPECT_GT(slower, 0);
  EXPECT_NEAR(slower, bound - T0, 0.01 * (bound - T0));
  // Contention itself is negligible here: at most one GPU's share of the data over its NIC.
  EXPECT_GE(t.iteration_time, T0 - 1e-12);
  EXPECT_LE(t.iteration_time - T0, want.load_bytes / plan.world() / kNicBw + 1e-6);  // + solver precision
  EXPECT_NEAR(st.contention_slowdown_s, t.iteration_time - T0, 1e-15);
}

TEST(SimgridStorage, CheckpointWriteContendsWithDataParallelTraffic) {
  // 16 servers of 8 GB/s write: each GPU writes its 1/128 of the checkpoint (params x 14 B) at
  // r = 8 GB/s / 8 GPUs = 1 GB/s over its own NIC for longer than the iteration, so the DP ring
  // flows leaving that NIC get C - r instead of C: the DP phase stretches by t_dp x r / (C - r).
  const Scenario sc = storage_scenario(
      {{"source", "parallel_fs"}, {"parallel_fs", {{"servers", 16}, {"write_gbytes_per_s_per_server", 8}}}});
  Scenario ck = sc;
  ck.options.checkpoint_in_iteration = true;
  const Plan plan = plan_of(sc);
  const StorageLoad want = storage_load(ck, plan);
  ASSERT_GT(want.checkpoint_bytes, 1e10);
  const Trace t = simgrid_execute(ck, plan, {});
  ASSERT_TRUE(t.storage.simulated);
  const double T0 = t.storage.iteration_time_without_storage;
  const double r = want.write_bw / sc.cluster.gpus_per_node;
  const double per_gpu = want.checkpoint_bytes / plan.world();
  EXPECT_NEAR(t.storage.checkpoint_s, per_gpu / r, 0.01 * per_gpu / r);
  ASSERT_GT(t.storage.checkpoint_s, t.iteration_time);  // the write overlaps the whole DP phase
  // t_dp of the run without storage traffic (same process, not hard-coded).
  const Trace bare = simgrid_execute(storage_scenario(nullptr), plan, {});
  EXPECT_FALSE(bare.storage.simulated);
  EXPECT_DOUBLE_EQ(bare.iteration_time, T0);
  const double t_dp = dp_seconds(bare, 0);
  const double expect = t_dp * r / (kNicBw - r);
  const double slowdown = t.iteration_time - T0;
  std::printf(
      "checkpoint in iteration: %.4g B written in %.6f s; iteration %.6f s vs %.6f s: +%.6f s "
      "(t_dp %.6f s x r/(C-r) = %.6f s)\n",
      want.checkpoint_bytes, t.storage.checkpoint_s, t.iteration_time, T0, slowdown, t_dp, expect);
  EXPECT_GT(slowdown, 0);
  EXPECT_NEAR(slowdown, expect, 0.10 * expect);
  // Without the flag only the (tiny) data loading flows run: no visible slowdown.
  const Trace load_only = simgrid_execute(sc, plan, {});
  EXPECT_DOUBLE_EQ(load_only.storage.checkpoint_bytes, 0.0);
  EXPECT_LT(load_only.iteration_time - T0, 1e-6);
}

TEST(SimgridStorage, OffFabricStorageLeavesTheIterationUnchanged) {
  const Scenario none = storage_scenario(nullptr);
  const Plan plan = plan_of(none);
  const Trace t0 = simgrid_execute(none, plan, {});
  // The thin storage of the first test, but reached over a separate network; and an object store.
  for (const nlohmann::json& st :
       {nlohmann::json{{"source", "parallel_fs"},
                       {"on_fabric", false},
                       {"parallel_fs", {{"servers", 2}, {"read_gbytes_per_s_per_server", 0.001}}}},
        nlohmann::json{{"source", "object_store"}}}) {
    Scenario sc = storage_scenario(st);
    sc.options.checkpoint_in_iteration = true;
    EXPECT_EQ(storage_load(sc, plan).servers, 0);
    const Trace t = simgrid_execute(sc, plan, {});
    EXPECT_FALSE(t.storage.simulated);
    EXPECT_EQ(t.iteration_time, t0.iteration_time);  // exactly
    const Metrics m = compute_metrics(sc, plan, t);
    EXPECT_FALSE(to_json(m).at("storage").contains("simulated_load_s"));
  }
}

TEST(SimgridStorage, DeterministicOutput) {
  Scenario sc = storage_scenario(
      {{"source", "parallel_fs"}, {"parallel_fs", {{"servers", 3}, {"write_gbytes_per_s_per_server", 8}}}});
  sc.options.checkpoint_in_iteration = true;
  const Plan plan = plan_of(sc);
  auto once = [&]() {
    LinkStatsObserver links;
    const Trace t = simgrid_execute(sc, plan, {&links});
    std::ostringstream os;
    write_chrome_trace(t, os);
    os << to_json(compute_metrics(sc, plan, t)).dump(2);
    print_link_report(links.stats, os);
    return os.str();
  };
  const std::string a = once(), b = once();
  EXPECT_NE(a.find("simulated_load_s"), std::string::npos);
  EXPECT_NE(a.find("storage on the fabric (3 servers)"), std::string::npos);
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace trainsim
