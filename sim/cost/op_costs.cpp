#include "sim/cost/op_costs.hpp"

#include <algorithm>
#include <optional>

#include "models/compute/host_model.hpp"

namespace trainsim {

namespace {
/// NCCL end-point overhead per inter-node step (proxy thread, NIC doorbell, completion): a few
/// microseconds on InfiniBand (NCCL tuning tables use ~2-8 us base latencies per algorithm).
constexpr double kInterNodeEndpointLatency = 3e-6;

/// Seconds a userbuffers-overlapped collective of t_c adds to its product of t_g (Transformer
/// Engine, methods of NeMo's ub_cfg files; S = the GPU's SMs, 0 = no SM budget known).
double ub_exposed(const UbOverlap& ub, double t_c, double t_g, int S) {
  if (S <= 0 || ub.sms <= 0 || ub.method == UbMethod::RingExchange) return std::max(0.0, t_c - t_g);
  const double n = std::min(ub.sms, S - 1);
  // The product beside the communication: confined to the S - n SMs left (set_sm_margin), or on
  // all S, losing n of them while both run (sim/cost/sm_contention.hpp: o * n / S).
  const double tg = ub.sm_margin ? t_g * S / (S - n) : t_g + std::min(t_c, t_g) * n / S;
  if (ub.method == UbMethod::Pipeline) {
    // Chunk k's reduce-scatter overlaps chunk k+1's product; the last chunk's waits at the end.
    const double s = std::max(1, ub.splits);
    return std::max(tg + t_c / s, tg / s + t_c) - t_g;
  }
  return std::max(tg, t_c) - t_g;  // bulk: the whole collective beside the whole product
}
}  // namespace

std::vector<double> exposed_inline_comm(const std::vector<Kernel>& ks, const std::vector<double>& t,
                                        const InlineOverlap& o) {
  std::vector<double> exposed(ks.size(), 0.0);
  std::vector<bool> paired(ks.size(), false);  // a product hides at most one collective
  auto next_product = [&](std::size_t i) -> std::optional<std::size_t> {
    for (std::size_t j = i + 1; j < ks.size(); ++j)
      if (ks[j].kind == KernelKind::Gemm) return paired[j] ? std::nullopt : std::optional<std::size_t>(j);
    return std::nullopt;
  };
  auto previous_product = [&](std::size_t i) -> std::optional<std::size_t> {
    for (std::size_t j = i; j-- > 0;)
      if (ks[j].kind == KernelKind::Gemm) return paired[j] ? std::nullopt : std::optional<std::size_t>(j);
    return std::nullopt;
  };
  for (std::size_t i = 0; i < ks.size(); ++i) {
    const Kernel& k = ks[i];
    if (k.kind != KernelKind::Collective) continue;
    exposed[i] = t[i];
    if (k.group == GroupRole::CP && o.cp > 1) {
      for (std::size_t j = i + 1; j < ks.size(); ++j)
        if (ks[j].kind == KernelKind::Attention) {
          const double steps = o.cp - 1.0;
          exposed[i] = steps * std::max(0.0, t[i] / steps - t[j] / o.cp);
          break;
        }
      continue;
    }
    const bool ub = o.tp_comm_overlap && k.group == GroupRole::TP && (k.ub.on || o.sm_count <= 0);
    if (k.async_before_product && !ub) {
      // Megatron/TE issue it on NCCL before the next product: hidden behind it, which runs that
      // much slower while the NCCL kernel holds its SMs (sim/cost/sm_contention.hpp).
      if (const auto j = next_product(i)) {
        paired[*j] = true;
        exposed[i] = std::max(0.0, t[i] - t[*j]) + std::min(t[i], t[*j]) * o.nccl_sm_share;
      }
      continue;
    }
    if (!ub) continue;
    std::optional<std::size_t> partner;
    if (k.collective == CollectiveKind::AllGather)
      partner = next_product(i);
    else if (k.collective == CollectiveKind::ReduceScatter)
      partner = previous_product(i);
    if (!partner) continue;
    paired[*partner] = true;
    exposed[i] = ub_exposed(k.ub, t[i], t[*partner], o.sm_count);
  }
  return exposed;
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
  if (c.fabric.topology == TopologyKind::Cloud) env.inter.latency += 10e-6;  // virtualised NIC + TCP/IP stack
  if (c.nodes <= 1 || env.inter.bw <= 0) env.inter = env.intra;
  return env;
}

OpCosts::OpCosts(const Plan& plan, const ClusterSpec& cluster, const ComputeModel& compute)
    : plan_(plan), cluster_(cluster), compute_(compute) {
  blocks_.reserve(plan.blocks.size());
  const InlineOverlap overlap = inline_overlap(plan.strategy);
  std::vector<double> t;
  for (const auto& b : plan.blocks) {
    BlockCost bc;
    t.clear();
    for (const auto& k : b.kernels) {
      t.push_back(kernel_time(k));
      if (k.kind != KernelKind::Collective) bc.compute += t.back();
    }
    const auto exposed = exposed_inline_comm(b.kernels, t, overlap);
    for (std::size_t i = 0; i < exposed.size(); ++i) {
      bc.comm += exposed[i];
      const Kernel& k = b.kernels[i];
      if (overlap.tp_comm_overlap && k.kind == KernelKind::Collective && k.group == GroupRole::TP && k.ub.on) {
        bc.tp_overlapped += t[i];
        bc.tp_overlap_cost += exposed[i];
      }
    }
    blocks_.push_back(bc);
  }
}

GroupShape OpCosts::shape(GroupRole role) const {
  const auto i = static_cast<std::size_t>(role);
  if (i < shapes_.size() && shape_known_[i]) return shapes_[i];
  GroupShape g;
  g.size = plan_.group_size(role);
  plan_.group_shape(role, g.ranks_per_node, g.nodes);
  if (i < shapes_.size()) {
    shapes_[i] = g;
    shape_known_[i] = true;
  }
  return g;
}

static double collective_cost(const ClusterSpec& cluster, CollectiveKind kind, double bytes, const GroupShape& g,
                              CollectiveAlgorithm algo) {
  const bool spans = g.nodes > cluster.nodes_per_leaf();
  CollectiveEnv env = collective_env(cluster, spans);
  // Rings and the hierarchical algorithm cross each leaf boundary once per ring, far below the
  // uplink count; all-to-all and trees spread traffic over all uplinks, so an oversubscribed
  // fabric slows them by its ratio (simgrid engine models this per link).
  if (spans && (kind == CollectiveKind::AllToAll || algo == CollectiveAlgorithm::Tree))
    env.inter.bw /= cluster.max_oversubscription();
  return collective_time(kind, bytes, g, env, algo).seconds;
}

double OpCosts::kernel_collective(const Kernel& k) const {
  const auto algo = k.group == GroupRole::TP ? plan_.strategy.tp_algorithm : CollectiveAlgorithm::Auto;
  return collective_cost(cluster_, k.collective, k.coll_bytes, shape(k.group), algo);
}

int OpCosts::ranks_sharing_host() const { return std::max(1, std::min(plan_.gpus_per_node, plan_.world())); }

double OpCosts::kernel_time(const Kernel& k) const {
  if (k.kind == KernelKind::Collective) return kernel_collective(k);
  if (host_side(k.kind)) return host_kernel_time(k, cluster_.host, ranks_sharing_host());
  return compute_.time(k);
}

double OpCosts::collective(const Op& op) const {
  const auto algo = op.group == GroupRole::DP ? plan_.strategy.dp_algorithm : CollectiveAlgorithm::Auto;
  return collective_cost(cluster_, op.collective, op.bytes, shape(op.group), algo) + runtime_overhead(op);
}

double OpCosts::runtime_overhead(const Op& op) const {
  const Strategy& s = plan_.strategy;
  if (op.kind != OpKind::Collective || s.zero < 3 || (op.group != GroupRole::DP && op.group != GroupRole::DPShard))
    return 0.0;
  if (op.phase == Phase::ParamSync) return zero_runtime_overhead(s.zero_runtime, true, op.bytes);
  if (op.phase == Phase::GradSync) return zero_runtime_overhead(s.zero_runtime, false, op.bytes);
  return 0.0;
}

InlineOverlap OpCosts::inline_overlap(const Strategy& s) const {
  InlineOverlap o;
  o.tp_comm_overlap = s.tp_comm_overlap;
  o.cp = s.cp;
  o.nccl_sm_share = tp_sm_share();
  o.sm_count = cluster_.gpu.sm_count;
  return o;
}

double OpCosts::tp_sm_share() const {
  if (shape(GroupRole::TP).size <= 1 || cluster_.gpu.sm_count <= 0) return 0.0;
  return std::min(1.0, static_cast<double>(group_sms(GroupRole::TP)) / cluster_.gpu.sm_count);
}

int OpCosts::group_sms(GroupRole role) const {
  if (cluster_.nccl_sms >= 0) return cluster_.nccl_sms;
  const GroupShape g = shape(role);
  if (g.size <= 1) return 0;
  return nccl_sms(collective_bus_bw(g, collective_env(cluster_, g.nodes > cluster_.nodes_per_leaf())));
}

int OpCosts::collective_sms(const Op& op) const { return group_sms(op.group); }

double OpCosts::p2p(int stage, int peer_stage, double bytes) const {
  RankCoord a, b;
  a.pp = stage;
  b.pp = peer_stage;
  const bool same_node = plan_.node_of(plan_.rank_of(a)) == plan_.node_of(plan_.rank_of(b));
  const auto env = collective_env(cluster_, false);
  return p2p_time(bytes, same_node ? env.intra : env.inter);
}

}  // namespace trainsim
