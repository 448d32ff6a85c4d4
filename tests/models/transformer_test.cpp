// Parameter counts and FLOP formulas against published values.
#include <gtest/gtest.h>

#include "models/workload/transformer.hpp"
#include "tests/models/layer_fixtures.hpp"

using namespace trainsim;

namespace {
TransformerConfig gpt(int layers, std::int64_t h, int heads) {
  TransformerConfig c;
  c.layers = layers;
  c.hidden = h;
  c.heads = heads;
  c.kv_heads = heads;
  c.ffn = 4 * h;
  c.vocab = 51200;
  c.seq_len = 2048;
  return c;
}
TransformerConfig llama(int layers, std::int64_t h, int heads, int kv, std::int64_t ffn, std::int64_t vocab) {
  return trainsim::testing::llama(layers, h, heads, kv, ffn, vocab, 4096);
}
double billions(const TransformerConfig& c) { return count_parameters(c).total / 1e9; }
}  // namespace

// Narayanan et al. SC'21 Table 1 (parameter counts in billions, one decimal).
TEST(ParameterCount, MegatronSc21Table1Family) {
  struct Row {
    int l;
    std::int64_t h;
    int a;
    double published;
  };
  const Row rows[] = {{24, 2304, 24, 1.7},      {30, 3072, 32, 3.6},     {36, 4096, 32, 7.5},
                      {40, 6144, 48, 18.4},     {48, 8192, 64, 39.1},    {60, 10240, 80, 76.1},
                      {80, 12288, 96, 145.6},   {96, 16384, 128, 310.1}, {105, 20480, 128, 529.6},
                      {128, 25600, 160, 1008.0}};
  for (const auto& r : rows) {
    const double b = billions(gpt(r.l, r.h, r.a));
    // The smallest models are published with one decimal only (1.7 = 1.65..1.75).
    const double tol = std::max(0.005 * r.published, 0.05);
    EXPECT_NEAR(b, r.published, tol) << r.l << " layers, hidden " << r.h;
  }
}

TEST(ParameterCount, Gpt3_175B) {
  // SC'21 Table 2 lists GPT-3 as 174.6B parameters.
  EXPECT_NEAR(billions(gpt(96, 12288, 96)), 174.6, 174.6 * 0.005);
}

// Exact counts of the released checkpoints (Hugging Face model cards / safetensors index).
TEST(ParameterCount, LlamaFamilies) {
  EXPECT_NEAR(count_parameters(llama(32, 4096, 32, 32, 11008, 32000)).total, 6'738'415'616.0, 6.74e9 * 0.005);
  EXPECT_NEAR(count_parameters(llama(80, 8192, 64, 8, 28672, 32000)).total, 68'976'648'192.0, 69e9 * 0.005);
  EXPECT_NEAR(count_parameters(llama(32, 4096, 32, 8, 14336, 128256)).total, 8'030'261'248.0, 8.03e9 * 0.005);
  EXPECT_NEAR(count_parameters(llama(80, 8192, 64, 8, 28672, 128256)).total, 70'553'706'496.0, 70.6e9 * 0.005);
  EXPECT_NEAR(billions(llama(126, 16384, 128, 8, 53248, 128256)), 405.9, 405.9 * 0.005);
}

TEST(Flops, ModelFlopsIsThreeQuartersOfEq3PlusLogitTerm) {
  // eq. (3) = 4 forward passes of the layers + 3 of the logits; model FLOPs = 3 of each.
  const auto c = gpt(96, 12288, 96);
  const double B = 1536, s = 2048, h = 12288, V = 51200;
  const double eq3 = narayanan_eq3_flops(c, 1536);
  const double logits = 6.0 * B * s * h * V;
  EXPECT_NEAR(model_flops_per_iteration(c, 1536), 0.75 * (eq3 - logits) + logits, eq3 * 1e-3);
  // GPT-3 175B, B = 1536: the Megatron-LM README's 138 TFLOP/s x 1,024 GPUs x ~32 s = 4.52e18.
  EXPECT_NEAR(eq3, 96.0 * B * s * 96 * h * h * (1 + s / (6 * h) + V / (16 * 96 * h)), 1e12);
  EXPECT_NEAR(eq3 / 1e18, 138e12 * 1024 * 32 / 1e18, 0.03);
}

TEST(Flops, MoeCountsActiveExpertsOnly) {
  auto c = llama(32, 4096, 32, 8, 14336, 32000);
  const double dense = model_flops_per_iteration(c, 8);
  c.moe = MoeConfig{8, 2, 14336, 0, 1, 1.0};  // Mixtral 8x7B-like: 8 experts, top-2
  const auto p = count_parameters(c);
  EXPECT_NEAR(p.total / 1e9, 46.7, 0.5);   // Mixtral 8x7B: 46.7B total (Jiang et al. 2024)
  EXPECT_NEAR(p.active / 1e9, 12.9, 0.3);  // 12.9B active per token
  EXPECT_GT(model_flops_per_iteration(c, 8), 1.6 * dense);
  EXPECT_LT(model_flops_per_iteration(c, 8), 2.1 * dense);
}

// model.head_dim: Qwen3-30B-A3B has 32 heads of 128 on a 2048-wide residual stream (Qwen/Qwen3-30B-A3B
// config.json: hidden_size 2048, num_attention_heads 32, num_key_value_heads 4, head_dim 128,
// 48 layers, 128 experts of moe_intermediate_size 768, 8 per token, vocab 151,936, untied
// embeddings). Its model card: 30.5B parameters in total, 3.3B activated (the q/k norms, 256
// parameters a layer, are not modelled).
TEST(ParameterCount, HeadDimWiderThanHiddenOverHeads) {
  const nlohmann::json j = {{"layers", 48},
                            {"hidden", 2048},
                            {"heads", 32},
                            {"kv_heads", 4},
                            {"head_dim", 128},
                            {"ffn", 6144},
                            {"vocab", 151936},
                            {"seq_len", 4096},
                            {"activation", "swiglu"},
                            {"moe", {{"experts", 128}, {"top_k", 8}, {"expert_ffn", 768}}}};
  const TransformerConfig c = parse_transformer(JsonReader(j, "qwen3"));
  EXPECT_EQ(c.q_dim(), 4096);
  EXPECT_EQ(c.kv_dim(), 512);
  const ParamCount p = count_parameters(c);
  EXPECT_NEAR(static_cast<double>(p.total), 30.5e9, 0.005 * 30.5e9);
  EXPECT_NEAR(static_cast<double>(p.active), 3.3e9, 0.02 * 3.3e9);  // the card rounds to 0.1B
  // Without head_dim the heads would not divide the hidden size as stated: 2048 / 32 = 64 wide.
  nlohmann::json k = j;
  k.erase("head_dim");
  EXPECT_EQ(parse_transformer(JsonReader(k, "qwen3")).q_dim(), 2048);
}
