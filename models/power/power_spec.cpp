#include "models/power/power_spec.hpp"

#include <algorithm>

#include <string>
#include <vector>

#include "models/gpu/host_catalog.hpp"

namespace trainsim {

namespace {
// ---- GPU state fractions (of the board power limit max_w) --------------------------------
// Compute-bound: dense GEMMs run at the power cap. Measured on the project's H100 SXM:
// 698-708 W sustained at the 700 W limit (shared/reference/h100-measured.md), so compute_w =
// max_w for every part (the datasheet TDP).
// Idle: GpuSpec::idle_w (H100: 71 W measured, same file).
// Memory-bound: 0.60 of max_w. Assumed: HBM-streaming kernels leave the tensor cores idle and
// the SM clocks unthrottled but mostly stalled; nvidia-smi reads of copy/element-wise-bound
// loops typically sit at 50-65 % of the cap. To be replaced by NVML readings that the hardware
// backend records (hw-backend, ARCHITECTURE.md "record NVML power").
// Communication-only: 0.40 of max_w. Assumed: NCCL kernels occupy few SMs and the copy engines;
// the GPU draws little above idle plus HBM and NVLink/PCIe SerDes power (cf. the power
// characterisation of overlapped and serial compute/communication in arXiv:2507.03114, 2025).
constexpr double kMemoryBoundFraction = 0.60;
constexpr double kCommFraction = 0.40;

// ---- Host share -----------------------------------------------------------------------------
// 1,650 W per 8-GPU node (206 W per GPU), the same whatever the GPUs: the floor three different
// servers draw when their GPUs idle, measured in the MLPerf Training power logs (node readings
// minus 8 x the GPUs' measured idle power): SMC's immersion-cooled 8x H100 after the training
// processes exit, 2,223 W DC - 8 x 72.5 W (H100 idle without a context, NLR arXiv:2604.07345) =
// 1,643 W; Dell's air-cooled XE9680 before the run, 2,883 W AC x 0.96 - 8 x 122-146 W (idle
// with a context, arXiv:2605.23918) = 1.60-1.79 kW; Lenovo's water-cooled 8x B200 at the end of
// its run, ~3.0 kW AC x 0.94 - 8 x ~140 W (B200 idle, SemiAnalysis in ROCm issue #5219) ~
// 1.70 kW (mlcommons/training_results_v4.0 smc-*-power, v4.1 Dell, v5.0 Lenovo power folders).
// CPUs, DRAM, NICs, NVSwitch baseboard, NVMe, BMC and board losses together; air cooling's fans
// at idle speed included. What the host adds under a training load (data-loader and launch
// threads, fans spinning up) has no measurement apart from the training readings themselves, so
// the host draws its floor throughout (the earlier 0.5 x GPU TDP per GPU, 350 W for an H100, was
// a peak residual of an air-cooled node: Latif et al. arXiv:2412.08602, 8.4 kW - 8 x 700 W).
// Scaled by GPUs per node for other servers (4-GPU trays: half).
constexpr double kHostFloorPer8GpuNodeW = 1650.0;

// ---- Network, storage, facility --------------------------------------------------------------
// NIC: 25 W per 400 Gb/s adapter including its optics. Assumed from ConnectX-7 class adapters
// (~15-20 W) plus half of a Class-8 17 W OSFP optic (QM97xx user manual, "Interfaces").
constexpr double kNicW = 25.0;
// Switch port: 11.6 W. A 64-port NDR switch (QM9700) hosts 32 twin-port OSFP cages with
// Class-8 17 W optics (QM97xx user manual) = 544 W, plus an assumed ~200 W for ASIC and fans:
// ~744 W / 64 ports.
constexpr double kSwitchPortW = 11.6;
// Storage server: 1,500 W per 2U all-NVMe server/appliance. Assumed: 24 NVMe drives at ~25 W
// (enterprise U.2 maximum, e.g. Samsung PM1733 datasheet) + 2 CPUs + NICs + fans.
constexpr double kStorageServerW = 1500.0;
// PUE 1.10: Google's fleet-wide trailing-twelve-month PUE for 2023 (Google 2024 Environmental
// Report). The Uptime Institute 2023 survey average across all data centres is 1.58.
constexpr double kPue = 1.10;
// Grid carbon intensity 480 gCO2/kWh: world average electricity in 2023 (Ember, Global
// Electricity Review 2024).
constexpr double kCarbonGPerKwh = 480.0;
}  // namespace

PowerSpec default_power_spec(const GpuSpec& gpu, int gpus_per_node) {
  PowerSpec p;
  p.gpu.idle_w = gpu.idle_w;
  p.gpu.compute_w = gpu.max_w;
  p.gpu.memory_w = kMemoryBoundFraction * gpu.max_w;
  p.gpu.comm_w = kCommFraction * gpu.max_w;
  p.host.idle_w = kHostFloorPer8GpuNodeW / 8.0 * gpus_per_node;
  p.host.active_w = p.host.idle_w;
  p.nic_w = kNicW;
  p.switch_port_w = kSwitchPortW;
  p.storage_server_w = kStorageServerW;
  p.pue = kPue;
  p.carbon_g_per_kwh = kCarbonGPerKwh;
  return p;
}

PowerSpec parse_power(const JsonReader& r, const PowerSpec& d) {
  r.reject_unknown({"gpu_idle_w", "gpu_compute_w", "gpu_memory_w", "gpu_comm_w", "nic_w", "switch_port_w",
                    "storage_server_w", "pue", "carbon_g_per_kwh"});
  PowerSpec p = d;
  p.gpu.idle_w = r.opt_number("gpu_idle_w", 0, 5000).value_or(d.gpu.idle_w);
  p.gpu.compute_w = r.opt_number("gpu_compute_w", 0, 5000).value_or(d.gpu.compute_w);
  p.gpu.memory_w = r.opt_number("gpu_memory_w", 0, 5000).value_or(d.gpu.memory_w);
  p.gpu.comm_w = r.opt_number("gpu_comm_w", 0, 5000).value_or(d.gpu.comm_w);
  p.nic_w = r.opt_number("nic_w", 0, 1000).value_or(d.nic_w);
  p.switch_port_w = r.opt_number("switch_port_w", 0, 1000).value_or(d.switch_port_w);
  p.storage_server_w = r.opt_number("storage_server_w", 0, 100000).value_or(d.storage_server_w);
  p.pue = r.opt_number("pue", 1.0, 3.0).value_or(d.pue);
  p.carbon_g_per_kwh = r.opt_number("carbon_g_per_kwh", 0, 2000).value_or(d.carbon_g_per_kwh);
  // A busy GPU never draws less than an idle one; catching this here names the field.
  for (auto [key, w] : {std::pair{"gpu_compute_w", p.gpu.compute_w}, std::pair{"gpu_memory_w", p.gpu.memory_w},
                        std::pair{"gpu_comm_w", p.gpu.comm_w}})
    if (w < p.gpu.idle_w)
      throw InputError(r.where(key), "at least gpu_idle_w (" + std::to_string(p.gpu.idle_w) + " W)",
                       "number " + std::to_string(w));
  return p;
}

PowerSpec parse_power(const JsonReader& r, const GpuSpec& gpu, int gpus_per_node) {
  return parse_power(r, default_power_spec(gpu, gpus_per_node));
}

HostPowerSpec parse_host_power(const JsonReader& r, const HostPowerSpec& d) {
  std::vector<std::string> known = {"active_w", "idle_w"};
  // The same object describes the host's memory and links (models/gpu/host_catalog.hpp).
  known.insert(known.end(), host_spec_keys().begin(), host_spec_keys().end());
  r.reject_unknown(known);
  HostPowerSpec h;
  h.active_w = r.opt_number("active_w", 0, 1e6).value_or(d.active_w);
  // When only active_w is given, the idle floor stays the default's (at most active_w).
  h.idle_w = r.opt_number("idle_w", 0, 1e6).value_or(std::min(d.idle_w, h.active_w));
  if (h.idle_w > h.active_w)
    throw InputError(r.where("idle_w"), "at most active_w (" + std::to_string(h.active_w) + " W)",
                     "number " + std::to_string(h.idle_w));
  return h;
}

PowerSpec power_from_cluster(const JsonReader& cluster, const GpuSpec& gpu, int gpus_per_node) {
  PowerSpec p = default_power_spec(gpu, gpus_per_node);
  if (auto pr = cluster.opt_object("power")) p = parse_power(*pr, p);
  if (auto hr = cluster.opt_object("host")) p.host = parse_host_power(*hr, p.host);
  return p;
}

}  // namespace trainsim
