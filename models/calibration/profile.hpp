#pragma once
// CalibrationProfile: the measured figures of one device (written by `trainsim-hw calibrate`)
// exposed as a ComputeProfile, so the analytic and SimGrid engines cost kernels with measured
// rates instead of datasheet ones. Pure: no MPI, no CUDA. Format: docs/hardware-backend.md.
//
// Shapes between measured points are interpolated in log space (inverse-distance weighting over
// log m, log n, log k, log batch: Shepard, "A two-dimensional interpolation function for
// irregularly-spaced data", ACM 1968), which returns measured points exactly. Curves (memory
// time vs bytes, collective time vs bytes) are fitted by linear least squares with Eigen.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/compute/compute_model.hpp"

namespace trainsim {

struct GemmPoint {
  std::int64_t m = 0, n = 0, k = 0, batch = 1;
  Precision precision = Precision::BF16;
  double flops_per_s = 0;
};
struct AttentionPoint {
  std::int64_t seq = 0, head_dim = 0, heads = 1;
  Precision precision = Precision::BF16;
  double flops_per_s = 0;  ///< causal work counted (as ComputeModel does)
};
struct SizeTimePoint {
  double bytes = 0, seconds = 0;
};
struct CollectivePoint {
  CollectiveKind kind = CollectiveKind::AllReduce;
  int group_size = 2;
  double bytes = 0, seconds = 0;
};
/// t = intercept + bytes / bandwidth (least squares).
struct LinearFit {
  double intercept = 0, bandwidth = 0;
  bool valid() const { return bandwidth > 0; }
};
/// Alpha-beta parameters of one link level, as models/collective expects them.
struct LinkFit {
  int group_size = 0;
  double latency_s = 0;  ///< per algorithm step
  double bandwidth = 0;  ///< bytes/s per rank per direction
};

LinearFit fit_linear_time(const std::vector<SizeTimePoint>& pts);
/// Fits ring all-reduce times t = 2(g-1)·alpha + 2(g-1)/g · bytes/beta (Thakur et al. 2005).
std::optional<LinkFit> fit_allreduce_link(const std::vector<CollectivePoint>& pts, int group_size);

/// Efficiency factors fitted from whole training runs (`trainsim calibrate --runs`): each
/// multiplies a datasheet figure of the scenario's cluster. 0 (or absent) leaves it as it is.
struct EfficiencyFactors {
  std::map<std::string, double> compute;  ///< GPU catalog name -> factor on its dense peaks
  double intra_node = 0;                  ///< factor on the intra-node link bandwidth (NVLink / PCIe)
  double inter_node = 0;                  ///< factor on the NIC bandwidth (the scale-out fabric)
  nlohmann::json fitted_from;             ///< the runs and errors of the fit, for the reader
  bool empty() const { return compute.empty() && intra_node <= 0 && inter_node <= 0; }
};

class CalibrationProfile : public ComputeProfile {
 public:
  std::string device;       ///< "cpu" or "cuda"
  std::string device_name;  ///< what the device reported (CPU model, GPU name)
  int ranks = 1;            ///< processes that ran the benchmarks concurrently
  double overhead_s = -1;   ///< per-kernel fixed cost; < 0 unknown
  std::vector<GemmPoint> gemm;
  std::vector<AttentionPoint> attention;
  std::vector<SizeTimePoint> memory;
  std::vector<CollectivePoint> collectives;
  double h2d_bytes_per_s = 0, d2h_bytes_per_s = 0;
  double idle_w = 0, active_w = 0;
  EfficiencyFactors efficiency;  ///< "efficiency" (optional): fitted from runs

  double gemm_flops(std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t batch, Precision p) const override;
  double attention_flops(std::int64_t seq, std::int64_t head_dim, Precision p) const override;
  double memory_bandwidth() const override;
  double kernel_overhead() const override { return overhead_s; }
  /// Best link fit among the measured group sizes (largest group), if any collectives were measured.
  std::optional<LinkFit> link() const;

  nlohmann::json to_json() const;
  static CalibrationProfile from_json(const nlohmann::json& j, const std::string& where);
};

/// Reads a profile file; throws InputError naming the file and field on problems.
std::shared_ptr<const CalibrationProfile> load_calibration_profile(const std::string& path);
/// Same, typed as ComputeProfile: the loader predict() uses for a scenario's options.profile.
std::shared_ptr<const ComputeProfile> load_compute_profile(const std::string& path);

}  // namespace trainsim
