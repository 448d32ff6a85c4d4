#pragma once
// Energy, cost, storage stalls and failures of a predicted training run (issue #5). Glues the pure
// models of models/power, models/cost, models/storage and models/reliability
// (docs/energy-cost-storage-failures.md) to a Plan, a Trace and the Metrics computed from them:
//   1. storage: data-loading demand (global batch x seq_len x 4 bytes, tokenised int32 ids) against
//      the cluster's "storage" section -> stall per iteration; iteration_time_with_io = T + stall;
//   2. energy: per-GPU activity (sim/metrics/activity.hpp, the stall counted as idle) -> GPU, host,
//      network (NICs + switch ports from the Fabric graph), storage servers and facility (PUE);
//   3. reliability: checkpoint of weights + optimizer state (params x 14 bytes), job MTBF, Daly's
//      interval, expected wall-clock time to train and goodput;
//   4. cost: cloud (on-demand / reserved / spot) or on-prem TCO from the cluster's "cost" section.
// The cluster sections are optional (cited defaults apply); errors name the JSON path.
#include <optional>
#include <string>

#include "models/cost/roi.hpp"
#include "models/cost/run_cost.hpp"
#include "models/power/energy_model.hpp"
#include "models/reliability/checkpoint_interval.hpp"
#include "models/storage/storage_spec.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/trace/trace.hpp"

namespace trainsim {

struct Metrics;

struct StorageReport {
  std::string source, tier;        ///< "parallel_fs" | "object_store"; tier the iteration reads from
  double bytes_per_sample = 0;     ///< seq_len x 4 bytes (tokenised int32 ids)
  double bytes_per_iteration = 0;  ///< whole job
  double load_s = 0;               ///< time to supply one iteration's samples (per node, in parallel)
  double data_stall_s = 0;         ///< exposed after prefetch: max(0, load - T)
  double iteration_time_with_io_s = 0;
  /// SimGrid engine with the storage on the fabric (trace.storage.simulated): the storage flows
  /// simulated next to the training flows. The closed-form fields above are kept as they are.
  StorageTraffic simulated;
  double simulated_data_stall_s = 0;              ///< max(0, simulated load - T)
  double simulated_iteration_time_with_io_s = 0;  ///< T + simulated_data_stall_s
  double contention_slowdown_s = 0;               ///< T - the same simulation without storage flows
};

struct EnergyReport {
  ActivityBreakdown activity;        ///< per GPU, per iteration (stall counted as idle)
  ClusterCounts counts;              ///< the job's powered parts
  EnergyBreakdown per_iteration;     ///< J, over iteration_time_with_io_s
  double iterations = 0;             ///< train_tokens / tokens per iteration (0: no token budget)
  double run_kwh = 0;                ///< failure-free run: per_iteration x iterations
  double run_kwh_with_failures = 0;  ///< expected wall time incl. checkpoints, lost work, restarts
  double co2_kg = 0, co2_kg_with_failures = 0;
  double pue = 0, carbon_g_per_kwh = 0;
};

struct ReliabilityReport {
  double job_mtbf_s = 0;
  double state_bytes = 0;  ///< checkpoint size
  double checkpoint_write_s = 0, checkpoint_restore_s = 0, checkpoint_blocking_s = 0;
  double restart_s = 0;
  double young_interval_s = 0, daly_interval_s = 0;
  double ideal_time_to_train_s = 0;  ///< iterations x iteration_time_with_io_s
  TimeToTrain expected;              ///< interval used, wall_s, goodput, expected failures
};

struct CostReport {
  std::string model, market;  ///< "cloud" | "on_prem"; cloud market
  std::string price_source;   ///< the catalog offer or server price used, with its date and source, or "stated"
  /// No price for the GPU (CloudPricing::unpriced): the USD figures are 0 and reported as unpriced.
  bool unpriced = false;
  std::string price_field;  ///< when unpriced: the field that would price it
  double usd_per_hour = 0;  ///< the job's share of the cluster, per wall-clock hour
  double usd_per_gpu_hour = 0;
  RunCost run;                           ///< per iteration, failure-free run, per million tokens
  double usd_per_run_with_failures = 0;  ///< usd_per_hour x expected wall time
  double capex_usd = 0;                  ///< on-prem only
  double onprem_capital_usd_per_hour = 0, onprem_maintenance_usd_per_hour = 0, onprem_energy_usd_per_hour = 0;
  double onprem_utilisation = 0;
  std::optional<RoiResult> roi;  ///< when the cost section has "roi"
};

struct EnergyCostReport {
  bool valid = false;
  StorageReport storage;
  EnergyReport energy;
  ReliabilityReport reliability;
  CostReport cost;
};

/// Data-loading bytes of one iteration for the whole job: global batch x seq_len x 4 bytes
/// (tokenised int32 ids). The one formula the closed form and the SimGrid engine's storage flows use.
double data_bytes_per_iteration(const TransformerConfig& model, const Strategy& s);
/// Checkpointed bytes: parameters x 14 (bf16 weights + fp32 master weights, Adam m and v).
double checkpoint_state_bytes(const TransformerConfig& model);
/// The cluster's storage section over the cited defaults (a job of `nodes` nodes).
StorageSpec storage_spec_for(const Scenario& sc, int nodes);

/// The cluster object of a scenario as a reader whose errors name the cluster's file and path
/// ("clusters/x.json: $.cost.cloud.market", or "<scenario>: $.cluster.cost..." when inline).
JsonReader cluster_reader(const Scenario& sc);

/// Everything above for one predicted iteration from its per-GPU activity (sim/metrics/timeline.hpp):
/// `m` supplies gpus, iteration_time_s and train_tokens; `s` the global batch. `simulated`: the
/// storage traffic an engine simulated on the fabric (SimGrid), reported beside the closed form.
/// Throws InputError on a bad cluster section.
EnergyCostReport energy_cost_report(const Scenario& sc, const Strategy& s, const ActivityBreakdown& activity,
                                    const Metrics& m, const StorageTraffic& simulated = {});

}  // namespace trainsim
