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

// Eager PyTorch (torchtitan without torch.compile): a Llama-style layer's RMSNorm, rotary embedding
// and SwiGLU cost extra memory passes (counted from torchtitan's model.py); a GPT-style layer's
// LayerNorm and GeLU are one native kernel each and cost nothing more.
TEST(EagerElementwise, CostsLlamaStyleLayersOnly) {
  auto time = [](const char* activation, bool fused) {
    const nlohmann::json j = {{"cluster", {{"gpu", "A100-SXM4-80GB"}, {"nodes", 1}, {"gpus_per_node", 8}}},
                              {"workload",
                               {{"model",
                                 {{"layers", 4},
                                  {"hidden", 4096},
                                  {"heads", 32},
                                  {"seq_len", 4096},
                                  {"vocab", 32000},
                                  {"activation", activation}}},
                                {"global_batch", 8}}},
                              {"strategy", {{"zero", 3}, {"fused_elementwise", fused}}}};
    return predict(parse_scenario(j, "test", ".")).metrics;
  };
  const Metrics fused = time("swiglu", true), eager = time("swiglu", false);
  EXPECT_NE(eager.strategy.find(" eager"), std::string::npos) << eager.strategy;
  // Memory-bound passes worth a few percent of a 4096-wide layer on an A100.
  EXPECT_GT(eager.iteration_time_s, fused.iteration_time_s * 1.02);
  EXPECT_LT(eager.iteration_time_s, fused.iteration_time_s * 1.25);
  EXPECT_NEAR(time("gelu", false).iteration_time_s, time("gelu", true).iteration_time_s, 1e-12);
}
