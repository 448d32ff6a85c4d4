#pragma once
// Per-GPU activity of one iteration from a Trace and its Plan, the input of the energy model
// (models/power/energy_model.hpp): seconds compute-bound (GEMM and attention kernels), memory-bound
// (element-wise / normalisation kernels), communicating (collectives and pipeline transfers not
// hidden under compute, plus inline TP/CP/EP collectives) and idle (pipeline bubble, waiting).
#include "models/compute/compute_model.hpp"
#include "models/power/energy_model.hpp"
#include "sim/trace/trace.hpp"

namespace trainsim {

/// Fraction of a compute block's kernel time spent in compute-bound kernels (Gemm, Attention), from
/// the ComputeModel's time of every kernel of the block (collectives excluded). 1 for an empty block.
double compute_bound_share(const Block& b, const ComputeModel& cm);

/// Average activity of the traced ranks (the analytic engine traces one representative rank per
/// pipeline stage; every stage holds the same number of GPUs, so the plain mean is the per-GPU mean).
/// A compute event's kernel time (end - start - inner_comm) is split by compute_bound_share of its
/// block; inner_comm counts as communication; collectives and sends count where no compute event of
/// the same rank covers them (a Recv's span is mostly waiting: idle); the rest of `iteration_s` is idle.
/// A block of host-side kernels (optimizer offload, one kind per block as the Planner issues them)
/// is not GPU compute: a host-link copy counts as communication (the copy engines, GpuPowerSpec::
/// comm_w), CPU Adam as idle (the GPU waits for the host).
ActivityBreakdown activity_from_trace(const Plan& plan, const Trace& trace, const ComputeModel& cm, double iteration_s);

}  // namespace trainsim
