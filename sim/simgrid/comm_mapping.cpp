#include "sim/simgrid/comm_mapping.hpp"

#include <algorithm>

namespace trainsim {

namespace {
double pad(double wire, double message, double half_bw_bytes) {
  return half_bw_bytes > 0 && message > 0 ? wire * (message + half_bw_bytes) / message : wire;
}
}  // namespace

CommMapping map_collective(const Op& op, const OpCosts& costs) {
  CommMapping m;
  const GroupShape g = costs.shape(op.group);
  if (g.size <= 1 || op.bytes <= 0) return m;
  const ClusterSpec& cluster = costs.cluster();
  const CollectiveCost cost = costs.collective_cost(op, FabricContention::Simulated);
  m.algorithm = cost.algorithm;
  m.analytic_s = cost.seconds;
  const CollectiveEnv env = collective_env(cluster, g.nodes > cluster.nodes_per_leaf());
  if (g.nodes <= 1 || env.inter.bw <= 0) return m;
  m.wire_bytes = cost.traffic.nic_bytes;
  m.inter_node = m.wire_bytes > 0;
  m.flow_bytes = pad(m.wire_bytes, op.bytes, env.inter.half_bw_bytes);
  m.flow_time = m.flow_bytes / env.inter.bw;
  return m;
}

CommMapping map_p2p(double bytes, bool same_node, const ClusterSpec& cluster) {
  CommMapping m;
  const LinkLevel link = p2p_link(cluster, same_node);  // as OpCosts::p2p
  m.analytic_s = p2p_time(bytes, link);
  if (same_node || bytes <= 0 || cluster.nodes <= 1) return m;
  m.inter_node = true;
  m.wire_bytes = bytes;
  m.flow_bytes = pad(bytes, bytes, link.half_bw_bytes);
  m.flow_time = m.flow_bytes / link.bw;
  return m;
}

}  // namespace trainsim
