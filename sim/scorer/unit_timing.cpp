#include "sim/scorer/unit_timing.hpp"

#include <algorithm>
#include <numeric>
#include <span>

#include "sim/cost/sm_contention.hpp"
#include "sim/scorer/pipeline_timing.hpp"
#include "sim/scorer/step_costs.hpp"

namespace trainsim {

namespace {

/// Per bucket of a pass: the compute of its units (forward: in forward order; backward: their
/// recomputation and backward, in backward order), into `out`.
void bucket_compute(std::span<const UnitCosts> units, const Buckets& b, bool forward, std::vector<double>& out) {
  out.assign(b.count, 0.0);
  const std::size_t n = units.size();
  for (std::size_t i = 0; i < n; ++i) {
    const UnitCosts& u = units[forward ? i : n - 1 - i];
    out[b.of[i]] += forward ? u.forward.seconds : u.backward.seconds + (u.recomputes ? u.recompute.seconds : 0.0);
  }
}

/// gather_lead: the first forward of a chunk waits for its weight buckets, gathered one after
/// another on the parameter stream from the iteration start, after the stage's earlier chunks'
/// (the steady state of the optimizer step's dispatch, sim/plan/planner.cpp). Its time on the
/// compute stream when it starts at `t`, contention of the gathers over it included.
double gather_lead(const PlanUnits& pu, const UnitScheduleCosts& costs, const StepCost& step, int vs, double t,
                   int sm_count) {
  thread_local std::vector<double> f;
  const int P = pu.strategy.pp, stage = vs % P;
  double g = 0;
  for (int c = 0; c < vs / P; ++c)
    for (const auto& x : costs.weight_buckets_of(c * P + stage)) g += x.seconds;
  const auto wb = costs.weight_buckets_of(vs);
  bucket_compute(costs.units_of(vs), pu.weight_buckets(vs), true, f);
  double end = t, overlap = 0;
  int sms = 0;
  for (std::size_t b = 0; b < f.size(); ++b) {
    g += wb[b].seconds;
    sms = wb[b].sms;
    const double s = std::max(end, g);
    overlap += std::max(0.0, std::min(s + f[b], g) - s);
    end = s + f[b];
  }
  return end - t + contention_delay(overlap, sms, sm_count) + (step.seconds - step.compute_s);
}

}  // namespace

UnitTiming time_units(const PlanUnits& pu, const UnitScheduleCosts& costs, int sm_count, bool contended,
                      PipelineMemo* memo) {
  const Strategy& s = pu.strategy;
  const int P = s.pp, VS = pu.virtual_stages(), V = VS / P, m = pu.micro_batches;
  const int sms = contended ? sm_count : 0;
  const StepCosts steps = step_costs(pu, costs, sms);

  PipelineInput in;
  in.fwd.reserve(VS), in.bwd.reserve(VS), in.send_fwd.reserve(VS), in.send_bwd.reserve(VS);
  in.schedule = s.schedule;
  in.stages = P;
  in.chunks = V;
  in.blocking_sends = pu.p2p_send_stream == Stream::Compute;
  for (int vs = 0; vs < VS; ++vs) {
    in.fwd.push_back(steps.forward[vs].seconds);
    in.bwd.push_back(steps.backward[vs].seconds);
    in.send_fwd.push_back(steps.forward[vs].send);
    in.send_bwd.push_back(steps.backward[vs].send);
  }
  for (const auto& c : steps.last_backward) {
    in.last_bwd.push_back(c.seconds);
    in.last_bwd_reductions.push_back({c.dp_work, c.dp_first, c.dp_leftover, c.dp_sms, true});
  }
  if (pu.unit_gathers)  // (the reductions' contention is in the steps' steady time)
    for (const auto& c : steps.reductions) in.bwd_reductions.push_back({c.work, c.first, c.leftover, c.sms, false});
  in.sm_count = sms;
  if (pu.unit_gathers) {
    for (const auto& c : steps.first_forward) in.first_fwd.push_back(c.seconds);
    for (const auto& c : steps.first_backward) in.first_bwd.push_back(c.seconds);
    for (int vs = 0; vs < VS; ++vs) {
      in.rested_fwd.push_back(steps.forward[vs].rested_seconds);
      in.rested_bwd.push_back(steps.backward[vs].rested_seconds);
    }
  }
  if (pu.gathers_in_forward)
    in.first_forward = [&](int vs, double t) { return gather_lead(pu, costs, steps.forward[vs], vs, t, sms); };
  PipelineTimes own;
  const PipelineTimes& times = memo ? memo->time(in, m) : (own = time_pipeline_steady(in, m));

  UnitTiming out;
  out.extrapolated = times.extended;
  out.stages.resize(P);
  std::vector<double> end(P), dp_free(P, 0.0), sync_end(P, 0.0);
  for (int p = 0; p < P; ++p) {
    double e = times.end[p];
    RankSums& sums = out.stages[p];
    sums.stage = p;
    sums += steps.per_micro_batch[p] * m;
    // gradient_tail: what the buckets of each chunk's last backward still reduce after it (their
    // contention is in the step's time, StepCosts::last_backward).
    if (pu.grads_in_buckets) {
      double d = times.dp_end.empty() ? 0.0 : times.dp_end[p];
      for (int c = 0; c < V; ++c) {
        const StepCost& last = steps.last_backward[c * P + p];
        d = std::max(d, times.last_backward_of(p, c) + last.compute_s + last.dp_leftover);
      }
      dp_free[p] = sync_end[p] = d;
    }
    // The ZeRO-3 reduce-scatters (DeepSpeed 0.3.x's all-reduces) behind each backward, one after
    // another: where the data-parallel stream ends (tracked step by step by the pipeline timing;
    // with the closed form, the last backward's or the backlog of every backward's, whichever ends
    // later).
    if (pu.unit_gathers) {
      const StepCost& last = m == 1 && !steps.first_backward.empty() ? steps.first_backward[p] : steps.backward[p];
      double work = 0;
      for (int c = 0; c < V; ++c) work += steps.reductions[c * P + p].work;
      double d = std::max(times.last_backward_of(p, 0) + last.compute_s + steps.reductions[p].leftover,
                          times.first_backward[p] + m * work);
      if (!times.dp_end.empty()) d = std::max(d, times.dp_end[p]);
      dp_free[p] = sync_end[p] = d;
    }
    end[p] = e;
  }

  // stage_tail: after the last op of each stage (sim/plan/planner.cpp expand_schedule's tail).
  std::vector<double> emb_ready(P, 0.0);
  for (int p = 0; p < P; ++p) {
    const TailCosts& tc = costs.tails[p];
    double d = std::max(dp_free[p], end[p]);
    if (!tc.grad_sync.empty()) {
      for (const auto& x : tc.grad_sync) {
        d += x.seconds;
        out.stages[p].breakdown.dp_comm_exposed += x.seconds;
        out.stages[p].comm_exposed += x.seconds;
      }
      dp_free[p] = d;
      sync_end[p] = std::max(sync_end[p], d);
    }
    emb_ready[p] = std::max(end[p], dp_free[p]);
  }
  double T = times.makespan;
  for (int p = 0; p < P; ++p) {
    const TailCosts& tc = costs.tails[p];
    const StageTail& tail = pu.tails[p];
    RankSums& sums = out.stages[p];
    // What the side streams still run after the stage's last op is exposed.
    double ready = std::max(sync_end[p], end[p]);
    if (tc.grad_sync.empty()) {  // (the gradient synchronisation is counted above)
      const double after = std::max(0.0, dp_free[p] - end[p]);
      sums.breakdown.dp_comm_exposed += after;
      sums.comm_exposed += after;
    }
    if (tail.embedding_grad_bytes > 0) {
      const int partner = p == 0 ? P - 1 : 0;
      const double start = std::max(emb_ready[p], emb_ready[partner]);
      ready = std::max(ready, start + tc.embedding.seconds);
      sums.breakdown.dp_comm_exposed += tc.embedding.seconds;
      sums.comm_exposed += tc.embedding.seconds;
    }
    for (const auto& op : tc.optimizer) {
      add_compute_op(sums,
                     {ready, ready + op.seconds, op.inner_comm, op.compute_bound_share, Phase::Optimizer, op.host});
      if (op.host == HostSide::Copy) sums.comm_exposed += op.seconds;
      ready += op.seconds;
    }
    if (!tail.weight_gather.empty()) {
      ready = std::max(ready, dp_free[p]) + tc.weight_gather.seconds;
      sums.breakdown.dp_comm_exposed += tc.weight_gather.seconds;
      sums.comm_exposed += tc.weight_gather.seconds;
    }
    T = std::max({T, ready, end[p]});
  }
  out.iteration_s = T;
  return out;
}

}  // namespace trainsim
