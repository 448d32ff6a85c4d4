#pragma once
// The SimGrid engine's entry points (docs/simgrid-engine.md).
#include <vector>

#include "sim/scenario/scenario.hpp"
#include "sim/simgrid/sim_job.hpp"
#include "topologies/fabric_graph.hpp"

namespace trainsim {

/// Runs the simulation in *this* process, creating its one SimGrid Engine: for child processes and
/// for tests that run one simulation per process.
SimResult simulate_here(const Fabric& fabric, const std::vector<SimJob>& jobs, const SimOptions& opt = {});
/// Runs the simulation in a forked child (any number of times per process).
SimResult simulate(const Fabric& fabric, const std::vector<SimJob>& jobs, const SimOptions& opt = {});

/// Options used by simgrid_execute (the registry's "simgrid" engine); defaults unless changed.
SimOptions& default_sim_options();

/// The storage traffic simgrid_execute adds for a scenario (docs/simgrid-engine.md#storage-traffic):
/// servers > 0 only when the cluster has an explicit "storage" section with a parallel FS on the
/// fabric ("on_fabric", default true for "parallel_fs", false for "object_store"); data loading
/// of one iteration, plus a checkpoint when sc.options.checkpoint_in_iteration.
StorageLoad storage_load(const Scenario& sc, const Plan& plan);

/// EngineFn of the "simgrid" engine: one job on the scenario's whole cluster. The trace covers
/// every simulated rank (all ranks, or with folding the ranks whose tp coordinate is a multiple
/// of the fold). Observers get every op, bytes per link class, and LinkStatsObserver full stats.
/// With storage traffic (storage_load) it simulates the iteration twice, with and without the
/// storage flows, and returns the first with trace.storage filled in.
Trace simgrid_execute(const Scenario& sc, const Plan& plan, const std::vector<ExecutionObserver*>& observers);

}  // namespace trainsim
