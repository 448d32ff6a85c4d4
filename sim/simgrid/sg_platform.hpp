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
#include "sim/simgrid/sim_job.hpp"

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
  /// With `storage` (servers > 0): one host per storage server, hanging off the edge switch of node
  /// floor(s x nodes / servers) by a link of read_bw / fold up and write_bw / fold down (divisor
  /// fold, like a bundle), and routes server -> GPU (data loading) and GPU -> server (checkpoint) for
  /// the (server, GPU) pairs in `storage_pairs`.
  SgPlatform(const Fabric& f, LinkFolding& folding, const std::vector<int>& gpus,
             const std::vector<std::pair<int, int>>& pairs, const StorageLoad* storage = nullptr,
             const std::vector<std::pair<int, int>>& storage_pairs = {});
  simgrid::s4u::Host* host(int gpu) const { return hosts_.at(host_index_.at(gpu)); }
  simgrid::s4u::Host* server(int s) const { return servers_.at(s); }
  /// Route index of an ordered GPU pair given to the constructor (-1 if absent).
  int route_id(int src, int dst) const;
  /// Route index of server -> GPU (`write` false) or GPU -> server (`write` true); -1 if absent.
  int storage_route_id(int server, int gpu, bool write) const;
  const SgRoute& route(int id) const { return routes_[id]; }

 private:
  std::vector<simgrid::s4u::Host*> hosts_;
  std::vector<simgrid::s4u::Host*> servers_;
  std::unordered_map<std::uint64_t, int> storage_route_index_;
  std::unordered_map<int, int> host_index_;
  std::unordered_map<std::uint64_t, int> route_index_;
  std::vector<SgRoute> routes_;
};

}  // namespace trainsim
