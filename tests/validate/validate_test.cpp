// trainsim validate reads the published-runs schema as it is.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "sim/evaluate/predict.hpp"
#include "sim/validate/framework_recipes.hpp"
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

namespace {
/// The recipes of scenarios/frameworks/recipes/ that match a record run with `framework`.
std::vector<std::string> recipes_for(const PublishedRecord& r, const std::string& framework) {
  std::vector<std::string> names;
  for (const auto& recipe : framework_recipes(default_recipes_dir()))
    if (recipe_matches(recipe, r, framework)) names.push_back(recipe.name);
  return names;
}
}  // namespace

// SC'21 Table 1 leaves micro-batch and virtual stages out; the authors' launch script states them
// (NVIDIA/Megatron-LM examples/sc21/run_table_1.sh, scenarios/frameworks/recipes/), so they are
// taken from there, not searched.
TEST(Validate, Sc21Table1TakesTheAuthorsLaunchConfiguration) {
  const auto r76 = sc21_record("sc21_table1_76.1B");
  ASSERT_EQ(recipes_for(r76, "megatron-lm").size(), 1u);
  const auto row = validate_record(r76, {});
  ASSERT_TRUE(row.predicted.has_value()) << row.skipped_reason;
  EXPECT_EQ(row.framework, "megatron-lm 2021 (2021-04)");
  // 60 layers on 4 stages with 5 layers per chunk: 3 virtual stages.
  EXPECT_NE(row.strategy.find("vp3 mb2"), std::string::npos) << row.strategy;
  EXPECT_TRUE(has_fill(row, "micro_batch=2"));
  EXPECT_TRUE(has_fill(row, "examples/sc21/run_table_1.sh"));
  EXPECT_FALSE(has_fill(row, "fastest that fits"));
  EXPECT_EQ(row.scenario["strategy"]["overlap_grad_reduce"], false);  // Megatron "local" DDP

  // The 1T run passes no virtual-stage flag: plain 1F1B. The TP-only runs use PyTorch DDP.
  const auto row1t = validate_record(sc21_record("sc21_table1_1008B"), {});
  EXPECT_NE(row1t.strategy.find(" 1f1b"), std::string::npos) << row1t.strategy;
  const auto row17 = validate_record(sc21_record("sc21_table1_1.7B"), {});
  EXPECT_EQ(row17.scenario["strategy"]["overlap_grad_reduce"], true);
  EXPECT_EQ(row17.scenario["strategy"]["bucket_params"], 13107200);

  // A record with another batch is another run, and another framework's run has other recipes.
  auto other = r76;
  other.global_batch = 2048;
  EXPECT_TRUE(recipes_for(other, "megatron-lm").empty());
  EXPECT_TRUE(recipes_for(r76, "nemo").empty());
  EXPECT_TRUE(recipes_for(sc21_record("sc21_table2_ptdp_174.6B_384gpu"), "megatron-lm").empty());
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

// What a framework did comes from its profile (scenarios/frameworks/): llm-foundry 2023 runs the
// Triton flash-attention kernel and reduces FSDP gradients in bf16, NeMo 24.07 reduces gradients
// in bf16, Megatron-LM 2021 keeps fp32 reduction and unfused attention. The scenario written by
// `validate --scenarios` carries them and names the framework.
TEST(Validate, FrameworkSettingsComeFromTheRecordsProfile) {
  const auto mpt = validate_record(sc21_record("mpt_13b_h100_64gpu_seq2048"), {});
  ASSERT_TRUE(mpt.predicted);
  EXPECT_EQ(mpt.framework, "llm-foundry 2023 (2023-05)");
  EXPECT_EQ(mpt.scenario["strategy"]["attention"], "flash-v1");
  EXPECT_EQ(mpt.scenario["strategy"]["grad_reduce_dtype"], "bf16");
  EXPECT_EQ(mpt.scenario["strategy"]["zero_runtime"], "fsdp");
  EXPECT_EQ(mpt.scenario["framework"]["name"], "llm-foundry");
  const auto nemo = validate_record(sc21_record("nemo2407_h100_GPT3-20B_64gpu"), {});
  ASSERT_TRUE(nemo.predicted);
  EXPECT_EQ(nemo.framework, "nemo 24.07 (2024-07)");
  EXPECT_EQ(nemo.scenario["strategy"]["grad_reduce_dtype"], "bf16");
  EXPECT_FALSE(nemo.scenario["strategy"].contains("fsdp_param_dtype"));
  const auto sc21 = validate_record(sc21_record("sc21_table1_1.7B"), {});
  EXPECT_FALSE(sc21.scenario["strategy"].contains("grad_reduce_dtype"));
  EXPECT_EQ(sc21.scenario["strategy"]["attention"], "unfused");
  const auto ds = validate_record(sc21_record("sc21_table2_zero3_174.6B_384gpu"), {});
  EXPECT_EQ(ds.framework, "deepspeed 0.3 (2021-03)");
  EXPECT_EQ(ds.scenario["strategy"]["zero_runtime"], "deepspeed-0.3");
  // The written scenario reproduces the row's prediction through the ordinary loader, its
  // framework part included.
  for (const auto* row : {&mpt, &nemo, &sc21}) {
    const Scenario again = parse_scenario(row->scenario, "test", ".");
    EXPECT_NEAR(predict(again).metrics.iteration_time_s, row->iteration_time_s, 1e-6 * row->iteration_time_s)
        << row->id;
  }
}

// A NeMo row whose layout is that of a NeMo-Framework-Launcher recipe takes the recipe's
// recomputation instead of the searched one; another layout of the same model takes nothing.
TEST(Validate, NemoRecipeRecomputationOnlyForItsOwnLayout) {
  auto r = sc21_record("nemo2407_h100_Nemotron-340B_128gpu");
  const auto row = validate_record(r, {});
  ASSERT_TRUE(row.predicted);
  EXPECT_EQ(row.scenario["strategy"]["recompute"], "none");
  EXPECT_TRUE(has_fill(row, "nemotron_340b.yaml"));
  EXPECT_FALSE(has_fill(row, "recompute=none (fastest"));
  r.vp = 6;
  for (const auto& name : recipes_for(r, "nemo")) EXPECT_EQ(name.find("(TP overlap)"), name.size() - 12) << name;
  EXPECT_TRUE(recipes_for(sc21_record("nemo2407_h100_GPT3-20B_64gpu"), "nemo").empty());
}

// A NeMo row of a model whose recipe turns Transformer Engine's TP overlap on, at the row's TP
// size, runs with it and with the recipe's ub_cfg entries; Llama 2 70B's recipe leaves it off,
// and NeMo's own default is off (ub_tp_comm_overlap: False), so a layout no recipe has is not
// given it by the search either.
TEST(Validate, NemoRecipeTpOverlapWithItsUbCfg) {
  const auto llama3 = validate_record(sc21_record("nemo2407_h100_LLAMA3-70B_64gpu"), {});
  ASSERT_TRUE(llama3.predicted);
  EXPECT_EQ(llama3.scenario["strategy"]["tp_comm_overlap"], true);
  EXPECT_EQ(llama3.scenario["strategy"]["tp_overlap_cfg"]["qkv_wgrad"]["num_sm"], 24);
  EXPECT_EQ(llama3.scenario["strategy"]["tp_overlap_cfg"]["fc2_fprop"]["method"], "pipeline");
  EXPECT_TRUE(has_fill(llama3, "ub_cfg_h100_h8192_tp4_mbs1_seqlen8192.yaml"));
  const auto nemotron = validate_record(sc21_record("nemo2407_h100_Nemotron-340B_128gpu"), {});
  EXPECT_EQ(nemotron.scenario["strategy"]["tp_comm_overlap"], true);
  EXPECT_FALSE(nemotron.scenario["strategy"].contains("tp_overlap_cfg"));  // TE's defaults
  const auto llama2 = validate_record(sc21_record("nemo2407_h100_LLAMA2-70B_64gpu"), {});
  EXPECT_EQ(llama2.scenario["strategy"]["tp_comm_overlap"], false);
  const auto gpt20 = validate_record(sc21_record("nemo2407_h100_GPT3-20B_64gpu"), {});
  EXPECT_EQ(gpt20.scenario["strategy"]["tp_comm_overlap"], false);
  EXPECT_FALSE(has_fill(gpt20, "tp_comm_overlap=true"));
}

// The search covers only what the row's framework has: a 2021 Megatron-LM row with its
// recomputation left open gets none or full (selective came in 2022), no distributed optimizer
// and no sequence parallelism; the same row run through NeMo 24.07 may get selective.
TEST(Validate, SearchCoversOnlyTheKnobsOfTheRowsFramework) {
  auto r = sc21_record("sc21_table2_ptdp_174.6B_384gpu");
  r.recompute.reset();
  r.zero.reset();
  r.sequence_parallel.reset();
  const auto old = validate_record(r, {});
  ASSERT_TRUE(old.predicted) << old.skipped_reason;
  EXPECT_NE(old.scenario["strategy"]["recompute"], "selective");
  EXPECT_EQ(old.scenario["strategy"]["zero"], 0);
  EXPECT_EQ(old.scenario["strategy"]["sequence_parallel"], false);
  EXPECT_TRUE(has_fill(old, "recompute=")) << "the open knob is listed";
  r.framework = FrameworkRef{"nemo", std::string("24.07"), std::string("2024-07")};
  const auto nemo = validate_record(r, {});
  ASSERT_TRUE(nemo.predicted) << nemo.skipped_reason;
  EXPECT_EQ(nemo.scenario["strategy"]["zero"], 1);
  EXPECT_EQ(nemo.scenario["strategy"]["sequence_parallel"], true);
  // A newer stack is faster on the same hardware (fused attention, sequence parallelism).
  EXPECT_LT(nemo.iteration_time_s, old.iteration_time_s * 0.95);
}

// A knob the record states but its framework lacks does not reject the row: it is predicted as
// stated and flagged (the profile is then what is wrong). An unknown framework runs through the
// generic profile of its date.
TEST(Validate, StatedKnobOutsideTheProfileIsPredictedAndFlagged) {
  auto r = sc21_record("sc21_table2_ptdp_174.6B_384gpu");
  r.recompute = "selective";
  const auto row = validate_record(r, {});
  ASSERT_TRUE(row.predicted) << row.skipped_reason;
  ASSERT_EQ(row.not_in_profile.size(), 1u);
  EXPECT_NE(row.not_in_profile[0].find("recompute"), std::string::npos) << row.not_in_profile[0];
  EXPECT_TRUE(has_fill(row, "NOT IN PROFILE megatron-lm 2021"));
  EXPECT_EQ(row.scenario["strategy"]["recompute"], "selective");
  EXPECT_FALSE(row.scenario.contains("framework"));  // the written scenario would be rejected by run
  r.framework = FrameworkRef{"hai-llm", std::nullopt, std::string("2024-03")};
  const auto generic = validate_record(r, {});
  ASSERT_TRUE(generic.predicted) << generic.skipped_reason;
  EXPECT_EQ(generic.framework.rfind("generic", 0), 0u) << generic.framework;
}

// A batch that does not divide over the data-parallel replicas is predicted at the nearest one
// that does, and the row says so.
TEST(Validate, IndivisibleBatchIsPredictedAtTheNearestFeasibleOne) {
  auto r = sc21_record("mpt_13b_a100_40gb_64gpu_seq2048");
  ASSERT_EQ(r.gpus.value_or(0), 64);
  r.global_batch = 1030;  // 64 replicas: 1024 is the nearest multiple
  r.micro_batch.reset();
  const auto row = validate_record(r, {});
  ASSERT_TRUE(row.predicted) << row.skipped_reason;
  EXPECT_TRUE(has_fill(row, "global_batch=1024 (the published 1030 does not divide over dp=64"));
  EXPECT_EQ(row.scenario["strategy"]["global_batch"], 1024);
}

// Recipe files are strict: an unknown match key names the file and field.
TEST(Validate, RecipeFileErrorsNameTheField) {
  const auto dir = std::filesystem::temp_directory_path() / "trainsim_recipes_test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "bad.json")
      << R"({"framework": "nemo", "source": "s", "recipes": [)"
      << R"({"name": "n", "says": "x", "match": {"model": "A", "ranks": 2}, "strategy": {}}]})";
  try {
    framework_recipes(dir.string());
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("$.recipes[0].match.ranks"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

// Issue #7's gate on the dense rows (the mixture-of-experts rows are issue #19's): within 8.5%
// MAPE (8.0% when the knobs came from frameworks as data; 7.83% with the hand-written rules they
// replaced), the six DeepSpeed ZeRO-3 rows of SC'21 Table 2 within 6% (4.2%), the NeMo FP8 rows
// within 7% (6.5%) and the llm-foundry rows within 11.5% (10.0%).
TEST(Validate, EveryDenseRowWithinEightAndAHalfPercentMape) {
  const auto recs = load_published_records(std::string(TRAINSIM_SOURCE_DIR) + "/validation/published-runs.jsonl");
  const auto rep = validate_records(recs, {});
  double sum = 0, nemo = 0, mpt = 0, ds = 0;
  int n = 0, n_nemo = 0, n_mpt = 0, n_ds = 0;
  for (const auto& row : rep.rows) {
    if (!row.error_pct || row.scenario["workload"]["model"].contains("moe")) continue;
    sum += std::fabs(*row.error_pct), ++n;
    if (row.id.rfind("sc21_table2_zero3", 0) == 0) ds += std::fabs(*row.error_pct), ++n_ds;
    if (row.id.rfind("nemo", 0) == 0) nemo += std::fabs(*row.error_pct), ++n_nemo;
    if (row.id.rfind("mpt", 0) == 0) mpt += std::fabs(*row.error_pct), ++n_mpt;
  }
  EXPECT_EQ(n, 54);
  EXPECT_LE(sum / n, 8.5);
  EXPECT_EQ(n_ds, 6);
  EXPECT_LE(ds / n_ds, 6.0);
  EXPECT_EQ(n_nemo, 12);
  EXPECT_LE(nemo / n_nemo, 7.0);
  EXPECT_EQ(n_mpt, 19);
  EXPECT_LE(mpt / n_mpt, 11.5);
}

// Issue #18: published layouts that trained must fit. Llama 3 405B on 8,192 and 16,384 H100 (TP 8,
// PP 16, 8K and 128K sequences with CP 16, no activation checkpointing, FSDP sharding gradients and
// optimizer states: validation/added-runs.jsonl, from the Llama 3 paper's Table 4) fit in 80 GB.
TEST(Validate, Llama3LayoutsThatTrainedFitInMemory) {
  const auto recs = load_published_records(std::string(TRAINSIM_SOURCE_DIR) + "/validation/added-runs.jsonl");
  int llama = 0;
  for (const auto& r : recs) {
    if (r.id.rfind("llama3_405b", 0) != 0) continue;
    ++llama;
    const auto row = validate_record(r, {});
    ASSERT_TRUE(row.predicted) << r.id << ": " << row.skipped_reason;
    EXPECT_FALSE(has_fill(row, "WARNING: predicted memory exceeds")) << r.id;
    EXPECT_LE(row.breakdown["memory_gb"]["total"].get<double>(), 80.0) << r.id;
    EXPECT_GT(row.breakdown["memory_gb"]["total"].get<double>(), 40.0) << r.id;  // not trivially empty
  }
  EXPECT_EQ(llama, 3);
}

// The shared file's Qwen3-235B row (ep 32 over tp 2 x dp 16, etp 1) is predicted, not rejected.
TEST(Validate, FoldedExpertParallelRowIsPredicted) {
  const auto recs = load_published_records(std::string(TRAINSIM_SOURCE_DIR) + "/validation/published-runs.jsonl");
  for (const auto& r : recs)
    if (r.id == "mb260401_h100_qwen3_235b_a22b_256gpu") {
      const auto row = validate_record(r, {});
      ASSERT_TRUE(row.predicted) << row.skipped_reason;
      EXPECT_NE(row.strategy.find("ep32 etp1"), std::string::npos) << row.strategy;
      return;
    }
  FAIL() << "row not found";
}

// Energy rows (schema: avg_power_w_per_gpu, energy_kwh_total, with a `scope`): the energy model's
// GPU, node (GPU + host) or facility (with PUE) share, per GPU or over the run's tokens.
TEST(Validate, EnergyMetricsFollowTheirScope) {
  auto r = sc21_record("sc21_table1_1.7B");
  r.metric = "avg_power_w_per_gpu";
  r.value = 300;
  auto power = [&](const std::string& scope) {
    r.scope = scope;
    const auto row = validate_record(r, {});
    EXPECT_TRUE(row.predicted) << scope << ": " << row.skipped_reason;
    return row.predicted.value_or(0);
  };
  const double gpu = power("GPUs only (nvidia-smi)"), node = power("whole node"), facility = power("facility with PUE");
  EXPECT_GT(gpu, 60.0);   // above the A100's idle board power
  EXPECT_LE(gpu, 400.0);  // at most its 400 W limit
  EXPECT_GT(node, gpu);   // hosts, NICs' share added
  EXPECT_GT(facility, node);
  // The coverage named first decides: what a scope says it leaves out does not count.
  EXPECT_DOUBLE_EQ(power("node-level: whole servers; excludes the switches and facility/PUE"), node);
  r.scope = "somewhere";
  EXPECT_FALSE(validate_record(r, {}).predicted);
  // The whole run needs its token count.
  r.metric = "energy_kwh_total";
  r.scope = "GPUs only";
  const auto missing = validate_record(r, {});
  EXPECT_NE(missing.skipped_reason.find("$.measured.others.train_tokens"), std::string::npos) << missing.skipped_reason;
  r.others = {{"train_tokens", 1e9}};
  const auto run = validate_record(r, {});
  ASSERT_TRUE(run.predicted) << run.skipped_reason;
  // kWh = W x GPUs x seconds per token x tokens / 3.6e6.
  const double tokens_per_s = 512.0 * 2048 / run.iteration_time_s;
  EXPECT_NEAR(*run.predicted, gpu * 32 * (1e9 / tokens_per_s) / 3.6e6, 1e-6 * *run.predicted);
}

// #21 item 8 (energy checked against measurements): MLPerf Training v4.0 GPT-3 175B on 512 H100
// (SMC power submission, validation/added-runs.jsonl): measured node-level power 856.4 W per GPU
// and 10.63 s per step. Predicted 971 W (+13.4%) and 10.04 s (-5.6%).
TEST(Validate, MlperfMeasuredNodePowerAndStepTime) {
  const auto recs = load_published_records(std::string(TRAINSIM_SOURCE_DIR) + "/validation/added-runs.jsonl");
  int found = 0;
  for (const auto& r : recs) {
    if (r.id.rfind("mlperf_t40_smc_gpt3", 0) != 0) continue;
    ++found;
    const auto row = validate_record(r, {});
    ASSERT_TRUE(row.predicted) << r.id << ": " << row.skipped_reason;
    EXPECT_LT(std::abs(*row.predicted / r.value - 1.0), r.metric == "iteration_time_s" ? 0.10 : 0.15) << r.id;
  }
  EXPECT_EQ(found, 2);
}

// A stated dp that does not make the GPU count is derived from it instead, and the row says so.
TEST(Validate, InconsistentStatedDpIsDerivedFromTheGpuCount) {
  auto r = sc21_record("sc21_table2_ptdp_174.6B_384gpu");
  r.dp = 16;  // tp 8 x pp 12 x 16 = 1536, not 384
  const auto row = validate_record(r, {});
  ASSERT_TRUE(row.predicted) << row.skipped_reason;
  EXPECT_TRUE(has_fill(row, "the stated dp 16 makes 1536 GPUs, not 384"));
  EXPECT_NE(row.strategy.find("dp4"), std::string::npos) << row.strategy;
}
