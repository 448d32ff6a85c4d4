#pragma once
// PipelineSchedule: the order in which one pipeline stage runs forward and backward passes of
// micro-batches. GPipe (Huang et al. 2019), 1F1B (PipeDream-Flush, Narayanan et al. 2021a) and
// interleaved 1F1B with virtual stages (Narayanan et al. SC'21, Sec. 2.2.2), in the order
// Megatron-LM's schedules issue them.
#include <vector>

#include "sim/plan/strategy.hpp"

namespace trainsim {

struct ScheduleStep {
  bool forward = true;
  int micro_batch = 0;
  int chunk = 0;  ///< virtual model chunk on this stage (0 .. vp-1)
};

/// The steps of `stage` (0-based) of `stages`, with `micro_batches` per iteration and `chunks`
/// model chunks per stage. Interleaving needs micro_batches to be a multiple of stages.
std::vector<ScheduleStep> pipeline_schedule(ScheduleKind kind, int stage, int stages, int micro_batches, int chunks);

/// Ideal bubble fraction of the iteration: (p-1)/(v*m) relative to the ideal time (SC'21 eq. 1-2).
double bubble_fraction(int stages, int micro_batches, int chunks);

/// Micro-batches whose activations the first stage holds at its peak (Korthikanti et al. 2022,
/// Sec. 4.2.3: p for 1F1B, p*(1 + (p-1)/(p*v)) for interleaving, m for GPipe).
double in_flight_micro_batches(ScheduleKind kind, int stage, int stages, int micro_batches, int chunks);

}  // namespace trainsim
