// 2-D / 3-D torus of nodes (k-ary n-cube; Dally & Towles, "Principles and Practices of
// Interconnection Networks", 2004, ch. 5): each node has a router joined to its two neighbours
// in every dimension, with wrap-around links. A ring of 2 has one link, a ring of 1 none.
#include <string>

#include "topologies/fabric_model.hpp"

namespace trainsim {

std::vector<int> TorusTables::coords(int node) const {
  std::vector<int> c(dims.size());
  for (std::size_t d = 0; d < dims.size(); ++d) {
    c[d] = node % dims[d];
    node /= dims[d];
  }
  return c;
}

int TorusTables::node_of(const std::vector<int>& c) const {
  int n = 0;
  for (std::size_t d = dims.size(); d-- > 0;) n = n * dims[d] + c[d];
  return n;
}

void build_torus(FabricModel& m) {
  const ClusterSpec& c = m.spec;
  long long prod = 1;
  for (int x : c.fabric.torus_dims) prod *= x;
  if (c.fabric.torus_dims.empty() || prod != c.nodes)
    throw InputError(c.fabric.where + ".torus_dims",
                     "2 or 3 dimensions whose product is nodes = " + std::to_string(c.nodes),
                     c.fabric.torus_dims.empty() ? "nothing" : "product " + std::to_string(prod));
  const double core_bw = c.fabric.core_link_bw > 0 ? c.fabric.core_link_bw : c.nic_bw;
  const double hop = c.fabric.hop_latency_s;
  TorusTables t;
  t.dims = c.fabric.torus_dims;
  const int nd = static_cast<int>(t.dims.size());
  t.switch_v.resize(c.nodes);
  for (int n = 0; n < c.nodes; ++n) t.switch_v[n] = m.add_vertex(VertexKind::TorusSwitch, n, n);
  const int nics = c.nics_per_node;
  m.nic_attach.resize(static_cast<std::size_t>(c.nodes) * nics);
  m.nic_fabric.resize(m.nic_attach.size());
  for (int n = 0; n < c.nodes; ++n)
    for (int i = 0; i < nics; ++i) {
      m.nic_attach[n * nics + i] = n;
      m.nic_fabric[n * nics + i] = m.add_link(m.nic_v[n * nics + i], t.switch_v[n], c.nic_bw, hop / 2, LinkClass::Nic);
    }
  t.plus.assign(static_cast<std::size_t>(c.nodes) * nd, std::nullopt);
  for (int n = 0; n < c.nodes; ++n) {
    auto x = t.coords(n);
    for (int d = 0; d < nd; ++d) {
      const int k = t.dims[d];
      if (k == 1) continue;
      if (k == 2 && x[d] == 1) continue;  // the single link of a 2-ring is added from coordinate 0
      auto y = x;
      y[d] = (x[d] + 1) % k;
      const int nb = t.node_of(y);
      EdgeId e = m.add_link(t.switch_v[n], t.switch_v[nb], core_bw, hop, LinkClass::Torus);
      t.plus[static_cast<std::size_t>(n) * nd + d] = e;
      if (k == 2) t.plus[static_cast<std::size_t>(nb) * nd + d] = e;
    }
  }
  m.torus = std::move(t);
}

}  // namespace trainsim
