// Context parallelism's K/V exchange: the overlapped ring (Megatron) or an all-gather before
// attention (Llama 3, arXiv:2407.21783 Sec. 3.3.2), which leaves its transfer on the critical path.
#include <gtest/gtest.h>

#include "sim/evaluate/predict.hpp"

using namespace trainsim;

namespace {
Metrics run(const char* cp_comm) {
  const nlohmann::json j = {
      {"cluster", {{"gpu", "H100-SXM5-80GB"}, {"nodes", 2}, {"gpus_per_node", 8}, {"nic_gbps", 400}}},
      {"workload",
       {{"model",
         {{"layers", 4}, {"hidden", 4096}, {"heads", 32}, {"kv_heads", 8}, {"seq_len", 65536}, {"vocab", 32000}}},
        {"global_batch", 2}}},
      {"strategy", {{"tp", 8}, {"cp", 2}, {"sequence_parallel", true}, {"cp_comm", cp_comm}}}};
  return predict(parse_scenario(j, "test", ".")).metrics;
}
}  // namespace

TEST(ContextParallel, AllGatherLeavesTheKvExchangeExposed) {
  const Metrics ring = run("ring"), gather = run("all-gather");
  EXPECT_NE(gather.strategy.find("cp=all-gather"), std::string::npos) << gather.strategy;
  // The same work, with the K/V transfers no longer hidden behind the attention blocks.
  EXPECT_GT(gather.iteration_time_s, ring.iteration_time_s * 1.005);
  EXPECT_LT(gather.iteration_time_s, ring.iteration_time_s * 1.5);
  EXPECT_NEAR(gather.model_flops, ring.model_flops, 1e-9 * ring.model_flops);
}

TEST(ContextParallel, UnknownCpCommNamesTheField) {
  try {
    run("telepathy");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("$.strategy.cp_comm"), std::string::npos) << e.what();
  }
}
