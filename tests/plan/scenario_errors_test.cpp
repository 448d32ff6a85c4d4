// Bad input: every error names the JSON path, what was expected and what was found.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/common/test_support.hpp"

using namespace trainsim;
using trainsim::testing::error_of;
using trainsim::testing::make_scenario;
using trainsim::testing::small_cluster;
using trainsim::testing::small_gpt;

TEST(ScenarioErrors, WrongTypeNamesPathExpectedAndFound) {
  auto msg = error_of([] { make_scenario({{"tp", "8"}}); });
  EXPECT_NE(msg.find("$.strategy.tp"), std::string::npos) << msg;
  EXPECT_NE(msg.find("integer"), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"8\""), std::string::npos) << msg;
}

TEST(ScenarioErrors, UnknownKeyIsAnError) {
  auto msg = error_of([] { make_scenario({{"tp", 2}, {"tensor_parallel", 2}}); });
  EXPECT_NE(msg.find("$.strategy.tensor_parallel"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown key"), std::string::npos) << msg;
}

TEST(ScenarioErrors, TpMustDivideHeads) {
  auto msg = error_of([] { make_scenario({{"tp", 3}, {"dp", 1}}, small_cluster(1, 3)); });
  EXPECT_NE(msg.find("$.strategy.tp"), std::string::npos) << msg;
  EXPECT_NE(msg.find("16 attention heads"), std::string::npos) << msg;
}

// A tp that cannot split the heads is reported as such, not as the data-parallel remainder it
// leaves on the cluster (issue #21).
TEST(ScenarioErrors, TpNotDividingHeadsIsReportedBeforeTheDpRemainder) {
  auto msg = error_of([] { make_scenario({{"tp", 3}}); });
  EXPECT_NE(msg.find("$.strategy.tp"), std::string::npos) << msg;
  EXPECT_NE(msg.find("attention heads"), std::string::npos) << msg;
}

TEST(ScenarioErrors, ParallelSizesMustMatchGpuCount) {
  auto msg = error_of([] { make_scenario({{"tp", 2}, {"pp", 2}, {"dp", 2}}); });
  EXPECT_NE(msg.find("$.strategy.dp"), std::string::npos) << msg;
  EXPECT_NE(msg.find("16 GPUs"), std::string::npos) << msg;
  EXPECT_NE(msg.find("= 8"), std::string::npos) << msg;
}

TEST(ScenarioErrors, BatchMustDivide) {
  auto msg = error_of([] { make_scenario({{"tp", 1}, {"micro_batch", 3}}); });
  EXPECT_NE(msg.find("$.strategy.micro_batch"), std::string::npos) << msg;
  EXPECT_NE(msg.find("global_batch = 64"), std::string::npos) << msg;
}

TEST(ScenarioErrors, UnknownGpu) {
  auto c = small_cluster();
  c["gpu"] = "Z100";
  auto msg = error_of([&] { make_scenario({{"tp", 1}}, c); });
  EXPECT_NE(msg.find("$.cluster.gpu"), std::string::npos) << msg;
  EXPECT_NE(msg.find("A100-SXM4-80GB"), std::string::npos) << msg;  // lists the known ones
  EXPECT_NE(msg.find("Z100"), std::string::npos) << msg;
}

TEST(ScenarioErrors, MissingPartFileNamesThePath) {
  nlohmann::json j = {
      {"cluster", "clusters/does-not-exist.json"}, {"workload", {{"model", small_gpt()}}}, {"strategy", {}}};
  auto msg = error_of([&] { parse_scenario(j, "s.json", "."); });
  EXPECT_NE(msg.find("$.cluster"), std::string::npos) << msg;
  EXPECT_NE(msg.find("does-not-exist.json"), std::string::npos) << msg;
}

TEST(ScenarioErrors, NegativeAndHugeNumbers) {
  auto c = small_cluster();
  c["nodes"] = -4;
  EXPECT_NE(error_of([&] { make_scenario({{"tp", 1}}, c); }).find("$.cluster.nodes"), std::string::npos);
  c["nodes"] = 1e12;
  EXPECT_NE(error_of([&] { make_scenario({{"tp", 1}}, c); }).find("$.cluster.nodes"), std::string::npos);
  auto m = small_gpt();
  m["hidden"] = 1.5;
  EXPECT_NE(error_of([&] {
              make_scenario({{"tp", 1}}, small_cluster(), m);
            }).find("$.workload.model.hidden"),
            std::string::npos);
}

TEST(ScenarioLoading, ShippedScenariosLoadAndResolve) {
  const auto sc = load_scenario(std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/default.json");
  EXPECT_EQ(sc.cluster.gpus(), 1024);
  EXPECT_EQ(sc.strategy.tp, 8);
  EXPECT_EQ(sc.strategy.pp, 16);
  EXPECT_EQ(sc.strategy.dp, 8);
  EXPECT_EQ(sc.strategy.global_batch, 1536);
  EXPECT_EQ(sc.workload.model.layers, 96);
}

TEST(ScenarioErrors, HugeNumberLiteralIsAnInputError) {
  // Regression (fuzz_scenario): nlohmann/json throws out_of_range, not parse_error, for 1E28256.
  auto msg = error_of([] { parse_json_text(R"({"cluster": {"nodes": 1E28256}})", "f.json"); });
  EXPECT_NE(msg.find("f.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("number"), std::string::npos) << msg;
}

TEST(ScenarioErrors, GiganticPlansAreRefused) {
  // A global batch of 2^40 sequences would need ~10^12 plan ops: an input error, not an OOM.
  auto msg = error_of([] { make_scenario({{"tp", 1}}, small_cluster(), small_gpt(), 1 << 30); });
  EXPECT_NE(msg.find("$.strategy.global_batch"), std::string::npos) << msg;
}

TEST(ScenarioErrors, UnknownMoeDispatcherNamesTheFieldAndTheChoices) {
  auto msg = error_of([] { make_scenario({{"tp", 1}, {"moe_dispatcher", "nccl"}}); });
  EXPECT_NE(msg.find("$.strategy.moe_dispatcher"), std::string::npos) << msg;
  EXPECT_NE(msg.find("hybridep"), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"nccl\""), std::string::npos) << msg;
}

namespace trainsim {
namespace {
TEST(ScenarioErrors, RecomputeModulesAreNamedAndBelongToASelectiveRecomputation) {
  using testing::make_scenario;
  auto msg = error_of([] { make_scenario({{"recompute_modules", {"layernorm", "mlp"}}}); });
  EXPECT_NE(msg.find("$.strategy.recompute_modules[1]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"mlp\""), std::string::npos) << msg;
  msg = error_of([] { make_scenario({{"recompute", "full"}, {"recompute_modules", {"layernorm"}}}); });
  EXPECT_NE(msg.find("$.strategy.recompute_modules"), std::string::npos) << msg;
  EXPECT_NE(msg.find("selective"), std::string::npos) << msg;
  msg = error_of([] { make_scenario({{"recompute_modules", nlohmann::json::array()}}); });
  EXPECT_NE(msg.find("non-empty array"), std::string::npos) << msg;
  // Stated modules make the recomputation selective.
  const Scenario sc = make_scenario({{"recompute_modules", {"core_attn"}}});
  EXPECT_EQ(sc.strategy.recompute, Recompute::Selective);
  EXPECT_TRUE(sc.strategy.recompute_modules.core_attn);
  EXPECT_FALSE(sc.strategy.recompute_modules.layernorm);
}
}  // namespace
}  // namespace trainsim
