// Fabric: construction (dispatch to the builders), accessors and the GPU-level route.
#include "topologies/fabric_graph.hpp"

#include <algorithm>
#include <limits>

#include "topologies/fabric_model.hpp"

namespace trainsim {

const char* to_string(VertexKind k) {
  switch (k) {
    case VertexKind::Gpu: return "gpu";
    case VertexKind::NvSwitch: return "nvswitch";
    case VertexKind::PcieSwitch: return "pcie-switch";
    case VertexKind::Nic: return "nic";
    case VertexKind::Leaf: return "leaf";
    case VertexKind::Spine: return "spine";
    case VertexKind::Core: return "core";
    case VertexKind::Router: return "router";
    case VertexKind::TorusSwitch: return "torus-switch";
  }
  return "?";
}

const char* to_string(LinkClass c) {
  switch (c) {
    case LinkClass::NVLink: return "nvlink";
    case LinkClass::PCIe: return "pcie";
    case LinkClass::Nic: return "nic";
    case LinkClass::LeafSpine: return "leaf-spine";
    case LinkClass::SpineCore: return "spine-core";
    case LinkClass::DragonflyLocal: return "dragonfly-local";
    case LinkClass::DragonflyGlobal: return "dragonfly-global";
    case LinkClass::Torus: return "torus";
    case LinkClass::CloudTorSpine: return "cloud-tor-spine";
  }
  return "?";
}

const char* to_string(RoutingPolicy p) {
  switch (p) {
    case RoutingPolicy::Default: return "default";
    case RoutingPolicy::Ecmp: return "ecmp";
    case RoutingPolicy::Minimal: return "minimal";
    case RoutingPolicy::Valiant: return "valiant";
    case RoutingPolicy::DimensionOrder: return "dimension-order";
  }
  return "?";
}

VertexId FabricModel::add_vertex(VertexKind kind, int node, int index, int group) {
  return static_cast<VertexId>(boost::add_vertex(VertexInfo{kind, node, index, group}, g));
}

EdgeId FabricModel::add_link(VertexId a, VertexId b, double bw, double lat, LinkClass cls) {
  const auto id = static_cast<EdgeId>(links.size());
  links.push_back(LinkInfo{bw, lat, cls, a, b});
  edesc.push_back(boost::add_edge(a, b, EdgeProps{id}, g).first);
  return id;
}

Fabric::Fabric(const ClusterSpec& spec) : m_(std::make_unique<FabricModel>()) {
  FabricModel& m = *m_;
  m.spec = spec;
  m.topology = spec.fabric.topology;
  if (spec.nodes < 1 || spec.gpus_per_node < 1)
    throw InputError("cluster", "at least 1 node and 1 GPU per node",
                     std::to_string(spec.nodes) + " x " + std::to_string(spec.gpus_per_node));
  // Rough sizes so the vectors grow once: per GPU ~3 links, switches are a small fraction.
  m.links.reserve(static_cast<std::size_t>(spec.gpus()) * 5 + 64);
  m.edesc.reserve(m.links.capacity());
  for (int r = 0; r < spec.gpus(); ++r) m.add_vertex(VertexKind::Gpu, r / spec.gpus_per_node, r);
  build_node_interiors(m);
  build_nics(m);
  if (spec.nodes > 1 && spec.nics_per_node > 0) {
    switch (m.topology) {
      case TopologyKind::FatTree:
      case TopologyKind::RailOptimized:
      case TopologyKind::Cloud:
      case TopologyKind::SingleSwitch: build_tree(m); break;
      case TopologyKind::Dragonfly: build_dragonfly(m); break;
      case TopologyKind::Torus: build_torus(m); break;
    }
    // Degraded NIC links (ClusterSpec::degraded_nics) run at their fraction of the NIC rate.
    for (const auto& d : spec.degraded_nics) {
      const std::size_t e = static_cast<std::size_t>(d.node) * spec.nics_per_node + d.nic;
      if (e < m.nic_fabric.size()) m.links[m.nic_fabric[e]].bandwidth *= d.bandwidth_fraction;
    }
  }
}

Fabric::~Fabric() = default;
Fabric::Fabric(Fabric&&) noexcept = default;
Fabric& Fabric::operator=(Fabric&&) noexcept = default;

const ClusterSpec& Fabric::spec() const { return m_->spec; }
int Fabric::gpus() const { return m_->spec.gpus(); }
int Fabric::nodes() const { return m_->spec.nodes; }
std::size_t Fabric::vertex_count() const { return boost::num_vertices(m_->g); }
std::size_t Fabric::link_count() const { return m_->links.size(); }
const VertexInfo& Fabric::vertex(VertexId v) const { return m_->g[v]; }
const LinkInfo& Fabric::link(EdgeId e) const { return m_->links.at(e); }
int Fabric::tree_levels() const { return m_->tree ? m_->tree->levels : 0; }

std::size_t Fabric::count(VertexKind k) const {
  std::size_t n = 0;
  for (auto v : boost::make_iterator_range(boost::vertices(m_->g))) n += m_->g[v].kind == k;
  return n;
}

std::size_t Fabric::count(LinkClass c) const {
  return static_cast<std::size_t>(
      std::count_if(m_->links.begin(), m_->links.end(), [c](const LinkInfo& l) { return l.cls == c; }));
}

std::string Fabric::vertex_name(VertexId v) const {
  const VertexInfo& x = m_->g[v];
  const char* p = "";
  switch (x.kind) {
    case VertexKind::Gpu: p = "gpu"; break;
    case VertexKind::NvSwitch: p = "nvsw"; break;
    case VertexKind::PcieSwitch: p = "pciesw"; break;
    case VertexKind::Nic: p = "nic"; break;
    case VertexKind::Leaf: p = "leaf"; break;
    case VertexKind::Spine: p = "spine"; break;
    case VertexKind::Core: p = "core"; break;
    case VertexKind::Router: p = "router"; break;
    case VertexKind::TorusSwitch: p = "torus"; break;
  }
  return p + std::to_string(x.index);
}

std::vector<EdgeId> Fabric::route(int src, int dst, std::uint64_t flow, RoutingPolicy policy) const {
  std::vector<EdgeId> out;
  route(src, dst, flow, policy, out);
  return out;
}

void Fabric::route(int src, int dst, std::uint64_t flow, RoutingPolicy policy, std::vector<EdgeId>& out) const {
  const FabricModel& m = *m_;
  const int n = m.spec.gpus(), gpn = m.spec.gpus_per_node;
  out.clear();
  if (src < 0 || dst < 0 || src >= n || dst >= n)
    throw InternalError("Fabric::route: GPU " + std::to_string(src < 0 || src >= n ? src : dst) + " outside [0, " +
                        std::to_string(n) + ")");
  if (src == dst) return;
  const int ns = src / gpn, nd = dst / gpn;
  if (ns == nd) {  // intra-node: never leaves the node
    if (m.spec.intra.kind == IntraNodeKind::NVLinkMesh) {
      out.push_back(m.mesh[(static_cast<std::size_t>(ns) * gpn + src % gpn) * gpn + dst % gpn]);
    } else {
      out.push_back(m.gpu_up[src]);
      out.push_back(m.gpu_up[dst]);
    }
    return;
  }
  const std::uint64_t h = mix64(mix64(mix64(static_cast<std::uint64_t>(src)) ^ static_cast<std::uint64_t>(dst)) ^ flow);
  const int npg = m.nics_per_gpu, nics = m.spec.nics_per_node;
  const int ks = npg > 1 ? static_cast<int>(mix64(h ^ 0xa5) % npg) : 0;
  const int kd = npg > 1 ? static_cast<int>(mix64(h ^ 0x5a) % npg) : 0;
  const int snic = ns * nics + m.local_nic_of_gpu[(src % gpn) * npg + ks];
  const int dnic = nd * nics + m.local_nic_of_gpu[(dst % gpn) * npg + kd];
  const bool pcie = m.spec.intra.kind == IntraNodeKind::PCIe;
  if (pcie) {
    out.push_back(m.gpu_up[src]);
    out.push_back(m.nic_host[snic]);
  } else {
    out.push_back(m.gpu_nic[static_cast<std::size_t>(src) * npg + ks]);
  }
  if (m.tree)
    route_tree(m, snic, dnic, h, out);
  else if (m.dfly)
    route_dragonfly(m, snic, dnic, h, policy == RoutingPolicy::Valiant, out);
  else if (m.torus)
    route_torus(m, snic, dnic, out);
  if (pcie) {
    out.push_back(m.nic_host[dnic]);
    out.push_back(m.gpu_up[dst]);
  } else {
    out.push_back(m.gpu_nic[static_cast<std::size_t>(dst) * npg + kd]);
  }
}

std::vector<VertexId> Fabric::path_vertices(VertexId src, std::span<const EdgeId> path) const {
  std::vector<VertexId> vs{src};
  VertexId v = src;
  for (EdgeId e : path) {
    const LinkInfo& l = m_->links.at(e);
    if (l.a == v)
      v = l.b;
    else if (l.b == v)
      v = l.a;
    else
      throw InternalError("Fabric::path_vertices: link " + std::to_string(e) + " does not touch " + vertex_name(v));
    vs.push_back(v);
  }
  return vs;
}

double Fabric::path_latency(std::span<const EdgeId> path) const {
  double s = 0;
  for (EdgeId e : path) s += m_->links[e].latency_s;
  return s;
}

double Fabric::bottleneck_bandwidth(std::span<const EdgeId> path) const {
  double b = std::numeric_limits<double>::infinity();
  for (EdgeId e : path) b = std::min(b, m_->links[e].bandwidth);
  return b;
}

int Fabric::switches_on_path(VertexId src, std::span<const EdgeId> path) const {
  auto vs = path_vertices(src, path);
  int n = 0;
  for (std::size_t i = 1; i + 1 < vs.size(); ++i) {
    auto k = m_->g[vs[i]].kind;
    n += k != VertexKind::Gpu && k != VertexKind::Nic;
  }
  return n;
}

double Fabric::injection_bandwidth_per_gpu() const {
  const FabricModel& m = *m_;
  if (m.nic_v.empty()) return 0;
  // GPU 0's path to its NIC: one PCIe link (GPUDirect) or GPU->PCIe switch->NIC.
  double path_bw = m.spec.intra.kind == IntraNodeKind::PCIe
                       ? std::min(m.links[m.gpu_up[0]].bandwidth, m.links[m.nic_host[0]].bandwidth)
                       : m.links[m.gpu_nic[0]].bandwidth;
  return std::min(m.spec.nic_bw_per_gpu(), path_bw * m.nics_per_gpu);
}

}  // namespace trainsim
