#include "models/collective/zero_runtime.hpp"

namespace trainsim {

namespace {
// DeepSpeed issue #1174 / PR #1188 (see the header): 5.1e9 fp16 parameters on 8 GPUs.
constexpr double kBertBytes = 5.1e9 * 2.0;
constexpr double kRanks = 8.0;
constexpr double kZero3Forward = 0.480, kZero2Forward = 0.060, kZero3Backward = 0.900;
constexpr double kGatherSeconds = kZero3Forward - kZero2Forward;                          // 420 ms
constexpr double kReduceSeconds = kZero3Backward - 2.0 * kZero2Forward - kGatherSeconds;  // 360 ms
// NCCL's share on that node: bus bandwidth 230 GB/s (NVIDIA/nccl-tests #149); a ring all-gather
// moves (n-1)/n of the buffer per rank, an all-reduce twice that.
constexpr double kNodeBusBw = 230e9;
constexpr double kNcclGather = (kRanks - 1) / kRanks * kBertBytes / kNodeBusBw;  // 39 ms
constexpr double kNcclReduce = 2.0 * kNcclGather;                                // 78 ms
}  // namespace

const char* to_string(ZeroRuntime r) {
  switch (r) {
    case ZeroRuntime::Fsdp: return "fsdp";
    case ZeroRuntime::DeepSpeed03: return "deepspeed-0.3";
  }
  return "?";
}

ZeroRuntimeRates zero_runtime_rates(ZeroRuntime r) {
  if (r == ZeroRuntime::DeepSpeed03)
    return {kBertBytes / (kGatherSeconds - kNcclGather), kBertBytes / (kReduceSeconds - kNcclReduce)};
  return {};
}

double zero_runtime_overhead(ZeroRuntime r, bool gather, double bytes) {
  const ZeroRuntimeRates rates = zero_runtime_rates(r);
  const double rate = gather ? rates.gather_Bps : rates.reduce_Bps;
  return rate > 0 && bytes > 0 ? bytes / rate : 0.0;
}

}  // namespace trainsim
