// Fat-tree family: folded-Clos trees of identical radix-k switches (Leiserson 1985; Al-Fares,
// Loukissas, Vahdat, SIGCOMM 2008 for the k-ary commodity form). The same builder makes
//  - fat-tree: all NICs of a node on one leaf;
//  - rail-optimized: NIC i of every node on rail leaf i (NVIDIA DGX SuperPOD reference
//    architecture: one leaf per rail per scalable unit, spines above);
//  - cloud: ToR per rack of VMs, Ethernet ToR-spine links (oversubscribed as given);
//  - single switch: one leaf holding every NIC.
// Oversubscription o at a level means down:up bandwidth o:1, i.e. fewer uplinks.
#include <algorithm>
#include <cmath>
#include <string>

#include "topologies/fabric_model.hpp"

namespace trainsim {

namespace {
int ceil_div(long long a, long long b) { return static_cast<int>((a + b - 1) / b); }
/// Down ports of a leaf switch: radix x o / (1 + o) for a down:up oversubscription o.
int leaf_down_ports(const ClusterSpec& c) {
  const double o = c.fabric.oversubscription.empty() ? 1.0 : c.fabric.oversubscription.front();
  return std::max(1, static_cast<int>(std::floor(c.fabric.switch_radix * o / (1.0 + o))));
}
int uplinks_for(double down_bw, double up_link_bw, double oversub) {
  return std::max(1, static_cast<int>(std::ceil(down_bw / (oversub * up_link_bw) - 1e-9)));
}
}  // namespace

void build_tree(FabricModel& m) {
  const ClusterSpec& c = m.spec;
  const FabricSpec& f = c.fabric;
  const int nics = c.nics_per_node;
  const int k = f.switch_radix;
  const double o1 = f.oversubscription.size() > 0 ? f.oversubscription[0] : 1.0;
  const double o2 = f.oversubscription.size() > 1 ? f.oversubscription[1] : 1.0;
  const double core_bw = f.core_link_bw > 0 ? f.core_link_bw : c.nic_bw;
  const double hop = f.hop_latency_s;
  const LinkClass up_class = m.topology == TopologyKind::Cloud ? LinkClass::CloudTorSpine : LinkClass::LeafSpine;
  const int total_nics = c.nodes * nics;

  TreeTables t;
  int requested = m.topology == TopologyKind::SingleSwitch ? 1 : f.levels;
  if (requested > 3) throw InputError(f.where + ".levels", "1, 2 or 3 fat-tree levels", std::to_string(requested));

  // 1. Leaves: which leaf each NIC plugs into.
  int leaves = 1;
  m.nic_attach.assign(static_cast<std::size_t>(total_nics), 0);
  if (requested == 1) {
    leaves = 1;  // one (large, possibly modular) switch: radix is not enforced
  } else if (m.topology == TopologyKind::RailOptimized) {
    // Rails are the NIC positions of a compute tray: a multi-tray domain (NVL72) has its trays'
    // NIC i on rail i, as a server's NIC i is.
    const int trays = std::max(1, c.trays_per_node), rails = std::max(1, nics / trays);
    const int per_rail_leaf = leaf_down_ports(c);  // trays whose NIC i share rail leaf i
    const int blocks = ceil_div(static_cast<long long>(c.nodes) * trays, per_rail_leaf);
    leaves = blocks * rails;
    for (int e = 0; e < total_nics; ++e) m.nic_attach[e] = (e / rails / per_rail_leaf) * rails + e % rails;
  } else if (nics > leaf_down_ports(c)) {
    // A node with more NICs than a leaf has down ports (an NVL72 domain's 72 NICs): its NICs fill
    // leaves in order, a compute tray's NICs staying together on one leaf.
    const int tray_nics = std::max(1, nics / std::max(1, c.trays_per_node));
    const int per_leaf = std::max(tray_nics, leaf_down_ports(c) / tray_nics * tray_nics);
    leaves = ceil_div(total_nics, per_leaf);
    for (int e = 0; e < total_nics; ++e) m.nic_attach[e] = e / per_leaf;
  } else {
    const int npl = c.nodes_per_leaf();
    leaves = ceil_div(c.nodes, npl);
    for (int n = 0; n < c.nodes; ++n)
      for (int i = 0; i < nics; ++i) m.nic_attach[n * nics + i] = n / npl;
  }
  std::vector<int> down(leaves, 0);
  for (int a : m.nic_attach) ++down[a];
  const int max_down = *std::max_element(down.begin(), down.end());

  t.leaf_v.resize(leaves);
  for (int l = 0; l < leaves; ++l) t.leaf_v[l] = m.add_vertex(VertexKind::Leaf, -1, l, 0);
  m.nic_fabric.resize(static_cast<std::size_t>(total_nics));
  for (int e = 0; e < total_nics; ++e)
    m.nic_fabric[e] = m.add_link(m.nic_v[e], t.leaf_v[m.nic_attach[e]], c.nic_bw, hop / 2, LinkClass::Nic);
  t.leaf_pod.assign(leaves, 0);
  t.leaf_up.assign(leaves, {});
  t.levels = 1;
  t.pods = 1;
  t.leaves_per_pod = leaves;
  if (requested == 1 || leaves == 1) {
    m.tree = std::move(t);
    return;
  }

  // 2. Spines. Every leaf has u uplinks (same cabling for a partially filled last leaf),
  // spread round-robin over the spines of its pod; u >= spines per pod, so each leaf reaches
  // each spine of its pod by at least one lane.
  const int u = uplinks_for(max_down * c.nic_bw, core_bw, o1);
  int leaves_per_pod = leaves, pods = 1;
  if (requested == 3) {
    const int spine_down_ports = std::max(1, static_cast<int>(std::floor(k * o2 / (1.0 + o2))));
    leaves_per_pod = std::min(leaves, spine_down_ports);
    pods = ceil_div(leaves, leaves_per_pod);
  } else if (leaves > k) {
    throw InputError(
        f.where + ".levels",
        "3 levels: a 2-level fat-tree of radix " + std::to_string(k) + " has at most " + std::to_string(k) + " leaves",
        std::to_string(leaves) + " leaves");
  }
  const int spine_ports_down =
      requested == 3 && pods > 1 ? std::max(1, static_cast<int>(std::floor(k * o2 / (1.0 + o2)))) : k;
  const int sp = std::min(u, ceil_div(static_cast<long long>(leaves_per_pod) * u, spine_ports_down));
  t.leaves_per_pod = leaves_per_pod;
  t.pods = pods;
  t.spines_per_pod = sp;
  t.levels = 2;
  t.spine_v.resize(static_cast<std::size_t>(pods) * sp);
  t.spine_down.assign(t.spine_v.size(), std::vector<std::vector<EdgeId>>(leaves_per_pod));
  t.spine_up.assign(t.spine_v.size(), {});
  for (int p = 0; p < pods; ++p)
    for (int s = 0; s < sp; ++s) t.spine_v[p * sp + s] = m.add_vertex(VertexKind::Spine, -1, p * sp + s, p);
  for (int l = 0; l < leaves; ++l) {
    const int p = l / leaves_per_pod, local = l % leaves_per_pod;
    t.leaf_pod[l] = p;
    for (int j = 0; j < u; ++j) {
      const int s = p * sp + j % sp;
      EdgeId e = m.add_link(t.leaf_v[l], t.spine_v[s], core_bw, hop, up_class);
      t.leaf_up[l].push_back(e);
      t.spine_down[s][local].push_back(e);
    }
  }
  if (pods == 1) {
    m.tree = std::move(t);
    return;
  }

  // 3. Cores: plane j holds the cores above spine j of every pod.
  if (pods > k)
    throw InputError(f.where + ".switch_radix", "a radix of at least the number of pods (" + std::to_string(pods) + ")",
                     std::to_string(k));
  const int spine_down_links = ceil_div(static_cast<long long>(leaves_per_pod) * u, sp);
  const int us = uplinks_for(spine_down_links * core_bw, core_bw, o2);
  const int cpp = std::min(us, ceil_div(static_cast<long long>(pods) * us, k));
  t.cores_per_plane = cpp;
  t.levels = 3;
  t.core_v.resize(static_cast<std::size_t>(sp) * cpp);
  t.core_down.assign(t.core_v.size(), std::vector<std::vector<EdgeId>>(pods));
  for (int j = 0; j < sp; ++j)
    for (int q = 0; q < cpp; ++q) t.core_v[j * cpp + q] = m.add_vertex(VertexKind::Core, -1, j * cpp + q, j);
  for (int p = 0; p < pods; ++p)
    for (int j = 0; j < sp; ++j) {
      const int s = p * sp + j;
      for (int x = 0; x < us; ++x) {
        const int core = j * cpp + x % cpp;
        EdgeId e = m.add_link(t.spine_v[s], t.core_v[core], core_bw, hop, LinkClass::SpineCore);
        t.spine_up[s].push_back(e);
        t.core_down[core][p].push_back(e);
      }
    }
  m.tree = std::move(t);
}

}  // namespace trainsim
