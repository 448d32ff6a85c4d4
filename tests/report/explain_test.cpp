// trainsim explain: the bubble formula and the communication volumes against hand computation.
#include <gtest/gtest.h>

#include "sim/evaluate/predict.hpp"
#include "sim/plan/planner.hpp"
#include "sim/report/explain.hpp"
#include "tests/common/test_support.hpp"

using namespace trainsim;
using trainsim::testing::make_scenario;

namespace {
// Links so fast that communication vanishes: only the pipeline schedule remains (as in
// tests/report/analytic_engine_test.cpp).
nlohmann::json fast_cluster(int nodes = 4, int gpn = 2) {
  return {{"gpu", "A100-SXM4-80GB"},
          {"nodes", nodes},
          {"gpus_per_node", gpn},
          {"nics_per_node", gpn},
          {"nic_gbps", 1e5},
          {"intra_node",
           {{"kind", "nvswitch"}, {"bandwidth_gbytes_per_s", 1e5}, {"latency_us", 0}, {"half_bandwidth_mb", 0}}},
          {"fabric", {{"hop_latency_us", 0}, {"half_bandwidth_mb", 0}}}};
}
const CommVolume* find(const std::vector<CommVolume>& v, const std::string& group, const std::string& kind) {
  for (const auto& c : v)
    if (c.group == group && c.kind == kind) return &c;
  return nullptr;
}
}  // namespace

TEST(Explain, BubbleFormulaOneFOneB) {
  // p = 8 stages, m = 32 micro-batches: (p-1)/(m+p-1) = 7/39 of the iteration.
  auto model = trainsim::testing::small_gpt(32, 1024, 16);
  model["vocab"] = 128;  // first and last stages like the others
  const Scenario sc = make_scenario({{"tp", 1}, {"pp", 8}, {"micro_batch", 1}}, fast_cluster(), model, 32);
  const Prediction p = predict(sc);
  const Explanation e = explain(sc, p);
  EXPECT_EQ(e.bubble.stages, 8);
  EXPECT_EQ(e.bubble.micro_batches, 32);
  EXPECT_EQ(e.bubble.formula, "(p-1)/(m+p-1)");
  EXPECT_EQ(e.bubble.filled, "(8-1)/(32+8-1) = 7/39");
  EXPECT_NEAR(e.bubble.fraction, 7.0 / 39.0, 1e-9);
  EXPECT_NEAR(e.bubble.of_ideal, 7.0 / 32.0, 1e-9);
  // The engine's modelled bubble on the busiest stage: within 3 points of the closed form (the
  // busiest stage carries the embedding/logits and the transfers are not quite free).
  EXPECT_NEAR(e.bubble.modelled_fraction, e.bubble.fraction, 0.03);
  EXPECT_NEAR(e.bubble.modelled_s, p.metrics.breakdown.pipeline_bubble, 1e-12);
}

TEST(Explain, BubbleFormulaInterleaved) {
  // p = 4, v = 4, m = 32: (p-1)/(v*m+p-1) = 3/131.
  auto model = trainsim::testing::small_gpt(32, 1024, 16);
  model["vocab"] = 128;
  const Scenario sc =
      make_scenario({{"tp", 1}, {"pp", 4}, {"vp", 4}, {"micro_batch", 1}}, fast_cluster(2, 2), model, 32);
  const Prediction p = predict(sc);
  const Explanation e = explain(sc, p);
  EXPECT_EQ(e.bubble.schedule, "interleaved-1f1b");
  EXPECT_EQ(e.bubble.formula, "(p-1)/(v*m+p-1)");
  EXPECT_NEAR(e.bubble.fraction, 3.0 / 131.0, 1e-9);
  EXPECT_NEAR(e.bubble.modelled_fraction, e.bubble.fraction, 0.03);
  // GPipe has the same bubble as 1F1B.
  EXPECT_NEAR(bubble_formula(ScheduleKind::GPipe, 4, 32, 1).fraction, 3.0 / 35.0, 1e-9);
  EXPECT_NEAR(bubble_formula(ScheduleKind::OneFOneB, 1, 32, 1).fraction, 0.0, 1e-12);
}

TEST(Explain, CommunicationVolumesMatchHandComputation) {
  // GPT, fp16, h = 1024, s = 1024, b = 2, 8 layers; tp 4, pp 2, dp 2 on 16 GPUs; global batch 32
  // -> m = 32 / (2 * 2) = 8 micro-batches, 4 layers per stage.
  const double h = 1024, s = 1024, b = 2, V = 1024;
  nlohmann::json model = {{"layers", 8}, {"hidden", 1024}, {"heads", 16}, {"vocab", 1024}, {"seq_len", 1024}};
  const Scenario sc = make_scenario({{"tp", 4}, {"pp", 2}, {"dp", 2}, {"micro_batch", 2}, {"precision", "fp16"}},
                                    trainsim::testing::small_cluster(2, 8), model, 32);
  const Prediction p = predict(sc);
  ASSERT_EQ(p.plan.strategy.micro_batches(), 8);
  const ComputeModel cm(sc.cluster.gpu);
  const OpCosts costs(p.plan, sc.cluster, cm);
  const auto v0 = communication_volumes(p.plan, costs, 0);

  // TP: an all-reduce of b*s*h fp16 values (2*b*s*h bytes) after attention and after the MLP,
  // and their conjugates in the backward: 4 per layer per micro-batch, plus the vocab-parallel
  // embedding's all-reduce on stage 0.
  const CommVolume* tp = find(v0, "tp", "all-reduce");
  ASSERT_NE(tp, nullptr);
  EXPECT_DOUBLE_EQ(tp->typical_op_bytes, 2 * b * s * h);
  EXPECT_EQ(tp->typical_op_count, (4 * 4 + 1) * 8);
  EXPECT_DOUBLE_EQ(tp->bytes, (4 * 4 + 1) * 8 * 2 * b * s * h);
  EXPECT_EQ(tp->group_size, 4);
  EXPECT_DOUBLE_EQ(tp->wire_bytes, tp->bytes * 2 * 3 / 4);  // ring: 2(p-1)/p of the buffer
  EXPECT_NEAR(tp->per_layer_per_micro_batch, 17.0 / 4, 1e-12);
  EXPECT_FALSE(tp->size_formula.empty());

  // PP: stage 0 sends each micro-batch's activations forward, split over the 4 TP ranks
  // (scatter-gather): b*s*h*2/tp bytes.
  const CommVolume* pp = find(v0, "pp", "send");
  ASSERT_NE(pp, nullptr);
  EXPECT_EQ(pp->count, 8);
  EXPECT_DOUBLE_EQ(pp->typical_op_bytes, b * s * h * 2 / 4);
  EXPECT_DOUBLE_EQ(pp->bytes, 8 * b * s * h * 2 / 4);

  // DP: one all-reduce of the rank's fp16 gradients. Parameters per rank of stage 0: 4 layers of
  // (12h^2 + 9h)/tp (weights and biases of attention and MLP, split over TP) + 4h (two
  // LayerNorms), the vocab-parallel embedding V*h/tp and the learned positions s*h.
  const double params0 = 4 * ((12 * h * h + 9 * h) / 4 + 4 * h) + V * h / 4 + s * h;
  ASSERT_DOUBLE_EQ(p.plan.params_per_rank_by_stage[0], params0);
  const CommVolume* dp = find(v0, "dp", "all-reduce");
  ASSERT_NE(dp, nullptr);
  EXPECT_EQ(dp->count, 1);
  EXPECT_DOUBLE_EQ(dp->bytes, params0 * 2);
  EXPECT_EQ(dp->group_size, 2);
  EXPECT_DOUBLE_EQ(dp->wire_bytes, params0 * 2 * 2 * 1 / 2);

  // Tied embeddings: stages 0 and pp-1 all-reduce the embedding gradient V*h/tp fp16.
  const CommVolume* emb = find(v0, "embedding", "all-reduce");
  ASSERT_NE(emb, nullptr);
  EXPECT_DOUBLE_EQ(emb->bytes, V * h / 4 * 2);

  // The explanation reports the busiest stage's volumes and the JSON carries them.
  const Explanation e = explain(sc, p);
  const auto j = to_json(e);
  EXPECT_EQ(j["communication"]["stage"].get<int>(), e.comm_stage);
  EXPECT_FALSE(j["communication"]["per_rank_per_iteration"].empty());
  EXPECT_FALSE(e.hints.empty());
}

TEST(Explain, RecomputeSavesActivationMemory) {
  const Scenario sc =
      make_scenario({{"tp", 2}, {"pp", 2}, {"micro_batch", 1}, {"recompute", "full"}, {"attention", "unfused"}});
  const Prediction p = predict(sc);
  const Explanation e = explain(sc, p);
  EXPECT_EQ(e.recompute.mode, "full");
  EXPECT_GT(e.recompute.time_s, 0);
  EXPECT_GT(e.recompute.extra_flops, 0);
  EXPECT_NEAR(e.recompute.extra_flops, p.metrics.hardware_flops - p.metrics.model_flops, 1e-6 * p.metrics.model_flops);
  EXPECT_LT(e.recompute.activations_bytes.at("full"), e.recompute.activations_bytes.at("selective"));
  EXPECT_LT(e.recompute.activations_bytes.at("selective"), e.recompute.activations_bytes.at("none"));
  EXPECT_DOUBLE_EQ(e.recompute.activations_bytes.at("full"), p.metrics.memory.parts.activations);
  EXPECT_EQ(e.memory_fits, p.metrics.memory.fits);
}

TEST(Explain, SmContentionIsWhatTheOverlappedCollectivesAdd) {
  // FSDP on 2 DGX-H100 nodes: the explanation's contention is the time the engine adds over a
  // run whose collectives take no SMs, and the SMs are NCCL's choice for 8 x 400 Gb/s.
  auto fsdp = [](int nccl_sms) {
    nlohmann::json cluster = {{"gpu", "H100-SXM5-80GB"}, {"nodes", 2},      {"gpus_per_node", 8},
                              {"nics_per_node", 8},      {"nic_gbps", 400}, {"nccl_sms", nccl_sms}};
    return make_scenario({{"tp", 1}, {"pp", 1}, {"dp", 16}, {"zero", 3}, {"micro_batch", 2}}, cluster,
                         trainsim::testing::small_gpt(16, 4096, 32), 32);
  };
  const Scenario held = fsdp(-1), free = fsdp(0);
  const Prediction ph = predict(held), pf = predict(free);
  const Explanation e = explain(held, ph);
  const double added = ph.metrics.iteration_time_s - pf.metrics.iteration_time_s;
  ASSERT_GT(added, 0.0);
  EXPECT_NEAR(e.sm_contention_s, added, 0.2 * added);
  EXPECT_GE(e.sm_contention_sms, 24);  // ~360 GB/s of ring bandwidth at 12 GB/s per SM
  EXPECT_LE(e.sm_contention_sms, 32);
  EXPECT_EQ(e.sm_count, 132);
  EXPECT_EQ(explain(free, pf).sm_contention_s, 0.0);
}

TEST(Explain, DeepSpeed03SoftwarePathIsItsBytesOverItsRates) {
  // DeepSpeed 0.3.x ZeRO-3 on 2 DGX A100 nodes: the explained software-path seconds are the
  // rank's gathered bytes over 26.8 GB/s plus its reduced bytes over 36.1 GB/s; FSDP has none.
  auto zero3 = [](const char* runtime) {
    nlohmann::json cluster = {
        {"gpu", "A100-SXM4-80GB"}, {"nodes", 2}, {"gpus_per_node", 8}, {"nics_per_node", 8}, {"nic_gbps", 200}};
    return make_scenario({{"tp", 1},
                          {"pp", 1},
                          {"dp", 16},
                          {"zero", 3},
                          {"zero_runtime", runtime},
                          {"micro_batch", 2},
                          {"recompute", "full"},
                          {"precision", "fp16"}},
                         cluster, trainsim::testing::small_gpt(16, 4096, 32), 32);
  };
  const Scenario ds = zero3("deepspeed-0.3");
  const Prediction p = predict(ds);
  const Explanation e = explain(ds, p);
  double gathered = 0, reduced = 0;
  for (const auto& op : p.plan.programs[0].ops) {
    if (op.kind != OpKind::Collective || op.group != GroupRole::DP) continue;
    (op.phase == Phase::ParamSync ? gathered : reduced) += op.bytes;
  }
  const double expected = gathered / 26.76e9 + reduced / 36.09e9;
  EXPECT_NEAR(e.runtime_overhead_s, expected, 0.005 * expected);
  EXPECT_GT(e.runtime_collectives_s, e.runtime_overhead_s);
  EXPECT_EQ(e.zero_runtime, "deepspeed-0.3");
  const Scenario fsdp = zero3("fsdp");
  EXPECT_EQ(explain(fsdp, predict(fsdp)).runtime_overhead_s, 0.0);
}

TEST(Explain, TpOverlapHidesWhatTheIterationSaves) {
  // One DGX-H100, TP 8 with sequence parallelism. With the overlap, the explanation's cost of the
  // overlapped TP collectives is part of the exposed TP time, and what it hides is at least what
  // the iteration saves: without the overlap, the backward re-gathers already hide on NCCL.
  auto tp8 = [](bool overlap) {
    nlohmann::json cluster = {
        {"gpu", "H100-SXM5-80GB"}, {"nodes", 1}, {"gpus_per_node", 8}, {"intra_node", {{"kind", "nvswitch"}}}};
    return make_scenario({{"tp", 8}, {"sequence_parallel", true}, {"micro_batch", 1}, {"tp_comm_overlap", overlap}},
                         cluster, {{"layers", 8}, {"hidden", 8192}, {"heads", 64}, {"seq_len", 4096}, {"vocab", 32000}},
                         8);
  };
  const Scenario on = tp8(true), off = tp8(false);
  const Prediction pon = predict(on), poff = predict(off);
  const Explanation e = explain(on, pon);
  ASSERT_GT(e.tp_overlapped_s, 0.0);
  EXPECT_GT(e.tp_overlap_cost_s, 0.0);
  EXPECT_LT(e.tp_overlap_cost_s, 0.5 * e.tp_overlapped_s);
  EXPECT_LE(e.tp_overlap_cost_s, pon.metrics.breakdown.tp_comm_exposed * (1 + 1e-9));
  const double saved = poff.metrics.iteration_time_s - pon.metrics.iteration_time_s;
  EXPECT_GT(saved, 0.0);
  EXPECT_GE(e.tp_overlapped_s - e.tp_overlap_cost_s, saved);
  EXPECT_LT(e.tp_overlapped_s - e.tp_overlap_cost_s, 1.5 * saved);
  EXPECT_EQ(explain(off, poff).tp_overlapped_s, 0.0);
}

// On an MoE scenario explain shows where one expert layer's time goes (issue #19 item 7): its
// parts are the layer kernels' own costs, the exchange's link follows the EP group's placement,
// the per-iteration total is the layer's time x MoE layers x micro-batches, and an exchange-bound
// layer under the all-to-all dispatcher gets the flex dispatcher hint; a dense model has none.
TEST(Explain, ExpertLayerTimeOnAnMoeScenario) {
  const Scenario mixtral = load_scenario(std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/mixtral-8x7b-64xh100.json");
  const Prediction p = predict(mixtral);
  const Explanation e = explain(mixtral, p);
  const ExpertExplanation& x = e.experts;
  ASSERT_TRUE(x.present);
  EXPECT_EQ(x.experts, 8);
  EXPECT_EQ(x.top_k, 2);
  EXPECT_EQ(x.ep, mixtral.strategy.ep);
  EXPECT_GT(x.experts_s, x.reorder_s);
  EXPECT_GT(x.reorder_s, 0.0);
  EXPECT_GT(x.expert_efficiency, 0.2);
  EXPECT_LT(x.expert_efficiency, 1.0);
  EXPECT_NEAR(x.per_iteration_s, x.layer_s() * x.layers * static_cast<double>(x.micro_batches), 1e-12);
  // Experts run on every layer of the busiest stage: their share cannot exceed its forward + backward.
  EXPECT_LT(x.per_iteration_s, p.metrics.breakdown.forward + p.metrics.breakdown.backward + 1e-9);
  EXPECT_TRUE(to_json(e)["experts"].is_object());

  // EP 16 over two nodes of a small cluster: the exchange crosses the fabric and dominates.
  auto model = trainsim::testing::small_gpt(4, 4096, 32);
  model["moe"] = {{"experts", 64}, {"top_k", 8}, {"expert_ffn", 1024}};
  nlohmann::json cluster = trainsim::testing::small_cluster(2, 8, "H100-SXM5-80GB");
  cluster["nics_per_node"] = 1;
  const Scenario wide = trainsim::testing::make_scenario({{"tp", 1}, {"pp", 1}, {"ep", 16}}, cluster, model, 64);
  const Explanation w = explain(wide, predict(wide));
  EXPECT_EQ(w.experts.ep_nodes, 2);
  EXPECT_GT(w.experts.exchange_s, 0.3 * w.experts.layer_s());
  bool flex_hint = false;
  for (const auto& h : w.hints) flex_hint = flex_hint || h.find("moe_dispatcher") != std::string::npos;
  EXPECT_TRUE(flex_hint);

  const Scenario dense = trainsim::testing::make_scenario({{"tp", 2}, {"pp", 1}});
  EXPECT_FALSE(explain(dense, predict(dense)).experts.present);
  EXPECT_TRUE(to_json(explain(dense, predict(dense)))["experts"].is_null());
}
