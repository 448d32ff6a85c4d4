// Structure-aware routing between NIC endpoints. Each function walks the topology's tables, so a
// route costs O(path length) with no graph search: the discrete-event engine asks millions of times.
#include "topologies/fabric_model.hpp"

namespace trainsim {

namespace {
// Distinct salts give independent hash draws for each decision on a path, like the per-stage
// hash seeds of real ECMP switches (avoids polarisation: the same bits choosing at every level).
constexpr std::uint64_t kSaltUp1 = 0x1, kSaltDown1 = 0x2, kSaltUp2 = 0x3, kSaltCore = 0x4, kSaltDown2 = 0x5;
inline std::size_t pick(std::uint64_t h, std::uint64_t salt, std::size_t n) {
  return static_cast<std::size_t>(mix64(h ^ (salt * 0xd6e8feb86659fd93ULL)) % n);
}
}  // namespace

void route_tree(const FabricModel& m, int src_nic, int dst_nic, std::uint64_t h, std::vector<EdgeId>& out) {
  const TreeTables& t = *m.tree;
  const int ls = m.nic_attach[src_nic], ld = m.nic_attach[dst_nic];
  out.push_back(m.nic_fabric[src_nic]);
  if (ls != ld) {
    // Up: any uplink of the source leaf is on a shortest path (each reaches a spine of the pod,
    // and every spine of the pod reaches every core plane / every leaf of the pod).
    const auto& ups = t.leaf_up[ls];
    const EdgeId e1 = ups[pick(h, kSaltUp1, ups.size())];
    const int s = static_cast<int>(m.g[m.other_end(e1, t.leaf_v[ls])].index);
    out.push_back(e1);
    const int pd = t.leaf_pod[ld], local_d = ld % t.leaves_per_pod;
    if (t.leaf_pod[ls] == pd) {
      const auto& lanes = t.spine_down[s][local_d];
      out.push_back(lanes[pick(h, kSaltDown1, lanes.size())]);
    } else {
      const auto& sup = t.spine_up[s];
      const EdgeId e2 = sup[pick(h, kSaltUp2, sup.size())];
      const int core = m.g[m.other_end(e2, t.spine_v[s])].index;
      out.push_back(e2);
      const auto& clanes = t.core_down[core][pd];
      const EdgeId e3 = clanes[pick(h, kSaltCore, clanes.size())];
      const int s2 = m.g[m.other_end(e3, t.core_v[core])].index;
      out.push_back(e3);
      const auto& lanes = t.spine_down[s2][local_d];
      out.push_back(lanes[pick(h, kSaltDown2, lanes.size())]);
    }
  }
  out.push_back(m.nic_fabric[dst_nic]);
}

namespace {
// Local hop inside a dragonfly group (none when already at the router).
inline void local_hop(const DragonflyTables& t, int group, int from, int to, std::vector<EdgeId>& out) {
  if (from != to)
    out.push_back(t.local[(static_cast<std::size_t>(group) * t.routers_per_group + from) * t.routers_per_group + to]);
}
// From router `r` of group `gs` to group `gd`: local hop to a router owning a global link to gd,
// then that link. Returns the router reached in gd.
inline int to_group(const DragonflyTables& t, int gs, int r, int gd, std::uint64_t h, std::uint64_t salt,
                    std::vector<EdgeId>& out) {
  const auto& links = t.global[static_cast<std::size_t>(gs) * t.groups + gd];
  const auto& gl = links[pick(h, salt, links.size())];
  local_hop(t, gs, r, gl.from_router, out);
  out.push_back(gl.edge);
  return gl.to_router;
}
}  // namespace

void route_dragonfly(const FabricModel& m, int src_nic, int dst_nic, std::uint64_t h, bool valiant,
                     std::vector<EdgeId>& out) {
  const DragonflyTables& t = *m.dfly;
  const int a = t.routers_per_group;
  const int rs = m.nic_attach[src_nic], rd = m.nic_attach[dst_nic];
  const int gs = rs / a, gd = rd / a;
  out.push_back(m.nic_fabric[src_nic]);
  if (gs == gd) {
    local_hop(t, gs, rs % a, rd % a, out);
  } else if (!valiant || t.groups <= 2) {
    // Minimal (Kim et al. 2008, Sec. 4): local, global, local.
    const int r = to_group(t, gs, rs % a, gd, h, kSaltUp1, out);
    local_hop(t, gd, r, rd % a, out);
  } else {
    // Valiant (Valiant & Brebner 1981; Kim et al. Sec. 4.2 "UGAL-G/VAL"): minimal to a hashed
    // intermediate group other than source and destination, then minimal to the destination.
    int gi = static_cast<int>(pick(h, kSaltCore, static_cast<std::size_t>(t.groups - 2)));
    for (int skip : {std::min(gs, gd), std::max(gs, gd)})
      if (gi >= skip) ++gi;
    const int r1 = to_group(t, gs, rs % a, gi, h, kSaltUp1, out);
    const int r2 = to_group(t, gi, r1, gd, h, kSaltUp2, out);
    local_hop(t, gd, r2, rd % a, out);
  }
  out.push_back(m.nic_fabric[dst_nic]);
}

void route_torus(const FabricModel& m, int src_nic, int dst_nic, std::vector<EdgeId>& out) {
  // Dimension-order routing (Dally & Seitz 1987): deadlock-free with virtual channels, and fully
  // deterministic; each ring is travelled the shorter way, ties going the positive way.
  const TorusTables& t = *m.torus;
  const int nd = static_cast<int>(t.dims.size());
  out.push_back(m.nic_fabric[src_nic]);
  int cur = m.nic_attach[src_nic];
  const int dst = m.nic_attach[dst_nic];
  int stride = 1;
  int rem_cur = cur, rem_dst = dst;
  for (int d = 0; d < nd; ++d) {
    const int k = t.dims[d];
    int xc = rem_cur % k;
    const int xd = rem_dst % k;
    rem_cur /= k;
    rem_dst /= k;
    const int fwd = ((xd - xc) % k + k) % k;
    if (fwd != 0) {
      const bool plus = fwd <= k - fwd;
      const int steps = plus ? fwd : k - fwd;
      for (int s = 0; s < steps; ++s) {
        if (plus) {
          out.push_back(*t.plus[static_cast<std::size_t>(cur) * nd + d]);
          const int nx = (xc + 1) % k;
          cur += (nx - xc) * stride;
          xc = nx;
        } else {
          const int nx = (xc + k - 1) % k;
          const int prev = cur + (nx - xc) * stride;
          out.push_back(*t.plus[static_cast<std::size_t>(prev) * nd + d]);
          cur = prev;
          xc = nx;
        }
      }
    }
    stride *= k;
  }
  out.push_back(m.nic_fabric[dst_nic]);
}

}  // namespace trainsim
