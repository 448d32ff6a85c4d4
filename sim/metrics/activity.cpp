#include "sim/metrics/activity.hpp"

#include "sim/metrics/timeline.hpp"

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

namespace trainsim {

double compute_bound_share(const Block& b, const ComputeModel& cm) {
  double bound = 0, total = 0;
  for (const auto& k : b.kernels) {
    if (k.kind == KernelKind::Collective) continue;
    const double t = cm.time(k);
    total += t;
    if (k.kind == KernelKind::Gemm || k.kind == KernelKind::Attention) bound += t;
  }
  return total > 0 ? bound / total : 1.0;
}

ActivityBreakdown activity_from_trace(const Plan& plan, const Trace& trace, const ComputeModel& cm,
                                      double iteration_s) {
  std::vector<RankSums> ranks;
  for (const auto& t : timelines_from_trace(plan, trace, cm)) ranks.push_back(sum_timeline(t));
  return mean_activity(ranks, iteration_s);
}

}  // namespace trainsim
