#pragma once
// Energy of one training iteration from a per-GPU activity breakdown (time spent compute-bound,
// memory-bound, communicating and idle), split into GPU / host / network / storage / facility.
// Model: E = sum over parts of (state power x time in state); facility overhead = (PUE - 1) x IT
// energy (The Green Grid, "PUE: a comprehensive examination of the metric", WP#49, 2012).
#include "models/power/power_spec.hpp"

namespace trainsim {

/// Where one GPU's iteration time goes (s). The four parts partition the iteration: time when a
/// kernel computes while a collective overlaps it counts as compute_s.
struct ActivityBreakdown {
  double compute_s = 0, memory_s = 0, comm_s = 0, idle_s = 0;
  double total_s() const { return compute_s + memory_s + comm_s + idle_s; }
};

/// How many of each powered part the job holds.
struct ClusterCounts {
  int gpus = 0;
  /// GPUs the job holds but runs no rank on (a scale-up domain used in part: 64 of an NVL72's 72);
  /// they draw their idle power for the whole iteration.
  int idle_gpus = 0;
  int nodes = 0;
  int nics = 0;  ///< inter-node NICs (nodes x nics_per_node)
  int switches = 0;
  int ports_per_switch = 64;  ///< switch radix (Quantum-2 NDR: 64)
  int storage_servers = 0;
};

/// Energy of one iteration (J) by part, and the average facility power (W).
struct EnergyBreakdown {
  double gpu_j = 0, host_j = 0, network_j = 0, storage_j = 0, facility_j = 0;
  double iteration_s = 0;
  double average_power_w = 0;  ///< total_j() / iteration_s
  double it_j() const { return gpu_j + host_j + network_j + storage_j; }
  double total_j() const { return it_j() + facility_j; }
};

/// Energy per iteration for every GPU following `a` (all GPUs assumed alike). Host power is
/// interpolated between idle and active by the busy fraction (1 - idle_s / iteration).
/// Throws InternalError on negative durations or counts.
EnergyBreakdown iteration_energy(const PowerSpec& p, const ActivityBreakdown& a, const ClusterCounts& c);

/// J -> kWh (1 kWh = 3.6e6 J).
double joules_to_kwh(double j);
/// Facility energy of `iterations` iterations (kWh).
double run_energy_kwh(const EnergyBreakdown& per_iteration, double iterations);
/// Emissions (kg CO2) of `kwh` at `g_per_kwh`.
double co2_kg(double kwh, double g_per_kwh);

}  // namespace trainsim
