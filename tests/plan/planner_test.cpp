// Planner invariants: every layer placed once, every micro-batch runs forward and backward on
// every virtual stage, sends match receives, group sizes multiply to the world size.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "sim/plan/pipeline_schedule.hpp"
#include "sim/plan/planner.hpp"
#include "tests/common/test_support.hpp"

using namespace trainsim;
using trainsim::testing::make_scenario;

namespace {
Plan plan_for(const nlohmann::json& strategy) {
  const auto sc = make_scenario(strategy);
  return build_plan(sc.workload.model, sc.strategy, sc.cluster.gpus_per_node);
}
}  // namespace

class PlannerInvariants : public ::testing::TestWithParam<nlohmann::json> {};

TEST_P(PlannerInvariants, Hold) {
  const Plan plan = plan_for(GetParam());
  const auto& s = plan.strategy;
  const int VS = s.pp * s.vp;
  // Every layer in exactly one virtual stage.
  std::vector<int> seen(plan.model.layers, 0);
  for (const auto& [first, count] : plan.virtual_stage_layers)
    for (int l = first; l < first + count; ++l) ++seen[l];
  for (int l = 0; l < plan.model.layers; ++l) EXPECT_EQ(seen[l], 1) << "layer " << l;
  // Every micro-batch: one forward and one backward per chunk on every stage.
  const auto m = s.micro_batches();
  for (const auto& prog : plan.programs) {
    std::map<std::pair<int, int>, int> fwd, bwd;
    for (const auto& op : prog.ops) {
      if (op.kind != OpKind::Compute) continue;
      // Count the layers the pass covers (one block per chunk, or one per layer with ZeRO-3).
      if (op.phase == Phase::Forward) fwd[{op.micro_batch, op.chunk}] += plan.blocks[op.block].layers;
      if (op.phase == Phase::Backward) bwd[{op.micro_batch, op.chunk}] += plan.blocks[op.block].layers;
    }
    EXPECT_EQ(static_cast<std::int64_t>(fwd.size()), m * s.vp);
    EXPECT_EQ(static_cast<std::int64_t>(bwd.size()), m * s.vp);
    const int per_chunk = plan.model.layers / VS;
    for (const auto& [k, n] : fwd) EXPECT_EQ(n, per_chunk);
    for (const auto& [k, n] : bwd) EXPECT_EQ(n, per_chunk);
    // Dependencies point backwards.
    for (size_t i = 0; i < prog.ops.size(); ++i)
      for (int d : prog.ops[i].deps) EXPECT_LT(d, static_cast<int>(i));
  }
  // Sends match receives on concrete ranks: (from, to, tag, bytes) multiset equal.
  std::multiset<std::tuple<int, int, std::int64_t, double>> sends, recvs;
  for (int r = 0; r < plan.world(); ++r)
    for (const auto& ro : plan.instantiate(r)) {
      if (ro.op->kind == OpKind::Send) sends.insert({r, ro.peer, ro.op->tag, ro.op->bytes});
      if (ro.op->kind == OpKind::Recv) recvs.insert({ro.peer, r, ro.op->tag, ro.op->bytes});
    }
  EXPECT_EQ(sends, recvs);
  EXPECT_EQ(static_cast<int>(sends.size()), plan.world() / s.pp * 2 * static_cast<int>(m) * (VS - 1));
  // Group sizes multiply to the world; groups partition the ranks.
  EXPECT_EQ(plan.group_size(GroupRole::TP) * plan.group_size(GroupRole::PP) * plan.group_size(GroupRole::DP),
            plan.world());
  for (auto role : {GroupRole::TP, GroupRole::PP, GroupRole::DP, GroupRole::CP}) {
    std::set<std::vector<int>> groups;
    for (int r = 0; r < plan.world(); ++r) {
      auto g = plan.group_members(r, role);
      EXPECT_EQ(static_cast<int>(g.size()), plan.group_size(role));
      EXPECT_NE(std::find(g.begin(), g.end(), r), g.end());
      groups.insert(g);
    }
    EXPECT_EQ(static_cast<int>(groups.size()) * plan.group_size(role), plan.world()) << to_string(role);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Strategies, PlannerInvariants,
    ::testing::Values(nlohmann::json{{"tp", 2}, {"pp", 4}, {"micro_batch", 2}},
                      nlohmann::json{{"tp", 4}, {"pp", 2}, {"vp", 2}, {"micro_batch", 1}, {"recompute", "full"}},
                      nlohmann::json{{"tp", 1}, {"pp", 2}, {"cp", 2}, {"schedule", "gpipe"}, {"micro_batch", 4}},
                      nlohmann::json{{"tp", 8}, {"pp", 1}, {"zero", 1}, {"overlap_grad_reduce", true}},
                      nlohmann::json{{"tp", 2}, {"pp", 8}, {"micro_batch", 1}, {"sequence_parallel", true}},
                      nlohmann::json{{"tp", 2}, {"pp", 2}, {"zero", 3}, {"micro_batch", 2}, {"recompute", "full"}}));

TEST(Planner, Zero3GathersEveryLayerAndReduceScattersItsGradients) {
  // FSDP/ZeRO-3 (Rajbhandari et al. 2020, Sec. 5.3): per micro-batch, parameters are gathered
  // before the forward and again before the backward of each layer, and gradients are
  // reduce-scattered after it: 3 x params x 2 bytes of traffic per micro-batch.
  const Plan plan = plan_for({{"tp", 1}, {"pp", 1}, {"zero", 3}, {"micro_batch", 4}});
  const auto& s = plan.strategy;
  double gathered = 0, scattered = 0;
  int gathers = 0;
  for (const auto& op : plan.programs[0].ops) {
    if (op.kind != OpKind::Collective) continue;
    if (op.collective == CollectiveKind::AllGather) gathered += op.bytes, ++gathers;
    if (op.collective == CollectiveKind::ReduceScatter) scattered += op.bytes;
  }
  const double m = static_cast<double>(s.micro_batches());
  EXPECT_EQ(gathers, static_cast<int>(2 * m * plan.model.layers));
  const double params = plan.params_per_rank_by_stage[0];
  EXPECT_NEAR(gathered, 2 * m * params * 2.0, 0.01 * gathered);  // bf16 weights
  EXPECT_NEAR(scattered, m * params * 4.0, 0.01 * scattered);    // fp32 gradients (bf16 run)
}

// FSDP with full-precision parameters under autocast (Composer "DEFAULT"): gathers move 4 bytes
// per parameter, a bf16 gradient reduction 2; every forward casts the layer's weights (4 + 2 B
// per element) and every backward casts the weight gradients twice (fp32, then the reduce dtype).
TEST(Planner, FsdpFullPrecisionParametersGatherFourBytesAndCastPerUse) {
  const Plan plan = plan_for({{"tp", 1},
                              {"pp", 1},
                              {"zero", 3},
                              {"micro_batch", 4},
                              {"fsdp_param_dtype", "fp32"},
                              {"grad_reduce_dtype", "bf16"}});
  const double m = static_cast<double>(plan.strategy.micro_batches());
  const double params = plan.params_per_rank_by_stage[0];
  double gathered = 0, scattered = 0;
  for (const auto& op : plan.programs[0].ops) {
    if (op.kind != OpKind::Collective) continue;
    if (op.collective == CollectiveKind::AllGather) gathered += op.bytes;
    if (op.collective == CollectiveKind::ReduceScatter) scattered += op.bytes;
  }
  EXPECT_NEAR(gathered, 2 * m * params * 4.0, 0.01 * gathered);
  EXPECT_NEAR(scattered, m * params * 2.0, 0.01 * scattered);
  // Layer 1's blocks (no embedding, no head): cast bytes against the layer's weight elements,
  // i.e. its parameters less the two norms (2 x 2h for LayerNorm weight and bias).
  const auto& model = plan.model;
  const auto pc = count_parameters(model);
  const double weights = static_cast<double>(pc.attention + pc.mlp);
  int seen = 0;
  for (const auto& b : plan.blocks) {
    if (b.first_layer != 1) continue;
    for (const auto& k : b.kernels) {
      if (k.name == "autocast_weight_cast") {
        EXPECT_NEAR(k.bytes, 6.0 * weights, 1e-6 * k.bytes);
        ++seen;
      }
      if (k.name == "autocast_wgrad_cast_and_reduce_cast") {
        EXPECT_NEAR(k.bytes, 12.0 * weights, 1e-6 * k.bytes);
        ++seen;
      }
    }
  }
  EXPECT_EQ(seen, 2);  // one forward, one backward (no recomputation in this strategy)
  // Without the knob, no casts and 2-byte gathers.
  const Plan pure = plan_for({{"tp", 1}, {"pp", 1}, {"zero", 3}, {"micro_batch", 4}});
  for (const auto& b : pure.blocks)
    for (const auto& k : b.kernels) EXPECT_EQ(k.name.find("autocast"), std::string::npos) << k.name;
}

TEST(Planner, TensorParallelGroupsStayInsideANode) {
  const Plan plan = plan_for({{"tp", 8}, {"pp", 2}});
  int rpn = 0, nodes = 0;
  plan.group_shape(GroupRole::TP, rpn, nodes);
  EXPECT_EQ(nodes, 1);
  EXPECT_EQ(rpn, 8);
  plan.group_shape(GroupRole::DP, rpn, nodes);
  EXPECT_EQ(rpn * nodes, 1);  // dp = 1 here
}

TEST(PipelineSchedule, OneFOneBWarmupAndOrder) {
  // Stage 0 of 4 with 8 micro-batches: 3 warm-up forwards, then alternate, then 3 backwards.
  auto st = pipeline_schedule(ScheduleKind::OneFOneB, 0, 4, 8, 1);
  ASSERT_EQ(st.size(), 16u);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(st[i].forward);
  EXPECT_TRUE(st[3].forward);
  EXPECT_FALSE(st[4].forward);
  EXPECT_EQ(st[4].micro_batch, 0);
  for (int i = 13; i < 16; ++i) EXPECT_FALSE(st[i].forward);
  // The last stage has no warm-up: F0 B0 F1 B1 ...
  auto last = pipeline_schedule(ScheduleKind::OneFOneB, 3, 4, 8, 1);
  EXPECT_TRUE(last[0].forward);
  EXPECT_FALSE(last[1].forward);
}

TEST(PipelineSchedule, InterleavedVisitsEveryChunk) {
  auto st = pipeline_schedule(ScheduleKind::Interleaved1F1B, 1, 4, 8, 3);
  ASSERT_EQ(st.size(), 2u * 8 * 3);
  // Megatron's warm-up: (p - stage - 1) * 2 + (v - 1) * p forwards = 4 + 8 = 12.
  int warm = 0;
  while (st[warm].forward) ++warm;
  EXPECT_EQ(warm, 13);  // 12 warm-up forwards plus the first forward of the steady phase
  EXPECT_NEAR(bubble_fraction(4, 8, 3), 3.0 / 24.0, 1e-12);
}

TEST(PipelineSchedule, InterleavingNeedsMicroBatchesDivisibleByStages) {
  EXPECT_THROW(pipeline_schedule(ScheduleKind::Interleaved1F1B, 0, 4, 6, 2), InputError);
}

TEST(Planner, UnevenLayersGoToTheMiddleStages) {
  // Llama 3 405B: 126 layers on 16 stages, one layer less on the first and the last stage
  // (Dubey et al. 2024, Sec. 3.3.2).
  const auto r = virtual_stage_layer_ranges(126, 16);
  EXPECT_EQ(r.front().second, 7);
  EXPECT_EQ(r.back().second, 7);
  int total = 0;
  for (int vs = 0; vs < 16; ++vs) {
    if (vs > 0 && vs < 15) {
      EXPECT_EQ(r[vs].second, 8);
    }
    EXPECT_EQ(r[vs].first, total);
    total += r[vs].second;
  }
  EXPECT_EQ(total, 126);
  // Divisible counts split evenly.
  for (const auto& [first, n] : virtual_stage_layer_ranges(96, 16)) EXPECT_EQ(n, 6);
}

// The units' parameters add up to what the stage holds (params_per_rank_by_stage, the memory
// model's count): buckets, ZeRO-3 gathers and reductions move exactly the stage's parameters.
TEST(Planner, UnitParametersAddUpToTheStage) {
  for (const nlohmann::json& st : {nlohmann::json{{"tp", 2}, {"pp", 1}},
                                   nlohmann::json{{"tp", 2}, {"pp", 4}, {"vp", 2}, {"schedule", "interleaved-1f1b"}},
                                   nlohmann::json{{"tp", 1}, {"pp", 2}, {"zero", 3}},
                                   nlohmann::json{{"tp", 8}, {"pp", 1}, {"zero", 1}, {"overlap_grad_reduce", true}}}) {
    const Plan plan = plan_for(st);
    const int P = plan.strategy.pp;
    std::vector<double> sum(P, 0.0);
    for (const auto& b : plan.blocks)
      if (b.phase == Phase::Forward) sum[b.virtual_stage % P] += b.params;
    for (int stage = 0; stage < P; ++stage)
      EXPECT_NEAR(sum[stage], plan.params_per_rank_by_stage[stage], 1e-9 * sum[stage])
          << st.dump() << " stage " << stage;
  }
}

// Megatron-Core / PyTorch DDP buckets: the last micro-batch's backward fills them unit by unit,
// in reverse layer order; each is reduced as soon as its last unit is done.
TEST(Planner, GradientBucketsFollowTheLastBackward) {
  // 8 layers, TP 8 over one node, DP 2: per rank 1.58 M parameters a layer, and the 7.6 M of the
  // tied word and learned position embeddings in layer 0's unit. Buckets of 4 M, filled in
  // backward order: [L7 L6 L5], [L4 L3 L2], [L1, L0 + embedding].
  const Plan plan = plan_for({{"tp", 8}, {"pp", 1}, {"overlap_grad_reduce", true}, {"bucket_params", 4e6}});
  const auto& prog = plan.programs[0];
  const auto last_mb = plan.strategy.micro_batches() - 1;
  std::vector<double> bytes;
  std::vector<int> producer_layer;
  for (const auto& op : prog.ops) {
    if (op.phase != Phase::GradSync) continue;
    EXPECT_EQ(op.collective, CollectiveKind::AllReduce);
    bytes.push_back(op.bytes);
    ASSERT_EQ(op.deps.size(), 1u);
    const Op& producer = prog.ops[op.deps[0]];
    EXPECT_EQ(producer.phase, Phase::Backward);
    EXPECT_EQ(producer.micro_batch, last_mb);
    producer_layer.push_back(plan.blocks[producer.block].first_layer);
  }
  ASSERT_EQ(bytes.size(), 3u);
  EXPECT_EQ(producer_layer, (std::vector<int>{5, 2, 0}));
  double total = 0;
  for (double b : bytes) total += b;
  EXPECT_NEAR(total, plan.params_per_rank_by_stage[0] * 4.0, 1.0);  // fp32 gradients of a bf16 run
  EXPECT_NEAR(bytes[0], bytes[1] + 2048 * 4.0, 1.0);                // three layers each; the final norm in the first
  EXPECT_GE(bytes[1] / 4.0, 4e6);
  EXPECT_LT(bytes[1] / 4.0, 4e6 * 1.5);
}

// --overlap-param-gather: the previous update's weights are gathered bucket by bucket before the
// layers' first forward, instead of after the optimizer step.
TEST(Planner, OverlappedParameterGatherPrecedesTheFirstForward) {
  const Plan plan =
      plan_for({{"tp", 8}, {"pp", 1}, {"zero", 1}, {"overlap_param_gather", true}, {"bucket_params", 4e6}});
  const auto& ops = plan.programs[0].ops;
  int first_forward = -1, optimizer = -1, gathers = 0;
  double gathered = 0;
  for (int i = 0; i < static_cast<int>(ops.size()); ++i) {
    if (ops[i].phase == Phase::Forward && ops[i].kind == OpKind::Compute && first_forward < 0) first_forward = i;
    if (ops[i].phase == Phase::Optimizer) optimizer = i;
    if (ops[i].phase == Phase::ParamSync) {
      ++gathers;
      gathered += ops[i].bytes;
      EXPECT_EQ(ops[i].collective, CollectiveKind::AllGather);
      EXPECT_EQ(ops[i].stream, Stream::ParamComm);
      EXPECT_LT(optimizer, 0) << "a gather after the optimizer step";
    }
  }
  // Forward order: [L0 + embedding], [L1 L2 L3], [L4 L5 L6], [L7].
  EXPECT_EQ(gathers, 4);
  EXPECT_NEAR(gathered, plan.params_per_rank_by_stage[0] * 2.0, 1.0);  // bf16 weights
  // The first unit waits for the first bucket.
  const auto& deps = ops[first_forward].deps;
  EXPECT_NE(std::find_if(deps.begin(), deps.end(), [&](int d) { return ops[d].phase == Phase::ParamSync; }),
            deps.end());
}

TEST(PipelineSchedule, CursorWalksTheStepsOfTheIndexedSchedule) {
  // The closed-form scorer walks the schedule with StageSchedule::Cursor; the planner expands it by
  // index: both must give the same steps.
  int checked = 0;
  for (ScheduleKind kind : {ScheduleKind::GPipe, ScheduleKind::OneFOneB, ScheduleKind::Interleaved1F1B})
    for (int p : {1, 2, 3, 4, 8})
      for (int v : {1, 2, 3})
        for (int m : {1, 2, 4, 8, 12, 24}) {
          if (kind == ScheduleKind::Interleaved1F1B && (m % p != 0 || v == 1)) continue;
          for (int stage = 0; stage < p; ++stage) {
            const StageSchedule s(kind, stage, p, m, v);
            int i = 0;
            for (StageSchedule::Cursor c(s); !c.done(); c.next(), ++i) {
              const ScheduleStep a = c.step(), b = s[i];
              ASSERT_EQ(a.forward, b.forward);
              ASSERT_EQ(a.micro_batch, b.micro_batch);
              ASSERT_EQ(a.chunk, b.chunk);
            }
            EXPECT_EQ(i, 2 * m * (kind == ScheduleKind::Interleaved1F1B ? v : 1));
            ++checked;
          }
        }
  EXPECT_GT(checked, 200);
}
