#include "sim/cost/plan_timing.hpp"

#include <algorithm>
#include <array>
#include <map>

#include "models/util/errors.hpp"

namespace trainsim {

double OpSchedule::makespan() const {
  double t = 0;
  for (const auto& e : end)
    for (double x : e) t = std::max(t, x);
  return t;
}

OpSchedule time_plan(const Plan& plan, const OpCosts& costs, const std::vector<std::vector<double>>* delay,
                     const OpTimed& on_timed) {
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
        double st = 0, en = 0;
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
            dur = costs.block(op.block).total() + (delay ? (*delay)[p][i] : 0.0);
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
        if (on_timed) on_timed(p, static_cast<int>(i), st, en);
        ++next[p];
        --remaining;
        progress = true;
      }
    }
    if (!progress) throw InternalError("analytic engine: the plan deadlocks (a receive without a matching send)");
  }
  return sched;
}

}  // namespace trainsim
