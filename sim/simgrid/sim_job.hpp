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

/// Storage traffic of a job whose storage sits on the compute fabric (docs/simgrid-engine.md#storage-traffic):
/// `servers` endpoints, server s hanging off the edge switch of node floor(s x nodes / servers) by a
/// link of `read_bw` (server -> fabric) and `write_bw` (fabric -> server); at iteration start every
/// GPU pulls its share of `load_bytes` (and pushes its share of `checkpoint_bytes`) from (to) server
/// (node index mod servers).
struct StorageLoad {
  int servers = 0;              ///< 0: no storage traffic
  double read_bw = 0;           ///< bytes/s per server
  double write_bw = 0;          ///< bytes/s per server
  double load_bytes = 0;        ///< data loading of one iteration, whole job
  double checkpoint_bytes = 0;  ///< checkpoint written during the iteration, whole job (0: none)
};

struct SimJob {
  std::string name;
  const Plan* plan = nullptr;
  /// The job's own view of the cluster (its GPU count), used for compute and closed-form costs.
  ClusterSpec cluster;
  std::shared_ptr<const ComputeProfile> profile;
  /// Fabric GPU (vertex id) of each job rank; empty = rank r on GPU r.
  std::vector<int> gpu_of_rank;
  StorageLoad storage;  ///< storage flows next to the training flows (only the first job's are simulated)
};

struct SimOptions {
  bool fold = true;  ///< simulate one representative per tensor-parallel sibling set (link_folding.hpp)
  /// Fat-tree ECMP as perfect fluid balancing over equal-cost links (link_folding.hpp); false:
  /// hashed per-pair paths with their collisions (only meaningful with fold = false).
  bool fluid_ecmp = true;
  bool link_stats = true;  ///< compute per-link peak utilisation (a sweep over all flows)
  /// Draw a progress bar of the ops simulated on stderr when a run lasts more than 2 s (the CLI
  /// sets it when stderr is a terminal).
  bool progress = false;
  /// Inline collectives across nodes (expert all-to-alls of EP groups spanning nodes) run as flows
  /// while their estimated simulation work -- flows per iteration x flows in flight at once, the
  /// cost of Comm::sendto_async's bookkeeping (docs/simgrid-engine.md, approximation 4) -- stays
  /// below this (1e9: about half a minute); above it they are charged in closed form, as the
  /// analytic engine does, and the engine says so on stderr.
  double inline_flow_budget = 1e9;
};

struct SimResult {
  std::vector<Trace> traces;  ///< one per job, in input order
  LinkStats links;
  std::size_t flows = 0;   ///< SimGrid flows simulated
  int fold = 1;            ///< representatives stand for this many ranks each
  StorageTraffic storage;  ///< what the storage flows did (storage.simulated: there were some)
};

}  // namespace trainsim
