// Integration of the energy, cost, storage and reliability models with the prediction pipeline
// (sim/metrics/energy_cost.hpp, sim/report/compare.hpp; issue #5).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "models/util/errors.hpp"
#include "sim/evaluate/predict.hpp"
#include "sim/report/compare.hpp"
#include "sim/report/report.hpp"

namespace trainsim {
namespace {

const std::string kScenarios = std::string(TRAINSIM_SOURCE_DIR) + "/scenarios";

/// One H100 running a wide, short transformer: large GEMMs, no inter-GPU communication.
nlohmann::json gpu_bound_scenario() {
  return nlohmann::json::parse(R"({
    "name": "gpu-bound",
    "cluster": {"gpu": "H100-SXM5-80GB", "nodes": 1, "gpus_per_node": 1, "intra_node": {"kind": "nvswitch"}},
    "workload": {"name": "wide", "model": {"layers": 2, "hidden": 8192, "heads": 64, "ffn": 32768, "vocab": 32000,
                 "seq_len": 2048, "activation": "gelu"}, "global_batch": 8, "train_tokens": 1e9},
    "strategy": {"tp": 1, "pp": 1, "micro_batch": 1, "precision": "bf16", "attention": "flash"}
  })");
}

Prediction run(const nlohmann::json& j, Scenario* out = nullptr) {
  Scenario sc = parse_scenario(j, "<inline>", kScenarios);
  Prediction p = predict(sc, "analytic");
  if (out) *out = sc;
  return p;
}

TEST(EnergyIntegration, GpuBoundIterationDrawsTdpTimesTime) {
  const Prediction p = run(gpu_bound_scenario());
  const auto& r = p.metrics.energy_cost;
  ASSERT_TRUE(r.valid);
  const double T = r.storage.iteration_time_with_io_s;
  const auto& a = r.energy.activity;
  EXPECT_NEAR(a.total_s(), T, 1e-9 * T);
  EXPECT_GT(a.compute_s / T, 0.8) << "a wide single-GPU model is compute-bound";
  EXPECT_EQ(a.comm_s, 0.0);
  // H100 reference: 700 W at the power cap while GEMMs run (shared/reference/h100-measured.md).
  const double gpu_j = r.energy.per_iteration.gpu_j;
  EXPECT_NEAR(gpu_j, 700.0 * T, 0.10 * 700.0 * T);
  EXPECT_GE(gpu_j, 700.0 * a.compute_s);
  // Host, network, storage and facility add to it; average power between 0.7 and 3 kW for one GPU.
  EXPECT_GT(r.energy.per_iteration.total_j(), gpu_j);
  EXPECT_GT(r.energy.per_iteration.average_power_w, 700.0);
  EXPECT_LT(r.energy.per_iteration.average_power_w, 3000.0);
}

TEST(EnergyIntegration, PueScalesFacilityEnergyOnly) {
  auto j1 = gpu_bound_scenario();
  j1["cluster"]["power"] = {{"pue", 1.0}};
  auto j2 = gpu_bound_scenario();
  j2["cluster"]["power"] = {{"pue", 1.5}};
  const auto e1 = run(j1).metrics.energy_cost.energy;
  const auto e2 = run(j2).metrics.energy_cost.energy;
  EXPECT_DOUBLE_EQ(e1.per_iteration.facility_j, 0.0);
  EXPECT_NEAR(e2.per_iteration.it_j(), e1.per_iteration.it_j(), 1e-9 * e1.per_iteration.it_j());
  EXPECT_NEAR(e2.per_iteration.total_j() / e1.per_iteration.total_j(), 1.5, 1e-9);
  EXPECT_NEAR(e2.run_kwh / e1.run_kwh, 1.5, 1e-9);
  EXPECT_NEAR(e2.co2_kg / e1.co2_kg, 1.5, 1e-9);
  // Run energy = per-iteration energy x iterations (1e9 tokens / (8 x 2048) per iteration).
  EXPECT_NEAR(e1.run_kwh, e1.per_iteration.total_j() * 1e9 / (8.0 * 2048) / 3.6e6, 1e-6 * e1.run_kwh);
}

TEST(EnergyIntegration, CompareFieldsAreConsistentWithThePredictions) {
  const Scenario sa = load_scenario(kScenarios + "/compare/cloud-ethernet-s3-ondemand.json");
  const Scenario sb = load_scenario(kScenarios + "/compare/hpc-ib-lustre-onprem.json");
  const Prediction pa = predict(sa), pb = predict(sb);
  const CompareResult r = compare_predictions(sa, pa, sb, pb);
  const auto& ra = pa.metrics.energy_cost;
  const auto& rb = pb.metrics.energy_cost;
  const double ta = ra.reliability.expected.wall_s, tb = rb.reliability.expected.wall_s;
  ASSERT_GT(ta, 0);
  EXPECT_NEAR(r.time_reduction_pct, (1 - tb / ta) * 100, 1e-9);
  EXPECT_NEAR(r.iteration_time_reduction_pct,
              (1 - rb.storage.iteration_time_with_io_s / ra.storage.iteration_time_with_io_s) * 100, 1e-9);
  EXPECT_NEAR(r.a.cost_usd, ra.cost.usd_per_run_with_failures, 1e-9 * r.a.cost_usd);
  EXPECT_NEAR(r.b.energy_kwh, rb.energy.run_kwh_with_failures, 1e-9 * r.b.energy_kwh);
  EXPECT_NEAR(r.flops_per_gpu_ratio, r.b.model_tflops_per_gpu / r.a.model_tflops_per_gpu, 1e-12);
  // Same GPUs on both sides: the job FLOP/s ratio equals the per-GPU ratio.
  EXPECT_NEAR(r.job_flops_ratio, r.flops_per_gpu_ratio, 1e-9);
  // The InfiniBand cluster is faster than oversubscribed TCP Ethernet for the same plan.
  EXPECT_GT(r.time_reduction_pct, 0.0);
  // Doubling the tokens doubles time, cost and energy (Daly's wall time is linear in the work).
  EXPECT_NEAR(r.a.time_to_train_2x_s / r.a.time_to_train_s, 2.0, 1e-6);
  EXPECT_NEAR(r.b.cost_2x_usd / r.b.cost_usd, 2.0, 1e-6);
  // One side on-prem, one cloud: an ROI is computed with the on-prem side's capex.
  ASSERT_TRUE(r.roi.has_value());
  EXPECT_EQ(r.roi_side, "b");
  EXPECT_NEAR(r.roi_inputs->initial_investment_usd, rb.cost.capex_usd, 1e-6);
  const auto j = to_json(r);
  for (const char* k : {"time_reduction_pct", "cost_reduction_pct", "flops_per_gpu_ratio", "job_flops_ratio", "roi"})
    EXPECT_TRUE(j["comparison"].contains(k)) << k;
  EXPECT_TRUE(j["a"]["doubled_dataset"].contains("time_factor"));
  // #21: the ROI's runs per year are an input for a shared cluster: 12 runs a year save 12 runs'
  // worth, and the payback follows.
  EXPECT_FALSE(r.runs_per_year_stated);
  const CompareResult shared = compare_predictions(sa, pa, sb, pb, 0, 12);
  ASSERT_TRUE(shared.roi.has_value());
  EXPECT_TRUE(shared.runs_per_year_stated);
  EXPECT_DOUBLE_EQ(shared.roi_inputs->projects_per_year, 12.0);
  EXPECT_NEAR(shared.roi->annual_net_savings_usd, 12 * shared.roi_inputs->savings_per_project_usd, 1e-6);
  EXPECT_GT(shared.roi->payback_years, r.roi->payback_years);
}

TEST(EnergyIntegration, BadSectionsNameTheirJsonPath) {
  auto j = gpu_bound_scenario();
  j["cluster"]["cost"] = {{"cloud", {{"market", "lunar"}}}};
  try {
    run(j);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("$.cluster.cost.cloud.market"), std::string::npos) << e.what();
  }
  auto k = gpu_bound_scenario();
  k["cluster"]["power"] = {{"pue", 5}};
  EXPECT_THROW(run(k), InputError);

  // A cluster in its own file: the path is rooted at that file ("$.cost.cloud.market").
  const auto dir = std::filesystem::temp_directory_path() / "trainsim_energy_integration";
  std::filesystem::create_directories(dir);
  auto cl = gpu_bound_scenario()["cluster"];
  cl["cost"] = {{"cloud", {{"market", 7}}}};
  std::ofstream(dir / "cl.json") << cl.dump();
  auto sj = gpu_bound_scenario();
  sj["cluster"] = "cl.json";
  std::ofstream(dir / "sc.json") << sj.dump();
  try {
    predict(load_scenario((dir / "sc.json").string()));
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    const std::string w = e.what();
    EXPECT_NE(w.find("cl.json: $.cost.cloud.market"), std::string::npos) << w;
  }
}

TEST(EnergyIntegration, FailureRatesLengthenTimeToTrain) {
  auto base = gpu_bound_scenario();
  base["cluster"]["nodes"] = 4;
  base["cluster"]["gpus_per_node"] = 8;
  base["cluster"]["nics_per_node"] = 8;
  base["cluster"]["nic_gbps"] = 400;
  base["workload"]["global_batch"] = 256;
  base["workload"]["train_tokens"] = 1e11;
  auto none = base, many = base;
  none["cluster"]["reliability"] = {
      {"gpu_failures_per_hour", 0}, {"node_failures_per_hour", 0}, {"link_failures_per_hour", 0}};
  many["cluster"]["reliability"] = {{"gpu_failures_per_hour", 1e-3}};
  const auto r0 = run(none).metrics.energy_cost.reliability;
  const auto r1 = run(base).metrics.energy_cost.reliability;
  const auto r2 = run(many).metrics.energy_cost.reliability;
  EXPECT_DOUBLE_EQ(r0.expected.wall_s, r0.ideal_time_to_train_s);
  EXPECT_DOUBLE_EQ(r0.expected.goodput, 1.0);
  EXPECT_GT(r1.expected.wall_s, r1.ideal_time_to_train_s);
  EXPECT_GT(r2.expected.wall_s, r1.expected.wall_s);
  EXPECT_LT(r2.expected.goodput, r1.expected.goodput);
  EXPECT_LT(r2.job_mtbf_s, r1.job_mtbf_s);
  EXPECT_LT(r2.daly_interval_s, r1.daly_interval_s);
  // Checkpoint = params x 14 bytes written at min(storage, nodes x NIC) bandwidth.
  EXPECT_GT(r1.checkpoint_write_s, 0.0);
}

TEST(EnergyIntegration, SlowObjectStoreStallsAndReportsIt) {
  auto j = gpu_bound_scenario();
  j["cluster"]["storage"] = {{"source", "object_store"},
                             {"object_store", {{"request_latency_ms", 2000}, {"connections_per_node", 1}}}};
  const Prediction p = run(j);
  const auto& s = p.metrics.energy_cost.storage;
  EXPECT_EQ(s.tier, "object_store");
  EXPECT_GT(s.data_stall_s, 0.0);
  EXPECT_NEAR(s.iteration_time_with_io_s, p.metrics.iteration_time_s + s.data_stall_s, 1e-12);
  const auto json = to_json(p.metrics);
  EXPECT_DOUBLE_EQ(json.at("data_stall_s").get<double>(), s.data_stall_s);
  for (const char* k : {"energy", "cost", "reliability", "storage"}) EXPECT_TRUE(json.contains(k)) << k;
  EXPECT_TRUE(json["energy"]["per_iteration_j"].contains("facility"));
  EXPECT_TRUE(json["energy"]["run_kwh"].contains("network"));
}

}  // namespace
}  // namespace trainsim
