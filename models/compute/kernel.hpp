#pragma once
// Kernel: one step of a compute block as the Plan describes it — a matrix product, a fused
// attention, a memory-bound (element-wise / norm / optimizer) kernel, a collective that a
// layer issues inline on its tensor-, context- or expert-parallel group, or a host-side step of
// optimizer offload (a copy over the GPU's host link, a memory-bound pass of the host CPUs).
// Every backend reads the same fields: the analytic and SimGrid engines cost them, the hardware
// backend launches them.
#include <cstdint>
#include <string>

#include "models/gpu/precision.hpp"

namespace trainsim {

/// HostCopy: `bytes` copied between device memory and pinned host memory over the GPU's host link
/// (PCIe), in direction `copy`. HostMemory: a pass of the host CPUs that reads plus writes `bytes`
/// of host memory (CPU Adam). Both are costed from the cluster's host (models/compute/host_model.hpp).
enum class KernelKind { Gemm, Attention, Memory, Collective, HostCopy, HostMemory };
enum class CopyDirection { DeviceToHost, HostToDevice };
/// Generation of a fused attention kernel: FlashAttention-2 class (FlashAttention-2, cuDNN and
/// Transformer Engine fused attention, PyTorch SDPA) or FlashAttention v1 class (FlashAttention
/// 1.x and the Triton FlashAttention kernel of 2022-2023).
enum class FusedAttention { Flash2, Flash1 };
enum class CollectiveKind { AllReduce, AllGather, ReduceScatter, AllToAll, Broadcast };
/// Which of the rank's groups a collective runs on (resolved per rank by the Plan).
/// DPShard / DPReplica: with hybrid sharding (Strategy::shard_group), the ZeRO/FSDP sharding group
/// (consecutive data-parallel ranks) and the groups of ranks holding the same shard.
enum class GroupRole { None, TP, PP, DP, CP, EP, EDP, Embedding, DPShard, DPReplica };

/// How Transformer Engine's userbuffers overlap a transformer layer's tensor-parallel collective
/// with its product when Strategy::tp_comm_overlap is on (the `method` of a ub_cfg entry).
enum class UbMethod {
  RingExchange,  ///< point-to-point ring on the copy engines, one chunk per step: no SMs taken
  Pipeline,  ///< product in `splits` chunks, each chunk's reduce-scatter on `sms` SMs beside the next chunk, which runs
             ///< on the others
  Bulk,      ///< the whole collective beside the whole product, its kernel holding `sms` SMs
};
struct UbOverlap {
  bool on = false;  ///< a layer collective TE can overlap (not the embedding's or output layer's)
  UbMethod method = UbMethod::RingExchange;
  int sms = 0;             ///< num_sm: SMs the communication kernel holds (0 for ring exchange)
  int splits = 1;          ///< num_splits of a pipelined overlap
  bool sm_margin = false;  ///< set_sm_margin: the product runs on the SMs the communication leaves
  bool operator==(const UbOverlap&) const = default;
};

struct Kernel {
  std::string name;
  KernelKind kind = KernelKind::Memory;
  // Matrix product: `batch` independent (m x k)·(k x n) products.
  std::int64_t m = 0, n = 0, k = 0, batch = 1;
  // Attention: fused (flash) attention over `batch` heads of `m` queries, `n` keys, head dim `k`;
  // `causal` halves the work actually executed (masked blocks are skipped).
  bool causal = false;
  FusedAttention generation = FusedAttention::Flash2;
  bool backward = false;  ///< Attention: the backward pass (its efficiency differs from the forward's)
  double flops = 0;       ///< floating-point operations the kernel executes (2 per multiply-add)
  double bytes = 0;       ///< bytes it reads plus writes in device memory
  /// Parameters of the module (a linear layer's weight, on this rank) whose pass this kernel opens:
  /// set on the first kernel of each weighted module's forward or backward, 0 on all others. A
  /// runtime that fetches parameters per module (DeepSpeed 0.3.x ZeRO-3) gathers them here.
  double weights = 0;
  Precision precision = Precision::BF16;
  // Collective (kind == Collective).
  CollectiveKind collective = CollectiveKind::AllReduce;
  GroupRole group = GroupRole::None;
  double coll_bytes =
      0;  ///< message size per rank: the full buffer of an all-reduce, the gathered output of an all-gather
  /// Issued asynchronously before the next product and awaited after it, whatever
  /// Strategy::tp_comm_overlap says: the backward all-gather of a sequence-parallel input.
  bool async_before_product = false;
  /// Collective: its Transformer Engine overlap with the adjacent product (tp_comm_overlap).
  UbOverlap ub;
  // Host copy (kind == HostCopy).
  CopyDirection copy = CopyDirection::DeviceToHost;
};

/// True for the kinds that run on the host side (HostCopy, HostMemory), not on the GPU's SMs.
inline bool host_side(KernelKind k) { return k == KernelKind::HostCopy || k == KernelKind::HostMemory; }

const char* to_string(KernelKind k);
const char* to_string(CollectiveKind k);
const char* to_string(GroupRole r);
const char* to_string(CopyDirection d);

Kernel gemm_kernel(std::string name, std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t batch, Precision p,
                   double elem_bytes);
Kernel memory_kernel(std::string name, double bytes, Precision p);
Kernel collective_kernel(std::string name, CollectiveKind kind, GroupRole group, double bytes);
Kernel host_copy_kernel(std::string name, double bytes, CopyDirection d);
Kernel host_memory_kernel(std::string name, double bytes);

}  // namespace trainsim
