// trainsim validate reads the published-runs schema as it is.
#include <gtest/gtest.h>

#include <cmath>

#include "sim/evaluate/predict.hpp"
#include "sim/validate/published_configs.hpp"
#include "sim/validate/validate.hpp"

using namespace trainsim;

TEST(Validate, ReadsEveryRecordOfThePublishedFile) {
  const auto recs = load_published_records(std::string(TRAINSIM_SOURCE_DIR) + "/validation/published-runs.jsonl");
  ASSERT_GE(recs.size(), 61u);
  int constants = 0;
  for (const auto& r : recs) constants += r.kind == "constant";
  EXPECT_EQ(constants, 7);
}

TEST(Validate, Sc21RowsArePredictedWithConsistentErrors) {
  const auto recs = load_published_records(std::string(TRAINSIM_SOURCE_DIR) + "/validation/published-runs.jsonl");
  ValidateOptions opt;
  opt.only_prefix = "sc21_table1_";
  const auto rep = validate_records(recs, opt);
  ASSERT_EQ(rep.rows.size(), 10u);
  EXPECT_EQ(rep.predicted, 10);
  double sum = 0;
  for (const auto& row : rep.rows) {
    ASSERT_TRUE(row.predicted.has_value()) << row.id << ": " << row.skipped_reason;
    EXPECT_NEAR(*row.error_pct, (*row.predicted - row.published) / row.published * 100, 1e-9);
    // Each filled knob is listed with its rule.
    EXPECT_FALSE(row.filled.empty());
    sum += std::fabs(*row.error_pct);
    // Hardware TFLOP/s per GPU: physically below the A100 peak.
    EXPECT_LT(*row.predicted, 312.0);
    EXPECT_GT(*row.predicted, 60.0);
  }
  EXPECT_NEAR(rep.mape, sum / 10, 1e-9);
}

TEST(Validate, ConstantsAndUnknownShapesAreSkippedWithAReason) {
  const auto recs = load_published_records(std::string(TRAINSIM_SOURCE_DIR) + "/validation/published-runs.jsonl");
  const auto rep = validate_records(recs, {});
  int skipped = 0;
  for (const auto& row : rep.rows)
    if (!row.predicted) {
      ++skipped;
      EXPECT_FALSE(row.skipped_reason.empty()) << row.id;
    }
  EXPECT_EQ(skipped, rep.skipped);
  EXPECT_EQ(rep.predicted + rep.skipped, static_cast<int>(recs.size()));
}

TEST(Validate, BadRecordNamesLineAndPath) {
  nlohmann::json j = {{"id", "x"}, {"kind", "run"}, {"measured", {{"metric", "mfu"}, {"value", "high"}}}};
  try {
    parse_published_record(j, "f.jsonl:3");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("f.jsonl:3: $.measured.value"), std::string::npos) << e.what();
  }
}

namespace {
PublishedRecord sc21_record(const std::string& id) {
  const auto recs = load_published_records(std::string(TRAINSIM_SOURCE_DIR) + "/validation/published-runs.jsonl");
  for (const auto& r : recs)
    if (r.id == id) return r;
  ADD_FAILURE() << "no record " << id;
  return {};
}
bool has_fill(const ValidationRow& row, const std::string& what) {
  for (const auto& f : row.filled)
    if (f.find(what) != std::string::npos) return true;
  return false;
}
}  // namespace

// SC'21 Table 1 leaves micro-batch and virtual stages out; the authors' launch script states them
// (NVIDIA/Megatron-LM examples/sc21/run_table_1.sh), so they are taken from there, not searched.
TEST(Validate, Sc21Table1TakesTheAuthorsLaunchConfiguration) {
  const auto r76 = sc21_record("sc21_table1_76.1B");
  const auto cfg = published_run_config(r76);
  ASSERT_TRUE(cfg.has_value());
  EXPECT_EQ(cfg->micro_batch, 2);
  EXPECT_EQ(cfg->layers_per_virtual_stage, 5);
  EXPECT_FALSE(cfg->overlap_grad_reduce);  // Megatron "local" DDP
  const auto row = validate_record(r76, {});
  ASSERT_TRUE(row.predicted.has_value()) << row.skipped_reason;
  // 60 layers on 4 stages with 5 layers per chunk: 3 virtual stages.
  EXPECT_NE(row.strategy.find("vp3 mb2"), std::string::npos) << row.strategy;
  EXPECT_TRUE(has_fill(row, "micro_batch=2 (NVIDIA/Megatron-LM examples/sc21/run_table_1.sh)"));
  EXPECT_FALSE(has_fill(row, "fastest that fits"));

  // The 1T run passes no virtual-stage flag: plain 1F1B. The TP-only runs use PyTorch DDP.
  const auto row1t = validate_record(sc21_record("sc21_table1_1008B"), {});
  EXPECT_NE(row1t.strategy.find(" 1f1b"), std::string::npos) << row1t.strategy;
  EXPECT_TRUE(published_run_config(sc21_record("sc21_table1_1.7B"))->overlap_grad_reduce);

  // A record with another batch is another run: no configuration is borrowed.
  auto other = r76;
  other.global_batch = 2048;
  EXPECT_FALSE(published_run_config(other).has_value());
  auto table2 = sc21_record("sc21_table2_ptdp_174.6B_384gpu");
  EXPECT_FALSE(published_run_config(table2).has_value());
}

// Issue #2's accuracy gate: SC'21 Table 1 within 10% MAPE with the datasheet models.
TEST(Validate, Sc21Table1MapeWithinTenPercent) {
  const auto recs = load_published_records(std::string(TRAINSIM_SOURCE_DIR) + "/validation/published-runs.jsonl");
  ValidateOptions opt;
  opt.only_prefix = "sc21_table1_";
  const auto rep = validate_records(recs, opt);
  EXPECT_EQ(rep.predicted, 10);
  EXPECT_LE(rep.mape, 10.0);
}

// Each predicted row of --format json carries the prediction's breakdown, which adds up to the
// iteration for a run without pipeline (nothing overlaps the compute stream there but gradients).
TEST(Validate, JsonRowsCarryTheBreakdown) {
  ValidationReport rep;
  rep.rows.push_back(validate_record(sc21_record("sc21_table1_1.7B"), {}));
  rep.predicted = 1;
  const auto j = to_json(rep);
  const auto& row = j["rows"][0];
  ASSERT_TRUE(row.contains("breakdown_s")) << row.dump();
  double sum = 0;
  for (const char* k :
       {"forward", "backward", "recompute", "tp_comm_exposed", "pipeline_bubble", "dp_comm_exposed", "optimizer"})
    sum += row["breakdown_s"][k].get<double>();
  EXPECT_NEAR(sum, row["iteration_time_s"].get<double>(), 0.02 * row["iteration_time_s"].get<double>());
  EXPECT_GT(row["memory_gb"]["total"].get<double>(), 1.0);
  EXPECT_LT(row["memory_gb"]["total"].get<double>(), 80.0);
}

// Framework precision settings come from the frameworks' own published configurations: the
// llm-foundry tables run FSDP with Composer's "DEFAULT" mixed precision (fp32 parameters,
// bf16 gradient reduction) and NeMo's FP8 recipes reduce gradients in bf16; SC'21 rows keep
// Megatron-LM's defaults. The scenario written by `validate --scenarios` carries them.
TEST(Validate, FrameworkPrecisionSettingsAreFilledFromTheirConfigurations) {
  const auto mpt = validate_record(sc21_record("mpt_13b_h100_64gpu_seq2048"), {});
  ASSERT_TRUE(mpt.predicted);
  EXPECT_TRUE(has_fill(mpt, "fsdp_param_dtype=fp32"));
  EXPECT_EQ(mpt.scenario["strategy"]["fsdp_param_dtype"], "fp32");
  EXPECT_EQ(mpt.scenario["strategy"]["grad_reduce_dtype"], "bf16");
  const auto nemo = validate_record(sc21_record("nemo2407_h100_GPT3-20B_64gpu"), {});
  ASSERT_TRUE(nemo.predicted);
  EXPECT_EQ(nemo.scenario["strategy"]["grad_reduce_dtype"], "bf16");
  EXPECT_FALSE(nemo.scenario["strategy"].contains("fsdp_param_dtype"));
  const auto sc21 = validate_record(sc21_record("sc21_table1_1.7B"), {});
  EXPECT_FALSE(sc21.scenario["strategy"].contains("grad_reduce_dtype"));
  // The written scenario reproduces the row's prediction through the ordinary loader.
  const Scenario again = parse_scenario(mpt.scenario, "test", ".");
  EXPECT_NEAR(predict(again).metrics.iteration_time_s, mpt.iteration_time_s, 1e-6 * mpt.iteration_time_s);
}

// A NeMo row whose layout is that of a NeMo-Framework-Launcher recipe takes the recipe's
// recomputation instead of the searched one; another layout of the same model takes nothing.
TEST(Validate, NemoRecipeRecomputationOnlyForItsOwnLayout) {
  auto r = sc21_record("nemo2407_h100_Nemotron-340B_128gpu");
  const auto rc = published_recompute(r);
  ASSERT_TRUE(rc.has_value());
  EXPECT_STREQ(rc->recompute, "none");
  const auto row = validate_record(r, {});
  ASSERT_TRUE(row.predicted);
  EXPECT_EQ(row.scenario["strategy"]["recompute"], "none");
  EXPECT_TRUE(has_fill(row, "nemotron_340b.yaml"));
  r.vp = 6;
  EXPECT_FALSE(published_recompute(r).has_value());
  EXPECT_FALSE(published_recompute(sc21_record("nemo2407_h100_GPT3-20B_64gpu")).has_value());
}

// A NeMo row of a model whose recipe turns Transformer Engine's TP overlap on, at the row's TP
// size, runs with it and with the recipe's ub_cfg entries; Llama 2 70B's recipe leaves it off.
TEST(Validate, NemoRecipeTpOverlapWithItsUbCfg) {
  const auto llama3 = validate_record(sc21_record("nemo2407_h100_LLAMA3-70B_64gpu"), {});
  ASSERT_TRUE(llama3.predicted);
  EXPECT_EQ(llama3.scenario["strategy"]["tp_comm_overlap"], true);
  EXPECT_EQ(llama3.scenario["strategy"]["tp_overlap_cfg"]["qkv_wgrad"]["num_sm"], 24);
  EXPECT_EQ(llama3.scenario["strategy"]["tp_overlap_cfg"]["fc2_fprop"]["method"], "pipeline");
  EXPECT_TRUE(has_fill(llama3, "ub_cfg_h100_h8192_tp4_mbs1_seqlen8192.yaml"));
  const auto nemotron = validate_record(sc21_record("nemo2407_h100_Nemotron-340B_128gpu"), {});
  EXPECT_EQ(nemotron.scenario["strategy"]["tp_comm_overlap"], true);
  EXPECT_TRUE(nemotron.scenario["strategy"]["tp_overlap_cfg"].empty());  // TE's defaults
  const auto llama2 = validate_record(sc21_record("nemo2407_h100_LLAMA2-70B_64gpu"), {});
  EXPECT_FALSE(llama2.scenario["strategy"].contains("tp_comm_overlap"));
  auto other_tp = sc21_record("nemo2407_h100_LLAMA3-70B_64gpu");
  other_tp.tp = 8;
  EXPECT_FALSE(published_tp_overlap(other_tp).has_value());
}

// Issue #7's gate: every predicted row within 8% MAPE (7.83% when written), the six DeepSpeed
// ZeRO-3 rows of SC'21 Table 2 within 6% (4.2%, strategy.zero_runtime "deepspeed-0.3"; 177% in
// session 6), the NeMo FP8 rows within 7% (5.5%) and the llm-foundry rows within 11.5% (10.9%:
// their A100 rows, MP Mode PURE and Triton flash attention, are over-predicted by +6...+16%, one
// by +54%).
TEST(Validate, EveryRowWithinEightPercentMape) {
  const auto recs = load_published_records(std::string(TRAINSIM_SOURCE_DIR) + "/validation/published-runs.jsonl");
  const auto rep = validate_records(recs, {});
  double sum = 0, nemo = 0, mpt = 0, ds = 0;
  int n = 0, n_nemo = 0, n_mpt = 0, n_ds = 0;
  for (const auto& row : rep.rows) {
    if (!row.error_pct) continue;
    sum += std::fabs(*row.error_pct), ++n;
    if (row.id.rfind("sc21_table2_zero3", 0) == 0) ds += std::fabs(*row.error_pct), ++n_ds;
    if (row.id.rfind("nemo", 0) == 0) nemo += std::fabs(*row.error_pct), ++n_nemo;
    if (row.id.rfind("mpt", 0) == 0) mpt += std::fabs(*row.error_pct), ++n_mpt;
  }
  EXPECT_EQ(n, 54);
  // Issue #7's gate. Measured (session 8): 7.83% whole file, DeepSpeed rows 4.2%, NeMo 5.54%,
  // llm-foundry 10.9%.
  EXPECT_LE(sum / n, 8.0);
  EXPECT_EQ(n_ds, 6);
  EXPECT_LE(ds / n_ds, 6.0);
  EXPECT_EQ(n_nemo, 12);
  EXPECT_LE(nemo / n_nemo, 7.0);
  EXPECT_EQ(n_mpt, 19);
  EXPECT_LE(mpt / n_mpt, 11.5);
}
