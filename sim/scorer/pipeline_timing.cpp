#include "sim/scorer/pipeline_timing.hpp"

#include <algorithm>

#include "models/util/errors.hpp"
#include "sim/cost/sm_contention.hpp"
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

namespace {
/// The replay; `kWarm`: steps may differ by what the stage did before them (cold first steps,
/// rested steps, a first forward waiting for gathers, ZeRO-3 reductions): without them the
/// branches are compiled out.
template <bool kWarm>
PipelineTimes replay(const PipelineInput& in, int m, int probe) {
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
  // Each stage's steady backward starts (probe), V * m places a stage.
  thread_local std::vector<int> forwards_left, steady_count;
  thread_local std::vector<double> steady;
  forwards_left.assign(P, V * m);
  if (probe > 0) {
    steady_count.assign(P, 0);
    if (steady.size() < static_cast<std::size_t>(P) * V * m) steady.resize(static_cast<std::size_t>(P) * V * m);
  }
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
      if (kWarm) {
        if (st.micro_batch == 0 && !(st.forward ? in.first_fwd : in.first_bwd).empty())
          d = (st.forward ? in.first_fwd : in.first_bwd)[vs];  // cold: nothing prefetched before it
      }
      if (!st.forward && st.micro_batch == m - 1 && !in.last_bwd.empty()) d = in.last_bwd[vs];
      if (kWarm) {
        // What the side streams did while the stage waited (since its previous step, or since the
        // iteration start) the step does not wait for.
        const auto& rested = st.forward ? in.rested_fwd : in.rested_bwd;
        if (!rested.empty()) d = rested[vs] + std::max(0.0, d - rested[vs] - (start - C));
        if (st.forward && st.micro_batch == 0 && in.first_forward) d = in.first_forward(vs, start);
      }
      // Reductions earlier steps left running take their SMs from this step.
      if (dp_charge[p] && dp_busy[p] > start)
        d += contention_delay(std::min(d, dp_busy[p] - start), dp_sms[p], in.sm_count);
      if (!st.forward && (kWarm || st.micro_batch == m - 1)) {
        const auto* r = st.micro_batch == m - 1 && !in.last_bwd_reductions.empty() ? &in.last_bwd_reductions[vs]
                        : kWarm && !in.bwd_reductions.empty()                      ? &in.bwd_reductions[vs]
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
        if (probe > 0 && forwards_left[p] > 0) steady[static_cast<std::size_t>(p) * V * m + steady_count[p]++] = start;
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
        wake(st.forward ? (p + 1 == P ? 0 : p + 1) : (p == 0 ? P - 1 : p - 1));
      }
      out.end[p] = end;
      out.makespan = std::max(out.makespan, end);
    }
  }
  for (const auto& cur : cursor)
    if (!cur.done()) throw InternalError("scorer: the pipeline schedule deadlocks");
  out.dp_end.assign(dp_busy.begin(), dp_busy.begin() + P);
  if (probe > 0)
    for (int p = 0; p < P; ++p) {
      const int n = steady_count[p];
      const double* t = steady.data() + static_cast<std::size_t>(p) * V * m;
      if (n > probe) out.steady_span = std::max(out.steady_span, t[n - 1] - t[n - 1 - probe]);
    }
  return out;
}
}  // namespace

PipelineTimes time_pipeline(const PipelineInput& in, int m, int probe) {
  const bool warm = !in.first_fwd.empty() || !in.first_bwd.empty() || !in.rested_fwd.empty() ||
                    !in.rested_bwd.empty() || in.first_forward || !in.bwd_reductions.empty();
  return warm ? replay<true>(in, m, probe) : replay<false>(in, m, probe);
}

PipelineTimes time_pipeline_steady(const PipelineInput& in, int m) {
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
  const bool gpipe = in.schedule == ScheduleKind::GPipe;
  // The last `step` micro-batches' backward steps of each stage's steady phase: one cycle.
  PipelineTimes out = time_pipeline(in, m1, gpipe ? 0 : V * step);
  const double cycle = gpipe ? out.makespan - time_pipeline(in, m0).makespan : out.steady_span;
  const double per_step = std::max(cycle, busiest * step);
  const double k = static_cast<double>(m - m1) / step;
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
