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
  // Same GH100 die and 700 W limit as the measured H100; Blackwell by analogy (see "Sustained
  // clock" below).
  const std::string n = name;
  if (n.rfind("H100", 0) == 0 || n.rfind("H800", 0) == 0 || n.rfind("H200", 0) == 0 || n == "B200" || n == "GB200" ||
      n == "B300" || n == "GB300")
    g.sustained_clock_ratio = kGh100SustainedClockRatio;
  return g;
}

/// The published measurements a GPU's figures are checked against (GpuSpec::mamf_fraction ...).
GpuSpec measured(GpuSpec g, double mamf_fraction, double best_mfu, double best_mfu_fp8, const char* source) {
  g.mamf_fraction = mamf_fraction;
  g.best_published_mfu = best_mfu;
  g.best_published_mfu_fp8 = best_mfu_fp8;
  g.measurements_source = source;
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
//  B300 (Blackwell Ultra, HGX): 160 SMs, 288 GB HBM3e at 8 TB/s, NVLink 5 1.8 TB/s (900 GB/s
//        per direction) (NVIDIA technical blog "Inside NVIDIA Blackwell Ultra", 2025-08); dense
//        2.25 PF bf16, 4.5 PF fp8, 1.125 PF tf32, 75 TF fp32 (HGX B300 table in G. Lockwood's
//        processor notes, glennklockwood.com/garden/processors/B300, from NVIDIA's figures; the
//        gain over B200 is in fp4 only). Power: 1100 W **assumed**: DGX B300 draws 14.5 kW against
//        DGX B200's 14.3 kW (NVIDIA DGX user guides), so about B200's 1000 W per GPU.
//  GB300: the same GPU in the GB300 NVL72 rack: 360 PF dense fp8 per 72 GPUs -> 5 PF, so 2.5 PF
//        bf16 as GB200; 20 TB HBM3e at 576 TB/s -> 288 GB (279 usable assumed as GB200's 186 of
//        192) at 8 TB/s; up to 1400 W per GPU (Lockwood, from NVIDIA's GTC 2025 figures).
//        Ceilings, clock ratio and MFU: no measurement published; B200's and GB200's by analogy.
//  MI300X: AMD Instinct MI300X datasheet: 1307.4 TF bf16 dense, 2614.9 fp8, 163.4 fp32 matrix,
//        192 GB HBM3 at 5.3 TB/s, Infinity Fabric 896 GB/s aggregate (448/dir), 750 W, 304 CUs.
//
// GEMM efficiency ceilings (gemm_max_efficiency): the largest fraction of dense peak that
// well-shaped cuBLAS products reach, before the shape terms of models/compute/compute_model.cpp.
//  H100: 0.81, fitted to shared/reference/h100-measured.md (8192^3 bf16 = 747 TF/s = 0.755 of
//        peak with the K term K/(K+128); the card runs at its 700 W cap and throttles clocks).
//  Every other part: no measurement here, so the same measured ceiling is assumed (dense products
//        on A100 and V100 also run at their power cap); `trainsim calibrate` replaces it.
//  GB200: 0.774 = its measured MAMF fraction 0.729 (1822 of 2500 TF/s at 4096x9728x2048, Bekman's
//        mamf-finder, stas00/ml-engineering compute/accelerator/README.md, 2025-09) divided by the
//        model's shape terms at that shape (K/(K+128) = 0.941; whole tiles, all SMs busy).
//  B200: 0.81 kept: its MAMF fraction 0.776 (1745 of 2250 at 1792x16128x3072, same table, 2025-07)
//        divided by the shape terms (0.960) is 0.808. (H100's 794.5 of 989 at 2048x2048x13312 gives
//        0.811 the same way, agreeing with the ceiling fitted to the project's own measurement.)
//  MI300X: 0.544 = AMD's maximum achievable bf16 rate, 708 of 1307.4 TF/s at 4096x4864x32896
//        (hipBLASLt, realistic "trig_float" data, ~1 s per product at 750 W, median clock 1207 MHz;
//        "Measuring Max-Achievable FLOPs - Part 2", ROCm blog, 2025-02-28) / shape terms 0.996.
//        Bekman's mamf-finder gives 668.4 (0.511, ROCm 6.3): the ROCm stack of the run matters.
//  A100: 0.81 kept: steady-state cuBLAS after 10,000 warm-up products reaches 256.5 TF/s at
//        16384^3 with random data (0.822; Azure/AI-benchmarking-guide, ND A100 v4 results), i.e.
//        0.829 before the K term; the model's 8192^3 rate (249 TF/s) is within 3% of the 258 TF/s
//        measured there by H. He (thonking.ai, 2024). Bekman's 271.2 (0.869) is a short-burst figure.
// Sustained clock (sustained_clock_ratio): H100/H800/H200 (same GH100 die, 700 W limit):
//        shared/reference/h100-measured.md measured the 8192^3 bf16 products above in short bursts
//        (median of 50 after 10 warm-ups, ~0.1 s); sustained products ran at 698-708 W with the SM
//        clock throttled from 1980 MHz to 1350-1395 MHz. Tensor throughput is proportional to the
//        SM clock, so sustained compute-bound kernels run at 1372.5 / 1980 = 0.693 of the burst
//        rate. The burst figure cannot itself be throttled: 747 TF/s exceeds the 742 TF/s that
//        132 SMs x 4 tensor cores x 1024 FLOP/clock deliver at 1372.5 MHz (the 989.4 TF/s
//        datasheet peak is that product at 1830 MHz).
//        A100: 1.0: its ceiling (249 TF/s at 8192^3) already sits at the 258 TF/s that cuBLAS
//        sustains at the 400 W cap (H. He, thonking.ai 2024; docs/validation.md).
//        MI300X: 1.0: AMD's figure above is already measured at the sustained clock (1207 of
//        2100 MHz during ~1 s products).
//        B200, GB200: the GH100 ratio, by analogy (no clock measured under load was found):
//        their ceilings come from the same kind of figure as H100's (mamf-finder, after a 30 s
//        warm-up, products timed one by one), and they too run dense tensor work at their board
//        power limit (DGX B200: 1000 W maximum, 700 W default set point, NVIDIA DGX B200 user
//        guide, power capping; Meta's Triton benchmarks cap B200 at 750 W and GB200 at 1200 W).
//        Published B200 training MFU (35-38% on one node, ml-engineering "when to upgrade GPUs")
//        lies below H100's (47-48%), so leaving Blackwell at its burst rate would rank it 3.3x an
//        H100 where same-method products give 2.2x (1745 / 794.5). Replace with a calibration
//        profile from a real run. V100: 1.0, no measurement.
// Published measurements (measured(): MAMF fraction, best published training MFU bf16 / fp8):
//  A100: MAMF 0.869 (Bekman, above); MFU 0.64: MosaicML llm-foundry benchmark table
//        (scripts/train/benchmarking/README.md, MPT-7B, 8x A100 80GB, seq 2048, 64.23%).
//  H100/H800/H200: MAMF 0.803 (Bekman); MFU 0.48: Megatron-Core README weak scaling ("MFU
//        increases from 41% to 47-48%", up to 6,144 H100), H200 47% (Llama-3.1-8B, ml-engineering);
//        fp8 0.45: NeMo 24.07 performance summary, GPT3-175B on 512 H100 with vboost, 895 of 1979.
//  B200: MAMF 0.776; MFU 0.38 (Llama-3.1-8B long context, 852 of 2250, ml-engineering); fp8
//        0.35 (Megatron-Bridge 25.11 performance summary, Llama3-8B FP8-CS, 1576 of 4500).
//  GB200: MAMF 0.729; fp8 0.41 (Megatron-Bridge 25.11, Llama3.1-405B, 2053 of 5000); no bf16 figure.
//  MI300X: MAMF 0.542 (AMD); no published training MFU at scale.
//  V100: MAMF 0.66 (83 of 125 TF/s fp16, Markidis et al., arXiv:1803.04014); MFU 0.48 (Megatron-LM
//        v1, 62.4 TF/s on one DGX-2H V100, nv-adlr.github.io/MegatronLMV1, 2020).
// Idle power: H100 measured; others ~0.15-0.2 of TDP as nvidia-smi typically reports at idle.
// hbm_efficiency: H100 device-to-device copy measured 3.0 TB/s of 3.35 (0.90); 0.85 assumed elsewhere.
constexpr const char* kV100Measured = "Markidis et al. arXiv:1803.04014 (matmul); Megatron-LM v1 blog 2020 (MFU)";
constexpr const char* kA100Measured =
    "stas00/ml-engineering MAMF table (matmul); MosaicML llm-foundry benchmarks, MPT-7B on 8 GPUs (MFU)";
constexpr const char* kGh100Measured =
    "stas00/ml-engineering MAMF table (matmul); Megatron-Core README weak scaling (MFU); NeMo 24.07 performance "
    "summary, GPT3-175B FP8 (fp8 MFU)";
constexpr const char* kB200Measured =
    "stas00/ml-engineering MAMF table and 'when to upgrade GPUs' (matmul, MFU); Megatron-Bridge 25.11 performance "
    "summary (fp8 MFU)";
constexpr const char* kGb200Measured =
    "stas00/ml-engineering MAMF table (matmul); Megatron-Bridge 25.11 performance summary, Llama3.1-405B (fp8 MFU)";
constexpr const char* kB300ByAnalogy =
    "none published for B300: B200's MAMF fraction by analogy (same SM design), no training MFU";
constexpr const char* kGb300ByAnalogy =
    "none published for GB300: GB200's MAMF fraction by analogy (same SM design), no training MFU";
constexpr const char* kMi300xMeasured = "AMD ROCm blog 'Measuring Max-Achievable FLOPs - Part 2', 2025 (matmul)";

const std::vector<GpuSpec> kCatalog = {
    measured(make("V100-SXM2-32GB", 15.7, 0, 125, 0, 32, 0.9, 150, 16, 80, 45, 300, 0.81, 0.85), 0.66, 0.48, 0,
             kV100Measured),
    measured(make("V100-PCIE-32GB", 14.0, 0, 112, 0, 32, 0.9, 0, 16, 80, 35, 250, 0.81, 0.85), 0.66, 0.48, 0,
             kV100Measured),
    measured(make("A100-SXM4-40GB", 19.5, 156, 312, 0, 40, 1.555, 300, 32, 108, 55, 400, 0.81, 0.85), 0.869, 0.64, 0,
             kA100Measured),
    measured(make("A100-SXM4-80GB", 19.5, 156, 312, 0, 80, 2.039, 300, 32, 108, 60, 400, 0.81, 0.85), 0.869, 0.64, 0,
             kA100Measured),
    measured(make("A800-SXM4-80GB", 19.5, 156, 312, 0, 80, 2.039, 200, 32, 108, 60, 400, 0.81, 0.85), 0.869, 0.64, 0,
             kA100Measured),
    measured(make("H100-SXM5-80GB", 66.9, 494.7, 989.4, 1978.9, 80, 3.35, 450, 64, 132, 71, 700, 0.81, 0.90), 0.803,
             0.48, 0.45, kGh100Measured),
    measured(make("H800-SXM5-80GB", 66.9, 494.7, 989.4, 1978.9, 80, 3.35, 200, 64, 132, 71, 700, 0.81, 0.90), 0.803,
             0.48, 0.45, kGh100Measured),
    measured(make("H200-SXM-141GB", 66.9, 494.7, 989.4, 1978.9, 141, 4.8, 450, 64, 132, 75, 700, 0.81, 0.90), 0.803,
             0.48, 0.45, kGh100Measured),
    measured(make("B200", 80, 1100, 2250, 4500, 180, 8.0, 900, 64, 148, 140, 1000, 0.81, 0.90), 0.776, 0.38, 0.35,
             kB200Measured),
    measured(make("GB200", 80, 1250, 2500, 5000, 186, 8.0, 900, 64, 148, 140, 1200, 0.774, 0.90), 0.729, 0, 0.41,
             kGb200Measured),
    // Blackwell Ultra: no measured ceiling yet, the B200 / GB200 ones (same SM design) by analogy.
    measured(make("B300", 75, 1125, 2250, 4500, 279, 8.0, 900, 128, 160, 140, 1100, 0.81, 0.90), 0.776, 0, 0,
             kB300ByAnalogy),
    measured(make("GB300", 80, 1250, 2500, 5000, 279, 8.0, 900, 128, 160, 140, 1400, 0.774, 0.90), 0.729, 0, 0,
             kGb300ByAnalogy),
    measured(make("MI300X", 163.4, 653.7, 1307.4, 2614.9, 192, 5.3, 448, 64, 304, 140, 750, 0.544, 0.85), 0.542, 0, 0,
             kMi300xMeasured),
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
