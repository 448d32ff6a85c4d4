#pragma once
// Kernel: one step of a compute block as the Plan describes it — a matrix product, a fused
// attention, a memory-bound (element-wise / norm / optimizer) kernel, or a collective that a
// layer issues inline on its tensor-, context- or expert-parallel group. Every backend reads the
// same fields: the analytic and SimGrid engines cost them, the hardware backend launches them.
#include <cstdint>
#include <string>

#include "models/gpu/precision.hpp"

namespace trainsim {

enum class KernelKind { Gemm, Attention, Memory, Collective };
enum class CollectiveKind { AllReduce, AllGather, ReduceScatter, AllToAll, Broadcast };
/// Which of the rank's groups a collective runs on (resolved per rank by the Plan).
/// DPShard / DPReplica: with hybrid sharding (Strategy::shard_group), the ZeRO/FSDP sharding group
/// (consecutive data-parallel ranks) and the groups of ranks holding the same shard.
enum class GroupRole { None, TP, PP, DP, CP, EP, EDP, Embedding, DPShard, DPReplica };

struct Kernel {
  std::string name;
  KernelKind kind = KernelKind::Memory;
  // Matrix product: `batch` independent (m x k)·(k x n) products.
  std::int64_t m = 0, n = 0, k = 0, batch = 1;
  // Attention: fused (flash) attention over `batch` heads of `m` queries, `n` keys, head dim `k`;
  // `causal` halves the work actually executed (masked blocks are skipped).
  bool causal = false;
  double flops = 0;  ///< floating-point operations the kernel executes (2 per multiply-add)
  double bytes = 0;  ///< bytes it reads plus writes in device memory
  Precision precision = Precision::BF16;
  // Collective (kind == Collective).
  CollectiveKind collective = CollectiveKind::AllReduce;
  GroupRole group = GroupRole::None;
  double coll_bytes = 0;  ///< message size per rank: the full buffer of an all-reduce, the gathered output of an all-gather
};

const char* to_string(KernelKind k);
const char* to_string(CollectiveKind k);
const char* to_string(GroupRole r);

Kernel gemm_kernel(std::string name, std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t batch,
                   Precision p, double elem_bytes);
Kernel memory_kernel(std::string name, double bytes, Precision p);
Kernel collective_kernel(std::string name, CollectiveKind kind, GroupRole group, double bytes);

}  // namespace trainsim
