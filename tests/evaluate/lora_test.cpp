// LoRA fine-tuning (model.lora; Hu et al. 2021, NeMo's ParallelLinearAdapter as the MLPerf
// llama2_70b_lora reference runs it): frozen base products run their data gradients only, the
// adapters' products are extra kernels, and gradients, their synchronisation, the optimizer and
// its memory cover the adapters alone. Checked by hand on a small Llama-style model and against a
// full fine-tune of the same model.
#include <gtest/gtest.h>

#include <string>

#include "models/workload/layer_kernels.hpp"
#include "sim/evaluate/predict.hpp"
#include "sim/plan/planner.hpp"
#include "sim/scorer/strategy_scorer.hpp"
#include "tests/common/test_support.hpp"

using namespace trainsim;
using trainsim::testing::error_of;
using trainsim::testing::make_scenario;
using trainsim::testing::small_cluster;

namespace {

/// A Llama-style model: 8 layers of 4096, 32 heads (8 KV groups), SwiGLU 11008, 4,096 tokens.
nlohmann::json llama(bool lora) {
  nlohmann::json m = {{"layers", 8},       {"hidden", 4096},       {"heads", 32},     {"kv_heads", 8},
                      {"ffn", 11008},      {"vocab", 32000},       {"seq_len", 4096}, {"activation", "swiglu"},
                      {"norm", "rmsnorm"}, {"position", "rotary"}, {"bias", false},   {"tied_embeddings", false}};
  if (lora) m["lora"] = {{"rank", 16}, {"alpha", 32}, {"dropout", 0.1}, {"targets", {"attention"}}};
  return m;
}

Scenario scenario(bool lora, int zero = 0) {
  return make_scenario({{"tp", 1}, {"pp", 1}, {"zero", zero}, {"precision", "bf16"}, {"micro_batch", 1}},
                       small_cluster(2, 8, "H100-SXM5-80GB"), llama(lora), 16);
}

double sum(const std::vector<Kernel>& ks, const std::string& prefix, bool flops) {
  double x = 0;
  for (const auto& k : ks)
    if (k.name.rfind(prefix, 0) == 0) x += flops ? k.flops : k.bytes;
  return x;
}

bool has(const std::vector<Kernel>& ks, const std::string& name) {
  for (const auto& k : ks)
    if (k.name == name) return true;
  return false;
}

TEST(Lora, FrozenProductsRunDataGradientsOnlyAndAdaptersAddTheirProducts) {
  const Scenario full = scenario(false), lora = scenario(true);
  const LayerShard s = layer_shard(full.strategy);
  const auto& m = lora.workload.model;
  const auto bwd = layer_backward(m, s, 0), fwd = layer_forward(m, s, 0);
  for (const char* base : {"qkv", "attn_out", "mlp_up", "mlp_down"}) {
    EXPECT_TRUE(has(bwd, std::string(base) + "_dgrad")) << base;
    EXPECT_FALSE(has(bwd, std::string(base) + "_wgrad")) << base;
    EXPECT_TRUE(has(layer_backward(full.workload.model, s, 0), std::string(base) + "_wgrad")) << base;
  }
  // Adapters on QKV (4096 -> 4096 + 2 x 1024) and the output projection (4096 -> 4096), rank 16, over
  // 4,096 tokens: forward 2 T r (k + n) FLOPs each, backward twice that.
  const double T = 4096, r = 16;
  const double qkv = 2 * T * r * (4096 + 6144), out = 2 * T * r * (4096 + 4096);
  EXPECT_DOUBLE_EQ(sum(fwd, "lora_qkv", true), qkv);
  EXPECT_DOUBLE_EQ(sum(fwd, "lora_attn_out", true), out);
  EXPECT_DOUBLE_EQ(sum(bwd, "lora_qkv", true), 2 * qkv);
  EXPECT_FALSE(has(fwd, "lora_mlp_up_in"));  // attention only
  // The frozen embedding takes no gradient.
  EXPECT_TRUE(embedding_backward(m, s).empty());
  // Adapter parameters per layer: r (in + out) of each targeted product.
  EXPECT_EQ(lora_layer_params(m, 0), 16 * (4096 + 6144) + 16 * (4096 + 4096));
}

TEST(Lora, GradientsOptimizerAndTheirMemoryCoverTheAdaptersAlone) {
  const Scenario full = scenario(false, 1), lora = scenario(true, 1);
  const Prediction pf = predict(full), pl = predict(lora);
  // Data-parallel gradient bytes of stage 0: adapters x 4 B (fp32 reduction) against all parameters.
  auto dp_bytes = [](const Plan& plan) {
    double b = 0;
    for (const auto& op : plan.programs.at(0).ops)
      if (op.kind == OpKind::Collective && op.group == GroupRole::DP &&
          (op.collective == CollectiveKind::ReduceScatter || op.collective == CollectiveKind::AllReduce))
        b += op.bytes;
    return b;
  };
  const double adapters = 8.0 * static_cast<double>(lora_layer_params(lora.workload.model, 0));
  EXPECT_NEAR(dp_bytes(pl.plan), adapters * 4.0, 1e-6 * adapters);
  EXPECT_GT(dp_bytes(pf.plan), 500 * dp_bytes(pl.plan));  // 6.7 GB against 9.4 MB
  // Weights stay; gradients and optimizer state shrink to the adapters'.
  const auto& mf = pf.metrics.memory.parts;
  const auto& ml = pl.metrics.memory.parts;
  EXPECT_DOUBLE_EQ(ml.weights, mf.weights);
  EXPECT_NEAR(ml.gradients, adapters * 4.0, 1e-6 * adapters);
  EXPECT_NEAR(ml.optimizer, adapters * 12.0 / 16.0, 1e-6 * adapters);  // ZeRO-1 over 16 ranks
  // A LoRA iteration skips the weight gradients (a third of the products' FLOPs), the optimizer
  // step over the base and its 6.7 GB gradient sync across two nodes (half of this full fine-tune's
  // iteration): faster, but its forward and data gradients (two thirds of the products) remain.
  const double ratio = pl.metrics.iteration_time_s / pf.metrics.iteration_time_s;
  EXPECT_LT(ratio, 0.8);
  EXPECT_GT(ratio, 0.4);
  // The forward gains the adapters: about 1% of its FLOPs at rank 16, but their dropout, their
  // thin products and the output add stream the activations (+7% on this small model); the
  // backward keeps the data gradients (half
  // of its products' FLOPs), the attention core and the memory-bound kernels.
  EXPECT_GT(pl.metrics.breakdown.forward, pf.metrics.breakdown.forward);
  EXPECT_LT(pl.metrics.breakdown.forward, 1.12 * pf.metrics.breakdown.forward);
  const double backward = pl.metrics.breakdown.backward / pf.metrics.breakdown.backward;
  EXPECT_GT(backward, 0.5);
  EXPECT_LT(backward, 0.85);
  // The closed-form scorer agrees with the engine on the LoRA run.
  EXPECT_NEAR(StrategyScorer(lora).score(lora.strategy).iteration_time_s / pl.metrics.iteration_time_s, 1.0, 0.03);
}

TEST(Lora, ModelFlopsCountDataGradientsOnlyForFrozenProducts) {
  const Scenario full = scenario(false), lora = scenario(true);
  const double f = model_flops_per_iteration(full.workload.model, 16);
  const double l = model_flops_per_iteration(lora.workload.model, 16);
  // Attention core 2 x s x heads x (qk + v) = 2 x 4096 x 32 x 256 per token and layer; linear
  // products 2 x (attention + MLP + logits) parameters; adapters 2 x their parameters.
  const double tokens = 16.0 * 4096, core = 8 * 2.0 * 4096 * 32 * 256;
  const double adapters = 8 * 2.0 * static_cast<double>(lora_layer_params(lora.workload.model, 0));
  const double linear = f / (3 * tokens) - core;
  EXPECT_NEAR(l / tokens, 2 * linear + 3 * (core + adapters), 1e-9 * l / tokens);
}

TEST(Lora, BadTargetsNameTheField) {
  auto m = llama(true);
  m["lora"]["targets"] = {"experts"};
  const auto msg = error_of([&] { make_scenario({{"tp", 1}}, small_cluster(2, 8, "H100-SXM5-80GB"), m, 16); });
  EXPECT_NE(msg.find("$.workload.model.lora.targets[0]"), std::string::npos) << msg;
}

}  // namespace
