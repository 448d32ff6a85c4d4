#pragma once
// Exports of a built Fabric: GraphViz DOT (for looking at it) and a SimGrid platform XML
// (DTD v4.1, loadable by SimGrid 3.32's Engine::load_platform).
#include <ostream>
#include <string>

#include "topologies/fabric_graph.hpp"

namespace trainsim {

/// Undirected GraphViz graph: one node per vertex (named as Fabric::vertex_name), one edge per
/// link labelled with its class and bandwidth. Large fabrics make large files; `sfdp` copes.
void write_dot(const Fabric& f, std::ostream& os);

enum class SimgridRouting {
  Floyd,  ///< one-hop routes between neighbours, SimGrid computes shortest paths (O(V^3) at load: small fabrics)
  Full,   ///< explicit GPU-to-GPU routes from Fabric::route (flow 0): trainsim's own routing, O(GPUs^2) routes
};

/// SimGrid platform: hosts = GPUs (speed = dense FP16 peak), routers = every other vertex,
/// one SPLITDUPLEX link per fabric link (full duplex, `bandwidth` per direction), latency per
/// link, in one zone of the chosen routing. Host i is named gpu<i> (its rank).
void write_simgrid_xml(const Fabric& f, std::ostream& os, SimgridRouting routing = SimgridRouting::Floyd);

}  // namespace trainsim
