// Activation memory (Korthikanti et al. 2022, Table 2) and ZeRO model-state memory
// (Rajbhandari et al. 2020, Figure 1).
#include <gtest/gtest.h>

#include "models/memory/memory_model.hpp"

using namespace trainsim;

namespace {
TransformerConfig gpt3() {
  TransformerConfig c;
  c.layers = 96;
  c.hidden = 12288;
  c.heads = 96;
  c.kv_heads = 96;
  c.ffn = 4 * 12288;
  c.vocab = 51200;
  c.seq_len = 2048;
  return c;
}
LayerShard shard(int tp, bool sp, AttentionImpl a = AttentionImpl::Unfused) {
  LayerShard s;
  s.micro_batch = 1;
  s.tp = tp;
  s.sequence_parallel = sp;
  s.precision = Precision::FP16;
  s.attention = a;
  return s;
}
}  // namespace

TEST(ActivationMemory, KorthikantiTable2) {
  const auto c = gpt3();
  const double s = 2048, b = 1, h = 12288, a = 96, t = 8;
  const double sbh = s * b * h;
  // No parallelism: sbh (34 + 5as/h).
  EXPECT_NEAR(layer_activation_bytes(c, shard(1, false), Recompute::None), sbh * (34 + 5 * a * s / h), sbh * 0.01);
  // Tensor parallel: sbh (10 + 24/t + 5as/(ht)).
  EXPECT_NEAR(layer_activation_bytes(c, shard(8, false), Recompute::None), sbh * (10 + 24 / t + 5 * a * s / (h * t)),
              sbh * 0.01);
  // Tensor + sequence parallel: sbh/t (34 + 5as/h).
  EXPECT_NEAR(layer_activation_bytes(c, shard(8, true), Recompute::None), sbh / t * (34 + 5 * a * s / h), sbh * 0.01);
  // Tensor + sequence parallel + selective recomputation: 34 sbh / t.
  EXPECT_NEAR(layer_activation_bytes(c, shard(8, true), Recompute::Selective), 34 * sbh / t, sbh * 0.01);
  // Full recomputation keeps the layer input: 2 sbh (/t with SP).
  EXPECT_NEAR(layer_activation_bytes(c, shard(8, false), Recompute::Full), 2 * sbh, sbh * 0.01);
  EXPECT_NEAR(layer_activation_bytes(c, shard(8, true), Recompute::Full), 2 * sbh / t, sbh * 0.01);
  // Flash attention stores no s x s scores: same as selective.
  EXPECT_NEAR(layer_activation_bytes(c, shard(8, true, AttentionImpl::Flash), Recompute::None), 34 * sbh / t,
              sbh * 0.01);
}

TEST(ActivationMemory, Fp8KeepsTheProductInputsInOneByte) {
  // Transformer Engine keeps the FP8 casts of the product inputs for the weight gradients: of
  // Korthikanti's 34 sbh, the QKV input (2), projection input (2), MLP-up input (2) and MLP-down
  // input (8) halve: 34 - 7 = 27 sbh (flash attention, TP + SP).
  const auto c = gpt3();
  const double sbh = 2048.0 * 12288, t = 8;
  auto s8 = shard(8, true, AttentionImpl::Flash);
  s8.precision = Precision::FP8;
  EXPECT_NEAR(layer_activation_bytes(c, s8, Recompute::None), 27 * sbh / t, sbh * 0.01);
  // Full recomputation keeps only the bf16 layer input either way.
  EXPECT_NEAR(layer_activation_bytes(c, s8, Recompute::Full), 2 * sbh / t, sbh * 0.01);
}

TEST(ModelStateMemory, ZeroPaperFigure1) {
  // 7.5B parameters, Nd = 64, K = 12: 120 GB, 31.4 GB, 16.6 GB, 1.9 GB for stages 0..3.
  const double expected[] = {120.0, 31.4, 16.6, 1.9};
  for (int stage = 0; stage <= 3; ++stage) {
    MemoryInputs in;
    in.params = 7.5e9;
    in.dp = 64;
    in.zero = stage;
    in.weight_bytes = 2;
    in.grad_bytes = 2;
    in.optimizer_bytes = 12;
    const auto m = memory_per_gpu(gpt3(), in);
    EXPECT_NEAR((m.weights + m.gradients + m.optimizer) / 1e9, expected[stage], expected[stage] * 0.02)
        << "ZeRO-" << stage;
  }
}

TEST(ActivationMemory, MoeKeepsEveryRoutedCopyForTheExpertWeightGradient) {
  // Mixtral 8x7B's shape, one rank, no TP: each routed copy keeps its expert's gate, up and product
  // activations (3 x 14336 each, bf16) and its row of the grouped product's input (4096, bf16).
  auto c = gpt3();
  c.hidden = 4096;
  c.heads = 32;
  c.kv_heads = 8;
  c.seq_len = 4096;
  c.activation = Activation::SwiGLU;
  c.moe = MoeConfig{};
  c.moe->experts = 8;
  c.moe->expert_ffn = 14336;
  auto s = shard(1, false, AttentionImpl::Flash);
  s.precision = Precision::BF16;
  c.moe->top_k = 1;
  const double top1 = layer_activation_bytes(c, s, Recompute::None);
  c.moe->top_k = 2;
  const double top2 = layer_activation_bytes(c, s, Recompute::None);
  const double sb = 4096;
  EXPECT_DOUBLE_EQ(top2 - top1, sb * (3 * 2 * 14336.0 + 2 * 4096.0));
  // A twice-loaded busiest rank keeps twice the copies.
  c.moe->load_skew = 2.0;
  EXPECT_DOUBLE_EQ(layer_activation_bytes(c, s, Recompute::None) - top2, 2 * sb * (3 * 2 * 14336.0 + 2 * 4096.0));
}
