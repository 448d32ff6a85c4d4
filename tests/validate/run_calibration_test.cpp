// trainsim calibrate --runs: efficiency factors fitted to measured runs (sim/validate/run_calibration.hpp).
#include "sim/validate/run_calibration.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "sim/evaluate/predict.hpp"
#include "sim/scenario/scenario_profile.hpp"

using namespace trainsim;

namespace {

/// A small GPT on `nodes` x 8 H100 with the given layout (fast to predict).
nlohmann::json scenario(int nodes, int tp, int pp, std::int64_t batch) {
  return {{"name", "t"},
          {"cluster", {{"gpu", "H100-SXM5-80GB"}, {"nodes", nodes}, {"gpus_per_node", 8}, {"nic_gbps", 400}}},
          {"workload",
           {{"model", {{"layers", 8}, {"hidden", 2048}, {"heads", 16}, {"seq_len", 2048}, {"vocab", 32000}}},
            {"global_batch", batch}}},
          {"strategy", {{"tp", tp}, {"pp", pp}, {"micro_batch", 1}}}};
}

double time_with(const nlohmann::json& j, const EfficiencyFactors& e) {
  Scenario sc = parse_scenario(j, "t", ".");
  apply_efficiency(e, sc.cluster);
  return predict(sc).metrics.iteration_time_s;
}

/// Runs "measured" on a cluster whose true factors are `truth`, with +-noise alternating.
std::vector<MeasuredRun> synthetic_runs(const EfficiencyFactors& truth, double noise) {
  std::vector<MeasuredRun> runs;
  int i = 0;
  for (int nodes : {1, 2, 4})
    for (int tp : {1, 8})
      for (std::int64_t batch : {32, 256}) {
        MeasuredRun r;
        r.id = "n" + std::to_string(nodes) + "tp" + std::to_string(tp) + "b" + std::to_string(batch);
        r.scenario = scenario(nodes, tp, 1, batch);
        r.measured_s = time_with(r.scenario, truth) * (1 + (i++ % 2 ? noise : -noise));
        runs.push_back(r);
      }
  return runs;
}

}  // namespace

// Runs generated with known factors give those factors back (within the ridge's pull and the
// noise), and the leave-one-out error falls well below the default models' error.
TEST(RunCalibration, RecoversKnownFactorsFromRuns) {
  EfficiencyFactors truth;
  truth.compute["H100-SXM5-80GB"] = 0.8;
  truth.inter_node = 0.6;
  const auto runs = synthetic_runs(truth, 0.01);
  CalibrationOptions opt;
  opt.ridge = 0.001;
  const auto res = calibrate_from_runs(runs, opt);
  ASSERT_EQ(res.parameters.size(), 3u);  // compute H100, intra_node, inter_node
  for (std::size_t j = 0; j < res.parameters.size(); ++j) {
    const double want = res.parameters[j] == "inter_node" ? 0.6 : res.parameters[j] == "intra_node" ? 1.0 : 0.8;
    EXPECT_NEAR(res.factors[j], want, 0.05 * want) << res.parameters[j];
  }
  EXPECT_GT(res.mape_before, 15.0);
  EXPECT_LT(res.mape_loo, 3.0);
  EXPECT_LT(res.mape_fitted, res.mape_loo + 1e-9);
  // The profile written carries the factors, and a scenario naming it runs with them.
  const auto dir = std::filesystem::temp_directory_path() / "trainsim_run_calibration_test";
  std::filesystem::create_directories(dir);
  CalibrationProfile p;
  p.device = "runs";
  p.efficiency = res.efficiency();
  std::ofstream(dir / "p.json") << p.to_json().dump(2);
  auto j = runs[3].scenario;
  j["options"] = {{"profile", (dir / "p.json").string()}};
  const double t = predict(parse_scenario(j, "t", ".")).metrics.iteration_time_s;
  EXPECT_NEAR(t, runs[3].measured_s, 0.03 * runs[3].measured_s);
  std::filesystem::remove_all(dir);
}

// A factor no run exercises is not fitted, and says so: single-node runs carry no inter-node
// traffic; runs on one GPU per node have no intra-node link.
TEST(RunCalibration, FactorsTheRunsCannotIdentifyAreNamed) {
  std::vector<MeasuredRun> runs;
  for (std::int64_t batch : {16, 64}) {
    MeasuredRun r;
    r.id = "b" + std::to_string(batch);
    r.scenario = scenario(1, 1, 1, batch);
    r.scenario["cluster"]["gpus_per_node"] = 1;
    r.measured_s = time_with(r.scenario, {}) * 1.25;
    runs.push_back(r);
  }
  const auto res = calibrate_from_runs(runs, {});
  ASSERT_EQ(res.parameters.size(), 1u);
  EXPECT_EQ(res.parameters[0], "compute H100-SXM5-80GB");
  EXPECT_LT(res.factors[0], 0.9);  // 25% slower than the datasheet model
  // Two single-node runs that only differ in TP give the compute factor and the NVLink factor
  // nothing to tell apart when each run's time depends on both alike: the fit says how many
  // factors the runs carry.
  runs.resize(1);
  runs[0].scenario = scenario(1, 8, 1, 16);
  const auto one = calibrate_from_runs(runs, {});
  bool named = false;
  for (const auto& n : one.notes) named |= n.find("1 runs for 2 factors") != std::string::npos;
  EXPECT_TRUE(named);
}

// Iteration times from training logs: the warm-up lines dropped, the median of the rest.
TEST(RunCalibration, ReadsMegatronNemoAndTorchtitanLogs) {
  const auto dir = std::filesystem::temp_directory_path() / "trainsim_logs_test";
  std::filesystem::create_directories(dir);
  const auto sc = scenario(1, 8, 1, 16);
  std::ofstream(dir / "s.json") << sc.dump();
  std::ofstream(dir / "megatron.log")
      << " iteration        1/     100 | elapsed time per iteration (ms): 9000.0 | learning rate: 1.0E-05\n"
      << " iteration        2/     100 | elapsed time per iteration (ms): 5000.0 |\n"
      << " iteration        3/     100 | elapsed time per iteration (ms): 1200.0 |\n"
      << " iteration        4/     100 | elapsed time per iteration (ms): 1000.0 |\n"
      << " iteration        5/     100 | elapsed time per iteration (ms): 1100.0 |\n";
  EXPECT_NEAR(run_from_log((dir / "megatron.log").string(), (dir / "s.json").string()).measured_s, 1.1, 1e-9);
  std::ofstream(dir / "nemo.log") << "Epoch 0: train_step_timing in s: 3.0\nx\ntrain_step_timing in s=2.0\n"
                                  << "train_step_timing in s: 0.5\ntrain_step_timing in s: 0.7\n";
  EXPECT_NEAR(run_from_log((dir / "nemo.log").string(), (dir / "s.json").string()).measured_s, 0.6, 1e-9);
  // torchtitan: tokens per second per GPU; 16 sequences x 2048 tokens on 8 GPUs at 4,096 tps = 1 s.
  std::ofstream(dir / "titan.log") << "step:  1  loss: 10.9  memory: 20GiB  tps: 100  tflops: 1  mfu: 1%\n"
                                   << "step:  2  loss: 10.1  memory: 20GiB  tps: 200\n"
                                   << "step:  3  loss:  9.8  memory: 20GiB  tps: 4,096  tflops: 300  mfu: 30%\n";
  EXPECT_NEAR(run_from_log((dir / "titan.log").string(), (dir / "s.json").string()).measured_s, 1.0, 1e-9);
  std::ofstream(dir / "empty.log") << "nothing here\n";
  EXPECT_THROW(run_from_log((dir / "empty.log").string(), (dir / "s.json").string()), InputError);
  std::filesystem::remove_all(dir);
}

// The profile's efficiency part is checked on load, naming the field.
TEST(RunCalibration, BadEfficiencyFactorNamesTheField) {
  nlohmann::json j = {{"format", "trainsim-profile/1"}, {"efficiency", {{"inter_node", -1}}}};
  try {
    CalibrationProfile::from_json(j, "p.json");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("$.efficiency.inter_node"), std::string::npos) << e.what();
  }
}

// The project's NeMo 24.07 rows (issue #18's check): the leave-one-out error after the fit is
// below the default models' error.
TEST(RunCalibration, NemoRowsLeaveOneOutImproves) {
  std::vector<std::string> skipped;
  const auto runs =
      runs_from_records(std::string(TRAINSIM_SOURCE_DIR) + "/validation/published-runs.jsonl", "nemo", skipped);
  ASSERT_EQ(runs.size(), 12u);
  EXPECT_TRUE(skipped.empty());
  CalibrationOptions opt;
  opt.engine = "fast";
  const auto res = calibrate_from_runs(runs, opt);
  EXPECT_LT(res.mape_loo, res.mape_before - 1.0);
  EXPECT_LT(res.mape_loo, 5.0);
}
