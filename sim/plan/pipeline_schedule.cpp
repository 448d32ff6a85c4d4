#include "sim/plan/pipeline_schedule.hpp"

#include <algorithm>

#include "models/util/errors.hpp"

namespace trainsim {

std::vector<ScheduleStep> pipeline_schedule(ScheduleKind kind, int stage, int stages, int micro_batches, int chunks) {
  std::vector<ScheduleStep> out;
  const int m = micro_batches, p = stages;
  if (kind == ScheduleKind::GPipe) {
    for (int i = 0; i < m; ++i) out.push_back({true, i, 0});
    for (int i = 0; i < m; ++i) out.push_back({false, i, 0});
    return out;
  }
  const int v = kind == ScheduleKind::Interleaved1F1B ? chunks : 1;
  if (v > 1 && m % p != 0)
    throw InputError("strategy.micro_batch",
                     "a micro-batch count (global_batch / (micro_batch x dp)) divisible by pp = " + std::to_string(p) +
                         " for the interleaved schedule",
                     std::to_string(m) + " micro-batches");
  const int total = m * v;
  // Megatron: warm-up forwards let later stages fill; with interleaving each stage also runs
  // (v-1) * p extra forwards so that every chunk has work in flight.
  int warmup = v > 1 ? (p - stage - 1) * 2 + (v - 1) * p : p - stage - 1;
  warmup = std::min(warmup, total);
  auto fwd_step = [&](int k) {
    if (v == 1) return ScheduleStep{true, k, 0};
    const int group = k / (p * v), in_group = k % (p * v);
    return ScheduleStep{true, group * p + in_group % p, in_group / p};
  };
  auto bwd_step = [&](int k) {
    if (v == 1) return ScheduleStep{false, k, 0};
    const int group = k / (p * v), in_group = k % (p * v);
    return ScheduleStep{false, group * p + in_group % p, v - 1 - in_group / p};
  };
  for (int k = 0; k < warmup; ++k) out.push_back(fwd_step(k));
  const int steady = total - warmup;
  for (int k = 0; k < steady; ++k) {
    out.push_back(fwd_step(warmup + k));
    out.push_back(bwd_step(k));
  }
  for (int k = steady; k < total; ++k) out.push_back(bwd_step(k));
  return out;
}

double bubble_fraction(int stages, int micro_batches, int chunks) {
  return static_cast<double>(stages - 1) / (static_cast<double>(chunks) * micro_batches);
}

double in_flight_micro_batches(ScheduleKind kind, int stage, int stages, int micro_batches, int chunks) {
  const double p = stages - stage, m = micro_batches;
  switch (kind) {
    case ScheduleKind::GPipe: return m;
    case ScheduleKind::OneFOneB: return std::min(p, m);
    case ScheduleKind::Interleaved1F1B: {
      // Per chunk: warm-up forwards held at the peak, in units of the stage's whole model share.
      const double v = chunks;
      const double warm = std::min(m * v, (p - 1) * 2 + (v - 1) * stages + 1);
      return warm / v;
    }
  }
  return 1;
}

}  // namespace trainsim
