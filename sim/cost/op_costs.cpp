#include "sim/cost/op_costs.hpp"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <unordered_map>

#include "models/collective/zero_runtime.hpp"
#include "models/compute/host_model.hpp"
#include "models/util/errors.hpp"
#include "sim/cost/stragglers.hpp"
#include "sim/plan/plan_units.hpp"
#include "sim/plan/planner.hpp"

namespace trainsim {

BlockCost& BlockCost::operator+=(const BlockCost& o) {
  compute += o.compute;
  comm += o.comm;
  tp_overlapped += o.tp_overlapped;
  tp_overlap_cost += o.tp_overlap_cost;
  compute_bound += o.compute_bound;
  flops += o.flops;
  return *this;
}

namespace {

/// A segment as the cache sees it: its part, pass and layer kind in its strategy's context.
struct SegmentKey {
  SegmentContext context;
  std::array<int, 3> segment{};
  bool operator==(const SegmentKey&) const = default;
};

void mix(std::size_t& h, std::size_t v) { h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2); }

/// Hashes the fields that vary within a search; equality (defaulted) compares them all.
struct SegmentKeyHash {
  std::size_t operator()(const SegmentKey& k) const {
    const auto& c = k.context;
    const auto& s = c.shard;
    std::size_t h = 0;
    for (int v : k.segment) mix(h, static_cast<std::size_t>(v));
    for (long long v :
         {static_cast<long long>(s.micro_batch), static_cast<long long>(s.tp), static_cast<long long>(s.cp),
          static_cast<long long>(s.ep), static_cast<long long>(s.sequence_parallel),
          static_cast<long long>(s.precision), static_cast<long long>(s.attention), static_cast<long long>(c.recompute),
          static_cast<long long>(c.tp_algorithm), static_cast<long long>(c.overlap.tp_comm_overlap)})
      mix(h, static_cast<std::size_t>(v));
    for (const auto& g : c.groups) mix(h, static_cast<std::size_t>(g.size * 4099 + g.nodes));
    return h;
  }
};

/// GroupRoles whose shape a layer's inline collectives depend on (SegmentContext::groups).
constexpr std::array<GroupRole, 4> kInlineGroups = {GroupRole::TP, GroupRole::CP, GroupRole::EP, GroupRole::EDP};

}  // namespace

struct SegmentCostCache::Impl {
  std::unordered_map<SegmentKey, BlockCost, SegmentKeyHash> costs;
};
SegmentCostCache::SegmentCostCache() : impl_(std::make_unique<Impl>()) {}
SegmentCostCache::~SegmentCostCache() = default;

OpCosts::OpCosts(const RankLayout& layout, const TransformerConfig& model, const ClusterSpec& cluster,
                 const ComputeModel& compute, const SegmentCostCache* shared)
    : layout_(layout), model_(model), cluster_(cluster), compute_(compute), shared_(shared) {
  const Strategy& s = layout.strategy;
  context_.shard = layer_shard(s);
  context_.recompute = s.recompute;
  context_.tp_algorithm = s.tp_algorithm;
  context_.overlap = inline_overlap();
  for (std::size_t i = 0; i < kInlineGroups.size(); ++i) context_.groups[i] = shape(kInlineGroups[i]);
}

OpCosts::OpCosts(const Plan& plan, const ClusterSpec& cluster, const ComputeModel& compute)
    : OpCosts(plan, plan.model, cluster, compute) {
  blocks_.reserve(plan.blocks.size());
  for (const auto& b : plan.blocks) blocks_.push_back(cost(b));
}

BlockCost OpCosts::cost(const std::vector<Kernel>& kernels) const {
  BlockCost bc;
  std::vector<double> t;
  t.reserve(kernels.size());
  for (const auto& k : kernels) {
    t.push_back(kernel_time(k));
    if (k.kind == KernelKind::Collective) continue;
    bc.compute += t.back();
    bc.flops += k.flops;
    if (k.kind == KernelKind::Gemm || k.kind == KernelKind::Attention) bc.compute_bound += t.back();
  }
  const InlineOverlap& overlap = context_.overlap;
  const auto exposed = exposed_inline_comm(kernels, t, overlap);
  for (std::size_t i = 0; i < exposed.size(); ++i) {
    bc.comm += exposed[i];
    const Kernel& k = kernels[i];
    if (overlap.tp_comm_overlap && k.kind == KernelKind::Collective && k.group == GroupRole::TP && k.ub.on) {
      bc.tp_overlapped += t[i];
      bc.tp_overlap_cost += exposed[i];
    }
  }
  return bc;
}

BlockCost OpCosts::segment(const BlockSegment& g) const {
  const int kind = g.part == ModelPart::Layer ? model_.layer_kind(g.layer) : 0;
  const int slot =
      (static_cast<int>(g.part) * 3 + static_cast<int>(g.pass) - static_cast<int>(Phase::Forward)) * kLayerKinds + kind;
  if (kind < 0 || kind >= kLayerKinds || slot < 0 || slot >= kSegmentSlots)
    throw InternalError("cost: a segment outside the cost cache's slots");
  if (segment_known_[slot]) return segments_[slot];
  auto compute = [&] { return cost(segment_kernels(model_, context_.shard, context_.recompute, g)); };
  BlockCost c;
  // Shared costs are keyed by group shapes; a degraded NIC makes them depend on the layout too.
  if (shared_ && cluster_.degraded_nics.empty()) {
    auto& costs = shared_->impl().costs;
    const SegmentKey sk{context_, {static_cast<int>(g.part), static_cast<int>(g.pass), kind}};
    auto it = costs.find(sk);
    if (it == costs.end()) it = costs.emplace(sk, compute()).first;
    c = it->second;
  } else {
    c = compute();
  }
  segments_[slot] = c;
  segment_known_[slot] = true;
  return c;
}

BlockCost OpCosts::cost(const BlockSegment* first, const BlockSegment* last) const {
  BlockCost c;
  for (const BlockSegment* g = first; g != last; ++g) c += segment(*g);
  return c;
}

BlockCost OpCosts::cost(const Block& b) const {
  if (b.segments.empty()) return cost(b.kernels);
  return cost(b.segments.data(), b.segments.data() + b.segments.size());
}

GroupShape OpCosts::shape(GroupRole role) const {
  const auto i = static_cast<std::size_t>(role);
  if (i < shapes_.size() && shape_known_[i]) return shapes_[i];
  GroupShape g;
  g.size = layout_.group_size(role);
  layout_.group_shape(role, g.ranks_per_node, g.nodes);
  const long long d = layout_.group_stride(role), gpn = std::max(1, layout_.gpus_per_node);
  g.node_stride = d >= gpn ? static_cast<int>(std::min<long long>(d / gpn, 1 << 30)) : 1;
  if (i < shapes_.size()) {
    shapes_[i] = g;
    shape_known_[i] = true;
  }
  return g;
}

double OpCosts::kernel_collective(const Kernel& k) const {
  const auto algo = k.group == GroupRole::TP ? layout_.strategy.tp_algorithm : CollectiveAlgorithm::Auto;
  return trainsim::collective_cost(cluster_for(k.group), k.collective, k.coll_bytes, shape(k.group), algo).seconds;
}

int OpCosts::ranks_sharing_host() const { return std::max(1, std::min(cluster_.gpus_per_tray(), layout_.world())); }

double OpCosts::kernel_time(const Kernel& k) const {
  if (k.kind == KernelKind::Collective) return kernel_collective(k);
  if (host_side(k.kind)) return host_kernel_time(k, cluster_.host, ranks_sharing_host());
  return compute_.time(k);
}

CollectiveCost OpCosts::collective_cost(CollectiveKind kind, double bytes, GroupRole role,
                                        FabricContention fabric) const {
  const Strategy& s = layout_.strategy;
  const auto algo = role == GroupRole::DP   ? s.dp_algorithm
                    : role == GroupRole::TP ? s.tp_algorithm
                                            : CollectiveAlgorithm::Auto;
  return trainsim::collective_cost(cluster_for(role), kind, bytes, shape(role), algo, fabric);
}

const ClusterSpec& OpCosts::cluster_for(GroupRole role) const {
  const auto i = static_cast<std::size_t>(role);
  if (cluster_.degraded_nics.empty() || i >= degraded_.size()) return cluster_;
  if (!degraded_known_[i]) {
    degraded_known_[i] = true;
    const int gpn = std::max(1, cluster_.gpus_per_node), nics = std::max(1, cluster_.nics_per_node);
    double fraction = 1.0;
    for (const auto& d : cluster_.degraded_nics) {
      // The GPUs whose traffic leaves through this NIC (topologies/builders/node_builder.cpp:
      // GPU g uses NIC g * nics / gpn, or owns NICs [g * nics / gpn, (g + 1) * nics / gpn)).
      const int first = nics >= gpn ? d.nic * gpn / nics : (d.nic * gpn + nics - 1) / nics;
      const int last = nics >= gpn ? first + 1 : ((d.nic + 1) * gpn + nics - 1) / nics;
      for (int g = first; g < last && g < gpn; ++g) {
        const int rank = rank_on_gpu(cluster_, layout_.world(), d.node * gpn + g);
        if (rank < 0) continue;
        const auto members = layout_.group_members(rank, role);
        const bool crosses = std::any_of(members.begin(), members.end(),
                                         [&](int m) { return layout_.node_of(m) != layout_.node_of(rank); });
        if (crosses) fraction = std::min(fraction, d.bandwidth_fraction);
      }
    }
    if (fraction < 1.0) {
      auto c = std::make_shared<ClusterSpec>(cluster_);
      c->nic_bw *= fraction;
      degraded_[i] = std::move(c);
    }
  }
  return degraded_[i] ? *degraded_[i] : cluster_;
}

CollectiveCost OpCosts::collective_cost(const Op& op, FabricContention fabric) const {
  return collective_cost(op.collective, op.bytes, op.group, fabric);
}

double OpCosts::collective(CollectiveKind kind, double bytes, GroupRole role, Phase phase) const {
  return collective_cost(kind, bytes, role).seconds + runtime_overhead(role, phase, bytes);
}

double OpCosts::collective(const Op& op) const { return collective(op.collective, op.bytes, op.group, op.phase); }

double OpCosts::runtime_overhead(GroupRole role, Phase phase, double bytes) const {
  const Strategy& s = layout_.strategy;
  if (s.zero < 3 || (role != GroupRole::DP && role != GroupRole::DPShard)) return 0.0;
  if (phase == Phase::ParamSync) return zero_runtime_overhead(s.zero_runtime, true, bytes);
  if (phase == Phase::GradSync) return zero_runtime_overhead(s.zero_runtime, false, bytes);
  return 0.0;
}

double OpCosts::runtime_overhead(const Op& op) const {
  if (op.kind != OpKind::Collective) return 0.0;
  return runtime_overhead(op.group, op.phase, op.bytes);
}

InlineOverlap OpCosts::inline_overlap() const {
  const Strategy& s = layout_.strategy;
  InlineOverlap o;
  o.tp_comm_overlap = s.tp_comm_overlap;
  o.cp = s.cp;
  o.cp_all_gather = s.cp_all_gather;
  o.nccl_sm_share = tp_sm_share();
  o.sm_count = cluster_.gpu.sm_count;
  return o;
}

double OpCosts::tp_sm_share() const {
  if (shape(GroupRole::TP).size <= 1 || cluster_.gpu.sm_count <= 0) return 0.0;
  return std::min(1.0, static_cast<double>(group_sms(GroupRole::TP)) / cluster_.gpu.sm_count);
}

int OpCosts::group_sms(GroupRole role) const { return trainsim::collective_sms(cluster_, shape(role)); }

int OpCosts::collective_sms(const Op& op) const { return group_sms(op.group); }

double OpCosts::p2p(int stage, int peer_stage, double bytes) const {
  RankCoord a, b;
  a.pp = stage;
  b.pp = peer_stage;
  const int ra = layout_.rank_of(a), rb = layout_.rank_of(b);
  const bool same_node = layout_.node_of(ra) == layout_.node_of(rb);
  LinkLevel link = p2p_link(cluster_for(GroupRole::PP), same_node);
  if (!same_node) {
    // Every replica's stage hands over at the same time: the transfers of a leaf's (pod's) nodes
    // share its uplinks as a ring's channels do (uplink_slowdown, a 2-node group).
    GroupShape pair{2, 1, 2, std::max(1, std::abs(layout_.node_of(rb) - layout_.node_of(ra)))};
    link.bw /= uplink_slowdown(cluster_, CollectiveKind::AllGather, pair);
  }
  return p2p_time(bytes, link);
}

}  // namespace trainsim
