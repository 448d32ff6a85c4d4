// The analytic engine's critical path against pipeline-schedule closed forms.
#include <gtest/gtest.h>

#include "sim/cost/op_costs.hpp"
#include "sim/evaluate/predict.hpp"
#include "sim/plan/pipeline_schedule.hpp"
#include "sim/report/report.hpp"
#include "tests/common/test_support.hpp"

using namespace trainsim;
using trainsim::testing::make_scenario;

namespace {
// A cluster whose links are so fast that communication vanishes: only the schedule remains.
nlohmann::json fast_cluster() {
  return {{"gpu", "A100-SXM4-80GB"},
          {"nodes", 4},
          {"gpus_per_node", 2},
          {"nics_per_node", 2},
          {"nic_gbps", 1e5},
          {"intra_node",
           {{"kind", "nvswitch"}, {"bandwidth_gbytes_per_s", 1e5}, {"latency_us", 0}, {"half_bandwidth_mb", 0}}},
          {"fabric", {{"hop_latency_us", 0}, {"half_bandwidth_mb", 0}}}};
}
InlineOverlap overlap(bool tp_comm_overlap, int cp = 1, double nccl_sm_share = 0) {
  InlineOverlap o;
  o.tp_comm_overlap = tp_comm_overlap;
  o.cp = cp;
  o.nccl_sm_share = nccl_sm_share;
  return o;
}
}  // namespace

TEST(AnalyticEngine, OneFOneBMatchesClosedForm) {
  // p = 8 stages, m = 32 micro-batches, uniform middle stages: T ~ (m + p - 1) * (t_f + t_b).
  // A small vocabulary keeps the first and last stages (embedding, logits) like the others.
  auto model = trainsim::testing::small_gpt(32, 1024, 16);
  model["vocab"] = 128;
  auto sc = make_scenario({{"tp", 1}, {"pp", 8}, {"micro_batch", 1}}, fast_cluster(), model, 32);
  auto p = predict(sc);
  ComputeModel cm(sc.cluster.gpu);
  OpCosts costs(p.plan, sc.cluster, cm);
  // Stage 3's blocks (no embedding, no head).
  double tf = 0, tb = 0;
  for (const auto& b : p.plan.blocks)
    if (b.virtual_stage == 3) (b.phase == Phase::Forward ? tf : tb) += costs.block(&b - p.plan.blocks.data()).total();
  const double closed = (32 + 8 - 1) * (tf + tb);
  EXPECT_NEAR(p.metrics.iteration_time_s, closed, 0.06 * closed);
  // The bubble is (p-1)/m of the ideal time.
  EXPECT_NEAR(p.metrics.breakdown.pipeline_bubble / (32 * (tf + tb)), bubble_fraction(8, 32, 1), 0.06);
}

TEST(AnalyticEngine, InterleavingShrinksTheBubble) {
  // Bubble relative to the stage's compute: (p-1)/m for 1F1B, (p-1)/(v*m) interleaved (SC'21 Sec. 2.2).
  auto model = trainsim::testing::small_gpt(32, 1024, 16);
  model["vocab"] = 128;
  auto base = predict(make_scenario({{"tp", 1}, {"pp", 4}, {"micro_batch", 1}}, fast_cluster(), model, 32));
  auto inter = predict(make_scenario({{"tp", 1}, {"pp", 4}, {"vp", 4}, {"micro_batch", 1}}, fast_cluster(), model, 32));
  auto frac = [](const Metrics& m) {
    return m.breakdown.pipeline_bubble / (m.breakdown.forward + m.breakdown.backward);
  };
  EXPECT_NEAR(frac(base.metrics), 3.0 / 16, 0.015);
  EXPECT_NEAR(frac(inter.metrics), 3.0 / 64, 0.015);
  EXPECT_LT(inter.metrics.iteration_time_s, base.metrics.iteration_time_s);
}

TEST(AnalyticEngine, GradientOverlapHidesDataParallelTime) {
  auto slow = trainsim::testing::small_cluster(4, 8);
  slow["nic_gbps"] = 10;  // make the gradient all-reduce expensive
  auto a = predict(make_scenario({{"tp", 8}, {"pp", 1}, {"micro_batch", 1}}, slow, trainsim::testing::small_gpt(), 32));
  auto b = predict(make_scenario({{"tp", 8}, {"pp", 1}, {"micro_batch", 1}, {"overlap_grad_reduce", true}}, slow,
                                 trainsim::testing::small_gpt(), 32));
  EXPECT_GT(a.metrics.breakdown.dp_comm_exposed, 0.01);
  // Buckets are reduced while the backward goes on: overlap cannot cost time.
  EXPECT_LE(b.metrics.iteration_time_s, a.metrics.iteration_time_s * 1.0001);
  // Breakdown parts add up to the iteration time.
  const auto& d = a.metrics.breakdown;
  EXPECT_NEAR(
      d.forward + d.backward + d.recompute + d.tp_comm_exposed + d.pipeline_bubble + d.dp_comm_exposed + d.optimizer,
      a.metrics.iteration_time_s, 1e-9 + 1e-6 * a.metrics.iteration_time_s);
}

TEST(AnalyticEngine, DefaultScenarioNearPublished) {
  // Megatron-LM README: GPT-3 175B on 1,024 A100, about 32 s per iteration (138 TFLOP/s per GPU).
  // The issue's target is 10%; the datasheet models are at -10.3% (docs/validation.md). This guard
  // keeps them from drifting further.
  const auto sc = load_scenario(std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/default.json");
  const auto p = predict(sc);
  EXPECT_NEAR(p.metrics.iteration_time_s, 32.0, 32.0 * 0.12);
  EXPECT_TRUE(p.metrics.memory.fits);
  // Same input, same output.
  EXPECT_EQ(to_json(predict(sc).metrics).dump(), to_json(p.metrics).dump());
}

namespace trainsim {
namespace {

// --tp-comm-overlap (Wang et al., ASPLOS 2023): a TP all-gather is pipelined with the product that
// consumes it, a reduce-scatter with the product that feeds it; only max(0, comm - product) stays.
TEST(TpCommOverlap, ExposedCommIsWhatTheAdjacentProductCannotHide) {
  std::vector<Kernel> ks = {
      collective_kernel("ag", CollectiveKind::AllGather, GroupRole::TP, 1e6),
      gemm_kernel("qkv", 1024, 1024, 1024, 1, Precision::BF16, 2.0),
      memory_kernel("softmax", 1e6, Precision::BF16),
      gemm_kernel("proj", 1024, 1024, 1024, 1, Precision::BF16, 2.0),
      collective_kernel("rs", CollectiveKind::ReduceScatter, GroupRole::TP, 1e6),
      collective_kernel("dp", CollectiveKind::AllReduce, GroupRole::DP, 1e6),
  };
  const std::vector<double> t = {3.0, 2.0, 1.0, 5.0, 4.0, 7.0};
  const auto off = exposed_inline_comm(ks, t, overlap(false));
  EXPECT_EQ(off, (std::vector<double>{3.0, 0, 0, 0, 4.0, 7.0}));
  const auto on = exposed_inline_comm(ks, t, overlap(true));
  // ag: 3 - qkv 2 = 1; rs after proj (5): fully hidden; a DP all-reduce is never hidden here.
  EXPECT_EQ(on, (std::vector<double>{1.0, 0, 0, 0, 0.0, 7.0}));
}

// The backward all-gather of a sequence-parallel input: always behind the next product (the data
// gradient), which loses the NCCL kernel's share of the SMs while they overlap.
TEST(AsyncRegather, HiddenBehindTheNextProductAtTheCostOfItsSmShare) {
  Kernel ag = collective_kernel("ag", CollectiveKind::AllGather, GroupRole::TP, 1e6);
  ag.async_before_product = true;
  const std::vector<Kernel> ks = {ag, memory_kernel("cast", 1e6, Precision::BF16),
                                  gemm_kernel("dgrad", 1024, 1024, 1024, 1, Precision::BF16, 2.0)};
  // 1.0 s of gather behind a 4.0 s product, 25% of the SMs: 0.25 s.
  EXPECT_NEAR(exposed_inline_comm(ks, {1.0, 0.5, 4.0}, overlap(false, 1, 0.25))[0], 0.25, 1e-12);
  // A gather longer than its product: the rest is exposed.
  EXPECT_NEAR(exposed_inline_comm(ks, {3.0, 0.5, 2.0}, overlap(false, 1, 0.25))[0], 1.0 + 0.5, 1e-12);
  // Without a product after it, it is on the critical path.
  EXPECT_NEAR(exposed_inline_comm({ag}, {3.0}, overlap(false, 1, 0.25))[0], 3.0, 1e-12);
}

// Transformer Engine userbuffers (tp_comm_overlap): each layer collective pays its ub_cfg SM budget.
TEST(UserbufferOverlap, EachMethodPaysItsSmBudget) {
  auto tagged = [](CollectiveKind kind, UbMethod m, int sms, int splits, bool margin) {
    Kernel k = collective_kernel("c", kind, GroupRole::TP, 1e6);
    k.ub = {true, m, sms, splits, margin};
    return k;
  };
  const Kernel g = gemm_kernel("g", 1024, 1024, 1024, 1, Precision::BF16, 2.0);
  InlineOverlap o;
  o.tp_comm_overlap = true;
  o.sm_count = 132;
  // Ring exchange (copy engines): 1.0 s behind a 2.0 s product costs nothing; 3.0 s costs 1.0 s.
  const auto ring = tagged(CollectiveKind::AllGather, UbMethod::RingExchange, 0, 1, false);
  EXPECT_NEAR(exposed_inline_comm({ring, g}, {1.0, 2.0}, o)[0], 0.0, 1e-12);
  EXPECT_NEAR(exposed_inline_comm({ring, g}, {3.0, 2.0}, o)[0], 1.0, 1e-12);
  // Pipelined reduce-scatter after its product, 24 SMs, set_sm_margin, 4 splits: the product runs
  // on 108 SMs (2.0 -> 2.444 s) and the last split's 0.25 s waits at the end.
  const auto pipe = tagged(CollectiveKind::ReduceScatter, UbMethod::Pipeline, 24, 4, true);
  EXPECT_NEAR(exposed_inline_comm({g, pipe}, {2.0, 1.0}, o)[1], 2.0 * 132 / 108 + 0.25 - 2.0, 1e-12);
  // Bulk, 16 SMs, no margin: the product loses 16/132 of its SMs for the 1.0 s they overlap.
  const auto bulk = tagged(CollectiveKind::AllGather, UbMethod::Bulk, 16, 1, false);
  EXPECT_NEAR(exposed_inline_comm({bulk, g}, {1.0, 2.0}, o)[0], 16.0 / 132, 1e-12);
  // Without tp_comm_overlap nothing is hidden; an untagged TP collective (embedding, output
  // layer: not TE modules) is not hidden either.
  o.tp_comm_overlap = false;
  EXPECT_NEAR(exposed_inline_comm({ring, g}, {1.0, 2.0}, o)[0], 1.0, 1e-12);
  o.tp_comm_overlap = true;
  const Kernel plain = collective_kernel("head_ag", CollectiveKind::AllGather, GroupRole::TP, 1e6);
  EXPECT_NEAR(exposed_inline_comm({plain, g}, {1.0, 2.0}, o)[0], 1.0, 1e-12);
}

// Context parallelism's K/V ring: cp-1 transfers, each hidden behind one of the cp attention blocks.
TEST(CpRingOverlap, ExposedIsWhatEachStepCannotHideBehindItsBlock) {
  Kernel att;
  att.kind = KernelKind::Attention;
  std::vector<Kernel> ks = {collective_kernel("cp_ring_kv", CollectiveKind::AllGather, GroupRole::CP, 1e6), att};
  // cp 4: three steps of 3/3 = 1.0 each against blocks of 2.0/4 = 0.5: 3 x 0.5 exposed.
  EXPECT_NEAR(exposed_inline_comm(ks, {3.0, 2.0}, overlap(false, 4))[0], 1.5, 1e-12);
  // A long attention hides the ring entirely; with cp 1 nothing is overlapped.
  EXPECT_NEAR(exposed_inline_comm(ks, {3.0, 40.0}, overlap(false, 4))[0], 0.0, 1e-12);
  EXPECT_NEAR(exposed_inline_comm(ks, {3.0, 40.0}, overlap(false, 1))[0], 3.0, 1e-12);
}

TEST(TpCommOverlap, ShortensTheIterationOfATensorParallelRunAndNeedsSequenceParallel) {
  auto j = parse_json_text(R"({"cluster": {"gpu": "H100-SXM5-80GB", "nodes": 1, "gpus_per_node": 8,
        "intra_node": {"kind": "nvswitch"}},
      "workload": {"model": {"layers": 8, "hidden": 8192, "heads": 64, "seq_len": 4096, "vocab": 32000}, "global_batch": 8},
      "strategy": {"tp": 8, "sequence_parallel": true, "micro_batch": 1}})",
                           "<inline>");
  const Scenario base = parse_scenario(j, "<inline>", ".");
  const auto p0 = predict(base, "analytic");
  j["strategy"]["tp_comm_overlap"] = true;
  const auto p1 = predict(parse_scenario(j, "<inline>", "."), "analytic");
  const double tp0 = p0.metrics.breakdown.tp_comm_exposed, tp1 = p1.metrics.breakdown.tp_comm_exposed;
  ASSERT_GT(tp0, 0.0);
  EXPECT_LT(tp1, 0.5 * tp0);  // NVSwitch collectives of 64 MB are shorter than their 8k-wide products
  EXPECT_NEAR(p0.metrics.iteration_time_s - p1.metrics.iteration_time_s, tp0 - tp1, 1e-9 + 1e-6 * tp0);
  j["strategy"]["sequence_parallel"] = false;
  try {
    parse_scenario(j, "<inline>", ".");
    FAIL() << "tp_comm_overlap without sequence parallelism must be refused";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("tp_comm_overlap"), std::string::npos) << e.what();
  }
}

// Gradients reduced in bf16 (Megatron --grad-reduce-in-bf16, NeMo grad_sync_dtype): half the
// gradient buffer of a bf16 run, and half the bytes of each data-parallel gradient reduction.
TEST(GradReduceDtype, Bf16HalvesTheGradientBufferAndItsReduction) {
  auto j = parse_json_text(R"({"cluster": {"gpu": "H100-SXM5-80GB", "nodes": 2, "gpus_per_node": 8,
        "intra_node": {"kind": "nvswitch"}, "nics_per_node": 8, "nic_gbps": 400},
      "workload": {"model": {"layers": 8, "hidden": 4096, "heads": 32, "seq_len": 2048, "vocab": 32000}, "global_batch": 32},
      "strategy": {"tp": 2, "sequence_parallel": true, "micro_batch": 1, "zero": 1}})",
                           "<inline>");
  const auto fp32 = predict(parse_scenario(j, "<inline>", "."), "analytic");
  j["strategy"]["grad_reduce_dtype"] = "bf16";
  const Scenario s16 = parse_scenario(j, "<inline>", ".");
  const auto bf16 = predict(s16, "analytic");
  EXPECT_NEAR(bf16.metrics.memory.parts.gradients, 0.5 * fp32.metrics.memory.parts.gradients,
              1e-9 * fp32.metrics.memory.parts.gradients);
  const Plan plan = build_plan(s16.workload.model, s16.strategy, s16.cluster.gpus_per_node);
  double scattered = 0;
  for (const auto& op : plan.programs[0].ops)
    if (op.kind == OpKind::Collective && op.collective == CollectiveKind::ReduceScatter) scattered += op.bytes;
  EXPECT_NEAR(scattered, 2.0 * plan.params_per_rank_by_stage[0], 1e-6 * scattered);
  EXPECT_NE(bf16.metrics.strategy.find("grads=bf16"), std::string::npos) << bf16.metrics.strategy;
  // fsdp_param_dtype names the field when there is nothing to gather.
  j["strategy"]["fsdp_param_dtype"] = "fp32";
  try {
    parse_scenario(j, "<inline>", ".");
    FAIL() << "fsdp_param_dtype with zero 1 must be refused";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("fsdp_param_dtype"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace trainsim

// Bucketed gradient reduction (Megatron-Core DDP): what stays exposed is the tail of the bucket
// stream after the last backward, at least the last bucket's own reduction; one huge bucket
// exposes the whole reduction, as without overlap.
TEST(AnalyticEngine, GradientBucketsLeaveTheirTailExposed) {
  // One micro-batch whose backward is about as long as the reduction: 16 layers of hidden 2,048
  // (6.3 M parameters per TP rank), DP 4 over 200 Gb/s NICs, buckets of two layers.
  const auto slow = trainsim::testing::small_cluster(4, 8);
  const auto model = trainsim::testing::small_gpt(16, 2048, 16);
  const auto cluster = make_scenario({{"tp", 8}}, slow, model, 32).cluster;
  auto run = [&](nlohmann::json st) { return predict(make_scenario(st, slow, model, 32)); };
  const auto plain = run({{"tp", 8}, {"pp", 1}, {"micro_batch", 8}});
  const auto bucketed =
      run({{"tp", 8}, {"pp", 1}, {"micro_batch", 8}, {"overlap_grad_reduce", true}, {"bucket_params", 12e6}});
  const auto one =
      run({{"tp", 8}, {"pp", 1}, {"micro_batch", 8}, {"overlap_grad_reduce", true}, {"bucket_params", 1e13}});
  // The last bucket (layer 0 and the embedding) is reduced after the backward is over.
  const auto& plan = bucketed.plan;
  ComputeModel cm(cluster.gpu);
  OpCosts costs(plan, cluster, cm);
  const Op* last = nullptr;
  for (const auto& op : plan.programs[0].ops)
    if (op.phase == Phase::GradSync) last = &op;
  ASSERT_NE(last, nullptr);
  const double t_last = costs.collective(*last);
  const double full = plain.metrics.breakdown.dp_comm_exposed;
  EXPECT_GE(bucketed.metrics.breakdown.dp_comm_exposed, t_last * 0.999);
  EXPECT_LT(bucketed.metrics.breakdown.dp_comm_exposed, 0.5 * full);
  EXPECT_LT(bucketed.metrics.iteration_time_s, plain.metrics.iteration_time_s);
  EXPECT_NEAR(one.metrics.breakdown.dp_comm_exposed, full, 0.01 * full);
}

// --overlap-param-gather: the distributed optimizer's weight gather leaves the end of the
// iteration; only what the first buckets delay the first forward remains.
TEST(AnalyticEngine, OverlappedParameterGatherShortensTheIteration) {
  // One micro-batch whose backward is about as long as the reduction: 16 layers of hidden 2,048
  // (6.3 M parameters per TP rank), DP 4 over 200 Gb/s NICs, buckets of two layers.
  const auto slow = trainsim::testing::small_cluster(4, 8);
  const auto model = trainsim::testing::small_gpt(16, 2048, 16);
  const auto cluster = make_scenario({{"tp", 8}}, slow, model, 32).cluster;
  auto run = [&](nlohmann::json st) { return predict(make_scenario(st, slow, model, 32)); };
  const auto end = run({{"tp", 8}, {"pp", 1}, {"micro_batch", 8}, {"zero", 1}, {"bucket_params", 12e6}});
  const auto overlapped = run(
      {{"tp", 8}, {"pp", 1}, {"micro_batch", 8}, {"zero", 1}, {"bucket_params", 12e6}, {"overlap_param_gather", true}});
  const auto& plan = end.plan;
  ComputeModel cm(cluster.gpu);
  OpCosts costs(plan, cluster, cm);
  double gather = 0;
  for (const auto& op : plan.programs[0].ops)
    if (op.phase == Phase::ParamSync) gather += costs.collective(op);
  ASSERT_GT(gather, 0.0);
  const double saved = end.metrics.iteration_time_s - overlapped.metrics.iteration_time_s;
  EXPECT_GT(saved, 0.5 * gather);
  EXPECT_LE(saved, gather * 1.0001);
}

// #21 item 2: a prediction above the best published MFU on its GPU, or on a GPU without one,
// says so; the published GPT-3 run (36% MFU on A100) does not.
TEST(PlausibilityWarnings, AboveThePublishedMfuOrWithoutOneIsSaid) {
  const std::string dir = std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/";
  const Metrics ddp = predict(load_scenario(dir + "tutorials/13b-dp64-zero3.json")).metrics;
  ASSERT_GT(ddp.mfu, 0.64 * 1.1);  // data-parallel 13B on A100 at ~72% MFU: above llm-foundry's best 64%
  ASSERT_EQ(ddp.warnings.size(), 1u);
  EXPECT_NE(ddp.warnings[0].find("above the best published 16-bit training run on A100-SXM4-80GB, 64%"),
            std::string::npos)
      << ddp.warnings[0];
  EXPECT_TRUE(predict(load_scenario(dir + "default.json")).metrics.warnings.empty());
  const GpuSpec& mi = gpu_by_name("MI300X");
  const auto none = plausibility_warnings(mi, Precision::BF16, 0.30, false);
  ASSERT_EQ(none.size(), 1u);
  EXPECT_NE(none[0].find("no published 16-bit training run on MI300X"), std::string::npos);
  EXPECT_TRUE(plausibility_warnings(mi, Precision::BF16, 0.30, /*calibrated=*/true).empty());
  const auto over = plausibility_warnings(mi, Precision::BF16, 0.60, true);  // above AMD's measured 54%
  ASSERT_EQ(over.size(), 1u);
  EXPECT_NE(over[0].find("above the largest matrix-product rate measured on MI300X"), std::string::npos);
}
