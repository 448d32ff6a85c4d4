#include "models/gpu/host_catalog.hpp"

namespace trainsim {

namespace {
constexpr double GB = 1e9;

/// DRAM bandwidth of `sockets` CPUs with `channels` 64-bit (8-byte) channels each at `mts`
/// mega-transfers per second: the JEDEC data rate times the bus width.
constexpr double dram_bw(int sockets, int channels, double mts) { return sockets * channels * mts * 1e6 * 8.0; }

// Host memory of the reference node of each GPU family (datasheets; channels and data rates from
// the CPU vendors' product pages):
//  DGX-2 (V100, the ZeRO-Offload paper's machine): 2x Intel Xeon Platinum 8168, 6 channels
//    DDR4-2666 each (NVIDIA DGX-2 datasheet; Intel ARK) = 256 GB/s.
//  DGX A100: 2x AMD EPYC 7742, 8 channels DDR4-3200 each (NVIDIA DGX A100 datasheet; AMD EPYC
//    7742 product page) = 409.6 GB/s.
//  DGX H100 / H200 (also H800 systems): 2x Intel Xeon Platinum 8480C, 8 channels DDR5-4800 each
//    (NVIDIA DGX H100 datasheet; Intel ARK, Sapphire Rapids) = 614.4 GB/s.
//  DGX B200: 2x Intel Xeon Platinum 8570, 8 channels DDR5-5600 each (NVIDIA DGX B200 datasheet;
//    Intel ARK, Emerald Rapids) = 716.8 GB/s.
//  MI300X: assumed 2x AMD EPYC 9004 (Genoa), 12 channels DDR5-4800 each = 921.6 GB/s (the host
//    of the 8x MI300X OAM platform servers; no single reference system).
//  CPU-HOST (the hardware backend's CPU device): its "device" memory is host memory, so the host
//    figures are the device's (models/gpu/gpu_catalog.cpp), and a "host-link" copy is a memory
//    copy (each byte read and written).
//
// memory_efficiency 0.55, assumed: STREAM-class loops reach ~0.8 of the channel peak on
// two-socket servers (vendors' published STREAM runs); CPU Adam (DeepSpeed csrc/adam/cpu_adam_impl.cpp,
// AVX-512/AVX2 with ordinary stores) also pays a write-allocate read for each line it writes, 14
// of its 30 B/param (models/workload/optimizer_kernels.cpp): 0.8 x 30 / (30 + 14) = 0.55.
constexpr double kCpuAdamMemoryEfficiency = 0.8 * 30.0 / 44.0;

// Pinned host<->device copies: 55 GB/s host-to-device and 47 GB/s device-to-host measured on the
// H100 SXM's PCIe Gen5 x16 link of 64 GB/s per direction (shared/reference/h100-measured.md);
// the same fractions of GpuSpec::pcie_bw are applied to every other GPU's host link.
constexpr double kH2dFractionOfPcie = 55.0 / 64.0;
constexpr double kD2hFractionOfPcie = 47.0 / 64.0;

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }
}  // namespace

HostSpec default_host_spec(const GpuSpec& gpu) {
  HostSpec h;
  const std::string& n = gpu.name;
  h.memory_efficiency = kCpuAdamMemoryEfficiency;
  h.h2d_bw = gpu.pcie_bw * kH2dFractionOfPcie;
  h.d2h_bw = gpu.pcie_bw * kD2hFractionOfPcie;
  if (starts_with(n, "V100")) {
    h.cpu = "2x Intel Xeon Platinum 8168, 6x DDR4-2666 each (DGX-2)";
    h.memory_bw = dram_bw(2, 6, 2666);
  } else if (starts_with(n, "A100") || starts_with(n, "A800")) {
    h.cpu = "2x AMD EPYC 7742, 8x DDR4-3200 each (DGX A100)";
    h.memory_bw = dram_bw(2, 8, 3200);
  } else if (starts_with(n, "GB200") || starts_with(n, "GB300")) {
    // NVIDIA GB200 NVL72 datasheet: one Grace CPU (LPDDR5X up to 512 GB/s) per two Blackwell GPUs,
    // joined by NVLink-C2C (900 GB/s, 450 per direction, shared by the two): a compute tray of 4
    // GPUs holds 2 Grace CPUs.
    // GB300 NVL72: the same two Grace CPUs per 4-GPU board (G. Lockwood's processor notes).
    h.cpu = "NVIDIA Grace, LPDDR5X 512 GB/s, one per two GPUs over NVLink-C2C (GB200/GB300 NVL72)";
    h.memory_bw = 2 * 512e9;
    h.h2d_bw = 450e9 / 2 * kH2dFractionOfPcie;
    h.d2h_bw = 450e9 / 2 * kD2hFractionOfPcie;
  } else if (starts_with(n, "B200") || starts_with(n, "B300")) {
    // DGX B300 has 2x Xeon 6776P; its memory configuration was not found: DGX B200's is taken.
    h.cpu = starts_with(n, "B300") ? "2x Intel Xeon 6776P (DGX B300), memory as DGX B200's (assumed)"
                                   : "2x Intel Xeon Platinum 8570, 8x DDR5-5600 each (DGX B200)";
    h.memory_bw = dram_bw(2, 8, 5600);
  } else if (starts_with(n, "MI300X")) {
    h.cpu = "2x AMD EPYC 9004, 12x DDR5-4800 each (assumed)";
    h.memory_bw = dram_bw(2, 12, 4800);
  } else if (starts_with(n, "CPU-HOST")) {
    h.cpu = "the CPU device's own memory";
    h.memory_bw = gpu.hbm_bw;
    h.memory_efficiency = gpu.hbm_efficiency;
    h.h2d_bw = h.d2h_bw = gpu.hbm_bw * gpu.hbm_efficiency / 2;  // a copy within one memory: read + write
  } else {                                                      // H100, H800, H200 and any later Hopper-class part
    h.cpu = "2x Intel Xeon Platinum 8480C, 8x DDR5-4800 each (DGX H100)";
    h.memory_bw = dram_bw(2, 8, 4800);
  }
  return h;
}

const std::vector<std::string>& host_spec_keys() {
  static const std::vector<std::string> keys = {"memory_gbytes_per_s", "memory_efficiency", "h2d_gbytes_per_s",
                                                "d2h_gbytes_per_s"};
  return keys;
}

HostSpec parse_host_spec(const JsonReader& r, const HostSpec& d) {
  std::vector<std::string> known = host_spec_keys();
  known.insert(known.end(), {"active_w", "idle_w"});  // the host's power draw (models/power/power_spec.cpp)
  r.reject_unknown(known);
  HostSpec h = d;
  if (auto v = r.opt_number("memory_gbytes_per_s", 0.1, 1e5)) h.memory_bw = *v * GB;
  h.memory_efficiency = r.opt_number("memory_efficiency", 0.01, 1.0).value_or(d.memory_efficiency);
  if (auto v = r.opt_number("h2d_gbytes_per_s", 0.01, 1e4)) h.h2d_bw = *v * GB;
  if (auto v = r.opt_number("d2h_gbytes_per_s", 0.01, 1e4)) h.d2h_bw = *v * GB;
  return h;
}

}  // namespace trainsim
