#pragma once
// PowerSpec: how many watts each part of a training cluster draws, per activity state.
// Defaults come from the GPU catalog (models/gpu/gpu_catalog.hpp) and the cited figures in
// power_spec.cpp; a scenario may override each one under the cluster's "power" and "host"
// objects (docs/energy-cost-storage-failures.md#power).
#include "models/gpu/gpu_catalog.hpp"
#include "models/util/json_reader.hpp"

namespace trainsim {

/// Board power of one GPU in each activity state (W).
struct GpuPowerSpec {
  double idle_w = 0;     ///< no kernel running
  double compute_w = 0;  ///< tensor-core-bound kernels (runs at the power cap)
  double memory_w = 0;   ///< HBM-bandwidth-bound kernels
  double comm_w = 0;     ///< only collectives / copies in flight (NCCL, copy engines)
};

/// Host share of one node (CPUs, DRAM, fans, NVSwitches, PSU losses), excluding GPUs and NICs (W).
struct HostPowerSpec {
  double active_w = 0;  ///< while the node's GPUs are busy
  double idle_w = 0;    ///< while the node's GPUs are idle
};

struct PowerSpec {
  GpuPowerSpec gpu;
  HostPowerSpec host;           ///< per node
  double nic_w = 0;             ///< per inter-node NIC (adapter + optics)
  double switch_port_w = 0;     ///< per switch port (ASIC share + optics)
  double storage_server_w = 0;  ///< per storage server (OSS / appliance)
  double pue = 1.0;             ///< facility power / IT power
  double carbon_g_per_kwh = 0;  ///< grid carbon intensity, gCO2 per kWh drawn by the facility
};

/// The cited defaults for a GPU model in a node of `gpus_per_node` GPUs.
PowerSpec default_power_spec(const GpuSpec& gpu, int gpus_per_node);

/// Reads the cluster's "power" object over the defaults. Keys (all optional): gpu_idle_w,
/// gpu_compute_w, gpu_memory_w, gpu_comm_w, nic_w, switch_port_w, storage_server_w, pue [1, 3],
/// carbon_g_per_kwh [0, 2000]. Unknown keys are errors; errors name the JSON path.
PowerSpec parse_power(const JsonReader& r, const PowerSpec& defaults);
PowerSpec parse_power(const JsonReader& r, const GpuSpec& gpu, int gpus_per_node);

/// Reads the cluster's "host" object: active_w, idle_w (W per node, optional). Its memory and
/// host-link keys (host_spec_keys(), models/gpu/host_catalog.hpp) are accepted and read there.
HostPowerSpec parse_host_power(const JsonReader& r, const HostPowerSpec& defaults);

/// Reads the optional "power" and "host" members of a cluster object (other keys are ignored
/// here: parse_cluster owns them) over default_power_spec(gpu, gpus_per_node).
PowerSpec power_from_cluster(const JsonReader& cluster, const GpuSpec& gpu, int gpus_per_node);

}  // namespace trainsim
