// Mixture of experts: the shipped Mixtral, DeepSeek-V3-like and Qwen3-30B-A3B workloads against their published
// parameter counts, and the expert-parallel all-to-all volumes against the GShard / DeepSpeed-MoE
// formula (each routed token copy carries its hidden vector, once to dispatch and once to combine).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "models/collective/collective_model.hpp"
#include "models/memory/memory_model.hpp"
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

struct PublishedCounts {
  const char* file;
  double total, active, active_tolerance;
  int moe_layers;
};

// Total within 0.5% of the published count, active parameters within the stated tolerance.
TEST(Moe, ShippedWorkloadsMatchTheirPublishedCounts) {
  const PublishedCounts rows[] = {
      // Jiang et al. 2024: 46.7B parameters, 12.9B used per token.
      {"mixtral-8x7b.json", 46.7e9, 12.9e9, 0.01, 32},
      // DeepSeek-V3 report: 671B total (without the MTP module), 37B activated (37.55B here, with
      // the embedding and output matrices); first_k_dense_replace = 3.
      {"deepseek-v3.json", 671e9, 37e9, 0.02, 58},
      // Qwen3 technical report, Table 2: 30.5B / 3.3B (3.35B here) and 235B / 22B (22.2B here).
      {"qwen3-30b-a3b.json", 30.5e9, 3.3e9, 0.02, 48},
      {"qwen3-235b-a22b.json", 235e9, 22e9, 0.02, 94},
      // gpt-oss model card: 116.83B total; 5.13B active counting the unembedding (201088 x 2880)
      // but not the embedding, which the count here includes.
      {"gpt-oss-120b.json", 116.83e9, 5.13e9 + 201088.0 * 2880, 0.01, 36},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.file);
    const auto c = shipped(r.file);
    const auto p = count_parameters(c);
    EXPECT_NEAR(p.total / r.total, 1.0, 0.005);
    EXPECT_NEAR(p.active / r.active, 1.0, r.active_tolerance);
    EXPECT_EQ(c.moe_layers(), r.moe_layers);
  }
}

TEST(Moe, DeepSeekV3LatentAttentionCountedByHand) {
  const auto c = shipped("deepseek-v3.json");
  const auto p = count_parameters(c);
  // Multi-head latent attention from config.json, by hand: q down 7168 x 1536, q up 1536 x 128*192,
  // kv down 7168 x (512 + 64), kv up 512 x 128*(128 + 128), output 128*128 x 7168, and the RMSNorms
  // of the two latents (1536 + 512).
  const std::int64_t mla = 7168LL * 1536 + 1536LL * 128 * 192 + 7168LL * 576 + 512LL * 128 * 256 + 128LL * 128 * 7168;
  EXPECT_EQ(p.attention, mla + 1536 + 512);
  EXPECT_FALSE(c.is_moe_layer(2));
  EXPECT_TRUE(c.is_moe_layer(3));
}

TEST(Moe, Qwen3MoeCountedByHand) {
  const auto c = shipped("qwen3-30b-a3b.json");
  // From config.json: per layer q, k, v, o 2048 x (4096 + 512 + 512) + 4096 x 2048, router
  // 2048 x 128, 128 experts x 3 x 2048 x 768, two norms; untied 151936 x 2048 embedding and output.
  const double layer = 2048.0 * 5120 + 4096.0 * 2048 + 2048.0 * 128 + 128.0 * 3 * 2048 * 768 + 2 * 2048;
  EXPECT_NEAR(count_parameters(c).total, 48 * layer + 2.0 * 151936 * 2048 + 2048, 1e6);
  EXPECT_EQ(shipped("gpt-oss-120b.json").head_dim(), 64);  // attention width 4096 != hidden 2880
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
  EXPECT_DOUBLE_EQ(bytes_of(bwd, "moe_dispatch_a2a_bwd") + bytes_of(bwd, "moe_combine_a2a_bwd"), 2 * expected);
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

namespace trainsim {
namespace {

// Multi-head latent attention (#19 item 4): FLOPs and kernels follow the released dimensions; the
// down projections run whole on every tensor-parallel rank (Megatron-Core: parallel_mode
// "duplicated"), the up projections are split.
TEST(Mla, FlopsAndTensorParallelProducts) {
  const auto c = shipped("deepseek-v3.json");
  ASSERT_TRUE(c.mla.has_value());
  EXPECT_EQ(c.qk_head_dim(), 192);
  EXPECT_EQ(c.v_head_dim(), 128);
  // Attention core per token and layer, forward: 2 s heads (192 + 128) = 335.5 MFLOP at 4K tokens,
  // against 4 s h = 117.4 MFLOP for multi-head attention of the hidden width.
  TransformerConfig mha = c;
  mha.mla.reset();
  const double tokens = 4096.0 * 8;
  const double diff = (model_flops_per_iteration(c, 8) - model_flops_per_iteration(mha, 8)) / (3.0 * tokens);
  const double attn_linear_diff =
      2.0 * (static_cast<double>(attention_matrix_params(c)) - static_cast<double>(attention_matrix_params(mha)));
  EXPECT_NEAR(diff / c.layers, attn_linear_diff + 2.0 * 4096 * 128 * (192 + 128) - 4.0 * 4096 * 7168, 1.0);
  LayerShard s;
  s.tp = 2;
  s.micro_batch = 1;
  const auto fwd = layer_forward(c, s, 0);
  auto product = [&](const std::string& name) {
    for (const auto& k : fwd)
      if (k.name == name) return k;
    ADD_FAILURE() << name;
    return Kernel{};
  };
  EXPECT_EQ(product("mla_q_down").n, 1536);  // duplicated: the whole latent on each rank
  EXPECT_EQ(product("mla_q_up").n, 128 * 192 / 2);
  EXPECT_EQ(product("mla_kv_down").n, 512 + 64);
  EXPECT_EQ(product("mla_kv_up").n, 128 * 256 / 2);
  EXPECT_EQ(product("attn_out").k, 128 * 128 / 2);
  // Selective recomputation of an MLA layer re-runs the two up projections only.
  const auto re = layer_recompute(c, s, 0, Recompute::Selective);
  ASSERT_EQ(re.size(), 2u);
  EXPECT_EQ(re[0].name, "recompute_mla_q_up");
}

// The dispatchers' volumes (models/workload/layer_kernels.hpp MoeDispatcher), per rank and direction
// for Mixtral (top-2 of 8 experts, hidden 4096) on ep 8, micro-batch 1 of 4,096 tokens, bf16.
TEST(Moe, DispatcherVolumesFollowEachDispatchersDataPath) {
  auto c = shipped("mixtral-8x7b.json");
  c.moe->experts = 32;  // four local experts per rank: the all-to-all sorts its received chunks
  LayerShard s;
  s.ep = 8;
  const double T = 4096, h = 4096, k = 2, eb = 2;
  auto memory = [](const std::vector<Kernel>& ks, const std::string& name) {
    double b = 0;
    for (const auto& x : ks)
      if (x.name == name) b += x.bytes;
    return b;
  };
  // All-to-all: every routed copy crosses; the permute reads each token and writes its copies
  // (plus the int32 row map, 3 passes over [T, 2E+1]); the received rows are sorted by expert.
  auto fwd = layer_forward(c, s, 0);
  EXPECT_DOUBLE_EQ(bytes_of(fwd, "moe_dispatch_a2a"), T * k * h * eb);
  EXPECT_DOUBLE_EQ(memory(fwd, "moe_permute"), (T + T * k) * h * eb + 3 * T * (2 * 32 + 1) * 4);
  EXPECT_DOUBLE_EQ(memory(fwd, "moe_sort_chunks"), 2 * T * k * h * eb);
  EXPECT_DOUBLE_EQ(memory(fwd, "moe_unpermute"), (T + T * k) * h * eb);
  // All-gather: every token of the 8 ranks is gathered and permuted; a reduce-scatter back.
  s.dispatcher = MoeDispatcher::AllGather;
  fwd = layer_forward(c, s, 0);
  EXPECT_DOUBLE_EQ(bytes_of(fwd, "moe_dispatch_allgather"), 8 * T * h * eb);
  EXPECT_DOUBLE_EQ(bytes_of(fwd, "moe_combine_reduce_scatter"), 8 * T * h * eb);
  EXPECT_DOUBLE_EQ(memory(fwd, "moe_permute_gathered"), (8 * T + T * k) * h * eb + 3 * 8 * T * (2 * 32 + 1) * 4);
  EXPECT_EQ(memory(fwd, "moe_sort_chunks"), 0.0);
  // DeepEP: a token goes once to each of the ranks holding one of its two experts: 8 (1 - (7/8)^2)
  // = 1.875 ranks on average, not 2 copies.
  s.dispatcher = MoeDispatcher::DeepEP;
  fwd = layer_forward(c, s, 0);
  EXPECT_NEAR(bytes_of(fwd, "moe_dispatch_a2a"), 1.875 * T * h * eb, 1e-6 * T * h);
  EXPECT_NEAR(memory(fwd, "moe_permute_received"), (1.875 * T + T * k) * h * eb + 3 * 1.875 * T * (2 * 32 + 1) * 4,
              1e-6 * T * h);
  EXPECT_EQ(memory(fwd, "moe_permute"), 0.0);
  // The backward moves the same bytes the other way and writes the probabilities' gradients.
  const auto bwd = layer_backward(c, s, 0);
  EXPECT_NEAR(bytes_of(bwd, "moe_dispatch_a2a_bwd") + bytes_of(bwd, "moe_combine_a2a_bwd"),
              2 * bytes_of(fwd, "moe_dispatch_a2a"), 1e-6 * T * h);
  EXPECT_NEAR(memory(bwd, "moe_permute_received_bwd"), memory(fwd, "moe_unpermute_received") + T * 32 * 4,
              1e-6 * T * h);
}

}  // namespace
}  // namespace trainsim

namespace trainsim {
namespace {
// Megatron-Core's selective recomputation by module (--recompute-modules layernorm moe_act, as the
// GPT-OSS performance recipes run it): the pre-MLP norm output and the routed experts' activation
// outputs are not kept, and the backward reruns those two kernels of the forward.
TEST(Moe, RecomputedModulesDropTheirOutputsAndRerunTheirKernels) {
  const auto c = shipped("mixtral-8x7b.json");  // h 4096, expert ffn 14336, top 2
  LayerShard s;
  s.attention = AttentionImpl::Flash;
  const double none = layer_activation_bytes(c, s, Recompute::None);
  EXPECT_DOUBLE_EQ(layer_activation_bytes(c, s, Recompute::Selective), none);  // core_attn: flash keeps nothing more
  s.recompute_modules.stated = true;
  s.recompute_modules.layernorm = s.recompute_modules.moe_act = true;
  const double sb = 4096;
  EXPECT_DOUBLE_EQ(none - layer_activation_bytes(c, s, Recompute::Selective), 2 * sb * 4096 + 2 * sb * 14336.0 * 2);
  const auto rec = layer_recompute(c, s, 0, Recompute::Selective);
  ASSERT_EQ(rec.size(), 2u);
  EXPECT_EQ(rec[0].name, "recompute_post_attn_norm");
  EXPECT_EQ(rec[1].name, "recompute_swiglu");
  for (const auto& k : layer_forward(c, s, 0))
    if (k.name == "swiglu") EXPECT_DOUBLE_EQ(rec[1].bytes, k.bytes);
}
}  // namespace
}  // namespace trainsim
