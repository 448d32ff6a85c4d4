// MoE parallel folding (Megatron-Core >= 0.10; Liu et al. 2025, arXiv:2504.14960): expert layers
// split a stage's tp x cp x dp ranks as etp x ep x edp, so EP may span TP ranks.
#include <gtest/gtest.h>

#include "sim/evaluate/predict.hpp"
#include "sim/plan/planner.hpp"

namespace trainsim {
namespace {

Scenario moe(int tp, int ep, int etp) {
  nlohmann::json st = {{"tp", tp}, {"ep", ep}, {"sequence_parallel", tp > 1}, {"micro_batch", 1}};
  if (etp > 0) st["etp"] = etp;
  const nlohmann::json j = {{"cluster", {{"gpu", "H100-SXM5-80GB"}, {"nodes", 2}, {"gpus_per_node", 8}}},
                            {"workload",
                             {{"model",
                               {{"layers", 4},
                                {"hidden", 2048},
                                {"heads", 16},
                                {"seq_len", 4096},
                                {"vocab", 32000},
                                {"activation", "swiglu"},
                                {"moe", {{"experts", 16}, {"top_k", 2}, {"expert_ffn", 1024}}}}},
                              {"global_batch", 64}}},
                            {"strategy", st}};
  return parse_scenario(j, "test", ".");
}

// Megatron-Core's expert rank order: etp fastest, then ep, then edp over the flattened tp-cp-dp
// index. With etp 1 an EP group of 4 takes 4 consecutive ranks, across the TP pairs; with etp = tp
// (the default) EP steps over data-parallel ranks as before.
TEST(MoeFolding, ExpertGroupsFollowMegatronCoreOrder) {
  const Scenario folded = moe(2, 4, 1);  // 16 GPUs: tp 2, dp 8; experts: etp 1 x ep 4 x edp 4
  const Plan p = build_plan(folded.workload.model, folded.strategy, folded.cluster.gpus_per_node);
  EXPECT_EQ(p.group_members(5, GroupRole::EP), (std::vector<int>{4, 5, 6, 7}));
  EXPECT_EQ(p.group_members(5, GroupRole::EDP), (std::vector<int>{1, 5, 9, 13}));
  EXPECT_EQ(folded.strategy.edp(), 4);
  const Scenario plain = moe(2, 4, 0);  // etp = tp = 2: ep 4 over dp, edp 2
  const Plan q = build_plan(plain.workload.model, plain.strategy, plain.cluster.gpus_per_node);
  EXPECT_EQ(q.group_members(5, GroupRole::EP), (std::vector<int>{1, 3, 5, 7}));
  EXPECT_EQ(q.group_members(5, GroupRole::EDP), (std::vector<int>{5, 13}));
}

// Folding lets EP exceed dp x cp: ep 16 over tp 2 x dp 8 with etp 1; without etp the error says how.
TEST(MoeFolding, EpBeyondDpTimesCpNeedsEtp) {
  EXPECT_EQ(moe(2, 16, 1).strategy.ep, 16);
  try {
    moe(2, 16, 0);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("$.strategy.ep"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("give etp"), std::string::npos) << e.what();
  }
}

// A folded expert layer keeps each rank's own tokens (no TP collectives around it) and whole-width
// experts: per rank, the routed tokens halve with tp 2 and the expert weights are not split by TP.
TEST(MoeFolding, FoldedExpertsRunWholeWidthOnTheRanksTokens) {
  auto kernels = [](const Scenario& sc) { return layer_forward(sc.workload.model, layer_shard(sc.strategy), 0); };
  auto find = [](const std::vector<Kernel>& v, const std::string& n) -> const Kernel* {
    for (const auto& k : v)
      if (k.name == n) return &k;
    return nullptr;
  };
  const auto folded = kernels(moe(2, 4, 1)), plain = kernels(moe(2, 4, 0));
  const Kernel* fu = find(folded, "moe_expert_up");
  const Kernel* pu = find(plain, "moe_expert_up");
  ASSERT_TRUE(fu && pu);
  EXPECT_EQ(fu->n, 2 * pu->n);                          // whole experts (x2 for SwiGLU's gate and up in both)
  EXPECT_EQ(fu->m * fu->batch, pu->m * pu->batch / 2);  // the rank's half of the tokens
  EXPECT_EQ(find(folded, "tp_allgather_mlp"), nullptr);
  EXPECT_NE(find(plain, "tp_allgather_mlp"), nullptr);
  // The same experts per rank in total (ep 4 x etp 1 vs ep 4 x etp 2 over twice the ranks... per
  // rank: 16 / 4 local experts, whole or halved).
  const Scenario f = moe(2, 4, 1), q = moe(2, 4, 0);
  const Plan pf = build_plan(f.workload.model, f.strategy, 8), pq = build_plan(q.workload.model, q.strategy, 8);
  EXPECT_GT(pf.params_per_rank_by_stage[0], pq.params_per_rank_by_stage[0]);
}

}  // namespace
}  // namespace trainsim
