#include "sim/simgrid/comm_mapping.hpp"

#include <algorithm>

#include "sim/cost/op_costs.hpp"

namespace trainsim {

namespace {
double pad(double wire, double message, double half_bw_bytes) {
  return half_bw_bytes > 0 && message > 0 ? wire * (message + half_bw_bytes) / message : wire;
}
}  // namespace

CommMapping map_collective(CollectiveKind kind, double S, const GroupShape& g, const ClusterSpec& cluster,
                           CollectiveAlgorithm forced) {
  CommMapping m;
  if (g.size <= 1 || S <= 0) return m;
  // Same environment as OpCosts::collective (sim/cost/op_costs.cpp) minus its oversubscription
  // penalty, which this engine replaces by the fabric's real links.
  const CollectiveEnv env = collective_env(cluster, g.nodes > cluster.nodes_per_leaf());
  const auto cost = collective_time(kind, S, g, env, forced);
  m.algorithm = cost.algorithm;
  m.analytic_s = cost.seconds;
  if (g.nodes <= 1 || env.inter.bw <= 0) return m;
  // Bytes a rank's NIC carries, from the bandwidth terms of models/collective/collective_model.cpp.
  const double p = g.size, k = g.ranks_per_node, n = g.nodes;
  const double f = kind == CollectiveKind::AllReduce ? 2.0 : 1.0;
  double w = 0;
  if (kind == CollectiveKind::AllToAll)
    w = (p - k) / p * S;
  else if (kind == CollectiveKind::Broadcast)
    w = S / k;
  else if (m.algorithm == CollectiveAlgorithm::Tree && kind == CollectiveKind::AllReduce)
    w = f * S / k;
  else if (m.algorithm == CollectiveAlgorithm::Hierarchical)
    w = f * (n - 1) / n * S / k;
  else  // ring, halving-doubling, tree for non-all-reduce kinds (a ring)
    w = f * (p - 1) / p * S / k;
  m.inter_node = w > 0;
  m.wire_bytes = w;
  m.flow_bytes = pad(w, S, env.inter.half_bw_bytes);
  m.flow_time = m.flow_bytes / env.inter.bw;
  return m;
}

CommMapping map_p2p(double bytes, bool same_node, const ClusterSpec& cluster) {
  CommMapping m;
  const CollectiveEnv env = collective_env(cluster, false);  // as OpCosts::p2p
  m.analytic_s = p2p_time(bytes, same_node ? env.intra : env.inter);
  if (same_node || bytes <= 0 || cluster.nodes <= 1) return m;
  m.inter_node = true;
  m.wire_bytes = bytes;
  m.flow_bytes = pad(bytes, bytes, env.inter.half_bw_bytes);
  m.flow_time = m.flow_bytes / env.inter.bw;
  return m;
}

}  // namespace trainsim
