#include "sim/analytic/analytic_engine.hpp"

#include <algorithm>
#include <array>
#include <map>

#include "models/util/errors.hpp"
#include "sim/analytic/sm_contention.hpp"

namespace trainsim {

AnalyticEngine::AnalyticEngine(const ClusterSpec& cluster, std::shared_ptr<const ComputeProfile> profile)
    : cluster_(cluster), compute_(cluster.gpu, std::move(profile)) {}

namespace {

/// Replays every stage program once; compute op i of stage p lasts its block's time plus
/// `delay[p][i]` (when given). Every finished op goes to `on_finished` (when given).
OpSchedule replay(const Plan& plan, const OpCosts& costs, const std::vector<std::vector<double>>* delay,
                  const std::vector<int>& rep_rank, const std::vector<ExecutionObserver*>& on_finished) {
  const int P = static_cast<int>(plan.programs.size());
  OpSchedule sched;
  auto& start = sched.start;
  auto& end = sched.end;
  start.resize(P);
  end.resize(P);
  std::vector<size_t> next(P, 0);
  std::vector<std::array<double, kNumStreams>> stream_free(P);
  for (int p = 0; p < P; ++p) {
    end[p].assign(plan.programs[p].ops.size(), -1.0);
    start[p].assign(plan.programs[p].ops.size(), -1.0);
    stream_free[p].fill(0.0);
  }
  // Send end times by (receiving stage, tag); cross-stage collective readiness by (group, index).
  std::map<std::pair<int, std::int64_t>, double> sends;
  std::map<std::pair<int, int>, double> embed_ready;  // (stage, nth embedding op) -> ready time
  std::vector<int> embed_count(P, 0);

  size_t remaining = 0;
  for (const auto& pr : plan.programs) remaining += pr.ops.size();
  while (remaining > 0) {
    bool progress = false;
    for (int p = 0; p < P; ++p) {
      const auto& ops = plan.programs[p].ops;
      while (next[p] < ops.size()) {
        const size_t i = next[p];
        const Op& op = ops[i];
        double ready = 0;
        for (int d : op.deps) ready = std::max(ready, end[p][d]);
        const int s = static_cast<int>(op.stream);
        double st = 0, en = 0, inner = 0;
        if (op.kind == OpKind::Recv) {
          auto it = sends.find({p, op.tag});
          if (it == sends.end()) break;  // wait for the sender's program to get there
          st = ready;
          en = std::max(ready, it->second);
        } else if (op.kind == OpKind::Collective && op.group == GroupRole::Embedding) {
          const int n = embed_count[p];
          const int partner = p == 0 ? P - 1 : 0;
          const double mine = std::max(ready, stream_free[p][s]);
          embed_ready[{p, n}] = mine;
          auto it = embed_ready.find({partner, n});
          if (it == embed_ready.end()) break;
          st = std::max(mine, it->second);
          en = st + costs.collective(op);
          ++embed_count[p];
        } else {
          st = std::max(ready, stream_free[p][s]);
          double dur = 0;
          if (op.kind == OpKind::Compute) {
            const auto& bc = costs.block(op.block);
            dur = bc.total() + (delay ? (*delay)[p][i] : 0.0);
            inner = bc.comm;
          } else if (op.kind == OpKind::Collective) {
            dur = costs.collective(op);
          } else {  // Send
            dur = costs.p2p(p, op.peer_stage, op.bytes);
            sends[{op.peer_stage, op.tag}] = st + dur;
          }
          en = st + dur;
        }
        if (op.kind != OpKind::Recv) stream_free[p][s] = en;
        start[p][i] = st;
        end[p][i] = en;
        if (!on_finished.empty()) {
          const TraceEvent e = trace_event(op, rep_rank[p], static_cast<int>(i), st, en, inner);
          for (auto* o : on_finished) o->on_op_finished(e);
        }
        ++next[p];
        --remaining;
        progress = true;
      }
    }
    if (!progress) throw InternalError("analytic engine: the plan deadlocks (a receive without a matching send)");
  }
  return sched;
}

bool has_side_stream_collectives(const Plan& plan) {
  for (const auto& pr : plan.programs)
    for (const auto& op : pr.ops)
      if (runs_beside_compute(op)) return true;
  return false;
}

}  // namespace

std::vector<std::vector<double>> analytic_sm_contention_delays(const Plan& plan, const OpCosts& costs,
                                                               const ClusterSpec& cluster) {
  const std::vector<int> rep_rank(plan.programs.size(), 0);
  const OpSchedule first = replay(plan, costs, nullptr, rep_rank, {});
  return sm_contention_delays(plan, costs, cluster.gpu.sm_count, first);
}

Trace AnalyticEngine::execute(const Plan& plan) const {
  const OpCosts costs(plan, cluster_, compute_);
  const int P = static_cast<int>(plan.programs.size());
  Trace trace;
  trace.engine = "analytic";
  TraceRecorder recorder(trace);
  std::vector<int> rep_rank(P);
  for (int p = 0; p < P; ++p) {
    RankCoord c;
    c.pp = p;
    rep_rank[p] = plan.rank_of(c);
    trace.ranks.push_back(rep_rank[p]);
  }
  std::vector<ExecutionObserver*> on_finished{&recorder};
  on_finished.insert(on_finished.end(), observers_.begin(), observers_.end());

  // Collectives beside the compute stream take SMs from it (sim/analytic/sm_contention.hpp):
  // a first replay finds the overlaps, the second runs the compute ops that much longer.
  std::vector<std::vector<double>> delay;
  const bool contended = cluster_.nccl_sms != 0 && has_side_stream_collectives(plan);
  if (contended) delay = analytic_sm_contention_delays(plan, costs, cluster_);
  const OpSchedule sched = replay(plan, costs, contended ? &delay : nullptr, rep_rank, on_finished);
  double t = 0;
  for (int p = 0; p < P; ++p)
    for (double e : sched.end[p]) t = std::max(t, e);
  trace.iteration_time = t;
  return trace;
}

}  // namespace trainsim
