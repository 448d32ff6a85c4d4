#include "sim/scenario/scenario_profile.hpp"

namespace trainsim {

std::shared_ptr<const ComputeProfile> load_profile_for(const Scenario& sc) {
  if (!sc.options.profile) return nullptr;
  return load_compute_profile(*sc.options.profile);
}

void apply_efficiency(const EfficiencyFactors& e, ClusterSpec& cluster) {
  if (const auto it = e.compute.find(cluster.gpu.name); it != e.compute.end() && it->second > 0) {
    GpuSpec& g = cluster.gpu;
    for (double* peak : {&g.peak_tflops_fp32, &g.peak_tflops_tf32, &g.peak_tflops_fp16, &g.peak_tflops_fp8})
      *peak *= it->second;
  }
  if (e.intra_node > 0) cluster.intra.bw *= e.intra_node;
  if (e.inter_node > 0) cluster.nic_bw *= e.inter_node;
}

void apply_profile_to_cluster(const CalibrationProfile& profile, ClusterSpec& cluster) {
  if (auto l = profile.link()) {
    // The profile's all-reduce fit (Thakur et al. 2005 ring model over the largest group it
    // measured) is the intra-node link where the benchmarks ran: bandwidth and per-step latency
    // measured, so no further efficiency or message-size ramp applies.
    cluster.intra.bw = l->bandwidth;
    cluster.intra.latency_s = l->latency_s;
    cluster.intra.efficiency = 1.0;
    cluster.intra.half_bw_bytes = 0;
  }
  apply_efficiency(profile.efficiency, cluster);
}

}  // namespace trainsim
