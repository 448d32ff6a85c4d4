#pragma once
// The SimGrid side of a simulation: the Engine configured as shared/reference/simgrid-3.32-notes.md
// prescribes, and a platform built programmatically from the Fabric: one host per simulated GPU,
// one SimGrid link per platform link (LinkFolding), and an explicit route for every GPU pair the
// plan actually uses (a Full zone: no Floyd, no all-pairs routing).
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sim/simgrid/link_folding.hpp"

namespace simgrid::s4u {
class Engine;
class Host;
}  // namespace simgrid::s4u

namespace trainsim {

/// Creates the process's one Engine with CM02, no cross-traffic, no TCP-gamma window, quiet logs.
std::unique_ptr<simgrid::s4u::Engine> make_sg_engine();

struct SgRoute {
  std::vector<int> links;  ///< platform link indices (LinkFolding::links())
  double latency = 0;      ///< seconds, sum of the fabric links' latencies
};

class SgPlatform {
 public:
  /// Call after make_sg_engine() and before Engine::run().
  SgPlatform(const Fabric& f, LinkFolding& folding, const std::vector<int>& gpus,
             const std::vector<std::pair<int, int>>& pairs);
  simgrid::s4u::Host* host(int gpu) const { return hosts_.at(host_index_.at(gpu)); }
  /// Route index of an ordered GPU pair given to the constructor (-1 if absent).
  int route_id(int src, int dst) const;
  const SgRoute& route(int id) const { return routes_[id]; }

 private:
  std::vector<simgrid::s4u::Host*> hosts_;
  std::unordered_map<int, int> host_index_;
  std::unordered_map<std::uint64_t, int> route_index_;
  std::vector<SgRoute> routes_;
};

}  // namespace trainsim
