#pragma once
// ZeRO-3 runtimes whose collectives do not run at the fabric's NCCL rates.
//
// PyTorch FSDP, Megatron-Core's distributed optimizer and DeepSpeed since its coalesced
// gathers (PR #1453, Oct 2021) issue one flat collective per unit, which the collective model
// (collective_model.hpp) costs at NCCL's rates. DeepSpeed 0.3.x's stage 3 (2021) did not:
// every parameter above the persistence threshold was gathered by its own
// torch.distributed.all_gather into a list of world-size views, copied out explicitly
// afterwards, each gather behind a torch.cuda.synchronize() (DeepSpeed PR #1188, 2021: "the
// async version is not async at all"). That path moved parameters at ~24 GB/s on an NVLink
// node where NCCL reaches ~230 GB/s (DeepSpeed issue #1174), so its bound is the software
// path, not the fabric: a per-byte rate that holds for any group size and network.
namespace trainsim {

enum class ZeroRuntime {
  Fsdp,         ///< one flat collective per unit at NCCL rates (FSDP, Megatron-Core, DeepSpeed >= 0.5)
  DeepSpeed03,  ///< DeepSpeed 0.3.x stage 3: per-parameter gathers, all-reduced gradients
};

const char* to_string(ZeroRuntime r);

/// Software throughput of a runtime's stage-3 collectives, in bytes of the whole tensor per
/// second (parameters gathered, gradients reduced): the time its path adds to the NCCL
/// collective itself (copies out of the gathered list and synchronisation follow the NCCL op,
/// PR #1188 item 3: "explicit memcpy after the all-gather op"); 0 = nothing added.
struct ZeroRuntimeRates {
  double gather_Bps = 0;
  double reduce_Bps = 0;
};

/// DeepSpeed issue #1174 (DeepSpeed 0.3.16, PyTorch 1.8, one 8 x A100 p4d node with NVSwitch;
/// the 5.1B-parameter BERT of PR #1188: 64 layers, hidden 2560, ffn 10240), fp16, 10.2 GB of
/// parameters:
///   forward:  480 ms with ZeRO-3 against 60 ms with ZeRO-2: 420 ms of parameter gathers;
///   backward: ~900 ms with ZeRO-3 (PR #1188). Less twice the forward's 60 ms of compute
///             (backward = 2 x forward FLOPs, Narayanan et al. SC'21 eq. 3) and the same 420 ms
///             of gathers, 360 ms remain for the gradients' all-reduce.
/// Less what NCCL itself takes there (an 8 x A100 NVSwitch node reaches ~230 GB/s bus bandwidth,
/// S. Jeaugey in NVIDIA/nccl-tests #149: all-gather 7/8 x 10.2 GB / 230 GB/s = 39 ms, all-reduce
/// twice that), the software path moves 26.8 GB/s of gathered parameters and 36.1 GB/s of
/// reduced gradients. Not fitted to any validation row.
ZeroRuntimeRates zero_runtime_rates(ZeroRuntime r);

/// Seconds a runtime's path adds to a collective of `bytes` (whole tensor): bytes over the
/// runtime's rate for a parameter gather (`gather`) or a gradient reduction; 0 when none.
double zero_runtime_overhead(ZeroRuntime r, bool gather, double bytes);

}  // namespace trainsim
