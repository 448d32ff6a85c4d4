#pragma once
// The accelerator catalog: one source of truth for every device figure. Each number is a
// datasheet value (cited in gpu_catalog.cpp) unless marked "measured".
#include <string>
#include <vector>

#include "models/gpu/precision.hpp"

namespace trainsim {

struct GpuSpec {
  std::string name;             ///< catalog key, as in the published-runs schema ("A100-SXM4-80GB")
  double peak_tflops_fp32 = 0;  ///< dense, non-tensor
  double peak_tflops_tf32 = 0;  ///< dense tensor
  double peak_tflops_fp16 = 0;  ///< dense tensor (bf16 identical on every listed part)
  double peak_tflops_fp8 = 0;   ///< dense tensor; 0 when unsupported
  double hbm_gib = 0;           ///< device memory capacity, GiB as marketed in GB (1e9) converted below
  double hbm_bytes = 0;         ///< capacity in bytes
  double hbm_bw = 0;            ///< bytes/s
  double nvlink_bw = 0;         ///< bytes/s per direction per GPU (0 = no NVLink)
  double pcie_bw = 0;           ///< bytes/s per direction, host link
  int sm_count = 0;             ///< streaming multiprocessors (for wave quantization)
  double idle_w = 0;            ///< board power at idle, W
  double max_w = 0;             ///< board power limit (TDP), W
  /// GEMM model defaults (see models/compute/gemm_model.hpp): best fraction of peak that
  /// large cuBLAS products reach and the per-kernel launch/tail overhead.
  double gemm_max_efficiency = 0.8;
  double kernel_overhead_s = 5e-6;
  /// Fraction of HBM bandwidth that streaming (element-wise) kernels reach.
  double hbm_efficiency = 0.8;
  /// Sustained / burst SM clock under continuous tensor-core work. The GEMM ceiling above is
  /// fitted to short (burst) measurements; a training run keeps the tensor cores busy for
  /// seconds, the board reaches its power limit and the SM clock drops (1.0: the ceiling was
  /// measured at the power limit already). Memory-bound kernels are not clock-bound.
  double sustained_clock_ratio = 1.0;
  /// Published measurements the figures above are checked against (0: none found):
  /// the maximum achievable dense bf16/fp16 matrix-product rate as a fraction of the datasheet peak
  /// (MAMF: Bekman's mamf-finder, AMD's MAF), and the highest model-FLOPs utilisation a published
  /// training run reached on this GPU (bf16/fp16, and fp8 against the fp8 peak). `trainsim run`
  /// warns when a prediction lies above the published MFU or when there is none to check it with.
  double mamf_fraction = 0;
  double best_published_mfu = 0;
  double best_published_mfu_fp8 = 0;
  std::string measurements_source;  ///< where the three figures above come from

  double peak_flops(Precision p) const;  ///< FLOP/s, dense
};

/// Looks a GPU up by name (case-insensitive); throws InputError listing the known names.
const GpuSpec& gpu_by_name(const std::string& name, const std::string& where = "gpu");
const std::vector<GpuSpec>& gpu_catalog();

}  // namespace trainsim
