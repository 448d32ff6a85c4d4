#include "sim/cost/collective_costs.hpp"

namespace trainsim {

namespace {
/// NCCL end-point overhead per inter-node step (proxy thread, NIC doorbell, completion): a few
/// microseconds on InfiniBand (NCCL tuning tables use ~2-8 us base latencies per algorithm).
constexpr double kInterNodeEndpointLatency = 3e-6;
}  // namespace

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
  // Rings and the hierarchical algorithm cross each leaf boundary once per ring, far below the
  // uplink count; all-to-all and trees spread traffic over all uplinks, so an oversubscribed
  // fabric slows them by its ratio (the SimGrid engine models this per link instead).
  if (fabric == FabricContention::ClosedForm && spans &&
      (kind == CollectiveKind::AllToAll || algorithm == CollectiveAlgorithm::Tree))
    env.inter.bw /= cluster.max_oversubscription();
  return collective_time(kind, bytes, g, env, algorithm);
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
