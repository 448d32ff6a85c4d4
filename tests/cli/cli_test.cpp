// The command line: exit statuses and output formats.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include "tests/common/cli_runner.hpp"

#include <sys/wait.h>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

namespace {
using Result = trainsim::testing::CliResult;
Result run(const std::string& args, const std::string& env = "") { return trainsim::testing::run_trainsim(args, env); }
const std::string kSrc = TRAINSIM_SOURCE_DIR;
}  // namespace

TEST(Cli, RunDefaultScenarioJson) {
  auto r = run("run " + kSrc + "/scenarios/default.json --format json");
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  for (const char* k : {"iteration_time_s", "tokens_per_s", "samples_per_s", "model_tflops_per_gpu",
                        "hardware_tflops_per_gpu", "mfu", "hfu", "time_to_train_s", "gpu_hours"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_TRUE(j["memory_gb"].contains("fits"));
  EXPECT_NEAR(j["tokens_per_s"].get<double>(), 1536.0 * 2048 / j["iteration_time_s"].get<double>(), 1e-6);
  EXPECT_NEAR(j["mfu"].get<double>(), j["model_tflops_per_gpu"].get<double>() / 312.0, 1e-9);
}

TEST(Cli, CsvHasHeaderAndOneRow) {
  auto r = run("run " + kSrc + "/scenarios/default.json --format csv");
  ASSERT_EQ(r.status, 0) << r.out;
  const auto nl = r.out.find('\n');
  const std::string header = r.out.substr(0, nl), row = r.out.substr(nl + 1);
  EXPECT_NE(header.find("iteration_time_s"), std::string::npos);
  // Count cells outside quotes (the scenario name contains a comma and is quoted).
  auto cells = [](const std::string& line) {
    int n = 1;
    bool quoted = false;
    for (char c : line) {
      if (c == '"') quoted = !quoted;
      if (c == ',' && !quoted) ++n;
    }
    return n;
  };
  EXPECT_EQ(cells(header), cells(row.substr(0, row.find('\n'))));
  EXPECT_GE(cells(header), 30);
}

TEST(Cli, InputErrorExitsWithStatusTwo) {
  const std::string f = std::string(TRAINSIM_BINARY_DIR) + "/bad-scenario.json";
  std::ofstream(f) << R"({"cluster": ")" << kSrc << R"(/scenarios/clusters/dgx-a100-superpod-hdr.json",
                          "workload": ")"
                   << kSrc << R"(/scenarios/workloads/gpt3-175b.json", "strategy": {"tp": 3, "pp": 1}})";
  auto r = run("run " + f);
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("$.strategy.dp"), std::string::npos) << r.out;  // 3 does not divide 1,024 GPUs
  auto m = run("run /nonexistent/scenario.json");
  EXPECT_EQ(m.status, 2);
  EXPECT_NE(m.out.find("/nonexistent/scenario.json"), std::string::npos) << m.out;
}

// A GPU the price catalog has no offer for (GB300) is predicted and its cost reported as unpriced,
// naming the field that would price it; ranking by cost is then an input error naming that field.
TEST(Cli, UnpricedGpuRunsAndSaysWhatToStateButCannotBeRankedByCost) {
  const std::string f = std::string(TRAINSIM_BINARY_DIR) + "/gb300-unpriced.json";
  std::ofstream(f) << R"({"cluster": {"gpu": "GB300", "nodes": 2, "gpus_per_node": 4, "nics_per_node": 4,
                                      "nic_gbps": 800},
                          "workload": {"model": {"layers": 8, "hidden": 4096, "heads": 32, "vocab": 51200,
                                                 "seq_len": 2048}, "global_batch": 64},
                          "strategy": {"tp": 1, "pp": 1}})";
  auto r = run("run " + f + " --format json");
  ASSERT_EQ(r.status, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out.substr(r.out.find('{')));
  EXPECT_GT(j["iteration_time_s"].get<double>(), 0.0);
  const auto& cost = j["cost"];
  EXPECT_TRUE(cost["unpriced"].get<bool>());
  EXPECT_TRUE(cost["usd_per_run"].is_null());
  EXPECT_NE(cost["price_source"].get<std::string>().find("$.cluster.cost.cloud.on_demand_usd_per_gpu_hour"),
            std::string::npos);
  auto s = run("search " + f + " --objective cost");
  EXPECT_EQ(s.status, 2) << s.out;
  EXPECT_NE(s.out.find("$.cluster.cost.cloud.on_demand_usd_per_gpu_hour"), std::string::npos) << s.out;
}

TEST(Cli, ValidateJsonShape) {
  auto r = run("validate " + kSrc + "/validation/published-runs.jsonl --only sc21_table1_1. --format json");
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["rows"].size(), 1u);  // 1.7B
  for (const auto& row : j["rows"])
    for (const char* k : {"id", "metric", "published", "predicted", "error_pct", "filled", "skipped_reason"})
      EXPECT_TRUE(row.contains(k)) << k;
  EXPECT_EQ(j["predicted"].get<int>(), 1);
}

// validate --scenarios writes each predicted row's scenario; `run` on it gives the row's time.
TEST(Cli, ValidateScenariosReproduceTheRow) {
  const std::string dir = std::string(TRAINSIM_BINARY_DIR) + "/validate-scenarios";
  auto v = run("validate " + kSrc +
               "/validation/published-runs.jsonl --only mpt_13b_h100_16gpu --format json --scenarios " + dir);
  ASSERT_EQ(v.status, 0) << v.out;
  const auto rows = nlohmann::json::parse(v.out)["rows"];
  ASSERT_EQ(rows.size(), 1u);
  auto r = run("run " + dir + "/mpt_13b_h100_16gpu_seq2048.json --format json");
  ASSERT_EQ(r.status, 0) << r.out;
  const double t = nlohmann::json::parse(r.out)["iteration_time_s"].get<double>();
  EXPECT_NEAR(t, rows[0]["iteration_time_s"].get<double>(), 1e-6 * t);
}

// calibrate --runs writes a profile whose efficiency factors a scenario then runs with; a training
// log needs its scenario.
TEST(Cli, CalibrateRunsWritesAProfileTheScenarioUses) {
  const std::string dir = std::string(TRAINSIM_BINARY_DIR) + "/calibrate-cli";
  std::filesystem::create_directories(dir);
  auto c =
      run("calibrate --runs " + kSrc + "/validation/published-runs.jsonl --only nemo2407_h100_LLAMA --engine fast " +
          "--format json --out " + dir + "/p.json");
  ASSERT_EQ(c.status, 0) << c.out;
  const auto j = nlohmann::json::parse(c.out);
  EXPECT_EQ(j["runs"].size(), 5u);  // the five Llama rows
  EXPECT_LT(j["mape_leave_one_out_pct"].get<double>(), j["mape_before_pct"].get<double>());
  std::ifstream in(dir + "/p.json");
  const auto profile = nlohmann::json::parse(in);
  EXPECT_TRUE(profile["efficiency"]["compute"].contains("H100-SXM5-80GB"));
  std::ofstream(dir + "/train.log") << "elapsed time per iteration (ms): 1000.0\n";
  auto l = run("calibrate --runs " + dir + "/train.log");
  EXPECT_EQ(l.status, 2) << l.out;
  EXPECT_NE(l.out.find("--scenario"), std::string::npos) << l.out;
}

// A mistyped command is named with the closest one (issue #21); a scenario named without a folder,
// or kept outside scenarios/, finds the shipped clusters/ and workloads/ paths.
TEST(Cli, MistypedCommandAndScenarioPathsOutsideScenarios) {
  auto t = run("runn scenarios/default.json");
  EXPECT_EQ(t.status, 2) << t.out;
  EXPECT_NE(t.out.find("did you mean \"run\""), std::string::npos) << t.out;
  auto here = run("run default.json --format json", "cd " + kSrc + "/scenarios && ");
  EXPECT_EQ(here.status, 0) << here.out;
  const std::string dir = std::string(TRAINSIM_BINARY_DIR) + "/elsewhere";
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(kSrc + "/scenarios/default.json", dir + "/copy.json",
                             std::filesystem::copy_options::overwrite_existing);
  auto elsewhere = run("run copy.json --format json", "cd " + dir + " && ");
  EXPECT_EQ(elsewhere.status, 0) << elsewhere.out;
  EXPECT_NEAR(nlohmann::json::parse(elsewhere.out)["iteration_time_s"].get<double>(),
              nlohmann::json::parse(here.out)["iteration_time_s"].get<double>(), 1e-9);
}

// #21 item 3 (feasibility everywhere): a configuration that does not fit is predicted, said and
// exits with status 3 unless --allow-oom; compare says which side does not fit.
TEST(Cli, DoesNotFitExitsWithStatusThreeUnlessAllowed) {
  const std::string dp64 = kSrc + "/scenarios/tutorials/13b-dp64.json";  // plain DDP of a 13B model: 266 GB
  auto r = run("run " + dp64);
  EXPECT_EQ(r.status, 3) << r.out;
  EXPECT_NE(r.out.find("DOES NOT FIT: " + dp64 + " needs 266."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("iteration"), std::string::npos) << r.out;  // the prediction is still printed
  EXPECT_EQ(run("run " + dp64 + " --allow-oom").status, 0);
  EXPECT_EQ(run("run " + kSrc + "/scenarios/tutorials/13b-dp64-zero3.json").status, 0);
  auto c = run("compare " + dp64 + " " + kSrc + "/scenarios/tutorials/13b-dp64-zero3.json");
  EXPECT_EQ(c.status, 3) << c.out;
  EXPECT_NE(c.out.find("A (the baseline) DOES NOT FIT"), std::string::npos) << c.out;
  EXPECT_EQ(c.out.find("B DOES NOT FIT"), std::string::npos) << c.out;
  EXPECT_EQ(run("compare " + dp64 + " " + dp64 + " --allow-oom").status, 0);
}

// #21 defect 2: the capacity questions answer where the scenario's own layout cannot run.
TEST(Cli, CapacityQuestionsReplanTheLayoutPerClusterSize) {
  auto s = run("search " + kSrc + "/scenarios/default.json --objective cost --max-gpus 2048 --deadline 60d");
  EXPECT_EQ(s.status, 0) << s.out;
  EXPECT_NE(s.out.find("best (confirmed):"), std::string::npos) << s.out;
  auto z = run("size " + kSrc + "/scenarios/default.json --deadline 30d");
  EXPECT_EQ(z.status, 0) << z.out;
  EXPECT_NE(z.out.find("smallest:"), std::string::npos) << z.out;
}

// #21 item 8: flags an engine cannot honour are errors, and results land where the user works.
TEST(Cli, CheckpointInIterationNeedsTheSimgridEngineAndSweepsWriteToTheWorkingDirectory) {
  auto c = run("run " + kSrc + "/scenarios/default.json --checkpoint-in-iteration");
  EXPECT_EQ(c.status, 2) << c.out;
  EXPECT_NE(c.out.find("--checkpoint-in-iteration: expected --engine simgrid"), std::string::npos) << c.out;
  const std::string dir = std::string(TRAINSIM_BINARY_DIR) + "/sweep-cwd";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string sweep = dir + "/tiny.json";
  std::ofstream(sweep) << R"({"base": ")" << kSrc
                       << R"(/scenarios/tiny-cpu.json", "points": [{"strategy.micro_batch": 1}]})";
  const std::string work = dir + "/work";
  std::filesystem::create_directories(work);
  auto s = run("sweep " + sweep + " --no-progress", "cd " + work + " && ");
  EXPECT_EQ(s.status, 0) << s.out;
  EXPECT_TRUE(std::filesystem::exists(work + "/tiny.results.jsonl"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/tiny.results.jsonl"));
}

// #21 item 6: the configuration a team is about to launch becomes a scenario it can predict.
TEST(Cli, ImportMegatronArgumentsAndDeepSpeedConfig) {
  const std::string out = std::string(TRAINSIM_BINARY_DIR) + "/imported-gpt3.json";
  auto m = run("import " + kSrc + "/tests/data/import/megatron-gpt3-175b.sh --cluster " + kSrc +
               "/scenarios/clusters/dgx-a100-superpod-hdr.json --out " + out);
  ASSERT_EQ(m.status, 0) << m.out;
  std::ifstream in(out);
  const auto sc = nlohmann::json::parse(in);
  EXPECT_EQ(sc["strategy"]["tp"], 8);
  EXPECT_EQ(sc["strategy"]["pp"], 16);
  EXPECT_EQ(sc["strategy"]["global_batch"], 1536);
  EXPECT_EQ(sc["strategy"]["precision"], "fp16");
  EXPECT_EQ(sc["strategy"]["recompute"], "full");
  EXPECT_EQ(sc["strategy"]["zero"], 1);  // --use-distributed-optimizer
  EXPECT_EQ(sc["workload"]["model"]["layers"], 96);
  // Megatron pads GPT-2 BPE's 50,257 tokens to a multiple of 128 x tp: the 51,200 of the paper.
  EXPECT_EQ(sc["workload"]["model"]["vocab"], 51200);
  EXPECT_NE(m.out.find("options not mapped"), std::string::npos) << m.out;
  EXPECT_NE(m.out.find("--lr"), std::string::npos) << m.out;
  auto r = run("run " + out + " --format json");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_GT(nlohmann::json::parse(r.out)["iteration_time_s"].get<double>(), 10.0);

  const std::string dout = std::string(TRAINSIM_BINARY_DIR) + "/imported-ds.json";
  auto d = run("import " + kSrc + "/tests/data/import/deepspeed-zero3.json --cluster " + kSrc +
               "/scenarios/clusters/dgx-a100-8n-hdr-lustre.json --workload " + kSrc +
               "/scenarios/workloads/llama2-7b.json --out " + dout);
  ASSERT_EQ(d.status, 0) << d.out;
  std::ifstream din(dout);
  const auto ds = nlohmann::json::parse(din);
  EXPECT_EQ(ds["strategy"]["zero"], 3);
  EXPECT_EQ(ds["strategy"]["optimizer_offload"], true);
  EXPECT_EQ(ds["strategy"]["micro_batch"], 4);
  EXPECT_EQ(ds["strategy"]["precision"], "bf16");

  // A shell variable left in the script is named, not guessed.
  const std::string bad = std::string(TRAINSIM_BINARY_DIR) + "/import-var.sh";
  std::ofstream(bad) << "--num-layers 2 --hidden-size 64 --num-attention-heads 4 --tensor-model-parallel-size $TP\n";
  auto e = run("import " + bad + " --cluster " + kSrc + "/scenarios/clusters/dgx-a100-8n-hdr-lustre.json");
  EXPECT_EQ(e.status, 2) << e.out;
  EXPECT_NE(e.out.find("--tensor-model-parallel-size: expected an integer, found \"$TP\" (a shell variable"),
            std::string::npos)
      << e.out;
}

// The importer reads a Megatron-Core MoE with multi-head latent attention as the model it is.
TEST(Cli, ImportMegatronMoeWithLatentAttention) {
  const std::string out = std::string(TRAINSIM_BINARY_DIR) + "/imported-dsv3.json";
  auto m = run("import " + kSrc + "/tests/data/import/megatron-deepseek-v3-like.sh --cluster " + kSrc +
               "/scenarios/clusters/h800-2048-ib.json --out " + out);
  ASSERT_EQ(m.status, 0) << m.out;
  std::ifstream in(out);
  const auto sc = nlohmann::json::parse(in);
  const auto& model = sc["workload"]["model"];
  EXPECT_EQ(model["mla"]["q_lora_rank"], 1536);
  EXPECT_EQ(model["mla"]["qk_rope_head_dim"], 64);
  EXPECT_EQ(model["moe"]["experts"], 256);
  EXPECT_EQ(model["moe"]["top_k"], 8);
  EXPECT_EQ(model["moe"]["shared_experts"], 1);  // 2048 / 2048
  EXPECT_EQ(model["activation"], "swiglu");
  EXPECT_EQ(sc["strategy"]["ep"], 64);
  EXPECT_EQ(sc["strategy"]["precision"], "bf16");
  EXPECT_EQ(model["moe"]["first_dense_layers"], 3);         // --moe-layer-freq "([0]*3+[1]*58)"
  EXPECT_EQ(sc["strategy"]["moe_dispatcher"], "hybridep");  // --moe-token-dispatcher-type flex + backend
  // --recompute-modules mla_up_proj moe_act shared_experts: the modelled two, a note for the third.
  EXPECT_EQ(sc["strategy"]["recompute_modules"], nlohmann::json::array({"mla_up_proj", "moe_act"}));
  EXPECT_NE(m.out.find("--recompute-modules shared_experts: not modelled"), std::string::npos) << m.out;
  // Every routed copy's expert input kept for the weight gradient (top 8 of 256) makes this
  // layout need ~98 GB per GPU under selective recomputation: --allow-oom still predicts it, and
  // says so on stderr after the JSON.
  auto r = run("run " + out + " --format json --allow-oom");
  ASSERT_EQ(r.status, 0) << r.out;
  const auto json_end = r.out.rfind("\n}\n");
  ASSERT_NE(json_end, std::string::npos) << r.out;
  EXPECT_GT(nlohmann::json::parse(r.out.substr(0, json_end + 2))["iteration_time_s"].get<double>(), 1.0);
  EXPECT_NE(r.out.find("--allow-oom: exit status 0"), std::string::npos);
}
