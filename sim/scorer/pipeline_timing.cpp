#include "sim/scorer/pipeline_timing.hpp"

#include <algorithm>

#include "models/util/errors.hpp"
#include "sim/plan/pipeline_schedule.hpp"

namespace trainsim {

namespace {
constexpr double kUnknown = -1.0;

/// Arrival times of the transfers, by (virtual stage, micro-batch): only the entries of the
/// current run count (a run marks its entries instead of clearing the table).
class Arrivals {
 public:
  void start(std::size_t n) {
    if (t_.size() < n) t_.resize(n), run_of_.resize(n, 0);
    ++run_;
  }
  double get(std::size_t i) const { return run_of_[i] == run_ ? t_[i] : kUnknown; }
  void set(std::size_t i, double t) { t_[i] = t, run_of_[i] = run_; }

 private:
  std::vector<double> t_;
  std::vector<unsigned> run_of_;
  unsigned run_ = 0;
};
}  // namespace

PipelineTimes time_pipeline(const PipelineInput& in, int m, bool probe) {
  const int P = in.stages, V = in.schedule == ScheduleKind::Interleaved1F1B ? in.chunks : 1, VS = P * V;
  thread_local Arrivals fwd_arrival, bwd_arrival;
  thread_local std::vector<double> compute_free, send_free, dp_busy;
  thread_local std::vector<int> dp_sms;
  thread_local std::vector<char> dp_charge;
  thread_local std::vector<int> ready;
  thread_local std::vector<char> queued;
  fwd_arrival.start(static_cast<std::size_t>(VS) * m);
  bwd_arrival.start(static_cast<std::size_t>(VS) * m);
  compute_free.assign(P, 0.0);
  send_free.assign(P, 0.0);
  dp_busy.assign(P, 0.0);
  dp_sms.assign(P, 0);
  dp_charge.assign(P, 0);
  queued.assign(P, 1);
  ready.clear();
  std::vector<StageSchedule> sched;
  std::vector<StageSchedule::Cursor> cursor;
  sched.reserve(P);
  cursor.reserve(P);
  for (int p = 0; p < P; ++p) sched.emplace_back(in.schedule, p, P, m, in.chunks);
  for (int p = 0; p < P; ++p) cursor.emplace_back(sched[p]);
  PipelineTimes out;
  out.end.assign(P, 0.0);
  out.first_backward.assign(P, kUnknown);
  out.chunks = V;
  out.last_backward.assign(static_cast<std::size_t>(P) * V, 0.0);
  thread_local std::vector<int> forwards_left;
  forwards_left.assign(P, V * m);
  if (probe) out.steady_backward.assign(P, {});
  for (int p = P - 1; p >= 0; --p) ready.push_back(p);
  auto wake = [&](int p) {
    if (!queued[p]) queued[p] = 1, ready.push_back(p);
  };
  while (!ready.empty()) {
    const int p = ready.back();
    ready.pop_back();
    queued[p] = 0;
    double& C = compute_free[p];
    for (auto& cur = cursor[p]; !cur.done(); cur.next()) {
      const ScheduleStep st = cur.step();
      const int vs = st.chunk * P + p;
      const std::size_t at = static_cast<std::size_t>(vs) * m + st.micro_batch;
      double arrival = 0;
      if (st.forward ? vs > 0 : vs < VS - 1) {
        arrival = (st.forward ? fwd_arrival : bwd_arrival).get(at);
        if (arrival == kUnknown) break;  // its input has not been sent yet
      }
      const double start = std::max(arrival, C);
      double d = st.forward ? in.fwd[vs] : in.bwd[vs];
      if (st.micro_batch == 0 && !(st.forward ? in.first_fwd : in.first_bwd).empty())
        d = (st.forward ? in.first_fwd : in.first_bwd)[vs];  // cold: nothing prefetched before it
      if (!st.forward && st.micro_batch == m - 1 && !in.last_bwd.empty()) d = in.last_bwd[vs];
      // What the side streams did while the stage waited (since its previous step, or since the
      // iteration start) the step does not wait for.
      const auto& rested = st.forward ? in.rested_fwd : in.rested_bwd;
      if (!rested.empty()) d = rested[vs] + std::max(0.0, d - rested[vs] - (start - C));
      if (st.forward && st.micro_batch == 0 && in.first_forward) d = in.first_forward(vs, start);
      // Reductions earlier steps left running take their SMs from this step.
      if (dp_charge[p] && dp_busy[p] > start && in.sm_count > 0)
        d += std::min(d, dp_busy[p] - start) * std::min(dp_sms[p], in.sm_count - 1) / in.sm_count;
      if (!st.forward) {
        const auto* r = st.micro_batch == m - 1 && !in.last_bwd_reductions.empty() ? &in.last_bwd_reductions[vs]
                        : !in.bwd_reductions.empty()                               ? &in.bwd_reductions[vs]
                                                                                   : nullptr;
        if (r && r->work > 0) {
          const double compute_end = start + d - (in.blocking_sends ? in.send_bwd[vs] : 0.0);
          dp_busy[p] = std::max(std::max(dp_busy[p], start + r->first) + r->work, compute_end + r->leftover);
          dp_sms[p] = r->sms;
          dp_charge[p] = r->charge;
        }
      }
      if (st.forward) --forwards_left[p];
      if (!st.forward) {
        if (probe && forwards_left[p] > 0) out.steady_backward[p].push_back(start);
        if (out.first_backward[p] == kUnknown) out.first_backward[p] = start;
        if (st.micro_batch == m - 1) out.last_backward[p * V + st.chunk] = start;
      }
      C = start + d;
      double end = C;
      const bool sends = st.forward ? vs < VS - 1 : vs > 0;
      if (sends) {
        const double s = st.forward ? in.send_fwd[vs] : in.send_bwd[vs];
        double arrives = C;  // a blocking send is the end of the step
        if (!in.blocking_sends) end = arrives = send_free[p] = std::max(C, send_free[p]) + s;
        const int to = st.forward ? vs + 1 : vs - 1;
        (st.forward ? fwd_arrival : bwd_arrival).set(static_cast<std::size_t>(to) * m + st.micro_batch, arrives);
        wake(to % P);
      }
      out.end[p] = end;
      out.makespan = std::max(out.makespan, end);
    }
  }
  for (const auto& cur : cursor)
    if (!cur.done()) throw InternalError("scorer: the pipeline schedule deadlocks");
  out.dp_end.assign(dp_busy.begin(), dp_busy.begin() + P);
  return out;
}

namespace {

/// one_f_one_b_paths: 1F1B (one chunk per stage) with blocking sends, in closed form. A stage's last
/// op ends at the longest path to it; the critical paths of this schedule take one of four shapes
/// (checked against time_pipeline in tests/scorer): a micro-batch's forward down the pipeline to
/// stage j, or its forward to the last stage and backward up to j (a round trip); then stage j's
/// program, to its end or to its last forward; then the last micro-batch's backward up to the stage
/// (or its forward to the last stage and backward up). With F, B each stage's forward and backward
/// step and w_j = p - 1 - j stage j's warm-up forwards:
///   stay:        sum_{i<j} F_i + m (F_j + B_j)                                     + sum_{s<=i<j} B_i
///   round trip:  sum F + sum_{i>j} B_i + m B_j + (m - 1 - w_j) F_j                 + sum_{s<=i<j} B_i
///   forward out: sum_{i<j} F_i + m F_j + (m - 1 - w_j) B_j + sum_{i>j} F_i         + sum_{i>=s} B_i
///   both:        sum F + sum_{i>j} B_i + (m - 1 - w_j)(F_j + B_j) + sum_{i>j} F_i  + sum_{i>=s} B_i
/// A stage's first backward starts once its warm-up forwards are done, which run as a flow shop
/// (sum_{i<=s} F_i + w_s max_{i<=s} F_i), and the next stage's first backward has arrived.
PipelineTimes one_f_one_b_paths(const PipelineInput& in, int m) {
  const int P = in.stages;
  const auto& F = in.fwd;
  const auto& B = in.bwd;
  std::vector<double> pf(P + 1, 0.0), pb(P + 1, 0.0);
  for (int i = 0; i < P; ++i) pf[i + 1] = pf[i] + F[i], pb[i + 1] = pb[i] + B[i];
  const double SF = pf[P], SB = pb[P];
  double forward_out = -1e300;
  for (int j = 0; j < P; ++j) {
    const double w = P - 1 - j;
    forward_out = std::max(forward_out, pf[j] + m * F[j] + (m - 1 - w) * B[j] + SF - pf[j + 1]);
  }
  PipelineTimes out;
  out.end.assign(P, 0.0);
  out.first_backward.assign(P, 0.0);
  out.last_backward.assign(P, 0.0);
  double stay = -1e300, both = -1e300;  // maxima over j >= s, built from the last stage down
  for (int s = P - 1; s >= 0; --s) {
    const int j = s;
    const double w = P - 1 - j;
    stay = std::max(
        {stay, pf[j] + m * (F[j] + B[j]) + pb[j], SF + SB - pb[j + 1] + m * B[j] + (m - 1 - w) * F[j] + pb[j]});
    if (m - 1 - w >= 1) both = std::max(both, SF + SB - pb[j + 1] + (m - 1 - w) * (F[j] + B[j]) + SF - pf[j + 1]);
    const double e = std::max({stay - pb[s], forward_out + SB - pb[s], both + SB - pb[s]});
    out.end[s] = e;
    out.last_backward[s] = e - B[s];
    out.makespan = std::max(out.makespan, e);
  }
  double max_f = 0;
  std::vector<double> warm(P);
  for (int s = 0; s < P; ++s) {
    max_f = std::max(max_f, F[s]);
    warm[s] = pf[s + 1] + (P - 1 - s) * max_f;
  }
  for (int s = P - 1; s >= 0; --s)
    out.first_backward[s] = s == P - 1 ? warm[s] : std::max(warm[s], out.first_backward[s + 1] + B[s + 1]);
  return out;
}

}  // namespace

PipelineTimes time_pipeline_steady(const PipelineInput& in, int m) {
  // The closed form takes every step of a stage alike: with a cold first step, only where the
  // micro-batches are many enough for the difference not to matter.
  const bool cold_start = !in.first_fwd.empty() || !in.first_bwd.empty() || !in.rested_fwd.empty() ||
                          !in.last_bwd.empty() || !in.bwd_reductions.empty();
  if (in.schedule == ScheduleKind::OneFOneB && in.blocking_sends && !in.first_forward && m >= in.stages &&
      (!cold_start || m >= 4 * in.stages))
    return one_f_one_b_paths(in, m);
  const int P = in.stages;
  const bool interleaved = in.schedule == ScheduleKind::Interleaved1F1B && in.chunks > 1;
  const int V = interleaved ? in.chunks : 1;
  // Two micro-batch counts past every stage's warm-up with steady steps left; the interleaved
  // schedule needs multiples of pp.
  const int step = interleaved ? P : 1;
  const int warmup = in.schedule == ScheduleKind::GPipe ? 0 : interleaved ? 2 * (P - 1) + (V - 1) * P : P - 1;
  int m0 = std::max(2, (warmup + 2 + V - 1) / V);
  if (interleaved) m0 = (m0 + P - 1) / P * P;
  const int m1 = m0 + step;
  if (m <= m1 + step) return time_pipeline(in, m);
  // The busiest stream of any stage: its work per micro-batch.
  double busiest = 0;
  for (int p = 0; p < P; ++p) {
    double compute = 0, sends = 0;
    for (int c = 0; c < V; ++c) {
      const int vs = c * P + p;
      compute += in.fwd[vs] + in.bwd[vs];
      sends += in.send_fwd[vs] + in.send_bwd[vs];
    }
    busiest = std::max({busiest, compute, in.blocking_sends ? 0.0 : sends});
  }
  double cycle = 0;
  const bool gpipe = in.schedule == ScheduleKind::GPipe;
  const PipelineTimes b = time_pipeline(in, m1, !gpipe);
  if (gpipe) {
    cycle = b.makespan - time_pipeline(in, m0).makespan;
  } else {
    // The last `step` micro-batches' backward steps of each stage's steady phase: one cycle.
    for (const auto& t : b.steady_backward) {
      const std::size_t n = t.size(), k = static_cast<std::size_t>(V * step);
      if (n > k) cycle = std::max(cycle, t[n - 1] - t[n - 1 - k]);
    }
  }
  const double per_step = std::max(cycle, busiest * step);
  const double k = static_cast<double>(m - m1) / step;
  PipelineTimes out = b;
  out.extended = true;
  out.makespan += k * per_step;
  // Every stage runs its last steps one cycle later per further micro-batch; the warm-up is the same.
  for (double& t : out.end) t += k * per_step;
  for (double& t : out.last_backward) t += k * per_step;
  for (double& t : out.dp_end) t += k * per_step;
  return out;
}

const PipelineTimes& PipelineMemo::time(const PipelineInput& in, int m) {
  if (in.first_forward) return last_ = time_pipeline_steady(in, m);
  key_.clear();
  auto put = [&](double x) { key_.append(reinterpret_cast<const char*>(&x), sizeof x); };
  auto list = [&](const std::vector<double>& v) {
    put(static_cast<double>(v.size()));
    for (double x : v) put(x);
  };
  auto reductions = [&](const std::vector<PipelineInput::Reductions>& v) {
    put(static_cast<double>(v.size()));
    for (const auto& r : v) put(r.work), put(r.first), put(r.leftover), put(r.sms), put(r.charge);
  };
  put(static_cast<double>(in.schedule)), put(in.stages), put(in.chunks), put(in.blocking_sends), put(m);
  put(in.sm_count);
  for (const auto* v : {&in.fwd, &in.bwd, &in.send_fwd, &in.send_bwd, &in.first_fwd, &in.first_bwd, &in.last_bwd,
                        &in.rested_fwd, &in.rested_bwd})
    list(*v);
  reductions(in.bwd_reductions);
  reductions(in.last_bwd_reductions);
  auto it = times_.find(key_);
  if (it == times_.end()) it = times_.emplace(key_, time_pipeline_steady(in, m)).first;
  return it->second;
}

}  // namespace trainsim
