#include "sim/cost/collective_costs.hpp"

#include <algorithm>
#include <utility>

namespace trainsim {

namespace {
/// NCCL end-point overhead per inter-node step (proxy thread, NIC doorbell, completion): a few
/// microseconds on InfiniBand (NCCL tuning tables use ~2-8 us base latencies per algorithm).
constexpr double kInterNodeEndpointLatency = 3e-6;
}  // namespace

double uplink_slowdown(const ClusterSpec& c, CollectiveKind kind, const GroupShape& g) {
  // Per switch level with `under` nodes below it and down:up ratio o, a group has k of its nodes
  // under one switch (adjacent nodes fill it; a stride of s nodes leaves under / s). With every
  // rank of the switch in a concurrent group of this role (a data-parallel reduction, an expert
  // all-to-all), the uplinks, under x NICs / o NIC rates, carry:
  //  - rings: one channel per group leaving the switch per ring pass, i.e. under x GPUs / k flows
  //    at a NIC's rate: slowdown o x GPUs / (k x NICs) (o / k with a NIC per GPU);
  //  - all-to-all: the share of each rank's inter-node traffic bound for nodes outside the switch,
  //    (m - k) / (m - 1) of line rate on every NIC: slowdown o (m - k) / (m - 1).
  // The slowest level decides (max); 1 when the uplinks keep up.
  double worst = 1.0;
  const int m = g.nodes, stride = std::max(1, g.node_stride);
  const double gpus_per_nic = static_cast<double>(c.gpus_per_node) / std::max(1, c.nics_per_node);
  auto level = [&](int under, double o) {
    if (under <= 0 || o <= 1.0) return;
    const int k = std::clamp(under / stride, 1, m);
    if (k >= m) return;  // the group stays below this switch
    const double s = kind == CollectiveKind::AllToAll ? o * (m - k) / std::max(1, m - 1) : o * gpus_per_nic / k;
    worst = std::max(worst, s);
  };
  const auto& os = c.fabric.oversubscription;
  level(c.nodes_per_leaf(), os.empty() ? 1.0 : os[0]);
  if (os.size() > 1) level(c.nodes_per_pod(), os[1]);
  return worst;
}

CollectiveEnv collective_env(const ClusterSpec& c, bool spans_leaves) {
  CollectiveEnv env;
  env.intra.bw = c.intra.bw * c.intra.efficiency;
  env.intra.latency = c.intra.latency_s;
  env.intra.half_bw_bytes = c.intra.half_bw_bytes;
  env.inter.half_bw_bytes = c.fabric.half_bw_bytes;
  const int levels = c.fabric.topology == TopologyKind::SingleSwitch ? 1 : c.fabric.levels;
  const int hops = spans_leaves ? 2 * levels - 1 : 1;
  env.inter.bw = c.nic_bw_per_gpu() * c.fabric.efficiency;
  env.inter.latency = kInterNodeEndpointLatency + hops * c.fabric.hop_latency_s;
  if (c.fabric.topology == TopologyKind::Cloud) env.inter.latency += kCloudHostLatencyS;
  if (c.nodes <= 1 || env.inter.bw <= 0) env.inter = env.intra;
  return env;
}

CollectiveCost collective_cost(const ClusterSpec& cluster, CollectiveKind kind, double bytes, const GroupShape& g,
                               CollectiveAlgorithm algorithm, FabricContention fabric) {
  const bool spans = g.nodes > cluster.nodes_per_leaf();
  CollectiveEnv env = collective_env(cluster, spans);
  if (fabric == FabricContention::Simulated || !spans) return collective_time(kind, bytes, g, env, algorithm);
  // The SimGrid engine simulates the uplinks; here their oversubscription is charged by where the
  // group's nodes sit. A tree, whatever the placement, sends most of its traffic across levels.
  if (algorithm == CollectiveAlgorithm::Tree) {
    env.inter.bw /= cluster.max_oversubscription();
    return collective_time(kind, bytes, g, env, algorithm);
  }
  if (kind == CollectiveKind::AllToAll) {
    env.inter.bw /= uplink_slowdown(cluster, kind, g);
    return collective_time(kind, bytes, g, env, algorithm);
  }
  // Rings and the hierarchical scheme (rings across nodes) slow by their placement, the tree by
  // the ratio; NCCL's tuner (Auto) takes the fastest of them for an all-reduce, rings otherwise.
  CollectiveEnv ring_env = env, tree_env = env;
  ring_env.inter.bw /= uplink_slowdown(cluster, kind, g);
  tree_env.inter.bw /= cluster.max_oversubscription();
  if (algorithm != CollectiveAlgorithm::Auto) return collective_time(kind, bytes, g, ring_env, algorithm);
  CollectiveCost best = collective_time(kind, bytes, g, ring_env, CollectiveAlgorithm::Ring);
  if (kind != CollectiveKind::AllReduce) return best;
  for (const auto& [a, e] :
       {std::pair{CollectiveAlgorithm::Hierarchical, ring_env}, std::pair{CollectiveAlgorithm::Tree, tree_env}}) {
    const CollectiveCost c = collective_time(kind, bytes, g, e, a);
    if (c.seconds < best.seconds) best = c;
  }
  return best;
}

int collective_sms(const ClusterSpec& cluster, const GroupShape& g) {
  if (cluster.nccl_sms >= 0) return cluster.nccl_sms;
  if (g.size <= 1) return 0;
  return nccl_sms(collective_bus_bw(g, collective_env(cluster, g.nodes > cluster.nodes_per_leaf())));
}

LinkLevel p2p_link(const ClusterSpec& cluster, bool same_node) {
  const auto env = collective_env(cluster, false);
  return same_node ? env.intra : env.inter;
}

}  // namespace trainsim
