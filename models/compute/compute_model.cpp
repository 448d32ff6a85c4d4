#include "models/compute/compute_model.hpp"

#include <algorithm>
#include <cmath>

namespace trainsim {

ComputeModel::ComputeModel(const GpuSpec& gpu, std::shared_ptr<const ComputeProfile> profile)
    : gpu_(gpu), profile_(std::move(profile)) {}

double ComputeModel::gemm_efficiency(std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t batch) const {
  // Three effects: (1) the datasheet ceiling cuBLAS reaches on large products (clock and power
  // limits, gemm_max_efficiency); (2) the K loop amortises each tile's prologue/epilogue, so short
  // K loses efficiency (NVIDIA "Matrix Multiplication Background" guide, arithmetic intensity);
  // (3) a product with fewer output tiles than SMs leaves SMs idle (partial first wave; Hopper
  // cuBLAS kernels are persistent, so later partial waves are mostly hidden);
  return gemm_efficiency(m, n, k, batch, Precision::BF16);
}

double ComputeModel::gemm_efficiency(std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t batch,
                                     Precision p) const {
  // The K half-efficiency point scales with the math rate: fp8 tensor cores finish a K step twice
  // as fast as bf16 ones while the tile's loads and epilogue take as long.
  const double rate_ratio = gpu_.peak_flops(p) / std::max(1.0, gpu_.peak_flops(Precision::BF16));
  const double K = static_cast<double>(std::max<std::int64_t>(k, 1));
  const double k_half = kGemmKHalf * std::max(1.0, rate_ratio);
  const double tiles = std::ceil(static_cast<double>(m) / kTileM) * std::ceil(static_cast<double>(n) / kTileN) *
                       static_cast<double>(std::max<std::int64_t>(batch, 1));
  const double occupancy = std::min(1.0, tiles / std::max(1, gpu_.sm_count));
  // (4) tile quantization: output tiles are computed whole, so a dimension that is not a multiple
  // of the tile wastes the padded part (NVIDIA "Matrix Multiplication Background" guide, "Tile
  // Quantization"): e.g. a head dimension of 96 fills 3/4 of a 128-wide tile.
  auto fill = [](std::int64_t d, double tile) {
    const double x = static_cast<double>(std::max<std::int64_t>(d, 1));
    return x / (std::ceil(x / tile) * tile);
  };
  const double tile_fill = fill(m, kTileM) * fill(n, kTileN);
  return gpu_.gemm_max_efficiency * (K / (K + k_half)) * occupancy * tile_fill;
}

double ComputeModel::sustained_peak(Precision p) const {
  // The efficiency ceilings are fitted to burst measurements; a training run keeps the tensor
  // cores busy long enough to reach the power limit (GpuSpec::sustained_clock_ratio).
  return gpu_.peak_flops(p) * gpu_.sustained_clock_ratio;
}

double ComputeModel::memory_time(double bytes) const {
  double bw =
      profile_ && profile_->memory_bandwidth() > 0 ? profile_->memory_bandwidth() : gpu_.hbm_bw * gpu_.hbm_efficiency;
  return bytes / bw;
}

double ComputeModel::attention_efficiency(const Kernel& k) {
  if (k.generation == FusedAttention::Flash1) return k.backward ? kFlash1BackwardEfficiency : kFlash1ForwardEfficiency;
  return kAttentionEfficiency;
}

double ComputeModel::time(const Kernel& k) const {
  const double overhead =
      profile_ && profile_->kernel_overhead() >= 0 ? profile_->kernel_overhead() : gpu_.kernel_overhead_s;
  switch (k.kind) {
    case KernelKind::Gemm: {
      double rate = profile_ ? profile_->gemm_flops(k.m, k.n, k.k, k.batch, k.precision) : 0.0;
      if (rate <= 0) rate = sustained_peak(k.precision) * gemm_efficiency(k.m, k.n, k.k, k.batch, k.precision);
      return std::max(k.flops / rate, memory_time(k.bytes)) + overhead;
    }
    case KernelKind::Attention: {
      double rate = profile_ ? profile_->attention_flops(k.n, k.k, k.precision) : 0.0;
      if (rate <= 0) rate = sustained_peak(k.precision) * attention_efficiency(k);
      const double work = k.causal ? 0.5 * k.flops : k.flops;
      return std::max(work / rate, memory_time(k.bytes)) + overhead;
    }
    case KernelKind::Memory: return memory_time(k.bytes) + overhead;
    case KernelKind::Collective:
    case KernelKind::HostCopy:
    case KernelKind::HostMemory: return 0.0;  // not on the GPU's SMs: costed from the cluster by sim/cost/op_costs.cpp
  }
  return 0.0;
}

}  // namespace trainsim
