#include "sim/simgrid/sg_platform.hpp"

#include <simgrid/s4u.hpp>

#include "models/util/errors.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define TRAINSIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TRAINSIM_ASAN 1
#endif
#endif
#ifndef TRAINSIM_ASAN
#define TRAINSIM_ASAN 0
#endif

namespace trainsim {

std::unique_ptr<simgrid::s4u::Engine> make_sg_engine() {
  // Each flag avoids a distortion measured in the notes: LV08's bandwidth/latency factors, CM02's
  // reverse ACK traffic and the TCP-gamma window cap on fast links.
  static char a0[] = "trainsim-simgrid";
  static char a1[] = "--cfg=network/model:CM02";
  static char a2[] = "--cfg=network/crosstraffic:0";
  static char a3[] = "--cfg=network/TCP-gamma:0";
  static char a4[] = "--log=root.thresh:critical";
#if TRAINSIM_ASAN
  // AddressSanitizer does not know the stacks of SimGrid's default (raw/ucontext) actor contexts:
  // an exception thrown inside an actor makes it warn that it ignores __asan_handle_no_return, and
  // false reports may follow. Actors as real threads are stacks ASan knows (docs/sanitizers.md).
  static char a5[] = "--cfg=contexts/factory:thread";
  char* argv[] = {a0, a1, a2, a3, a4, a5, nullptr};
  int argc = 6;
#else
  char* argv[] = {a0, a1, a2, a3, a4, nullptr};
  int argc = 5;
#endif
  return std::make_unique<simgrid::s4u::Engine>(&argc, argv);
}

namespace {
std::uint64_t pair_key(int a, int b) { return (static_cast<std::uint64_t>(a) << 32) | static_cast<std::uint32_t>(b); }
std::uint64_t storage_key(int server, int gpu, bool write) {
  return (static_cast<std::uint64_t>(write) << 63) | pair_key(server, gpu);
}

bool fabric_switch(VertexKind k) {
  return k == VertexKind::Leaf || k == VertexKind::Spine || k == VertexKind::Core || k == VertexKind::Router ||
         k == VertexKind::TorusSwitch;
}

/// The edge switch of GPU `h` (the first fabric switch of its routes to other nodes), and the
/// edges, each with the vertex it is entered from, leading from that switch down to GPU `g`:
/// the tail of the route h -> g when it passes the switch, else back down to h and across its node.
VertexId down_path(const Fabric& f, int h, int g, std::vector<std::pair<EdgeId, VertexId>>& out) {
  out.clear();
  const int gpn = f.spec().gpus_per_node;
  const int x = ((h / gpn + 1) % f.nodes()) * gpn;  // a GPU on another node
  const auto up = f.route(h, x);
  const auto upv = f.path_vertices(Fabric::gpu_vertex(h), up);
  size_t ka = 0;
  while (ka < up.size() && !fabric_switch(f.vertex(upv[ka]).kind)) ++ka;
  if (ka >= up.size()) throw InternalError("simgrid platform: gpu" + std::to_string(h) + " reaches no fabric switch");
  const VertexId a = upv[ka];
  if (g / gpn != h / gpn) {
    const auto p = f.route(h, g);
    const auto v = f.path_vertices(Fabric::gpu_vertex(h), p);
    for (size_t k = 0; k < p.size(); ++k)
      if (v[k] == a) {
        for (size_t i = k; i < p.size(); ++i) out.emplace_back(p[i], v[i]);
        return a;
      }
  }
  for (size_t i = ka; i-- > 0;) out.emplace_back(up[i], upv[i + 1]);  // switch -> ... -> h
  if (g != h) {
    const auto p = f.route(h, g);
    const auto v = f.path_vertices(Fabric::gpu_vertex(h), p);
    for (size_t i = 0; i < p.size(); ++i) out.emplace_back(p[i], v[i]);
  }
  return a;
}
}  // namespace

SgPlatform::SgPlatform(const Fabric& f, LinkFolding& folding, const std::vector<int>& gpus,
                       const std::vector<std::pair<int, int>>& pairs, const StorageLoad* storage,
                       const std::vector<std::pair<int, int>>& storage_pairs) {
  auto* zone = simgrid::s4u::create_full_zone("fabric");
  hosts_.reserve(gpus.size());
  for (int g : gpus) {
    host_index_.emplace(g, static_cast<int>(hosts_.size()));
    hosts_.push_back(zone->create_host("gpu" + std::to_string(g), 1e9)->seal());
  }
  // Every host exists before the first route: the Full zone sizes its routing table then.
  const bool with_storage = storage && storage->servers > 0 && f.nodes() > 1;
  if (with_storage)
    for (int s = 0; s < storage->servers; ++s)
      servers_.push_back(zone->create_host("oss" + std::to_string(s), 1e9)->seal());
  std::vector<simgrid::s4u::Link*> sg_links;
  std::vector<EdgeId> path;
  std::vector<simgrid::s4u::LinkInRoute> in_route;
  routes_.reserve(pairs.size());
  auto sg_link = [&](int li) {
    while (sg_links.size() < folding.links().size()) {
      const auto& pl = folding.links()[sg_links.size()];
      sg_links.push_back(
          zone->create_link("l" + std::to_string(sg_links.size()), pl.capacity)->set_latency(pl.latency)->seal());
    }
    return sg_links[li];
  };
  for (const auto& [src, dst] : pairs) {
    if (route_index_.count(pair_key(src, dst))) continue;
    f.route(src, dst, 0, RoutingPolicy::Default, path);
    const auto verts = f.path_vertices(Fabric::gpu_vertex(src), path);
    SgRoute r;
    r.latency = f.path_latency(path);
    in_route.clear();
    for (size_t k = 0; k < path.size(); ++k) {
      const int li = folding.link_of(path[k], verts[k]);
      r.links.push_back(li);
      in_route.emplace_back(sg_link(li));
    }
    if (in_route.empty())
      throw InternalError("simgrid platform: empty route between gpu" + std::to_string(src) + " and gpu" +
                          std::to_string(dst));
    zone->add_route(host(src)->get_netpoint(), host(dst)->get_netpoint(), nullptr, nullptr, in_route, false);
    route_index_.emplace(pair_key(src, dst), static_cast<int>(routes_.size()));
    routes_.push_back(std::move(r));
  }
  if (with_storage) {
    // Storage servers: each hangs off the edge switch of one node by its own link (read / write
    // capacity per direction), carrying 1/fold of the real traffic like a fluid bundle.
    const int gpn = f.spec().gpus_per_node, fold = folding.fold();
    const double lat = f.spec().fabric.hop_latency_s;
    std::vector<int> attach(storage->servers), up(storage->servers), down(storage->servers);
    std::vector<std::pair<EdgeId, VertexId>> dp;
    for (int s = 0; s < storage->servers; ++s) {
      attach[s] = static_cast<int>(static_cast<long long>(s) * f.nodes() / storage->servers) * gpn;
      const std::string name = "oss" + std::to_string(s);
      const VertexId a = down_path(f, attach[s], attach[s], dp);
      up[s] = folding.add_link(
          {name + "->" + f.vertex_name(a), LinkClass::Nic, storage->read_bw / fold, lat, static_cast<double>(fold)});
      down[s] = folding.add_link(
          {f.vertex_name(a) + "->" + name, LinkClass::Nic, storage->write_bw / fold, lat, static_cast<double>(fold)});
    }
    for (const auto& [s, g] : storage_pairs) {
      if (storage_route_index_.count(storage_key(s, g, false))) continue;
      down_path(f, attach.at(s), g, dp);
      for (const bool write : {false, true}) {
        SgRoute r;
        in_route.clear();
        if (!write) r.links.push_back(up[s]);
        for (size_t k = 0; k < dp.size(); ++k) {
          const auto& [e, from] = write ? dp[dp.size() - 1 - k] : dp[k];
          const auto& l = f.link(e);
          r.links.push_back(folding.link_of(e, write ? (from == l.a ? l.b : l.a) : from));
          r.latency += l.latency_s;
        }
        if (write) r.links.push_back(down[s]);
        r.latency += lat;
        for (int li : r.links) in_route.emplace_back(sg_link(li));
        simgrid::s4u::Host* srv = servers_[s];
        if (write)
          zone->add_route(host(g)->get_netpoint(), srv->get_netpoint(), nullptr, nullptr, in_route, false);
        else
          zone->add_route(srv->get_netpoint(), host(g)->get_netpoint(), nullptr, nullptr, in_route, false);
        storage_route_index_.emplace(storage_key(s, g, write), static_cast<int>(routes_.size()));
        routes_.push_back(std::move(r));
      }
    }
  }
  zone->seal();
}

int SgPlatform::storage_route_id(int server, int gpu, bool write) const {
  auto it = storage_route_index_.find(storage_key(server, gpu, write));
  return it == storage_route_index_.end() ? -1 : it->second;
}

int SgPlatform::route_id(int src, int dst) const {
  auto it = route_index_.find(pair_key(src, dst));
  return it == route_index_.end() ? -1 : it->second;
}

}  // namespace trainsim
