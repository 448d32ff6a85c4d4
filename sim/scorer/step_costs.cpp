#include "sim/scorer/step_costs.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "sim/cost/sm_contention.hpp"

namespace trainsim {

namespace {

constexpr int kSide = 2;  ///< the side streams: data-parallel, parameter gathers
int side_of(Stream s) { return s == Stream::DpComm ? 0 : 1; }

/// Compute ops that run back to back with nothing issued between them, as one op: the same start
/// and end on the compute stream, the same work.
ComputeCost merged(const ComputeCost& a, const ComputeCost& b) {
  ComputeCost c;
  c.seconds = a.seconds + b.seconds;
  c.inner_comm = a.inner_comm + b.inner_comm;
  const double ka = a.seconds - a.inner_comm, kb = b.seconds - b.inner_comm;
  c.compute_bound_share = ka + kb > 0 ? (a.compute_bound_share * ka + b.compute_bound_share * kb) / (ka + kb) : 1.0;
  c.host = a.host;
  c.flops = a.flops + b.flops;
  return c;
}

/// One compute op of a step and what the step issues around it.
struct StepOp {
  ComputeCost rec;  ///< recomputation just before it (seconds 0: none)
  ComputeCost main;
  Phase phase = Phase::Forward;
  const SideCost* gather = nullptr;         ///< its parameters, prefetched one op ahead
  const SideChain* grad = nullptr;          ///< reduced after it on the data-parallel stream
  const SideChain* pending_grad = nullptr;  ///< DeepSpeed 0.3.x: reduced after the next op's gather
  int run = -1;  ///< ops of one run (>= 0) cost the same: a settled chain of them is skipped through
};

template <typename T>
bool same_target(const T* a, const T* b) {
  return a == b || (a && b && *a == *b);
}
bool operator==(const StepOp& a, const StepOp& b) {
  return a.rec == b.rec && a.main == b.main && a.phase == b.phase && a.run == b.run &&
         same_target(a.gather, b.gather) && same_target(a.grad, b.grad) && same_target(a.pending_grad, b.pending_grad);
}

/// A unit whose passes are layers of one kind only: units of one run cost the same.
int run_of(const PlanUnits& pu, const PlanUnit& u) {
  int kind = -1;
  for (const BlockSegment* g = pu.begin(u.forward); g != pu.end(u.forward); ++g) {
    if (g->part != ModelPart::Layer) return -1;
    const int k = pu.model.layer_kind(g->layer);
    if (kind >= 0 && k != kind) return -1;
    kind = k;
  }
  return kind;
}

/// The ops of a virtual stage's forward and backward step when its units wait for gathers.
void gathered_ops(const PlanUnits& pu, const UnitScheduleCosts& costs, int vs, std::vector<StepOp>& fwd,
                  std::vector<StepOp>& bwd) {
  const auto vu = pu.units_of(vs);
  const auto vc = costs.units_of(vs);
  const std::size_t n = vc.size();
  fwd.reserve(fwd.size() + n), bwd.reserve(bwd.size() + n);
  auto pieces = [](std::vector<StepOp>& out, const std::vector<PieceCost>& ps, Phase phase, bool grads) {
    for (const auto& p : ps) {
      StepOp op;
      op.main = p.compute;
      op.phase = phase;
      op.gather = &p.gather;
      if (grads) op.pending_grad = &p.grad;
      out.push_back(op);
    }
  };
  for (std::size_t u = 0; u < n; ++u) {
    const UnitCosts& uc = vc[u];
    if (pu.module_pieces) {
      pieces(fwd, uc.forward_pieces, Phase::Forward, false);
      continue;
    }
    StepOp op;
    op.main = uc.forward;
    op.gather = &uc.gather;
    op.run = run_of(pu, vu[u]);
    fwd.push_back(op);
  }
  for (std::size_t b = 0; b < n; ++b) {
    const UnitCosts& uc = vc[n - 1 - b];
    if (pu.module_pieces) {
      if (uc.recomputes) pieces(bwd, uc.recompute_pieces, Phase::Recompute, false);
      pieces(bwd, uc.backward_pieces, Phase::Backward, true);
      continue;
    }
    StepOp op;
    if (uc.recomputes) op.rec = uc.recompute;
    op.main = uc.backward;
    op.phase = Phase::Backward;
    op.gather = &uc.gather;
    op.grad = &uc.grad;
    op.run = run_of(pu, vu[n - 1 - b]);
    bwd.push_back(op);
  }
}

/// One stage's streams running its steps back to back, with the event rules of the engines' list
/// schedule (sim/cost/plan_timing.hpp): compute in order, each side stream in order, a gather
/// waiting for the compute op prefetch_units + 1 back, and the SM contention rule of
/// sim/cost/sm_contention.hpp applied to the collectives issued so far.
class StageChain {
 public:
  /// `sm_count` > 0: the contention-free pass; it records each compute op's contention delay
  /// (sim/cost/sm_contention.hpp) over its side streams. `delays`: the second pass, which charges
  /// those delays in op order, as the engines charge the delays of their contention-free schedule.
  StageChain(int prefetch_units, int sm_count, const std::vector<double>* delays = nullptr)
      : prefetch_(prefetch_units), sm_count_(sm_count), charged_(delays) {}

  /// The contention delay of every compute op run so far, in order (first pass).
  const std::vector<double>& delays() const { return delays_; }

  /// Room for `rounds` runs of steps of `ops` ops in all (one allocation per record).
  void reserve(std::size_t ops, int rounds) {
    const std::size_t n = 2 * ops * static_cast<std::size_t>(rounds);  // a recomputation and its op
    if (tracks_side()) {
      for (auto& side : side_) side.reserve(n);
      delays_.reserve(n);
    } else {
      record_.compute.reserve(2 * ops);
      record_.comm.reserve(4 * ops);
    }
  }

  /// Runs one step's ops after the previous step; its cost (send: its pipeline transfer, on the
  /// compute stream when `blocking`).
  StepCost run(const std::vector<StepOp>& ops, Phase phase, double send, bool blocking, bool rested = false) {
    StepCost out;
    if (rested) free_[kC] = std::max({free_[kC], free_[kParam], free_[kDp]});
    const double start = free_[kC];
    first_dp_ = -1;
    const double dp0 = busy_dp_, c0 = busy_c_;
    run_ops(ops, phase, start);
    if (blocking && send > 0) {
      const double s = free_[kC];
      free_[kC] = s + send;
      if (recording_) record_.comm.push_back({s, s + send, Stream::Compute});
    }
    out.seconds = free_[kC] - start;
    out.send = send;
    out.compute_s = busy_c_ - c0;
    out.dp_work = busy_dp_ - dp0;
    out.dp_leftover = std::max({0.0, free_[kDp] - free_[kC], free_[kParam] - free_[kC]});
    out.dp_first = first_dp_ < 0 ? 0.0 : first_dp_ - start;
    out.dp_sms = dp_sms_;
    return out;
  }

  /// Forgets what was recorded so far (the next steps are the ones to measure).
  void start_recording() {
    record_.compute.clear();
    record_.comm.clear();
    recording_ = true;
  }
  void stop_recording() { recording_ = false; }
  /// The metric sums of the steps run since start_recording().
  RankSums recorded() const { return sum_timeline(record_); }

 private:
  static constexpr int kC = 0, kParam = 1, kDp = 2;

  double prefetch_ready() const {
    const long back = prefetch_ + 1;
    return computes_ < back ? 0.0 : recent_[(computes_ - back) % recent_.size()];
  }
  /// What the next op's gather waits for once this op's compute is issued.
  double lookahead_ready() const {
    const long i = computes_ - prefetch_;
    return i < 0 ? 0.0 : recent_[i % recent_.size()];
  }

  /// Only the contention-free pass needs the side streams' intervals.
  bool tracks_side() const { return sm_count_ > 0 && !charged_; }

  double contention(double s, double e) {
    if (sm_count_ <= 0) return 0.0;
    double delay = 0;
    for (int k = 0; k < kSide; ++k) {
      const auto& side = side_[k];
      std::size_t& i = live_[k];
      while (i < side.size() && side[i].end <= s) ++i;
      for (std::size_t j = i; j < side.size() && side[j].start < e; ++j) {
        delay += contention_delay(std::min(e, side[j].end) - std::max(s, side[j].start), side[j].sms, sm_count_);
      }
    }
    return delay;
  }

  double compute(double ready, const ComputeCost& c, Phase phase, bool prefetch) {
    const double s = std::max(ready, free_[kC]);
    double d = c.seconds;
    if (charged_) {
      d += (*charged_)[computed_];
    } else if (sm_count_ > 0) {
      delays_.push_back(contention(s, s + c.seconds));
    }
    ++computed_;
    free_[kC] = s + d;
    busy_c_ += d;
    if (prefetch) recent_[computes_++ % recent_.size()] = free_[kC];
    if (recording_) record_.compute.push_back({s, free_[kC], c.inner_comm, c.compute_bound_share, phase, c.host});
    return free_[kC];
  }

  double side(Stream stream, const SideCost& c, double ready) {
    const int k = stream == Stream::DpComm ? kDp : kParam;
    const double s = std::max(ready, free_[k]);
    if (k == kDp) {
      if (first_dp_ < 0) first_dp_ = ready;
      dp_sms_ = c.sms;
    }
    const double e = s + c.seconds;
    free_[k] = e;
    if (k == kDp) busy_dp_ += c.seconds;
    if (e > s && tracks_side()) side_[side_of(stream)].push_back({s, e, c.sms});
    if (recording_) record_.comm.push_back({s, e, stream});
    return e;
  }

  double chain(Stream stream, const SideChain& ch, double ready) {
    for (const auto& c : ch) ready = side(stream, c, ready);
    return ready;
  }

  /// Where the streams and records stand after an op.
  struct Mark {
    std::array<double, 3> free{};
    double busy_c = 0, busy_dp = 0;
    std::size_t compute = 0, comm = 0;
    std::array<std::size_t, kSide> side{};
    std::size_t computed = 0;
  };
  Mark mark() const {
    return {
        free_,    busy_c_, busy_dp_, record_.compute.size(), record_.comm.size(), {side_[0].size(), side_[1].size()},
        computed_};
  }
  static bool same(double a, double b) { return std::fabs(a - b) <= 1e-12 * std::max(std::fabs(a), std::fabs(b)); }
  static bool settled(const Mark& a, const Mark& b, const Mark& c) {
    for (int k = 0; k < 3; ++k)
      if (!same(c.free[k] - b.free[k], b.free[k] - a.free[k])) return false;
    return true;
  }

  /// Repeats the op between marks `a` and `b` (settled: each such op adds the same time to every
  /// stream) `k` more times. `gathers`: how many of its comm entries are gathers (the rest are
  /// reductions on the data-parallel stream).
  void repeat(const Mark& a, const Mark& b, long k, std::size_t gathers) {
    const double dc = b.free[kC] - a.free[kC], dg = b.free[kParam] - a.free[kParam], dd = b.free[kDp] - a.free[kDp];
    for (long j = 1; j <= k; ++j) {
      for (std::size_t i = a.compute; i < b.compute; ++i) {
        auto c = record_.compute[i];
        c.start += j * dc, c.end += j * dc;
        record_.compute.push_back(c);
      }
      for (std::size_t i = a.comm; i < b.comm; ++i) {
        auto c = record_.comm[i];
        const double d = i - a.comm < gathers ? dg : dd;
        c.start += j * d, c.end += j * d;
        record_.comm.push_back(c);
      }
      for (int s = 0; s < kSide; ++s) {
        const double d = s == side_of(Stream::DpComm) ? dd : dg;
        for (std::size_t i = a.side[s]; i < b.side[s]; ++i) {
          auto x = side_[s][i];
          x.start += j * d, x.end += j * d;
          side_[s].push_back(x);
        }
      }
      recent_[computes_++ % recent_.size()] = b.free[kC] + j * dc;
      if (!charged_ && sm_count_ > 0)
        for (std::size_t i = a.computed; i < b.computed; ++i) delays_.push_back(delays_[i]);
    }
    computed_ += k * (b.computed - a.computed);
    busy_c_ += k * (b.busy_c - a.busy_c);
    busy_dp_ += k * (b.busy_dp - a.busy_dp);
    free_[kC] += k * dc;
    free_[kParam] += k * dg;
    free_[kDp] += k * dd;
  }

  void flush_pending() {
    if (!pending_) return;
    chain(Stream::ParamComm, *pending_, pending_after_);
    pending_ = nullptr;
  }

  void run_ops(const std::vector<StepOp>& ops, Phase phase, double dep) {
    const std::size_t n = ops.size();
    if (n > 0 && ops[0].gather) side(Stream::ParamComm, *ops[0].gather, prefetch_ready());
    Mark m2, m1;
    for (std::size_t u = 0; u < n; ++u) {
      const StepOp& op = ops[u];
      double ready = dep;
      std::size_t gathers = 0;
      if (op.gather) ready = std::max(ready, free_[kParam]);  // its gather, issued before it
      flush_pending();
      // The next op's gather waits for the compute op before this one: issued now (nothing else is
      // issued on its stream in between) it is on its stream while this op computes.
      if (op.gather && u + 1 < n && ops[u + 1].gather) {
        side(Stream::ParamComm, *ops[u + 1].gather, lookahead_ready());
        gathers = 1;
      }
      if (op.rec.seconds > 0) ready = compute(ready, op.rec, Phase::Recompute, false);
      dep = compute(ready, op.main, op.phase, true);
      if (op.grad) chain(Stream::DpComm, *op.grad, dep);
      if (op.pending_grad) pending_ = op.pending_grad, pending_after_ = dep;
      if (op.run < 0) continue;
      const Mark after = mark();
      if (u >= 2 && ops[u - 1].run == op.run && ops[u - 2].run == op.run && settled(m2, m1, after)) {
        std::size_t last = u;
        while (last + 1 < n && ops[last + 1].run == op.run) ++last;
        const long k = static_cast<long>(last) - static_cast<long>(u) - 1;
        if (k > 0) {
          repeat(m1, after, k, gathers);
          dep = free_[kC];
          u += static_cast<std::size_t>(k);
          m2 = m1 = mark();
          continue;
        }
      }
      m2 = m1;
      m1 = after;
    }
    if (phase == Phase::Backward) flush_pending();
  }

  int prefetch_ = 1, sm_count_ = 0;
  const std::vector<double>* charged_ = nullptr;
  std::vector<double> delays_;
  std::size_t computed_ = 0;  ///< compute ops run so far
  double first_dp_ = -1;      ///< when the step's first reduction could start
  int dp_sms_ = 0;
  std::array<double, 3> free_{};
  std::array<double, 8> recent_{};
  long computes_ = 0;
  double busy_c_ = 0, busy_dp_ = 0;
  const SideChain* pending_ = nullptr;
  double pending_after_ = 0;
  std::array<std::vector<SideInterval>, kSide> side_;
  std::array<std::size_t, kSide> live_{};
  RankTimeline record_;
  bool recording_ = false;
};

/// A step whose units run back to back: one op of their summed cost; its metric sums to `sums`.
StepCost plain_step(const ComputeCost& rec, const ComputeCost& main, Phase phase, double send, bool blocking,
                    RankSums& sums) {
  StepCost c;
  double t = 0;
  if (rec.seconds > 0) {
    add_compute_op(sums, {t, t + rec.seconds, rec.inner_comm, rec.compute_bound_share, Phase::Recompute, rec.host});
    t += rec.seconds;
  }
  add_compute_op(sums, {t, t + main.seconds, main.inner_comm, main.compute_bound_share, phase, main.host});
  t += main.seconds;
  c.compute_s = t;
  c.send = send;
  c.seconds = c.rested_seconds = t + (blocking ? send : 0.0);
  if (blocking) sums.comm_exposed += send;  // a blocking send runs beside no compute
  return c;
}

/// gradient_tail: a last backward whose buckets are reduced, one after another on the data-parallel
/// stream, as each closes; the compute they overlap loses their SMs (sim/cost/sm_contention.hpp).
StepCost bucketed_last_backward(const PlanUnits& pu, const UnitScheduleCosts& costs, int vs, const StepCost& plain,
                                int sm_count) {
  const auto units = costs.units_of(vs);
  const auto chains = costs.grad_buckets_of(vs);
  const Buckets gb = pu.grad_buckets(vs);
  const std::size_t n = units.size();
  double t = 0, d = 0;
  std::array<SideInterval, 64> live{};  // the reductions still running, at most one per bucket
  std::size_t nlive = 0;
  StepCost c = plain;
  for (std::size_t b = 0; b < n; ++b) {
    const UnitCosts& u = units[n - 1 - b];
    const double f = u.backward.seconds + (u.recomputes ? u.recompute.seconds : 0.0);
    double delay = 0;
    for (std::size_t i = 0; i < nlive; ++i) {
      delay += contention_delay(std::min(t + f, live[i].end) - std::max(t, live[i].start), live[i].sms, sm_count);
    }
    t += f + delay;
    if (gb.closes(b)) {
      if (c.dp_work == 0) c.dp_first = t;
      for (const auto& x : chains[gb.of[b]]) {
        const double s = std::max(d, t);
        d = s + x.seconds;
        if (nlive < live.size()) live[nlive++] = {s, d, x.sms};
        c.dp_work += x.seconds;
        c.dp_sms = x.sms;
      }
    }
  }
  c.seconds = plain.seconds - plain.compute_s + t;
  c.rested_seconds = c.seconds;
  c.compute_s = t;
  c.dp_leftover = std::max(0.0, d - t);
  return c;
}

}  // namespace

StepCosts step_costs(const PlanUnits& pu, const UnitScheduleCosts& costs, int sm_count) {
  const int P = pu.strategy.pp, VS = pu.virtual_stages(), V = VS / P;
  const bool blocking = pu.p2p_send_stream == Stream::Compute;
  StepCosts out;
  out.forward.resize(VS);
  out.backward.resize(VS);
  out.per_micro_batch.resize(P);
  for (int p = 0; p < P; ++p) out.per_micro_batch[p].stage = p;
  if (!pu.unit_gathers) {
    for (int vs = 0; vs < VS; ++vs) {
      const auto& vc = costs.vstages[vs];
      const auto units = costs.units_of(vs);
      const std::size_t n = units.size();
      ComputeCost fwd, rec, bwd;
      for (std::size_t u = 0; u < n; ++u) {
        fwd = u == 0 ? units[u].forward : merged(fwd, units[u].forward);
        const UnitCosts& uc = units[n - 1 - u];
        if (uc.recomputes) rec = rec.seconds > 0 ? merged(rec, uc.recompute) : uc.recompute;
        bwd = u == 0 ? uc.backward : merged(bwd, uc.backward);
      }
      RankSums& sums = out.per_micro_batch[vs % P];
      out.forward[vs] = plain_step({}, fwd, Phase::Forward, vc.send_forward, blocking, sums);
      out.backward[vs] = plain_step(rec, bwd, Phase::Backward, vc.send_backward, blocking, sums);
    }
    if (pu.grads_in_buckets)
      for (int vs = 0; vs < VS; ++vs)
        out.last_backward.push_back(bucketed_last_backward(pu, costs, vs, out.backward[vs], sm_count));
    return out;
  }
  // Gathered units: each stage's steps back to back, twice; the first round is the cold start, the
  // second the steady state.
  out.first_forward.resize(VS);
  out.first_backward.resize(VS);
  out.reductions.resize(VS);
  // Stages whose steps are the same ops (the pipeline's inner stages, as a rule) cost the same.
  struct Distinct {
    int stage;
    std::vector<std::vector<StepOp>> fwd, bwd;
  };
  std::vector<Distinct> distinct;
  for (int stage = 0; stage < P; ++stage) {
    std::vector<std::vector<StepOp>> fwd(V), bwd(V);
    for (int c = 0; c < V; ++c) {
      const int vs = c * P + stage;
      gathered_ops(pu, costs, vs, fwd[c], bwd[c]);
    }
    auto sends_match = [&](int q) {
      for (int c = 0; c < V; ++c) {
        const auto &a = costs.vstages[c * P + q], &b = costs.vstages[c * P + stage];
        if (a.send_forward != b.send_forward || a.send_backward != b.send_backward) return false;
      }
      return true;
    };
    const auto twin = std::find_if(distinct.begin(), distinct.end(), [&](const Distinct& d) {
      return d.fwd == fwd && d.bwd == bwd && sends_match(d.stage);
    });
    if (twin != distinct.end()) {
      for (int c = 0; c < V; ++c) {
        const int from = c * P + twin->stage, to = c * P + stage;
        out.forward[to] = out.forward[from];
        out.backward[to] = out.backward[from];
        out.first_forward[to] = out.first_forward[from];
        out.first_backward[to] = out.first_backward[from];
        out.reductions[to] = out.reductions[from];
      }
      out.per_micro_batch[stage] = out.per_micro_batch[twin->stage];
      out.per_micro_batch[stage].stage = stage;
      continue;
    }
    // The engines charge each compute op the contention of its contention-free schedule
    // (sim/cost/sm_contention.hpp): a first pass without it records the delays, the second charges them.
    auto rounds = [&](StageChain& chain, bool keep) {
      for (int round = 0; round < 3; ++round) {
        if (round == 1) chain.start_recording();
        if (round == 2 && keep) out.per_micro_batch[stage] = chain.recorded();
        if (round == 2) chain.stop_recording();
        for (int c = 0; c < V; ++c) {
          const int vs = c * P + stage;
          const auto& vc = costs.vstages[vs];
          // Round 0: the cold start; 1: back to back (the steady state); 2: each step after the
          // side streams have caught up.
          StepCost f = chain.run(fwd[c], Phase::Forward, vc.send_forward, blocking, round == 2);
          StepCost b = chain.run(bwd[c], Phase::Backward, vc.send_backward, blocking, round == 2);
          if (!keep) continue;
          if (round == 0) out.first_forward[vs] = f, out.first_backward[vs] = b;
          if (round == 1) out.forward[vs] = f, out.backward[vs] = b;
          if (round == 2) {
            out.forward[vs].rested_seconds = std::min(f.seconds, out.forward[vs].seconds);
            out.backward[vs].rested_seconds = std::min(b.seconds, out.backward[vs].seconds);
            out.reductions[vs] = {b.dp_work, b.dp_first, b.dp_leftover, b.dp_sms};
          }
        }
      }
    };
    std::size_t ops = 0;
    for (int c = 0; c < V; ++c) ops += fwd[c].size() + bwd[c].size();
    StageChain free_pass(pu.prefetch_units, sm_count);
    if (sm_count > 0) free_pass.reserve(ops, 3), rounds(free_pass, false);
    StageChain chain(pu.prefetch_units, 0, sm_count > 0 ? &free_pass.delays() : nullptr);
    chain.reserve(ops, 3);
    rounds(chain, true);
    out.per_micro_batch[stage].stage = stage;
    if (distinct.size() < 4) distinct.push_back({stage, std::move(fwd), std::move(bwd)});
  }
  return out;
}

}  // namespace trainsim
