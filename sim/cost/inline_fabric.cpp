#include "sim/cost/inline_fabric.hpp"

#include <algorithm>

#include "sim/plan/plan_units.hpp"

namespace trainsim {

namespace {
constexpr GroupRole kInlineRoles[] = {GroupRole::TP, GroupRole::CP, GroupRole::EP, GroupRole::EDP};

bool crosses_nodes(const OpCosts& costs, GroupRole role) {
  const GroupShape g = costs.shape(role);
  return g.size > 1 && g.nodes > 1 && costs.cluster().nodes > 1;
}

InlineFabric of_kernels(const OpCosts& costs, const std::vector<Kernel>& ks) {
  InlineFabric f;
  std::vector<double> t;
  t.reserve(ks.size());
  for (const auto& k : ks) t.push_back(costs.kernel_time(k));
  const std::vector<double> exposed = exposed_inline_comm(ks, t, costs.context().overlap);
  for (std::size_t i = 0; i < ks.size(); ++i) {
    const Kernel& k = ks[i];
    if (k.kind != KernelKind::Collective || k.coll_bytes <= 0 || !crosses_nodes(costs, k.group)) continue;
    const CollectiveCost sim = costs.collective_cost(k.collective, k.coll_bytes, k.group, FabricContention::Simulated);
    if (sim.traffic.nic_bytes <= 0) continue;
    const ClusterSpec& cluster = costs.cluster_for(k.group);
    const GroupShape g = costs.shape(k.group);
    const LinkLevel inter = collective_env(cluster, g.nodes > cluster.nodes_per_leaf()).inter;
    if (inter.bw <= 0) continue;
    // The closed form's bandwidth term evaluates the n_1/2 curve on the collective's buffer
    // (models/collective/collective_model.cpp); padding the bytes by the same factor makes an
    // uncontended flow take exactly that time (as sim/simgrid/comm_mapping.cpp does for ops).
    const double padded = inter.half_bw_bytes > 0
                              ? sim.traffic.nic_bytes * (k.coll_bytes + inter.half_bw_bytes) / k.coll_bytes
                              : sim.traffic.nic_bytes;
    auto it =
        std::find_if(f.roles.begin(), f.roles.end(), [&](const InlineFabricRole& r) { return r.role == k.group; });
    if (it == f.roles.end()) {
      f.roles.push_back({k.group, k.collective == CollectiveKind::AllToAll});
      it = f.roles.end() - 1;
    }
    it->nic_bytes += sim.traffic.nic_bytes;
    it->flow_bytes += padded;
    it->flow_s += padded / inter.bw;
    f.closed_exposed_s += exposed[i];
    f.simulated_s += sim.seconds;
    f.hidden_s += std::max(0.0, t[i] - exposed[i]);
  }
  return f;
}
}  // namespace

double InlineFabric::flow_s() const {
  double s = 0;
  for (const auto& r : roles) s += r.flow_s;
  return s;
}

InlineFabric& InlineFabric::operator+=(const InlineFabric& o) {
  for (const auto& r : o.roles) {
    auto it = std::find_if(roles.begin(), roles.end(), [&](const InlineFabricRole& x) { return x.role == r.role; });
    if (it == roles.end()) {
      roles.push_back(r);
      continue;
    }
    it->nic_bytes += r.nic_bytes;
    it->flow_bytes += r.flow_bytes;
    it->flow_s += r.flow_s;
  }
  closed_exposed_s += o.closed_exposed_s;
  simulated_s += o.simulated_s;
  hidden_s += o.hidden_s;
  return *this;
}

bool has_inline_fabric_traffic(const OpCosts& costs) {
  return std::any_of(std::begin(kInlineRoles), std::end(kInlineRoles),
                     [&](GroupRole r) { return crosses_nodes(costs, r); });
}

InlineFabric inline_fabric(const OpCosts& costs, const BlockSegment& segment) {
  const SegmentContext& c = costs.context();
  return of_kernels(costs, segment_kernels(costs.model(), c.shard, c.recompute, segment));
}

InlineFabric inline_fabric(const OpCosts& costs, const Block& block) {
  if (block.segments.empty()) return of_kernels(costs, block.kernels);
  InlineFabric f;
  for (const auto& g : block.segments) f += inline_fabric(costs, g);
  return f;
}

}  // namespace trainsim
