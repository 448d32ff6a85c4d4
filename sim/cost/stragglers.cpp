#include "sim/cost/stragglers.hpp"

#include <algorithm>
#include <map>

namespace trainsim {

int rank_on_gpu(const ClusterSpec& c, int world, int gpu) {
  const int gpn = std::max(1, c.gpus_per_node), used = c.used_per_node();
  if (gpu % gpn >= used) return -1;
  const int rank = gpu / gpn * used + gpu % gpn;
  return rank < world ? rank : -1;
}

namespace {

/// Slow TP x CP groups: (stage, replica) -> lowest clock among their GPUs.
std::map<std::pair<int, int>, double> slow_groups(const RankLayout& layout, const ClusterSpec& c) {
  std::map<std::pair<int, int>, double> out;
  for (const auto& s : c.slow_gpus) {
    const int rank = rank_on_gpu(c, layout.world(), s.gpu);
    if (rank < 0) continue;
    const RankCoord rc = layout.coord(rank);
    auto [it, fresh] = out.emplace(std::make_pair(rc.pp, rc.dp), s.clock);
    if (!fresh) it->second = std::min(it->second, s.clock);
  }
  return out;
}

bool replicas_meet_every_layer(const Strategy& s) { return s.ep > 1 || s.zero >= 3; }

}  // namespace

std::vector<double> rank_group_clocks(const RankLayout& layout, const ClusterSpec& c) {
  const auto slow = slow_groups(layout, c);
  if (slow.empty()) return {};
  std::vector<double> clock(static_cast<std::size_t>(layout.world()), 1.0);
  const bool merged = replicas_meet_every_layer(layout.strategy);
  std::vector<double> stage_min(static_cast<std::size_t>(layout.strategy.pp), 1.0);
  for (const auto& [key, k] : slow) stage_min[key.first] = std::min(stage_min[key.first], k);
  for (int r = 0; r < layout.world(); ++r) {
    const RankCoord rc = layout.coord(r);
    if (merged) {
      clock[r] = stage_min[rc.pp];
    } else if (auto it = slow.find({rc.pp, rc.dp}); it != slow.end()) {
      clock[r] = it->second;
    }
  }
  return clock;
}

std::vector<ReplicaClocks> replica_clocks(const RankLayout& layout, const ClusterSpec& c) {
  const auto slow = slow_groups(layout, c);
  if (slow.empty()) return {};
  const int P = layout.strategy.pp;
  std::vector<ReplicaClocks> out;
  if (replicas_meet_every_layer(layout.strategy)) {
    ReplicaClocks m{-1, std::vector<double>(static_cast<std::size_t>(P), 1.0)};
    for (const auto& [key, k] : slow) m.stage_clock[key.first] = std::min(m.stage_clock[key.first], k);
    out.push_back(std::move(m));
    return out;
  }
  std::map<int, std::vector<double>> by_replica;
  for (const auto& [key, k] : slow) {
    auto& v = by_replica.try_emplace(key.second, std::vector<double>(static_cast<std::size_t>(P), 1.0)).first->second;
    v[key.first] = std::min(v[key.first], k);
  }
  if (static_cast<int>(by_replica.size()) < layout.strategy.dp) {
    int healthy = 0;  // the first replica without a slow group
    while (by_replica.count(healthy)) ++healthy;
    out.push_back({healthy, std::vector<double>(static_cast<std::size_t>(P), 1.0)});
  }
  // Replicas with the same clocks take the same time: each distinct set is timed once.
  std::map<std::vector<double>, int> distinct;
  for (auto& [dp, v] : by_replica) distinct.emplace(std::move(v), dp);
  for (auto& [v, dp] : distinct) out.push_back({dp, v});
  return out;
}

}  // namespace trainsim
