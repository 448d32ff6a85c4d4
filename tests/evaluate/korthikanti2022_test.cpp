// The A100 model against the per-layer and end-to-end times of Korthikanti et al., "Reducing
// Activation Recomputation in Large Transformer Models" (arXiv 2205.05198, MLSys 2023), measured on
// Selene (DGX A100 80GB, 8 x HDR 200 Gb/s per node), Megatron-LM of 2022, mixed precision, s = 2048,
// v = 51200, TP 8, no data parallelism (Table 3). These runs are not in the shared published-runs
// file; they pin the A100 kernels of the Megatron stack the SC'21 rows also use, one layer at a time.
#include <gtest/gtest.h>

#include <string>

#include "sim/cost/op_costs.hpp"
#include "sim/evaluate/predict.hpp"
#include "sim/scenario/scenario.hpp"

using namespace trainsim;

namespace {
struct Gpt {
  int layers, hidden, heads, pp, vp, global_batch;
};
// Table 3 (22B ... 1T). Sec. 6: the 175B and 530B runs use the interleaved schedule with 3 model
// chunks per device; the 1T run (2 layers per stage) does not interleave.
constexpr Gpt k22B{48, 6144, 64, 1, 1, 4};
constexpr Gpt k175B{96, 12288, 96, 8, 3, 64};
constexpr Gpt k530B{105, 20480, 128, 35, 3, 280};
constexpr Gpt k1T{128, 25600, 160, 64, 1, 512};

Scenario korthikanti(const Gpt& g, const char* recompute, bool sequence_parallel) {
  const nlohmann::json j = {
      {"cluster",
       {{"gpu", "A100-SXM4-80GB"},
        {"nodes", g.pp},
        {"gpus_per_node", 8},
        {"nics_per_node", 8},
        {"nic_gbps", 200},
        {"intra_node", {{"kind", "nvswitch"}}},
        {"fabric", {{"kind", "infiniband"}, {"topology", "fat-tree"}}}}},
      {"workload",
       {{"model",
         {{"layers", g.layers},
          {"hidden", g.hidden},
          {"heads", g.heads},
          {"ffn", 4 * g.hidden},
          {"vocab", 51200},
          {"seq_len", 2048},
          {"activation", "gelu"}}},
        {"global_batch", g.global_batch}}},
      // Megatron-LM of 2022: fused bias kernels and gradient-accumulation fusion, attention before
      // FlashAttention, point-to-point transfers not yet overlapped (--overlap-p2p-communication
      // came with Megatron-Core in 2023); micro-batch 4 for 22B, 1 for the others (Table 3).
      {"strategy",
       {{"tp", 8},
        {"pp", g.pp},
        {"vp", g.vp},
        {"dp", 1},
        {"micro_batch", g.pp == 1 ? 4 : 1},
        {"schedule", g.vp > 1 ? "interleaved-1f1b" : "1f1b"},
        {"recompute", recompute},
        {"sequence_parallel", sequence_parallel},
        {"precision", "bf16"},
        {"attention", "unfused"},
        {"fused_bias", true},
        {"gradient_accumulation_fusion", true},
        {"overlap_p2p_comm", false}}}};
  return parse_scenario(j, "<korthikanti>", ".");
}

// Forward and backward (recomputation included) time of one layer, ms: the 22B run has one
// stage and one micro-batch, so its blocks are the passes over the 48 layers.
struct LayerTimes {
  double forward_ms = 0, backward_ms = 0;
};
LayerTimes per_layer(const Scenario& sc) {
  const auto p = predict(sc);
  ComputeModel cm(sc.cluster.gpu);
  OpCosts costs(p.plan, sc.cluster, cm);
  LayerTimes t;
  for (std::size_t i = 0; i < p.plan.blocks.size(); ++i) {
    const auto& b = p.plan.blocks[i];
    const double ms = costs.block(i).total() * 1e3 / sc.workload.model.layers;
    if (b.phase == Phase::Forward) t.forward_ms += ms;
    if (b.phase == Phase::Backward || b.phase == Phase::Recompute) t.backward_ms += ms;
  }
  return t;
}
}  // namespace

TEST(Korthikanti2022, Table4PerLayerTimesOfThe22BModel) {
  // Table 4, ms per transformer layer (forward, backward): measured -2.5 ... +2.7% (selective +
  // sequence parallel backward 12.77 vs 13.1 ms, the no-recompute backward 12.22 vs 11.9 ms).
  struct Row {
    const char* recompute;
    bool sp;
    double fwd, bwd;
  };
  const Row rows[] = {{"none", false, 7.7, 11.9},
                      {"none", true, 7.2, 11.8},
                      {"full", false, 7.7, 19.5},
                      {"selective", false, 7.7, 13.2},
                      {"selective", true, 7.2, 13.1}};
  for (const auto& r : rows) {
    SCOPED_TRACE(std::string(r.recompute) + (r.sp ? " + sequence parallel" : ""));
    const auto t = per_layer(korthikanti(k22B, r.recompute, r.sp));
    EXPECT_NEAR(t.forward_ms, r.fwd, 0.06 * r.fwd);
    EXPECT_NEAR(t.backward_ms, r.bwd, 0.06 * r.bwd);
  }
  // The recomputation overheads the paper quotes: full +64% of the backward, selective +11%.
  const auto none = per_layer(korthikanti(k22B, "none", false));
  const auto full = per_layer(korthikanti(k22B, "full", false));
  const auto sel = per_layer(korthikanti(k22B, "selective", false));
  EXPECT_NEAR(full.backward_ms / none.backward_ms, 19.5 / 11.9, 0.08);
  EXPECT_NEAR(sel.backward_ms / none.backward_ms, 13.2 / 11.9, 0.04);
}

TEST(Korthikanti2022, Table5IterationTimes) {
  // Table 5, seconds per iteration: full recomputation and the paper's selective + sequence
  // parallel. Measured -0.6 ... -3.3% with full recomputation, -1.1 ... -7.3% for selective + SP.
  // The paper says only "mixed precision"; bf16 here (MT-NLG 530B, the one of these models that
  // was trained, used bf16); fp16 puts the 22B run at -5.5%. Of the 22B run's -7.3%, ~15 ms are
  // the per-layer -1...-2.5% of Table 4 and ~60 ms lie outside the layers (the paper's 1.10 s less
  // 48 x 20.3 ms of layers leaves 126 ms for embedding, logits, loss and the optimizer).
  struct Row {
    Gpt g;
    double full_s, present_s;
  };
  const Row rows[] = {{k22B, 1.42, 1.10}, {k175B, 18.13, 13.75}, {k530B, 49.05, 37.83}, {k1T, 94.42, 71.49}};
  for (const auto& r : rows) {
    SCOPED_TRACE(std::to_string(r.g.hidden));
    EXPECT_NEAR(predict(korthikanti(r.g, "full", false)).metrics.iteration_time_s, r.full_s, 0.05 * r.full_s);
    EXPECT_NEAR(predict(korthikanti(r.g, "selective", true)).metrics.iteration_time_s, r.present_s, 0.10 * r.present_s);
  }
}
