#pragma once
// StrategySpace: the strategies a search enumerates for a model on G GPUs — tensor parallelism
// inside a node (Narayanan et al., SC'21, Takeaway #1: TP up to the GPUs of a node), pipeline
// sizes that leave every stage at least one layer per virtual stage, context parallelism for long
// sequences, expert parallelism for MoE models, micro-batch sizes, interleaving, ZeRO stage and
// recomputation. The base strategy's other knobs (precision, attention, overlaps, dropout) are kept.
#include <functional>
#include <vector>

#include "models/workload/transformer.hpp"
#include "sim/plan/strategy.hpp"

namespace trainsim {

struct StrategySpace {
  std::vector<int> tp = {1, 2, 4, 8};
  std::vector<int> pp = {1, 2, 4, 8, 16, 32, 64};
  std::vector<int> cp = {1};  ///< {1, 2, 4, 8} when the sequence is ≥ 16k tokens
  std::vector<int> ep = {1};  ///< divisors of the expert count for MoE models
  std::vector<int> vp = {1, 2, 4};
  std::vector<std::int64_t> micro_batch = {1, 2, 4, 8};
  std::vector<int> zero = {0, 1, 3};
  std::vector<Recompute> recompute = {Recompute::None, Recompute::Selective, Recompute::Full};
};

/// A space fitted to the model and node: TP limited to divisors of the heads up to GPUs per node,
/// PP to at most the layer count, CP for long sequences, EP for MoE.
StrategySpace default_space(const TransformerConfig& m, int gpus_per_node);

/// Calls `visit` with every strategy of `space` that divides `gpus` and the global batch
/// (dp = gpus / (tp·pp·cp), global batch divisible by dp·micro_batch, interleaving only with
/// pp > 1 and micro-batches a multiple of pp, Megatron's rule); strategies are not yet resolved.
void enumerate_strategies(const StrategySpace& space, const TransformerConfig& m, const Strategy& base, int gpus,
                          std::int64_t global_batch, const std::function<void(const Strategy&)>& visit);

}  // namespace trainsim
