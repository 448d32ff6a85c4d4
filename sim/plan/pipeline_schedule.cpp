#include "sim/plan/pipeline_schedule.hpp"

#include <algorithm>

#include "models/util/errors.hpp"

namespace trainsim {

std::optional<PipelineObstacle> pipeline_obstacle(int layers, int pp, int vp, std::int64_t micro_batches, bool even) {
  const std::string split = "pp = " + std::to_string(pp) + ", vp = " + std::to_string(vp);
  if (layers < pp * vp)
    return PipelineObstacle{vp > 1 ? "vp" : "pp", "pp x vp at most the model's " + std::to_string(layers) + " layers",
                            split};
  if (even && layers % (pp * vp) != 0)
    return PipelineObstacle{vp > 1 ? "vp" : "pp", "pp x vp dividing the model's " + std::to_string(layers) + " layers",
                            split};
  if (vp > 1 && pp == 1)
    return PipelineObstacle{"schedule", "a pipeline (pp > 1) for the interleaved schedule", "pp = 1"};
  if (vp > 1 && micro_batches % pp != 0)
    return PipelineObstacle{"micro_batch",
                            "a micro-batch count (global_batch / (micro_batch x dp)) divisible by pp = " +
                                std::to_string(pp) + " for the interleaved schedule",
                            std::to_string(micro_batches) + " micro-batches"};
  return std::nullopt;
}

StageSchedule::StageSchedule(ScheduleKind kind, int stage, int stages, int micro_batches, int chunks)
    : m_(micro_batches), p_(stages), gpipe_(kind == ScheduleKind::GPipe) {
  v_ = kind == ScheduleKind::Interleaved1F1B ? chunks : 1;
  if (v_ > 1 && m_ % p_ != 0) {
    const auto o = pipeline_obstacle(/*layers: one a chunk*/ p_ * v_, p_, v_, m_);
    throw InputError("strategy." + o->field, o->expected, o->got);
  }
  const int total = m_ * v_;
  // Megatron: warm-up forwards let later stages fill; with interleaving each stage also runs
  // (v-1) * p extra forwards so that every chunk has work in flight.
  warmup_ = gpipe_ ? total : std::min(v_ > 1 ? (p_ - stage - 1) * 2 + (v_ - 1) * p_ : p_ - stage - 1, total);
}

ScheduleStep StageSchedule::forward(int k) const {
  if (v_ == 1) return {true, k, 0};
  const int group = k / (p_ * v_), in_group = k % (p_ * v_);
  return {true, group * p_ + in_group % p_, in_group / p_};
}

ScheduleStep StageSchedule::backward(int k) const {
  if (v_ == 1) return {false, k, 0};
  const int group = k / (p_ * v_), in_group = k % (p_ * v_);
  return {false, group * p_ + in_group % p_, v_ - 1 - in_group / p_};
}

ScheduleStep StageSchedule::operator[](int i) const {
  if (i < warmup_) return forward(i);  // GPipe: every forward first
  const int steady = m_ * v_ - warmup_;
  const int j = i - warmup_;
  if (j < 2 * steady) return j % 2 == 0 ? forward(warmup_ + j / 2) : backward(j / 2);
  return backward(j - steady);
}

std::vector<ScheduleStep> pipeline_schedule(ScheduleKind kind, int stage, int stages, int micro_batches, int chunks) {
  const StageSchedule sched(kind, stage, stages, micro_batches, chunks);
  std::vector<ScheduleStep> out;
  out.reserve(sched.size());
  for (StageSchedule::Cursor c(sched); !c.done(); c.next()) out.push_back(c.step());
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
