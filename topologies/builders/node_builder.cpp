// Node interiors and NICs: the part of the graph that is the same for every topology.
#include <algorithm>

#include "topologies/fabric_model.hpp"

namespace trainsim {

namespace {
// One-way GPU -> NIC latency through PCIe and the NIC's pipeline. perftest `ib_write_lat` between
// two ConnectX-6/7 hosts reports ~1 us end to end over one switch; half of the non-switch part
// is charged to each end.
constexpr double kGpuNicLatency = 0.5e-6;

double pcie_rate(const ClusterSpec& c) { return c.gpu.pcie_bw > 0 ? c.gpu.pcie_bw : c.nic_bw; }
}  // namespace

void build_node_interiors(FabricModel& m) {
  const ClusterSpec& c = m.spec;
  const int gpn = c.gpus_per_node;
  m.node_switch.assign(c.nodes, 0);
  switch (c.intra.kind) {
    case IntraNodeKind::NVSwitch:
    case IntraNodeKind::PCIe: {
      // NVSwitch: the NVSwitch chips of an HGX board act as one non-blocking crossbar, each GPU
      // reaching it at its full NVLink rate (NVIDIA HGX H100 / DGX A100 architecture whitepapers).
      // PCIe: GPUs and NICs share one PCIe switch; each GPU at its PCIe rate.
      const bool nvs = c.intra.kind == IntraNodeKind::NVSwitch;
      m.gpu_up.resize(static_cast<std::size_t>(c.gpus()));
      for (int n = 0; n < c.nodes; ++n) {
        VertexId sw = m.add_vertex(nvs ? VertexKind::NvSwitch : VertexKind::PcieSwitch, n, n);
        m.node_switch[n] = sw;
        for (int g = 0; g < gpn; ++g) {
          int rank = n * gpn + g;
          m.gpu_up[rank] = m.add_link(static_cast<VertexId>(rank), sw, c.intra.bw, c.intra.latency_s / 2,
                                      nvs ? LinkClass::NVLink : LinkClass::PCIe);
        }
      }
      break;
    }
    case IntraNodeKind::NVLinkMesh: {
      // Direct NVLink mesh (DGX-1 style, MI300X Infinity Fabric): a GPU's links are spread evenly
      // over its peers, so each pair gets bw / (gpn - 1) per direction.
      m.mesh.assign(static_cast<std::size_t>(c.nodes) * gpn * gpn, 0);
      double bw = gpn > 1 ? c.intra.bw / (gpn - 1) : c.intra.bw;
      for (int n = 0; n < c.nodes; ++n)
        for (int i = 0; i < gpn; ++i)
          for (int j = i + 1; j < gpn; ++j) {
            EdgeId e = m.add_link(static_cast<VertexId>(n * gpn + i), static_cast<VertexId>(n * gpn + j), bw,
                                  c.intra.latency_s, LinkClass::NVLink);
            std::size_t base = static_cast<std::size_t>(n) * gpn * gpn;
            m.mesh[base + i * gpn + j] = e;
            m.mesh[base + j * gpn + i] = e;
          }
      break;
    }
  }
}

void build_nics(FabricModel& m) {
  const ClusterSpec& c = m.spec;
  const int gpn = c.gpus_per_node, nics = c.nics_per_node;
  if (c.nodes <= 1 || nics <= 0) return;  // a single node needs no inter-node fabric
  // GPU i uses NIC i*nics/gpus (DGX: one NIC per GPU; 4 NICs for 8 GPUs: pairs share). When NICs
  // outnumber GPUs, GPU i owns NICs [i*nics/gpus, (i+1)*nics/gpus) and flows are hashed over them.
  m.nics_per_gpu = std::max(1, nics / gpn);
  m.local_nic_of_gpu.resize(static_cast<std::size_t>(gpn) * m.nics_per_gpu);
  for (int g = 0; g < gpn; ++g)
    for (int k = 0; k < m.nics_per_gpu; ++k)
      m.local_nic_of_gpu[g * m.nics_per_gpu + k] =
          nics >= gpn ? g * nics / gpn + k : static_cast<int>(static_cast<long long>(g) * nics / gpn);

  const bool cloud = m.topology == TopologyKind::Cloud;
  const double host_lat = cloud ? kCloudHostLatencyS : kGpuNicLatency;
  m.nic_v.resize(static_cast<std::size_t>(c.nodes) * nics);
  for (int n = 0; n < c.nodes; ++n)
    for (int i = 0; i < nics; ++i) m.nic_v[n * nics + i] = m.add_vertex(VertexKind::Nic, n, n * nics + i);

  if (c.intra.kind == IntraNodeKind::PCIe) {
    m.nic_host.resize(m.nic_v.size());
    for (int n = 0; n < c.nodes; ++n)
      for (int i = 0; i < nics; ++i)
        m.nic_host[n * nics + i] =
            m.add_link(m.nic_v[n * nics + i], m.node_switch[n], pcie_rate(c), host_lat, LinkClass::PCIe);
  } else {
    // GPUDirect RDMA: each GPU reaches its NIC(s) through its own PCIe lanes (DGX H100: one
    // PCIe Gen5 switch per GPU/NIC pair).
    m.gpu_nic.resize(static_cast<std::size_t>(c.gpus()) * m.nics_per_gpu);
    for (int n = 0; n < c.nodes; ++n)
      for (int g = 0; g < gpn; ++g)
        for (int k = 0; k < m.nics_per_gpu; ++k) {
          int rank = n * gpn + g;
          VertexId nic = m.nic_v[n * nics + m.local_nic_of_gpu[g * m.nics_per_gpu + k]];
          m.gpu_nic[static_cast<std::size_t>(rank) * m.nics_per_gpu + k] =
              m.add_link(static_cast<VertexId>(rank), nic, pcie_rate(c), host_lat, LinkClass::PCIe);
        }
  }
}

}  // namespace trainsim
