#pragma once
// SM contention between compute and the collectives that overlap it. NCCL runs each channel as
// one CTA that holds an SM of its own for the collective's whole duration ("NCCL CTAs won't share
// an SM with compute kernels", S. Jeaugey, NVIDIA/nccl issue #689), so while a data-parallel
// gradient reduction or an FSDP parameter gather runs beside the compute stream, the products
// and kernels of that stream get S - k of the GPU's S SMs. Over an overlap of o seconds they
// fall o * k / S behind: the compute op is that much longer. Collectives on the critical path
// (inline TP/CP/EP, blocking sends) do not overlap compute and cost nothing here.
// Used by both engines: the analytic engine schedules twice (without, then with these delays);
// the SimGrid engine takes the delays of the analytic schedule.
#include <algorithm>
#include <vector>

#include "sim/cost/plan_timing.hpp"
#include "sim/plan/plan.hpp"

namespace trainsim {

/// What a collective holding `sms` of the GPU's `sm_count` SMs takes from the compute it overlaps
/// for `overlap` seconds: overlap x min(sms, S - 1) / S (0 without contention, sm_count <= 0). The
/// one formula of the rule, for both engines and the closed-form scorer.
inline double contention_delay(double overlap, int sms, int sm_count) {
  return sm_count > 0 && overlap > 0 ? overlap * std::min(sms, sm_count - 1) / sm_count : 0.0;
}

/// A collective of the data-parallel or parameter-gather stream: it runs beside the compute stream.
bool runs_beside_compute(const Op& op);

/// One collective of a side stream over [start, end), holding `sms` SMs.
struct SideInterval {
  double start = 0, end = 0;
  int sms = 0;
};

/// Adds to `delay[j]` what the collectives of one side stream take from compute op j over
/// [compute[j].first, compute[j].second) (contention_delay). Both lists are in start order and do
/// not overlap within themselves (each is one stream).
void add_contention_delays(const std::vector<std::pair<double, double>>& compute, const std::vector<SideInterval>& side,
                           int sm_count, std::vector<double>& delay);

/// Extra seconds of every compute op of every stage (0 for other ops) from the collectives of
/// the data-parallel and parameter-gather streams that overlap it in `schedule`, each holding
/// OpCosts::collective_sms SMs of the GPU's `sm_count`.
std::vector<std::vector<double>> sm_contention_delays(const Plan& plan, const OpCosts& costs, int sm_count,
                                                      const OpSchedule& schedule);

/// The delays both engines charge: those of the contention-free list schedule of `plan`
/// (sim/cost/plan_timing.hpp) on `cluster`. Empty when the plan has no collective beside its
/// compute or the cluster's nccl_sms is 0 (contention off).
std::vector<std::vector<double>> plan_sm_contention_delays(const Plan& plan, const OpCosts& costs,
                                                           const ClusterSpec& cluster);

}  // namespace trainsim
