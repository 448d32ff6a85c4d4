#pragma once
// The host side of a GPU node: the CPUs' memory bandwidth and each GPU's link to host memory
// (PCIe). What optimizer-state offload (ZeRO-Offload, Ren et al., USENIX ATC 2021) runs on:
// gradients go device-to-host, a CPU Adam updates the fp32 state in host memory, the updated
// weights go host-to-device. Defaults per GPU family are cited in host_catalog.cpp; a cluster's
// "host" object overrides them (docs/scenarios.md#cluster).
#include <string>
#include <vector>

#include "models/gpu/gpu_catalog.hpp"
#include "models/util/json_reader.hpp"

namespace trainsim {

struct HostSpec {
  std::string cpu;               ///< what the defaults describe ("2x AMD EPYC 7742 (DGX A100)")
  double memory_bw = 0;          ///< bytes/s, the node's DRAM channels at their data rate (all sockets)
  double memory_efficiency = 0;  ///< fraction of memory_bw a multi-stream CPU kernel (CPU Adam) reaches
  double h2d_bw = 0;             ///< bytes/s per GPU, pinned host-to-device copies
  double d2h_bw = 0;             ///< bytes/s per GPU, pinned device-to-host copies
};

/// The host of the reference node that carries this GPU (DGX-2, DGX A100, DGX H100, DGX B200 ...).
HostSpec default_host_spec(const GpuSpec& gpu);

/// Reads the cluster's "host" object over `defaults`: memory_gbytes_per_s, memory_efficiency,
/// h2d_gbytes_per_s, d2h_gbytes_per_s (all optional). The same object holds the host's power
/// draw (active_w, idle_w: models/power/power_spec.hpp); any other key is an error naming its path.
HostSpec parse_host_spec(const JsonReader& r, const HostSpec& defaults);

/// Keys of the "host" object that parse_host_spec reads (the power model accepts them too).
const std::vector<std::string>& host_spec_keys();

}  // namespace trainsim
