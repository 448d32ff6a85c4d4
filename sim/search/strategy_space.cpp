#include "sim/search/strategy_space.hpp"

#include "sim/plan/pipeline_schedule.hpp"

namespace trainsim {

StrategySpace default_space(const TransformerConfig& m, int gpus_per_node) {
  StrategySpace s;
  s.tp.clear();
  for (int t = 1; t <= std::max(1, gpus_per_node); t *= 2)
    if (m.heads % t == 0) s.tp.push_back(t);  // resolve_strategy checks the rest (KV heads)
  s.pp.clear();
  for (int p = 1; p <= m.layers; p *= 2) s.pp.push_back(p);
  // Context parallelism pays off once the sequence is long (Llama 3 used CP 16 at 131k tokens,
  // none at 8k; Dubey et al. 2024, Table 4).
  if (m.seq_len >= 16384) s.cp = {1, 2, 4, 8, 16};
  if (m.moe) {
    s.ep.clear();
    for (int e = 1; e <= m.moe->experts; e *= 2)
      if (m.moe->experts % e == 0) s.ep.push_back(e);
  }
  return s;
}

void enumerate_strategies(const StrategySpace& space, const TransformerConfig& m, const Strategy& base, int gpus,
                          std::int64_t global_batch, const std::function<void(const Strategy&)>& visit) {
  for (int tp : space.tp)
    for (int pp : space.pp) {
      if (pp > m.layers) continue;
      for (int cp : space.cp) {
        const long long model_par = static_cast<long long>(tp) * pp * cp;
        if (model_par > gpus || gpus % model_par != 0) continue;
        const int dp = static_cast<int>(gpus / model_par);
        for (int ep : space.ep) {
          if ((static_cast<long long>(dp) * cp) % ep != 0) continue;
          for (std::int64_t mb : space.micro_batch) {
            if (global_batch % (static_cast<std::int64_t>(dp) * mb) != 0) continue;
            const std::int64_t micro_batches = global_batch / (static_cast<std::int64_t>(dp) * mb);
            for (int vp : space.vp) {
              if (!pipeline_fits(m.layers, pp, vp, micro_batches)) continue;
              for (int zero : space.zero) {
                if (zero > 0 && dp * cp == 1) continue;  // nothing to shard over
                for (Recompute rec : space.recompute) {
                  Strategy s = base;
                  s.tp = tp;
                  s.pp = pp;
                  s.cp = cp;
                  s.ep = ep;
                  s.dp = dp;
                  s.vp = vp;
                  s.micro_batch = mb;
                  s.global_batch = global_batch;
                  s.zero = zero;
                  s.recompute = rec;
                  s.schedule =
                      vp > 1 ? ScheduleKind::Interleaved1F1B : (pp > 1 ? ScheduleKind::OneFOneB : base.schedule);
                  s.sequence_parallel = tp > 1 && base.sequence_parallel;
                  visit(s);
                }
              }
            }
          }
        }
      }
    }
}

}  // namespace trainsim
