// Megatron-LM 2021 software passes: separate bias kernels, the unfused attention's copies,
// the fp32 vocab-parallel cross-entropy and the mixed-precision optimizer step.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "models/workload/layer_kernels.hpp"
#include "models/workload/optimizer_kernels.hpp"

using namespace trainsim;

namespace {
TransformerConfig gpt_1_7b() {
  TransformerConfig c;  // SC'21 Table 1, first row
  c.layers = 24;
  c.hidden = 2304;
  c.heads = 24;
  c.kv_heads = 24;
  c.ffn = 9216;
  c.vocab = 51200;
  c.seq_len = 2048;
  return c;
}
double bytes_of(const std::vector<Kernel>& v, const std::string& name) {
  for (const auto& k : v)
    if (k.name == name) return k.bytes;
  return -1;
}
}  // namespace

TEST(Megatron2021Kernels, SeparateBiasPassesOnlyWhenNotFused) {
  const auto c = gpt_1_7b();
  LayerShard s;
  s.micro_batch = 16;
  s.precision = Precision::FP16;
  s.attention = AttentionImpl::Unfused;
  const double T = 16.0 * 2048, h = 2304;
  EXPECT_LT(bytes_of(layer_forward(c, s, 0), "qkv_bias_add"), 0);  // fused by default
  s.fused_bias = false;
  // QKV bias add: read and write the [T, 3h] fp16 output.
  EXPECT_DOUBLE_EQ(bytes_of(layer_forward(c, s, 0), "qkv_bias_add"), 2.0 * 2.0 * T * 3 * h);
  const auto bwd = layer_backward(c, s, 0);
  // Bias gradients read each product's output gradient once: 3h + h + 4h + h per token.
  EXPECT_DOUBLE_EQ(bytes_of(bwd, "qkv_bias_grad"), 2.0 * T * 3 * h);
  EXPECT_DOUBLE_EQ(bytes_of(bwd, "attn_out_bias_grad"), 2.0 * T * h);
  EXPECT_DOUBLE_EQ(bytes_of(bwd, "mlp_up_bias_grad"), 2.0 * T * 4 * h);
  EXPECT_DOUBLE_EQ(bytes_of(bwd, "mlp_down_bias_grad"), 2.0 * T * h);
  // No biases (Llama): nothing to add.
  auto llama = c;
  llama.bias = false;
  EXPECT_LT(bytes_of(layer_forward(llama, s, 0), "qkv_bias_add"), 0);
}

TEST(Megatron2021Kernels, UnfusedAttentionCopiesContextAndConcatenatesQkvGradients) {
  const auto c = gpt_1_7b();
  LayerShard s;
  s.micro_batch = 4;
  s.tp = 2;
  s.precision = Precision::FP16;
  s.attention = AttentionImpl::Unfused;
  const double T = 4.0 * 2048, h = 2304;
  EXPECT_DOUBLE_EQ(bytes_of(layer_forward(c, s, 0), "attn_context_copy"), 2.0 * 2.0 * T * h / 2);
  EXPECT_DOUBLE_EQ(bytes_of(layer_backward(c, s, 0), "attn_qkv_grad_concat"), 2.0 * 2.0 * T * 3 * h / 2);
  s.attention = AttentionImpl::Flash;
  EXPECT_LT(bytes_of(layer_forward(c, s, 0), "attn_context_copy"), 0);
}

TEST(Megatron2021Kernels, CrossEntropyPassesOverFp32Logits) {
  const auto c = gpt_1_7b();
  LayerShard s;
  s.precision = Precision::FP16;
  const double TV = 2048.0 * 51200;
  // cast (2 + 4), max 4, sub 8, exp 8, sum 4, div 8 = 38 bytes per logit; backward 8 + 4 + 2.
  EXPECT_DOUBLE_EQ(bytes_of(head_forward(c, s), "cross_entropy"), 38.0 * TV);
  EXPECT_DOUBLE_EQ(bytes_of(head_backward(c, s), "cross_entropy_bwd"), 14.0 * TV);
}

TEST(OptimizerKernels, MixedPrecisionAdamBytesPerParameter) {
  // fp16 with fp16 gradients (Megatron-LM 2021): cast 6, unscale 8, norm 4, Adam 28, copy back 6, zero 2.
  EXPECT_DOUBLE_EQ(optimizer_step_bytes_per_param(2, 2, Precision::FP16), 54.0);
  // bf16 with fp32 main gradients: no cast, no loss scaling.
  EXPECT_DOUBLE_EQ(optimizer_step_bytes_per_param(4, 2, Precision::BF16), 42.0);
  // fp32 training: no half-precision copy.
  EXPECT_DOUBLE_EQ(optimizer_step_bytes_per_param(4, 4, Precision::FP32), 36.0);
  const auto v = optimizer_step_kernels(1e9, 2, 2, Precision::FP16);
  EXPECT_EQ(v.size(), 6u);
  EXPECT_TRUE(std::all_of(v.begin(), v.end(), [](const Kernel& k) { return k.kind == KernelKind::Memory; }));
}
