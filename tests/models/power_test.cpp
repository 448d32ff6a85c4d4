// Power and energy model: hand-worked values. Sources of the inputs are in the comments; the
// defaults themselves are cited in models/power/power_spec.cpp.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "models/gpu/gpu_catalog.hpp"
#include "models/power/energy_model.hpp"
#include "models/power/power_spec.hpp"
#include "models/util/errors.hpp"

using namespace trainsim;
using ::testing::HasSubstr;

namespace {
JsonReader reader(const char* text, const char* path) {
  static nlohmann::json keep;  // JsonReader copies the json; keep is just a parse target
  keep = nlohmann::json::parse(text);
  return JsonReader(keep, "<inline>", path);
}
const GpuSpec& h100() { return gpu_by_name("H100-SXM5-80GB"); }
}  // namespace

// shared/reference/h100-measured.md: sustained dense bf16 GEMMs draw 698-708 W at the 700 W cap,
// so one compute-bound second of one H100 is 700 J (+-10 %).
TEST(Power, H100ComputeBoundSecondIs700J) {
  PowerSpec p = default_power_spec(h100(), 8);
  ClusterCounts c;
  c.gpus = 1;
  EnergyBreakdown e = iteration_energy(p, ActivityBreakdown{1.0, 0, 0, 0}, c);
  EXPECT_NEAR(e.gpu_j, 700.0, 70.0);
  EXPECT_NEAR(e.iteration_s, 1.0, 1e-12);
}

// Idle H100: 71 W measured at first read (same file).
TEST(Power, H100IdleSecondIs71J) {
  PowerSpec p = default_power_spec(h100(), 8);
  ClusterCounts c;
  c.gpus = 1;
  EXPECT_NEAR(iteration_energy(p, ActivityBreakdown{0, 0, 0, 1.0}, c).gpu_j, 71.0, 1e-9);
}

// Defaults: memory-bound 0.6 x TDP, communication 0.4 x TDP, host 1,650 W per 8-GPU node whatever
// the GPUs (the idle floor measured in three MLPerf power submissions' logs), busy or idle.
TEST(Power, DefaultsFromCatalog) {
  PowerSpec p = default_power_spec(h100(), 8);
  EXPECT_NEAR(p.gpu.memory_w, 420.0, 1e-9);
  EXPECT_NEAR(p.gpu.comm_w, 280.0, 1e-9);
  EXPECT_NEAR(p.host.active_w, 1650.0, 1e-9);
  EXPECT_NEAR(p.host.idle_w, 1650.0, 1e-9);
  EXPECT_NEAR(default_power_spec(gpu_by_name("B200"), 8).host.active_w, 1650.0, 1e-9);
  EXPECT_NEAR(default_power_spec(h100(), 4).host.active_w, 825.0, 1e-9);  // a 4-GPU tray: half
  EXPECT_NEAR(p.pue, 1.10, 1e-12);
  EXPECT_NEAR(p.carbon_g_per_kwh, 480.0, 1e-12);
  PowerSpec mi = default_power_spec(gpu_by_name("MI300X"), 8);  // 750 W board (AMD datasheet)
  EXPECT_NEAR(mi.gpu.memory_w, 450.0, 1e-9);
}

// One 8x H100 node, 1 s iteration: 0.5 s compute, 0.2 memory, 0.2 comm, 0.1 idle.
// GPU: 8 x (0.5x700 + 0.2x420 + 0.2x280 + 0.1x71) = 8 x 497.1 = 3976.8 J
// host: 1650 J (its floor, busy or idle); NICs: 8 x 25 W = 200 J; IT 5826.8 J
// facility (PUE 1.1): 582.68 J; total 6409.48 J; average 6409.48 W.
TEST(Power, NodeIterationBreakdownAndPue) {
  PowerSpec p = default_power_spec(h100(), 8);
  ClusterCounts c;
  c.gpus = 8;
  c.nodes = 1;
  c.nics = 8;
  EnergyBreakdown e = iteration_energy(p, ActivityBreakdown{0.5, 0.2, 0.2, 0.1}, c);
  EXPECT_NEAR(e.gpu_j, 3976.8, 1e-6);
  EXPECT_NEAR(e.host_j, 1650.0, 1e-6);
  EXPECT_NEAR(e.network_j, 200.0, 1e-9);
  EXPECT_NEAR(e.storage_j, 0.0, 1e-12);
  EXPECT_NEAR(e.facility_j, 582.68, 1e-6);
  EXPECT_NEAR(e.total_j(), 6409.48, 1e-6);
  EXPECT_NEAR(e.average_power_w, 6409.48, 1e-6);
  // 1000 such iterations: 6.40948e6 J = 1.780411 kWh; x 480 g/kWh = 0.854597 kg CO2.
  double kwh = run_energy_kwh(e, 1000);
  EXPECT_NEAR(kwh, 1.780411, 1e-6);
  EXPECT_NEAR(co2_kg(kwh, p.carbon_g_per_kwh), 0.854597, 1e-6);
}

// The facility total is PUE x IT energy: doubling (PUE - 1) doubles the overhead only.
TEST(Power, PueMultipliesFacilityTotal) {
  PowerSpec p = default_power_spec(h100(), 8);
  ClusterCounts c;
  c.gpus = 16;
  c.nodes = 2;
  c.nics = 16;
  c.switches = 1;
  c.storage_servers = 1;
  ActivityBreakdown a{0.7, 0.1, 0.1, 0.1};
  p.pue = 1.0;
  EnergyBreakdown e1 = iteration_energy(p, a, c);
  EXPECT_NEAR(e1.facility_j, 0.0, 1e-12);
  p.pue = 1.5;
  EnergyBreakdown e15 = iteration_energy(p, a, c);
  EXPECT_NEAR(e15.total_j(), 1.5 * e1.total_j(), 1e-6);
  // Switch: 64 ports x 11.6 W = 742.4 W; storage server 1500 W, both for the 1 s iteration.
  EXPECT_NEAR(e1.network_j, 16 * 25.0 + 742.4, 1e-6);
  EXPECT_NEAR(e1.storage_j, 1500.0, 1e-9);
}

TEST(Power, NegativeDurationIsABug) {
  PowerSpec p = default_power_spec(h100(), 8);
  EXPECT_THROW(iteration_energy(p, ActivityBreakdown{-1, 0, 0, 0}, ClusterCounts{}), InternalError);
}

TEST(PowerJson, OverridesAndDefaults) {
  auto r = reader(R"({"pue": 1.3, "gpu_memory_w": 500, "carbon_g_per_kwh": 50})", "$.cluster.power");
  PowerSpec p = parse_power(r, h100(), 8);
  EXPECT_NEAR(p.pue, 1.3, 1e-12);
  EXPECT_NEAR(p.gpu.memory_w, 500.0, 1e-12);
  EXPECT_NEAR(p.gpu.compute_w, 700.0, 1e-12);  // default kept
  EXPECT_NEAR(p.carbon_g_per_kwh, 50.0, 1e-12);
}

TEST(PowerJson, PueOutOfRangeNamesPath) {
  auto r = reader(R"({"pue": 5})", "$.cluster.power");
  try {
    parse_power(r, h100(), 8);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("$.cluster.power.pue"));
    EXPECT_THAT(e.what(), HasSubstr("a number in [1, 3]"));
    EXPECT_THAT(e.what(), HasSubstr("number 5"));
  }
}

TEST(PowerJson, PueWrongTypeNamesPath) {
  auto r = reader(R"({"pue": "1.2"})", "$.cluster.power");
  EXPECT_THROW(parse_power(r, h100(), 8), InputError);
}

TEST(PowerJson, UnknownKeyRejected) {
  auto r = reader(R"({"pue_": 1.2})", "$.cluster.power");
  try {
    parse_power(r, h100(), 8);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("$.cluster.power.pue_"));
    EXPECT_THAT(e.what(), HasSubstr("unknown key"));
  }
}

TEST(PowerJson, BusyBelowIdleRejected) {
  auto r = reader(R"({"gpu_comm_w": 50})", "$.cluster.power");  // H100 idle is 71 W
  try {
    parse_power(r, h100(), 8);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("$.cluster.power.gpu_comm_w"));
  }
}

TEST(PowerJson, HostAndClusterObject) {
  nlohmann::json j = nlohmann::json::parse(
      R"({"gpu": "H100-SXM5-80GB", "nodes": 2, "host": {"active_w": 4000}, "power": {"nic_w": 30}})");
  JsonReader cluster(j, "<inline>", "$.cluster");
  PowerSpec p = power_from_cluster(cluster, h100(), 8);
  EXPECT_NEAR(p.host.active_w, 4000.0, 1e-12);
  EXPECT_NEAR(p.host.idle_w, 1650.0, 1e-12);  // the default idle floor kept
  EXPECT_NEAR(p.nic_w, 30.0, 1e-12);
  nlohmann::json bad = nlohmann::json::parse(R"({"host": {"active_w": 1000, "idle_w": 2000}})");
  JsonReader badr(bad, "<inline>", "$.cluster");
  try {
    power_from_cluster(badr, h100(), 8);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("$.cluster.host.idle_w"));
  }
}

// GPUs a job holds without running ranks on them (64 of an NVL72's 72 used) draw their idle power
// for the whole iteration: 8 held-idle H100 over a 1 s iteration add 8 x 71 J to the GPU energy.
TEST(Power, HeldIdleGpusDrawIdlePower) {
  PowerSpec p = default_power_spec(h100(), 8);
  ClusterCounts c;
  c.gpus = 8;
  c.nodes = 1;
  const ActivityBreakdown a{0.5, 0.2, 0.2, 0.1};
  const double busy_only = iteration_energy(p, a, c).gpu_j;
  c.idle_gpus = 8;
  EXPECT_NEAR(iteration_energy(p, a, c).gpu_j - busy_only, 8 * 71.0, 1e-9);
}
