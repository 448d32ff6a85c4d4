// The closed-form scorer against the analytic engine on random points of the strategy space
// (seeded): four workloads, dense and MoE (GPT-3 175B, Mixtral 8x7B, Llama 3 405B at 16k tokens,
// DeepSeek-V3), each point drawn over tp, pp, cp, ep, interleaving, micro-batch, ZeRO stage and
// recomputation, then its knobs: gradient and parameter-gather overlap, TP communication overlap,
// p2p overlap, optimizer offload, hybrid sharding, DeepSpeed 0.3.x's ZeRO-3, FP32 FSDP parameters,
// BF16 gradient reduction, all-gather context parallelism, eager element-wise ops, folded expert
// parallelism (etp 1), the MoE token dispatcher. Every point the engine accepts is scored by the closed form; memory is
// the same model on the same inputs (identical), iteration time within 3%.
//
// Known gap (issue #17's note): ZeRO-3 inside a pipeline (pp > 1) interleaves the per-unit gathers
// and reduce-scatters with the pipeline's waits, and the engines charge the SM contention of the
// contention-free schedule; the scorer's steady step costs leave up to ~8% there, so those points
// are held to 8% until that is closed.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

#include "models/util/errors.hpp"
#include "sim/evaluate/predict.hpp"
#include "sim/scorer/strategy_scorer.hpp"

using namespace trainsim;

namespace {

template <typename T>
T pick(std::mt19937_64& rng, const std::vector<T>& v) {
  return v[rng() % v.size()];
}

std::vector<int> divisors_up_to(int n, int limit) {
  std::vector<int> out;
  for (int d = 1; d <= std::min(n, limit); d *= 2)
    if (n % d == 0) out.push_back(d);
  return out;
}

/// A random strategy of the scenario's space with random knobs; false when it is not valid.
bool draw(std::mt19937_64& rng, const Scenario& sc, Strategy& s, std::uint64_t point) {
  const TransformerConfig& m = sc.workload.model;
  s = sc.strategy;
  s.tp = pick(rng, divisors_up_to(m.heads, sc.cluster.gpus_per_node));
  s.pp = pick(rng, std::vector<int>{1, 2, 4, 8, 16, 32});
  s.cp = m.seq_len >= 16384 ? pick(rng, std::vector<int>{1, 2, 4}) : 1;
  s.ep = m.moe && m.moe->experts > 1 ? pick(rng, divisors_up_to(m.moe->experts, 16)) : 1;
  s.vp = s.pp > 1 ? pick(rng, std::vector<int>{1, 1, 2, 4}) : 1;
  s.schedule = s.vp > 1 ? ScheduleKind::Interleaved1F1B : ScheduleKind::OneFOneB;
  s.micro_batch = pick(rng, std::vector<std::int64_t>{1, 2, 4});
  s.zero = static_cast<int>(rng() % 4);
  s.recompute = pick(rng, std::vector<Recompute>{Recompute::None, Recompute::Selective, Recompute::Full});
  s.dp = 0;
  auto coin = [&] { return rng() % 2 == 0; };
  auto one_in = [&](int n) { return rng() % n == 0; };
  s.overlap_grad_reduce = coin();
  s.overlap_param_gather = coin();
  s.sequence_parallel = s.tp > 1;
  s.tp_comm_overlap = s.sequence_parallel && coin();
  s.overlap_p2p_comm = coin();
  s.optimizer_offload = one_in(6);
  s.shard_group = 0;
  s.zero_runtime = ZeroRuntime::Fsdp;
  s.fsdp_param_dtype = sc.strategy.fsdp_param_dtype;
  s.grad_reduce_dtype = sc.strategy.grad_reduce_dtype;
  if (s.zero >= 3 && one_in(6)) s.zero_runtime = ZeroRuntime::DeepSpeed03;
  if (s.zero >= 3 && one_in(6)) s.fsdp_param_dtype = Precision::FP32;
  if (one_in(6)) s.grad_reduce_dtype = Precision::BF16;
  // Knobs added later draw from their own stream, so the points above stay those measured before.
  std::mt19937_64 later(point);
  s.cp_all_gather = s.cp > 1 && later() % 2 == 0;
  s.fused_elementwise = later() % 4 != 0;
  s.etp = m.moe && s.tp > 1 && later() % 3 == 0 ? 1 : 0;
  s.moe_dispatcher = m.moe ? pick(later, std::vector<MoeDispatcher>{MoeDispatcher::AllToAll, MoeDispatcher::AllGather,
                                                                    MoeDispatcher::DeepEP, MoeDispatcher::HybridEP})
                           : MoeDispatcher::AllToAll;
  // Selective recomputation by module (Megatron-Core --recompute-modules) on MoE models.
  s.recompute_modules = {};
  if (m.moe && s.recompute == Recompute::Selective && later() % 2 == 0) {
    s.recompute_modules.stated = true;
    s.recompute_modules.layernorm = true;
    s.recompute_modules.moe_act = later() % 2 == 0;
    s.recompute_modules.core_attn = later() % 2 == 0;
    s.recompute_modules.mla_up_proj = m.mla.has_value();
  }
  try {
    resolve_strategy(s, m, sc.workload.global_batch, sc.cluster.gpus(), "differential");
    if (s.zero >= 1 && one_in(6) && (s.dp * s.cp) % 8 == 0 && s.dp * s.cp > 8) {
      s.shard_group = 8;
      resolve_strategy(s, m, sc.workload.global_batch, sc.cluster.gpus(), "differential");
    }
  } catch (const InputError&) {
    return false;
  }
  return true;
}

class ScorerDifferential : public ::testing::TestWithParam<const char*> {};

TEST_P(ScorerDifferential, RandomPointsAgreeWithTheAnalyticEngine) {
  const Scenario base = load_scenario(std::string(TRAINSIM_SOURCE_DIR) + "/" + GetParam());
  const StrategyScorer scorer(base);
  std::mt19937_64 rng(20261207);
  constexpr int kPoints = 100;
  int points = 0, draws = 0, zero3_pipelined = 0;
  std::map<std::string, int> reached;  // how many points exercise each rule
  while (points < kPoints && draws < 10000) {
    ++draws;
    Strategy s;
    if (!draw(rng, base, s, static_cast<std::uint64_t>(draws))) continue;
    Scenario sc = base;
    sc.strategy = s;
    Prediction engine;
    try {
      engine = predict(sc);
    } catch (const InputError&) {
      continue;  // the engine does not accept it either
    }
    ++points;
    reached["cp"] += s.cp > 1;
    reached["ep"] += s.ep > 1;
    reached["interleaved"] += s.vp > 1;
    reached["zero3"] += s.zero >= 3;
    reached["deepspeed03"] += s.deepspeed03_zero3();
    reached["offload"] += s.optimizer_offload;
    reached["tp_comm_overlap"] += s.tp_comm_overlap;
    reached["full_recompute"] += s.recompute == Recompute::Full;
    reached["cp_all_gather"] += s.cp_all_gather;
    reached["eager"] += !s.fused_elementwise;
    reached["etp"] += s.etp > 0;
    reached["flex_or_allgather"] += s.ep > 1 && s.moe_dispatcher != MoeDispatcher::AllToAll;
    reached["recompute_modules"] += s.recompute_modules.stated;
    const FastScore fast = scorer.score(s);
    const double T = engine.metrics.iteration_time_s;
    const bool zero3_in_pipeline = s.zero >= 3 && s.pp > 1;
    zero3_pipelined += zero3_in_pipeline;
    EXPECT_NEAR(fast.iteration_time_s / T, 1.0, zero3_in_pipeline ? 0.08 : 0.03)
        << describe_strategy(s) << ": fast " << fast.iteration_time_s << " s, engine " << T << " s";
    EXPECT_EQ(fast.memory.parts.total(), engine.metrics.memory.parts.total()) << describe_strategy(s);
    EXPECT_EQ(fast.memory.fits, engine.metrics.memory.fits) << describe_strategy(s);
  }
  EXPECT_EQ(points, kPoints) << "valid points drawn in " << draws << " draws";
  // The draw reaches every rule the workload has (cp: long sequences; ep: MoE).
  for (const auto& [rule, n] : reached) {
    if (((rule == "cp" || rule == "cp_all_gather") && base.workload.model.seq_len < 16384) ||
        ((rule == "ep" || rule == "etp" || rule == "flex_or_allgather" || rule == "recompute_modules") &&
         !base.workload.model.moe))
      continue;
    EXPECT_GT(n, 0) << rule;
  }
  EXPECT_GT(zero3_pipelined, 3);  // and the known-gap family
}

INSTANTIATE_TEST_SUITE_P(Workloads, ScorerDifferential,
                         ::testing::Values("scenarios/default.json", "scenarios/mixtral-8x7b-64xh100.json",
                                           "scenarios/llama3-405b-16k.json", "scenarios/deepseek-v3-2048xh800.json"));

}  // namespace
