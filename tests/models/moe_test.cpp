// Mixture of experts: the shipped Mixtral and DeepSeek-V3-like workloads against their published
// parameter counts, and the expert-parallel all-to-all volumes against the GShard / DeepSpeed-MoE
// formula (each routed token copy carries its hidden vector, once to dispatch and once to combine).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "models/collective/collective_model.hpp"
#include "models/util/json_reader.hpp"
#include "models/workload/layer_kernels.hpp"
#include "models/workload/transformer.hpp"

namespace trainsim {
namespace {

TransformerConfig shipped(const std::string& file) {
  const std::string path = std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/workloads/" + file;
  const auto j = read_json_file(path);
  return parse_transformer(JsonReader(j.at("model"), path + ": $.model"));
}

double bytes_of(const std::vector<Kernel>& ks, const std::string& name) {
  double b = 0;
  for (const auto& k : ks)
    if (k.name == name) b += k.coll_bytes;
  return b;
}

TEST(Moe, MixtralWorkloadMatchesPublishedCounts) {
  const auto c = shipped("mixtral-8x7b.json");
  const auto p = count_parameters(c);
  // Jiang et al. 2024: 46.7B parameters, 12.9B used per token.
  EXPECT_NEAR(p.total / 46.7e9, 1.0, 0.005);
  EXPECT_NEAR(p.active / 12.9e9, 1.0, 0.01);
  EXPECT_EQ(c.moe_layers(), 32);
}

TEST(Moe, DeepSeekV3LikeWorkloadMatchesPublishedCounts) {
  const auto c = shipped("deepseek-v3.json");
  const auto p = count_parameters(c);
  // DeepSeek-V3 report: 671B total (without the MTP module), 37B activated per token. MLA is
  // approximated by same-width multi-head attention (+18.5M per layer, the workload's description).
  EXPECT_NEAR(p.total / 671e9, 1.0, 0.005);
  // "Activated" excludes the 1.85B embedding and output matrices, which every count here includes.
  const double embeddings = 2.0 * 129280 * 7168;
  EXPECT_NEAR((p.active - embeddings) / 37e9, 1.0, 0.03);
  EXPECT_FALSE(c.is_moe_layer(2));  // first_k_dense_replace = 3
  EXPECT_TRUE(c.is_moe_layer(3));
  EXPECT_EQ(c.moe_layers(), 58);
}

TEST(Moe, AllToAllVolumeIsTopKTokenCopiesOfTheHiddenVector) {
  const auto c = shipped("mixtral-8x7b.json");
  LayerShard s;
  s.micro_batch = 2;
  s.ep = 8;
  // Per rank and direction: micro_batch x seq_len tokens x top_k copies x hidden x 2 bytes (bf16).
  const double expected = 2.0 * 4096 * 2 * 4096 * 2;
  const auto fwd = layer_forward(c, s, 0);
  EXPECT_DOUBLE_EQ(bytes_of(fwd, "moe_dispatch_a2a"), expected);
  EXPECT_DOUBLE_EQ(bytes_of(fwd, "moe_combine_a2a"), expected);
  const auto bwd = layer_backward(c, s, 0);
  EXPECT_DOUBLE_EQ(bytes_of(bwd, "moe_dispatch_grad_a2a") + bytes_of(bwd, "moe_combine_grad_a2a"), 2 * expected);
  // Without expert parallelism no token leaves the GPU.
  s.ep = 1;
  EXPECT_EQ(bytes_of(layer_forward(c, s, 0), "moe_dispatch_a2a"), 0.0);
}

TEST(Moe, LoadSkewScalesTheBusiestRankAndCapacityCapsIt) {
  auto c = shipped("mixtral-8x7b.json");
  LayerShard s;
  s.ep = 8;
  const double balanced = bytes_of(layer_forward(c, s, 0), "moe_dispatch_a2a");
  auto up_flops = [&] {
    double f = 0;
    for (const auto& k : layer_forward(c, s, 0))
      if (k.name.rfind("moe_expert_up", 0) == 0) f += k.flops;
    return f;
  };
  const double balanced_flops = up_flops();
  c.moe->load_skew = 1.5;  // the busiest rank receives 1.5x the average tokens (dropless)
  EXPECT_DOUBLE_EQ(bytes_of(layer_forward(c, s, 0), "moe_dispatch_a2a"), 1.5 * balanced);
  EXPECT_NEAR(up_flops() / balanced_flops, 1.5, 1e-3);
  c.moe->capacity_factor = 1.25;  // tokens beyond capacity are dropped, every expert padded to it
  EXPECT_DOUBLE_EQ(bytes_of(layer_forward(c, s, 0), "moe_dispatch_a2a"), 1.25 * balanced);
}

TEST(Moe, AllToAllTimeFollowsPairwiseExchange) {
  // Pairwise exchange (Thakur et al. 2005): each of p ranks keeps 1/p of its buffer and sends the
  // rest; inside one node all of it crosses NVLink: t = (p-1)/p x S / B plus the step latencies.
  CollectiveEnv env;
  env.intra = {200e9, 2e-6, 0};
  env.inter = {25e9, 5e-6, 0};
  const double S = 256e6;
  const GroupShape node{8, 8, 1};
  const double t = collective_time(CollectiveKind::AllToAll, S, node, env).seconds;
  const double bw_term = 7.0 / 8.0 * S / 200e9;
  EXPECT_NEAR(t, bw_term, 0.01 * bw_term + 7 * 2e-6);
  EXPECT_GE(t, bw_term);
  // Across 4 nodes (8 ranks each), the off-node share (24/32) crosses each rank's NIC.
  const GroupShape nodes{32, 8, 4};
  const double t4 = collective_time(CollectiveKind::AllToAll, S, nodes, env).seconds;
  const double nic_term = 24.0 / 32.0 * S / 25e9;
  EXPECT_NEAR(t4, nic_term, 0.01 * nic_term + 31 * 5e-6);
}

// The routed experts are a grouped GEMM: one product per local expert, each reading its own weights,
// over the tokens routed to it; the total FLOPs are those of the routed copies.
TEST(Moe, RoutedExpertsAreAGroupedGemmOverTheLocalExperts) {
  auto c = shipped("mixtral-8x7b.json");  // 8 experts, top 2
  LayerShard s;
  s.ep = 2;  // 4 local experts
  const auto fwd = layer_forward(c, s, 0);
  const Kernel* up = nullptr;
  for (const auto& k : fwd)
    if (k.name == "moe_expert_up") up = &k;
  ASSERT_NE(up, nullptr);
  EXPECT_EQ(up->batch, 4);
  // A rank's tokens x top_k copies, spread over its 4 local experts.
  EXPECT_EQ(up->m, c.seq_len * 2 / 4);
  EXPECT_DOUBLE_EQ(up->flops, 2.0 * c.seq_len * 2 * 2 * c.moe->expert_ffn * c.hidden);
  // Each expert's weights are read once: 4 experts' worth.
  EXPECT_GE(up->bytes, 4.0 * 2 * c.moe->expert_ffn * c.hidden * 2);
}

}  // namespace
}  // namespace trainsim
