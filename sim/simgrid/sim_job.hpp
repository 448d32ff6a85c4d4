#pragma once
// Inputs and outputs of one SimGrid-engine simulation: one or more jobs (a Plan each, placed on
// GPUs of one shared cluster) and, back, one Trace per job plus link statistics.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "models/compute/compute_model.hpp"
#include "sim/plan/plan.hpp"
#include "sim/simgrid/link_report.hpp"
#include "topologies/cluster_spec.hpp"

namespace trainsim {

struct SimJob {
  std::string name;
  const Plan* plan = nullptr;
  /// The job's own view of the cluster (its GPU count), used for compute and closed-form costs.
  ClusterSpec cluster;
  std::shared_ptr<const ComputeProfile> profile;
  /// Fabric GPU (vertex id) of each job rank; empty = rank r on GPU r.
  std::vector<int> gpu_of_rank;
};

struct SimOptions {
  bool fold = true;         ///< simulate one representative per tensor-parallel sibling set (link_folding.hpp)
  /// Fat-tree ECMP as perfect fluid balancing over equal-cost links (link_folding.hpp); false:
  /// hashed per-pair paths with their collisions (only meaningful with fold = false).
  bool fluid_ecmp = true;
  bool link_stats = true;   ///< compute per-link peak utilisation (a sweep over all flows)
};

struct SimResult {
  std::vector<Trace> traces;  ///< one per job, in input order
  LinkStats links;
  std::size_t flows = 0;      ///< SimGrid flows simulated
  int fold = 1;               ///< representatives stand for this many ranks each
};

}  // namespace trainsim
