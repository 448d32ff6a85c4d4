// Selective recomputation re-runs the attention core (Korthikanti et al. 2022, Sec. 5): with
// Megatron-Core that is the checkpointed core attention whatever its kernel, flash included.
#include <gtest/gtest.h>

#include <string>

#include "models/workload/layer_kernels.hpp"
#include "tests/models/layer_fixtures.hpp"

using namespace trainsim;

using trainsim::testing::find_kernel;

TEST(SelectiveRecompute, FlashAttentionForwardRunsAgainInTheBackward) {
  const auto c = trainsim::testing::llama3_8b();
  LayerShard s;
  s.micro_batch = 1;
  s.precision = Precision::BF16;
  s.attention = AttentionImpl::Flash;
  const auto fwd = layer_forward(c, s, 0);
  const auto rec = layer_recompute(c, s, 0, Recompute::Selective);
  const Kernel* f = find_kernel(fwd, "flash_attention_fwd");
  const Kernel* r = find_kernel(rec, "recompute_flash_attention_fwd");
  ASSERT_NE(f, nullptr);
  ASSERT_NE(r, nullptr);
  EXPECT_DOUBLE_EQ(r->flops, f->flops);
  EXPECT_EQ(rec.size(), 1u);  // only the attention core: no products, norms or activations
  // With context parallelism the checkpointed region holds the K/V ring too.
  s.cp = 2;
  const auto rec_cp = layer_recompute(c, s, 0, Recompute::Selective);
  EXPECT_NE(find_kernel(rec_cp, "recompute_cp_ring_kv"), nullptr);
  EXPECT_NE(find_kernel(rec_cp, "recompute_flash_attention_fwd"), nullptr);
  // None re-runs nothing.
  EXPECT_TRUE(layer_recompute(c, s, 0, Recompute::None).empty());
}
