#pragma once
// The calibration profile a scenario names (options.profile: what `trainsim calibrate --runs` or
// `trainsim-hw calibrate` wrote), one format used whole:
//  - its measured kernels (GEMM, attention, memory, kernel overhead) by the compute model
//    (load_profile_for);
//  - its measured all-reduce fit as the cluster's intra-node link, and its fitted efficiency
//    factors on the GPU's dense peaks and on the intra-node and inter-node link bandwidths, applied
//    to the scenario's cluster when the scenario is read (apply_profile_to_cluster), so every
//    engine and the scorer see the same calibrated cluster.
#include <memory>

#include "models/calibration/profile.hpp"
#include "sim/scenario/scenario.hpp"

namespace trainsim {

/// The scenario's calibration profile when it names one (nullptr otherwise). Errors name the file.
std::shared_ptr<const ComputeProfile> load_profile_for(const Scenario& sc);

/// Applies a profile's link and efficiency parts to `cluster`: the measured all-reduce link (the
/// largest group measured) replaces the intra-node link; efficiency.compute[gpu] multiplies the
/// GPU's dense peaks, efficiency.intra_node the intra-node bandwidth, efficiency.inter_node the NIC
/// bandwidth.
void apply_profile_to_cluster(const CalibrationProfile& profile, ClusterSpec& cluster);

/// Multiplies the cluster's figures by efficiency factors (those <= 0 leave them as they are).
void apply_efficiency(const EfficiencyFactors& e, ClusterSpec& cluster);

}  // namespace trainsim
