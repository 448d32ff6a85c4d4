#include "sim/simgrid/link_folding.hpp"

#include <algorithm>

namespace trainsim {

namespace {
bool per_gpu(LinkClass c) { return c == LinkClass::NVLink || c == LinkClass::PCIe || c == LinkClass::Nic; }
bool tree_class(LinkClass c) {
  return c == LinkClass::LeafSpine || c == LinkClass::SpineCore || c == LinkClass::CloudTorSpine;
}
int rank_of_kind(VertexKind k) {
  return k == VertexKind::Leaf ? 1 : k == VertexKind::Spine ? 2 : k == VertexKind::Core ? 3 : 0;
}
}  // namespace

LinkFolding::LinkFolding(const Fabric& f, int fold, bool fluid_ecmp) : f_(f), fold_(std::max(1, fold)) {
  const auto topo = f.spec().fabric.topology;
  ecmp_tree_ = fluid_ecmp &&
               (topo == TopologyKind::FatTree || topo == TopologyKind::RailOptimized || topo == TopologyKind::Cloud);
  efficiency_ = f.spec().fabric.efficiency > 0 ? f.spec().fabric.efficiency : 1.0;
  if (!ecmp_tree_) return;
  for (EdgeId e = 0; e < f.link_count(); ++e) {
    const auto& l = f.link(e);
    if (!tree_class(l.cls)) continue;
    bool b = false;
    bundle_capacity_[key(e, l.a, b)] += l.bandwidth;
    bundle_capacity_[key(e, l.b, b)] += l.bandwidth;
  }
}

std::uint64_t LinkFolding::key(EdgeId e, VertexId from, bool& bundled) const {
  const auto& l = f_.link(e);
  const VertexId to = from == l.a ? l.b : l.a;
  bundled = ecmp_tree_ && tree_class(l.cls);
  if (!bundled) return 2ull * e + (from == l.a ? 0 : 1);
  // Up: bundle of the lower switch's up-links (a spine's are pooled per pod); down: into the lower one.
  const bool up = rank_of_kind(f_.vertex(to).kind) > rank_of_kind(f_.vertex(from).kind);
  const VertexId low = up ? from : to;
  const auto& lv = f_.vertex(low);
  const std::uint64_t who = lv.kind == VertexKind::Spine ? (1ull << 31) + static_cast<std::uint64_t>(lv.group) : low;
  return (1ull << 62) | (static_cast<std::uint64_t>(l.cls) << 40) | ((up ? 1ull : 0ull) << 39) | who;
}

int LinkFolding::link_of(EdgeId e, VertexId from) {
  bool bundled = false;
  const std::uint64_t k = key(e, from, bundled);
  auto it = index_.find(k);
  if (it != index_.end()) return it->second;
  const auto& l = f_.link(e);
  const VertexId to = from == l.a ? l.b : l.a;
  PlatformLink p;
  p.cls = l.cls;
  p.latency = l.latency_s;
  const auto& spec = f_.spec();
  if (bundled) {
    const bool up = rank_of_kind(f_.vertex(to).kind) > rank_of_kind(f_.vertex(from).kind);
    const VertexId low = up ? from : to;
    const auto& lv = f_.vertex(low);
    const std::string who = lv.kind == VertexKind::Spine ? "pod" + std::to_string(lv.group) : f_.vertex_name(low);
    p.name = who + (up ? " up-bundle" : " down-bundle") + "/" + to_string(l.cls);
    p.divisor = fold_;
    p.capacity = bundle_capacity_.at(k) * efficiency_ / fold_;
  } else {
    p.name = f_.vertex_name(from) + "->" + f_.vertex_name(to);
    const int gpus_per_nic = std::max(1, spec.gpus_per_node / std::max(1, spec.nics_per_node));
    p.divisor = per_gpu(l.cls) ? std::min(fold_, gpus_per_nic) : fold_;
    p.capacity = l.bandwidth * efficiency_ / p.divisor;
  }
  const int idx = static_cast<int>(links_.size());
  links_.push_back(std::move(p));
  index_.emplace(k, idx);
  return idx;
}

}  // namespace trainsim
