#pragma once
// Small flow-level experiments on a fabric, run in *this* process (one per process: SimGrid's
// Engine). They check the SimGrid configuration against closed forms and measure the error of the
// engine's collective folding against step-by-step rings (tests/simgrid, docs/simgrid-engine.md).
// Links are the fabric's, unfolded, with the fabric efficiency applied to their bandwidth.
#include <vector>

#include "topologies/fabric_graph.hpp"

namespace trainsim {

struct FlowSpec {
  int src = 0, dst = 0;  ///< GPU ranks
  double bytes = 0;
};

/// Starts all flows at time 0; returns each one's completion time.
std::vector<double> simulate_flows_here(const Fabric& f, const std::vector<FlowSpec>& flows);

/// Ring all-reduces of `bytes` per rank, one per group, all started at time 0. Step by step:
/// 2(G-1) steps, each rank sending bytes/G to its successor, a step starting when the group's
/// previous one ended. Folded (the engine's approximation): one flow per ring edge carrying
/// 2(G-1)/G x bytes, then (2(G-1)-1) extra path latencies. Returns each group's finish time.
std::vector<double> ring_allreduce_here(const Fabric& f, const std::vector<std::vector<int>>& groups, double bytes,
                                        bool folded);

}  // namespace trainsim
