// Megatron-Core / Transformer Engine details of the layer kernels: the output layer outside fp8,
// and the sequence-parallel input gathered again in the backward.
#include <gtest/gtest.h>

#include <string>

#include "models/workload/layer_kernels.hpp"
#include "tests/models/layer_fixtures.hpp"

using namespace trainsim;
using trainsim::testing::find_kernel;
using trainsim::testing::llama2_70b;

namespace {
int count_async(const std::vector<Kernel>& v) {
  int n = 0;
  for (const auto& k : v) n += k.async_before_product ? 1 : 0;
  return n;
}
}  // namespace

TEST(MegatronCore, OutputLayerStaysInBf16InFp8Runs) {
  // GPTModel.output_layer is Megatron-Core's ColumnParallelLinear, not a TE module.
  LayerShard s;
  s.tp = 4;
  s.sequence_parallel = true;
  s.precision = Precision::FP8;
  const auto fwd = head_forward(llama2_70b(), s);
  const auto bwd = head_backward(llama2_70b(), s);
  ASSERT_NE(find_kernel(fwd, "logits"), nullptr);
  EXPECT_EQ(find_kernel(fwd, "logits")->precision, Precision::BF16);
  EXPECT_EQ(find_kernel(bwd, "logits_dgrad")->precision, Precision::BF16);
  EXPECT_EQ(find_kernel(bwd, "logits_wgrad")->precision, Precision::BF16);
  EXPECT_EQ(find_kernel(bwd, "logits_grad_fp8_cast"), nullptr);  // no quantisation of its gradient
  // The transformer layers' products stay fp8.
  const auto layer = layer_forward(llama2_70b(), s, 0);
  EXPECT_EQ(find_kernel(layer, "mlp_up")->precision, Precision::FP8);
  EXPECT_NE(find_kernel(layer, "mlp_down_fp8_cast"), nullptr);
}

TEST(MegatronCore, SequenceParallelBackwardGathersTheColumnParallelInputsAgain) {
  LayerShard s;
  s.tp = 4;
  s.sequence_parallel = true;
  const auto bwd = layer_backward(llama2_70b(), s, 0);
  // QKV and MLP-up keep a 1/tp shard of their input; each backward gathers it before the
  // data-gradient product, asynchronously: one b*s*h all-gather each.
  EXPECT_EQ(count_async(bwd), 2);
  for (const char* name : {"tp_allgather_attn_input_bwd", "tp_allgather_mlp_input_bwd"}) {
    const Kernel* k = find_kernel(bwd, name);
    ASSERT_NE(k, nullptr) << name;
    EXPECT_EQ(k->collective, CollectiveKind::AllGather);
    EXPECT_DOUBLE_EQ(k->coll_bytes, 1.0 * 4096 * 8192 * 2);
  }
  // The next product after each gather is the data gradient it overlaps.
  for (std::size_t i = 0; i < bwd.size(); ++i) {
    if (!bwd[i].async_before_product) continue;
    std::size_t j = i + 1;
    while (j < bwd.size() && bwd[j].kind != KernelKind::Gemm) ++j;
    ASSERT_LT(j, bwd.size());
    EXPECT_NE(bwd[j].name.find("_dgrad"), std::string::npos) << bwd[j].name;
  }
  // Without sequence parallelism (the full input is kept) or without TP there is nothing to gather.
  s.sequence_parallel = false;
  EXPECT_EQ(count_async(layer_backward(llama2_70b(), s, 0)), 0);
  s.tp = 1;
  EXPECT_EQ(count_async(layer_backward(llama2_70b(), s, 0)), 0);
  // The forward has none either.
  s.tp = 4;
  s.sequence_parallel = true;
  EXPECT_EQ(count_async(layer_forward(llama2_70b(), s, 0)), 0);
}
