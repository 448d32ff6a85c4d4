// Dragonfly (Kim, Dally, Scott, Abts, "Technology-Driven, Highly-Scalable Dragonfly Topology",
// ISCA 2008): g groups of a routers; routers of a group are joined all-to-all by local links;
// each router has p terminals and h global links. Global links use the "consecutive"
// arrangement (Camarero, Vallejo, Beivide, ACM TACO 2014): port k of group G (router k / h)
// goes to group G + 1 + (k mod (g - 1)), spreading each router's links over distinct groups.
#include <string>

#include "topologies/fabric_model.hpp"

namespace trainsim {

void build_dragonfly(FabricModel& m) {
  const ClusterSpec& c = m.spec;
  const DragonflySpec& d = c.fabric.dragonfly;
  const int g = d.groups, a = d.routers_per_group, p = d.terminals_per_router, h = d.global_links_per_router;
  const long long total_nics = static_cast<long long>(c.nodes) * c.nics_per_node;
  if (static_cast<long long>(g) * a * p < total_nics)
    throw InputError(c.fabric.where + ".dragonfly",
                     "groups * routers_per_group * terminals_per_router >= NICs (" + std::to_string(total_nics) + ")",
                     std::to_string(static_cast<long long>(g) * a * p));
  if (static_cast<long long>(a) * h < g - 1)
    throw InputError(c.fabric.where + ".dragonfly",
                     "routers_per_group * global_links_per_router >= groups - 1 (a global "
                     "link between every pair of groups)",
                     std::to_string(a * h));
  const double core_bw = c.fabric.core_link_bw > 0 ? c.fabric.core_link_bw : c.nic_bw;
  const double hop = c.fabric.hop_latency_s;

  DragonflyTables t;
  t.groups = g;
  t.routers_per_group = a;
  t.terminals_per_router = p;
  t.router_v.resize(static_cast<std::size_t>(g) * a);
  for (int G = 0; G < g; ++G)
    for (int r = 0; r < a; ++r) t.router_v[G * a + r] = m.add_vertex(VertexKind::Router, -1, G * a + r, G);

  // Terminals: NICs fill routers in order (node-major), so a node's NICs share a router or two.
  m.nic_attach.resize(static_cast<std::size_t>(total_nics));
  m.nic_fabric.resize(static_cast<std::size_t>(total_nics));
  for (long long e = 0; e < total_nics; ++e) {
    const int r = static_cast<int>(e / p);
    m.nic_attach[e] = r;
    m.nic_fabric[e] = m.add_link(m.nic_v[e], t.router_v[r], c.nic_bw, hop / 2, LinkClass::Nic);
  }

  t.local.assign(static_cast<std::size_t>(g) * a * a, 0);
  for (int G = 0; G < g; ++G)
    for (int i = 0; i < a; ++i)
      for (int j = i + 1; j < a; ++j) {
        EdgeId e = m.add_link(t.router_v[G * a + i], t.router_v[G * a + j], core_bw, hop, LinkClass::DragonflyLocal);
        t.local[(static_cast<std::size_t>(G) * a + i) * a + j] = e;
        t.local[(static_cast<std::size_t>(G) * a + j) * a + i] = e;
      }

  t.global.assign(static_cast<std::size_t>(g) * g, {});
  const int ports = a * h;
  for (int G = 0; G < g; ++G)
    for (int k = 0; k < ports; ++k) {
      const int off = k % (g - 1), round = k / (g - 1);
      const int D = (G + 1 + off) % g;
      const int k2 = round * (g - 1) + (g - 2 - off);  // the partner port in group D
      if (G >= D || k2 >= ports) continue;
      const int rs = k / h, rd = k2 / h;
      EdgeId e = m.add_link(t.router_v[G * a + rs], t.router_v[D * a + rd], core_bw, hop, LinkClass::DragonflyGlobal);
      t.global[static_cast<std::size_t>(G) * g + D].push_back({e, rs, rd});
      t.global[static_cast<std::size_t>(D) * g + G].push_back({e, rd, rs});
    }
  m.dfly = std::move(t);
}

}  // namespace trainsim
