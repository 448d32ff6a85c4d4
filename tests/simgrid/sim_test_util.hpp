#pragma once
// Helpers for the SimGrid-engine tests: small clusters and scenarios, and running an in-process
// simulation in a child (one SimGrid Engine per process, even when all TESTs share one process).
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/gpu/gpu_catalog.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/simgrid/fork_runner.hpp"
#include "topologies/cluster_spec.hpp"

namespace trainsim::sgtest {

/// 4 nodes x 2 GPUs, one 50 GB/s NIC per GPU, 2-level fat-tree of radix 4 (2 NICs per leaf).
inline ClusterSpec tiny_cluster(double oversub = 1.0) {
  ClusterSpec c;
  c.name = "tiny";
  c.gpu = gpu_by_name("H100-SXM5-80GB");
  c.nodes = 4;
  c.gpus_per_node = 2;
  c.intra = {IntraNodeKind::NVSwitch, 450e9, 2e-6, 0.8};
  c.nics_per_node = 2;
  c.nic_bw = 50e9;
  c.fabric.topology = TopologyKind::FatTree;
  c.fabric.levels = 2;
  c.fabric.switch_radix = 4;
  c.fabric.oversubscription = {oversub};
  c.fabric.hop_latency_s = 1e-6;
  c.fabric.efficiency = 1.0;
  c.fabric.core_link_bw = 50e9;
  return c;
}

/// Runs `fn` (returning doubles) in a child process.
template <class F>
std::vector<double> in_child(F fn) {
  const std::string s = run_in_child([&]() {
    const std::vector<double> v = fn();
    return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(double));
  });
  std::vector<double> v(s.size() / sizeof(double));
  std::memcpy(v.data(), s.data(), v.size() * sizeof(double));
  return v;
}

/// A scenario from inline cluster JSON and repository workload/strategy parts.
inline Scenario scenario(const nlohmann::json& cluster, const std::string& workload, const nlohmann::json& strategy) {
  nlohmann::json j = {{"name", "test"}, {"cluster", cluster}, {"workload", workload}, {"strategy", strategy}};
  return parse_scenario(j, "<test>", std::string(TRAINSIM_SOURCE_DIR) + "/scenarios");
}

/// DGX-H100-like nodes (8 GPUs, 8 x 400 Gb/s NICs) on a fat-tree of the given radix and oversubscription.
inline nlohmann::json dgx_cluster(int nodes, int radix, double oversub, int levels = 2) {
  return {{"gpu", "H100-SXM5-80GB"},
          {"nodes", nodes},
          {"gpus_per_node", 8},
          {"intra_node", {{"kind", "nvswitch"}}},
          {"nics_per_node", 8},
          {"nic_gbps", 400},
          {"fabric",
           {{"kind", "infiniband"},
            {"topology", "fat-tree"},
            {"levels", levels},
            {"switch_radix", radix},
            {"oversubscription", oversub},
            {"hop_latency_us", 0.13}}}};
}

}  // namespace trainsim::sgtest
