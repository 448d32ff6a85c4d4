// strategy.tp_overlap_cfg: a NeMo ub_cfg file's entries, read as Transformer Engine reads them,
// reach the layer collectives; bad entries name their field.
#include <gtest/gtest.h>

#include "sim/evaluate/predict.hpp"
#include "tests/common/test_support.hpp"

using namespace trainsim;
using trainsim::testing::error_of;
using trainsim::testing::make_scenario;

namespace {
nlohmann::json tp_run(nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::json s = {{"tp", 8}, {"sequence_parallel", true}, {"micro_batch", 1}, {"tp_comm_overlap", true}};
  for (auto& [k, v] : extra.items()) s[k] = v;
  return s;
}
nlohmann::json h100_node() {
  return {{"gpu", "H100-SXM5-80GB"}, {"nodes", 1}, {"gpus_per_node", 8}, {"intra_node", {{"kind", "nvswitch"}}}};
}
nlohmann::json big_gpt() {
  return {{"layers", 4}, {"hidden", 8192}, {"heads", 64}, {"seq_len", 4096}, {"vocab", 32000}};
}
const Kernel* find(const Plan& p, const std::string& name) {
  for (const auto& b : p.blocks)
    for (const auto& k : b.kernels)
      if (k.name == name) return &k;
  return nullptr;
}
}  // namespace

TEST(TpOverlapCfg, EntriesReplaceTransformerEnginesDefaults) {
  const auto sc = make_scenario(
      tp_run({{"tp_overlap_cfg",
               {{"proj_fprop", {{"method", "pipeline"}, {"num_sm", 24}, {"num_splits", 4}, {"set_sm_margin", 1}}},
                {"fc2_fprop", {{"method", "ring_exchange"}, {"num_sm", 1}, {"set_sm_margin", 1}}},
                {"qkv_wgrad", {{"method", "bulk"}, {"num_sm", 4}, {"cga_size", 2}}}}}}),
      h100_node(), big_gpt(), 8);
  const auto p = predict(sc);
  const Kernel* proj = find(p.plan, "tp_allreduce_attn");
  const Kernel* fc2 = find(p.plan, "tp_allreduce_mlp");
  const Kernel* qkv_w = find(p.plan, "tp_allreduce_attn_grad");
  const Kernel* fc1_d = find(p.plan, "tp_allgather_mlp_input_bwd");
  ASSERT_TRUE(proj && fc2 && qkv_w && fc1_d);
  EXPECT_EQ(proj->ub.method, UbMethod::Pipeline);
  EXPECT_EQ(proj->ub.sms, 24);
  EXPECT_TRUE(proj->ub.sm_margin);
  EXPECT_EQ(fc2->ub.method, UbMethod::RingExchange);
  EXPECT_EQ(fc2->ub.sms, 0);  // the copy engines move a ring exchange's chunks
  EXPECT_EQ(qkv_w->ub.sms, 4);
  EXPECT_FALSE(qkv_w->ub.sm_margin);
  // An entry left out keeps TE's default: fc1_dgrad bulk on 16 SMs.
  EXPECT_EQ(fc1_d->ub.method, UbMethod::Bulk);
  EXPECT_EQ(fc1_d->ub.sms, 16);
  // The output layer's gather is not a TE module's: never overlapped.
  const Kernel* head = find(p.plan, "tp_allgather_head");
  ASSERT_NE(head, nullptr);
  EXPECT_FALSE(head->ub.on);
}

TEST(TpOverlapCfg, SmBudgetsCostTimeAgainstFullHiding) {
  // Full hiding would be max(0, t_comm - t_product); the ub budgets add the SMs the
  // communication takes, so the run lies between no overlap and full hiding.
  const auto none =
      predict(make_scenario({{"tp", 8}, {"sequence_parallel", true}, {"micro_batch", 1}}, h100_node(), big_gpt(), 8));
  const auto ub = predict(make_scenario(tp_run(), h100_node(), big_gpt(), 8));
  auto ring_only = tp_run({{"tp_overlap_cfg", nlohmann::json::object()}});
  for (const char* s : {"proj_fprop", "fc2_fprop", "qkv_dgrad", "qkv_wgrad", "fc1_dgrad", "fc1_wgrad"})
    ring_only["tp_overlap_cfg"][s] = {{"method", "ring_exchange"}};
  const auto full = predict(make_scenario(ring_only, h100_node(), big_gpt(), 8));
  EXPECT_LT(ub.metrics.iteration_time_s, none.metrics.iteration_time_s);
  EXPECT_GT(ub.metrics.iteration_time_s, full.metrics.iteration_time_s * 1.005);
}

TEST(TpOverlapCfg, BadEntriesNameTheirField) {
  auto msg = error_of([] {
    make_scenario(tp_run({{"tp_overlap_cfg", {{"proj_fprop", {{"method", "ring"}}}}}}), h100_node(), big_gpt(), 8);
  });
  EXPECT_NE(msg.find("$.strategy.tp_overlap_cfg.proj_fprop.method"), std::string::npos) << msg;
  msg = error_of([] {
    make_scenario(tp_run({{"tp_overlap_cfg", {{"attn_fprop", {{"method", "bulk"}}}}}}), h100_node(), big_gpt(), 8);
  });
  EXPECT_NE(msg.find("$.strategy.tp_overlap_cfg.attn_fprop"), std::string::npos) << msg;
  msg = error_of([] {
    make_scenario(tp_run({{"tp_overlap_cfg", {{"qkv_wgrad", {{"method", "bulk"}, {"num_sm", -2}}}}}}), h100_node(),
                  big_gpt(), 8);
  });
  EXPECT_NE(msg.find("$.strategy.tp_overlap_cfg.qkv_wgrad.num_sm"), std::string::npos) << msg;
  msg = error_of([] {
    make_scenario({{"tp", 8}, {"sequence_parallel", true}, {"tp_overlap_cfg", nlohmann::json::object()}}, h100_node(),
                  big_gpt(), 8);
  });
  EXPECT_NE(msg.find("$.strategy.tp_overlap_cfg"), std::string::npos) << msg;
  EXPECT_NE(msg.find("tp_comm_overlap"), std::string::npos) << msg;
}
