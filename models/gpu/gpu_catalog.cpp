#include "models/gpu/gpu_catalog.hpp"

#include <algorithm>
#include <cctype>

#include "models/util/errors.hpp"

namespace trainsim {

namespace {
constexpr double GB = 1e9;
constexpr double TB = 1e12;
/// Sustained / burst SM clock of the GH100 die at its 700 W limit (see "Sustained clock" below).
constexpr double kGh100SustainedClockRatio = 1372.5 / 1980.0;

GpuSpec make(const char* name, double fp32, double tf32, double fp16, double fp8, double mem_gb, double hbm_tbps,
             double nvlink_gbps_dir, double pcie_gbps_dir, int sms, double idle_w, double max_w, double gemm_eff,
             double hbm_eff) {
  GpuSpec g;
  g.name = name;
  g.peak_tflops_fp32 = fp32;
  g.peak_tflops_tf32 = tf32;
  g.peak_tflops_fp16 = fp16;
  g.peak_tflops_fp8 = fp8;
  g.hbm_bytes = mem_gb * GB;
  g.hbm_gib = g.hbm_bytes / (1024.0 * 1024 * 1024);
  g.hbm_bw = hbm_tbps * TB;
  g.nvlink_bw = nvlink_gbps_dir * GB;
  g.pcie_bw = pcie_gbps_dir * GB;
  g.sm_count = sms;
  g.idle_w = idle_w;
  g.max_w = max_w;
  g.gemm_max_efficiency = gemm_eff;
  g.hbm_efficiency = hbm_eff;
  // Same GH100 die and 700 W limit as the measured H100 (see "Sustained clock" below).
  const std::string n = name;
  if (n.rfind("H100", 0) == 0 || n.rfind("H800", 0) == 0 || n.rfind("H200", 0) == 0)
    g.sustained_clock_ratio = kGh100SustainedClockRatio;
  return g;
}

// Sources (dense tensor peaks, memory, links, power limits):
//  V100: NVIDIA Tesla V100 datasheet (2020): SXM2 125 TF fp16 tensor, 15.7 fp32, 900 GB/s HBM2,
//        NVLink 300 GB/s total (150/dir), 300 W; PCIe 112 TF, 250 W, PCIe Gen3 x16 (16 GB/s).
//  A100: NVIDIA A100 datasheet (2021): 312 TF fp16/bf16 dense, 156 TF tf32, 19.5 fp32;
//        40GB 1,555 GB/s, 80GB 2,039 GB/s; NVLink 600 GB/s total (300/dir); 400 W; 108 SMs;
//        peak 312 also quoted in Narayanan et al. SC'21 Sec. 5 (validation record cal_a100_peak_16bit).
//  H100 SXM5: NVIDIA H100 datasheet / Hopper whitepaper: 989.4 TF bf16 dense, 1978.9 fp8,
//        494.7 tf32, 66.9 fp32, 3.35 TB/s, NVLink 900 GB/s total (450/dir), 700 W, 132 SMs
//        (validation record cal_h100_sxm_peaks). Idle 71 W measured (shared/reference/h100-measured.md).
//  H800 SXM5: same compute as H100, NVLink 400 GB/s total (200/dir) (DeepSeek-V3 report Sec. 3.2.2
//        measures 160 GB/s usable).
//  H200 SXM: NVIDIA H200 datasheet: H100 compute, 141 GB HBM3e, 4.8 TB/s, 700 W.
//  B200: NVIDIA DGX B200 datasheet: 72 PF fp8 training per 8 GPUs (sparse) -> 4.5 PF fp8 dense,
//        2.25 PF bf16 dense per GPU; 180 GB usable HBM3e at 8 TB/s; NVLink5 1.8 TB/s total; 1000 W.
//  A800-SXM4-80GB: NVIDIA A800 datasheet: the A100 80GB's compute, memory and power with NVLink
//        at 400 GB/s (200 per direction) instead of 600.
//  GB200: NVIDIA GB200 NVL72 datasheet, per rack of 72 Blackwell GPUs: FP8 720 PF, FP16/BF16
//        360 PF and TF32 180 PF with sparsity -> per GPU dense 5 PF fp8, 2.5 PF bf16, 1.25 PF tf32;
//        HBM3e 13.4 TB at 576 TB/s -> 186 GB at 8 TB/s; NVLink 130 TB/s -> 1.8 TB/s (900 GB/s per
//        direction); same die as B200 (148 SMs, fp32 as B200). Power: the GB200 superchip (2 GPUs
//        + 1 Grace) is configurable to 2.7 kW: 1200 W per GPU taken as its limit. No sustained-
//        clock measurement (1.0, as B200).
//  MI300X: AMD Instinct MI300X datasheet: 1307.4 TF bf16 dense, 2614.9 fp8, 163.4 fp32 matrix,
//        192 GB HBM3 at 5.3 TB/s, Infinity Fabric 896 GB/s aggregate (448/dir), 750 W, 304 CUs.
//
// GEMM efficiency ceilings (gemm_max_efficiency): the largest fraction of dense peak that
// well-shaped cuBLAS products reach, before the shape terms of models/compute/compute_model.cpp.
//  H100: 0.81, fitted to shared/reference/h100-measured.md (8192^3 bf16 = 747 TF/s = 0.755 of
//        peak with the K term K/(K+128); the card runs at its 700 W cap and throttles clocks).
//  Every other part: no measurement here, so the same measured ceiling is assumed (dense products
//        on A100 and V100 also run at their power cap); `trainsim calibrate` replaces it.
// Sustained clock (sustained_clock_ratio): H100/H800/H200 (same GH100 die, 700 W limit):
//        shared/reference/h100-measured.md measured the 8192^3 bf16 products above in short bursts
//        (median of 50 after 10 warm-ups, ~0.1 s); sustained products ran at 698-708 W with the SM
//        clock throttled from 1980 MHz to 1350-1395 MHz. Tensor throughput is proportional to the
//        SM clock, so sustained compute-bound kernels run at 1372.5 / 1980 = 0.693 of the burst
//        rate. The burst figure cannot itself be throttled: 747 TF/s exceeds the 742 TF/s that
//        132 SMs x 4 tensor cores x 1024 FLOP/clock deliver at 1372.5 MHz (the 989.4 TF/s
//        datasheet peak is that product at 1830 MHz).
//        A100: 1.0: its ceiling (249 TF/s at 8192^3) already sits at the 258 TF/s that cuBLAS
//        sustains at the 400 W cap (H. He, thonking.ai 2024; docs/validation.md). Others: 1.0,
//        no measurement (a calibration profile replaces the datasheet model).
// Idle power: H100 measured; others ~0.15-0.2 of TDP as nvidia-smi typically reports at idle.
// hbm_efficiency: H100 device-to-device copy measured 3.0 TB/s of 3.35 (0.90); 0.85 assumed elsewhere.
const std::vector<GpuSpec> kCatalog = {
    make("V100-SXM2-32GB", 15.7, 0, 125, 0, 32, 0.9, 150, 16, 80, 45, 300, 0.81, 0.85),
    make("V100-PCIE-32GB", 14.0, 0, 112, 0, 32, 0.9, 0, 16, 80, 35, 250, 0.81, 0.85),
    make("A100-SXM4-40GB", 19.5, 156, 312, 0, 40, 1.555, 300, 32, 108, 55, 400, 0.81, 0.85),
    make("A100-SXM4-80GB", 19.5, 156, 312, 0, 80, 2.039, 300, 32, 108, 60, 400, 0.81, 0.85),
    make("A800-SXM4-80GB", 19.5, 156, 312, 0, 80, 2.039, 200, 32, 108, 60, 400, 0.81, 0.85),
    make("H100-SXM5-80GB", 66.9, 494.7, 989.4, 1978.9, 80, 3.35, 450, 64, 132, 71, 700, 0.81, 0.90),
    make("H800-SXM5-80GB", 66.9, 494.7, 989.4, 1978.9, 80, 3.35, 200, 64, 132, 71, 700, 0.81, 0.90),
    make("H200-SXM-141GB", 66.9, 494.7, 989.4, 1978.9, 141, 4.8, 450, 64, 132, 75, 700, 0.81, 0.90),
    make("B200", 80, 1100, 2250, 4500, 180, 8.0, 900, 64, 148, 140, 1000, 0.81, 0.90),
    make("GB200", 80, 1250, 2500, 5000, 186, 8.0, 900, 64, 148, 140, 1200, 0.81, 0.90),
    make("MI300X", 163.4, 653.7, 1307.4, 2614.9, 192, 5.3, 448, 64, 304, 140, 750, 0.81, 0.85),
    // CPU-HOST: the hardware backend's CPU device (docs/hardware-backend.md): 2 cores x 2.5 GHz x 32 fp32 FLOP/cycle
    // (two 256-bit FMA pipes, AVX2; Intel/AMD optimisation manuals) = 0.16 TF; ~10 GB/s streaming; "hbm" = 16 GB RAM.
    make("CPU-HOST", 0.16, 0.16, 0.16, 0, 16, 0.010, 0, 10, 2, 10, 65, 0.81, 0.90),
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}
}  // namespace

double GpuSpec::peak_flops(Precision p) const {
  double tf = 0;
  switch (p) {
    case Precision::FP32: tf = peak_tflops_fp32; break;
    case Precision::TF32: tf = peak_tflops_tf32 > 0 ? peak_tflops_tf32 : peak_tflops_fp32; break;
    case Precision::FP16:
    case Precision::BF16: tf = peak_tflops_fp16; break;
    case Precision::FP8:
      if (peak_tflops_fp8 <= 0)
        throw InputError("precision", "a precision that " + name + " supports", "fp8 (no fp8 tensor cores)");
      tf = peak_tflops_fp8;
      break;
  }
  return tf * 1e12;
}

const std::vector<GpuSpec>& gpu_catalog() { return kCatalog; }

const GpuSpec& gpu_by_name(const std::string& name, const std::string& where) {
  for (const auto& g : kCatalog)
    if (lower(g.name) == lower(name)) return g;
  std::string known;
  for (const auto& g : kCatalog) known += (known.empty() ? "" : ", ") + g.name;
  throw InputError(where, "a known GPU (" + known + ")", "\"" + name + "\"");
}

}  // namespace trainsim
