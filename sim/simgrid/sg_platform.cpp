#include "sim/simgrid/sg_platform.hpp"

#include <simgrid/s4u.hpp>

#include "models/util/errors.hpp"

namespace trainsim {

std::unique_ptr<simgrid::s4u::Engine> make_sg_engine() {
  // Each flag avoids a distortion measured in the notes: LV08's bandwidth/latency factors, CM02's
  // reverse ACK traffic and the TCP-gamma window cap on fast links.
  static char a0[] = "trainsim-simgrid";
  static char a1[] = "--cfg=network/model:CM02";
  static char a2[] = "--cfg=network/crosstraffic:0";
  static char a3[] = "--cfg=network/TCP-gamma:0";
  static char a4[] = "--log=root.thresh:critical";
  char* argv[] = {a0, a1, a2, a3, a4, nullptr};
  int argc = 5;
  return std::make_unique<simgrid::s4u::Engine>(&argc, argv);
}

namespace {
std::uint64_t pair_key(int a, int b) { return (static_cast<std::uint64_t>(a) << 32) | static_cast<std::uint32_t>(b); }
}  // namespace

SgPlatform::SgPlatform(const Fabric& f, LinkFolding& folding, const std::vector<int>& gpus,
                       const std::vector<std::pair<int, int>>& pairs) {
  auto* zone = simgrid::s4u::create_full_zone("fabric");
  hosts_.reserve(gpus.size());
  for (int g : gpus) {
    host_index_.emplace(g, static_cast<int>(hosts_.size()));
    hosts_.push_back(zone->create_host("gpu" + std::to_string(g), 1e9)->seal());
  }
  std::vector<simgrid::s4u::Link*> sg_links;
  std::vector<EdgeId> path;
  std::vector<simgrid::s4u::LinkInRoute> in_route;
  routes_.reserve(pairs.size());
  for (const auto& [src, dst] : pairs) {
    if (route_index_.count(pair_key(src, dst))) continue;
    f.route(src, dst, 0, RoutingPolicy::Default, path);
    const auto verts = f.path_vertices(Fabric::gpu_vertex(src), path);
    SgRoute r;
    r.latency = f.path_latency(path);
    in_route.clear();
    for (size_t k = 0; k < path.size(); ++k) {
      const int li = folding.link_of(path[k], verts[k]);
      while (sg_links.size() < folding.links().size()) {
        const auto& pl = folding.links()[sg_links.size()];
        sg_links.push_back(zone->create_link("l" + std::to_string(sg_links.size()), pl.capacity)
                               ->set_latency(pl.latency)
                               ->seal());
      }
      r.links.push_back(li);
      in_route.emplace_back(sg_links[li]);
    }
    if (in_route.empty()) throw InternalError("simgrid platform: empty route between gpu" + std::to_string(src) +
                                              " and gpu" + std::to_string(dst));
    zone->add_route(host(src)->get_netpoint(), host(dst)->get_netpoint(), nullptr, nullptr, in_route, false);
    route_index_.emplace(pair_key(src, dst), static_cast<int>(routes_.size()));
    routes_.push_back(std::move(r));
  }
  zone->seal();
}

int SgPlatform::route_id(int src, int dst) const {
  auto it = route_index_.find(pair_key(src, dst));
  return it == route_index_.end() ? -1 : it->second;
}

}  // namespace trainsim
