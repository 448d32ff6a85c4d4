#pragma once
// ComputeModel: time of one kernel on one GPU. A roofline (Williams et al., CACM 2009) with an
// efficiency model for matrix products; defaults are documented in docs/models.md and are
// replaced by a measured calibration profile when the scenario names one.
#include <memory>

#include "models/compute/kernel.hpp"
#include "models/gpu/gpu_catalog.hpp"

namespace trainsim {

/// Measured overrides (from `trainsim calibrate`); empty means "use the datasheet model".
class ComputeProfile {
 public:
  virtual ~ComputeProfile() = default;
  /// Achieved FLOP/s for a product of this shape and precision, or <= 0 when unknown.
  virtual double gemm_flops(std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t batch, Precision p) const = 0;
  /// Achieved FLOP/s of fused attention (causal work counted), or <= 0 when unknown.
  virtual double attention_flops(std::int64_t seq, std::int64_t head_dim, Precision p) const = 0;
  /// Achieved device-memory bandwidth (bytes/s), or <= 0 when unknown.
  virtual double memory_bandwidth() const = 0;
  /// Fixed cost per kernel launch (s), or < 0 when unknown.
  virtual double kernel_overhead() const = 0;
};

class ComputeModel {
 public:
  explicit ComputeModel(const GpuSpec& gpu, std::shared_ptr<const ComputeProfile> profile = nullptr);

  /// Seconds for a compute kernel (Gemm, Attention or Memory). Collectives and host-side kernels
  /// (HostCopy, HostMemory) are not costed here (0): OpCosts::kernel_time costs every kind.
  double time(const Kernel& k) const;
  /// Fraction of dense peak the datasheet model expects for a product of this shape.
  double gemm_efficiency(std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t batch) const;
  double gemm_efficiency(std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t batch, Precision p) const;
  double memory_time(double bytes) const;
  /// Dense peak (FLOP/s) at the clock the GPU sustains under continuous tensor work.
  double sustained_peak(Precision p) const;
  const GpuSpec& gpu() const { return gpu_; }

  /// K-dimension half-efficiency point of the GEMM model, fitted to the H100 table in
  /// shared/reference/h100-measured.md (K = 1024 products reach 0.66 of peak, K = 12288 0.80).
  static constexpr double kGemmKHalf = 128.0;
  /// Output tile (rows x cols) used to estimate how many SMs a small product occupies.
  static constexpr double kTileM = 128.0, kTileN = 128.0;
  /// Fused causal attention reaches 0.55 of dense peak on large heads (H100 SDPA, bf16, hd 128:
  /// 402-597 TF/s of 989, shared/reference/h100-measured.md).
  static constexpr double kAttentionEfficiency = 0.55;
  /// FlashAttention v1 on A100: "the forward pass only reaches 30-50% of the theoretical maximum
  /// FLOPs/s of the device, while the backward pass ... only 25-35%" (Dao, FlashAttention-2,
  /// arXiv 2307.08691, Introduction): the middles of those ranges. The 2023 Triton kernel that
  /// MosaicML used is of the same class ("slightly faster than flash", llm-foundry TUTORIAL.md).
  static constexpr double kFlash1ForwardEfficiency = 0.40, kFlash1BackwardEfficiency = 0.30;
  /// Fraction of sustained dense peak a fused attention kernel reaches (without a profile).
  static double attention_efficiency(const Kernel& k);

 private:
  GpuSpec gpu_;
  std::shared_ptr<const ComputeProfile> profile_;
};

}  // namespace trainsim
