#include "models/compute/kernel.hpp"

namespace trainsim {

const char* to_string(KernelKind k) {
  switch (k) {
    case KernelKind::Gemm: return "gemm";
    case KernelKind::Attention: return "attention";
    case KernelKind::Memory: return "memory";
    case KernelKind::Collective: return "collective";
    case KernelKind::HostCopy: return "host-copy";
    case KernelKind::HostMemory: return "host-memory";
  }
  return "?";
}
const char* to_string(CollectiveKind k) {
  switch (k) {
    case CollectiveKind::AllReduce: return "all-reduce";
    case CollectiveKind::AllGather: return "all-gather";
    case CollectiveKind::ReduceScatter: return "reduce-scatter";
    case CollectiveKind::AllToAll: return "all-to-all";
    case CollectiveKind::Broadcast: return "broadcast";
  }
  return "?";
}
const char* to_string(CopyDirection d) {
  switch (d) {
    case CopyDirection::DeviceToHost: return "d2h";
    case CopyDirection::HostToDevice: return "h2d";
  }
  return "?";
}
const char* to_string(GroupRole r) {
  switch (r) {
    case GroupRole::None: return "none";
    case GroupRole::TP: return "tp";
    case GroupRole::PP: return "pp";
    case GroupRole::DP: return "dp";
    case GroupRole::CP: return "cp";
    case GroupRole::EP: return "ep";
    case GroupRole::EDP: return "edp";
    case GroupRole::Embedding: return "embedding";
    case GroupRole::DPShard: return "dp-shard";
    case GroupRole::DPReplica: return "dp-replica";
  }
  return "?";
}

Kernel gemm_kernel(std::string name, std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t batch, Precision p,
                   double elem_bytes) {
  Kernel g;
  g.name = std::move(name);
  g.kind = KernelKind::Gemm;
  g.m = m;
  g.n = n;
  g.k = k;
  g.batch = batch;
  g.precision = p;
  const double M = static_cast<double>(m), N = static_cast<double>(n), K = static_cast<double>(k);
  g.flops = 2.0 * M * N * K * static_cast<double>(batch);
  g.bytes = elem_bytes * (M * K + K * N + M * N) * static_cast<double>(batch);
  return g;
}

Kernel memory_kernel(std::string name, double bytes, Precision p) {
  Kernel g;
  g.name = std::move(name);
  g.kind = KernelKind::Memory;
  g.bytes = bytes;
  g.precision = p;
  return g;
}

Kernel collective_kernel(std::string name, CollectiveKind kind, GroupRole group, double bytes) {
  Kernel g;
  g.name = std::move(name);
  g.kind = KernelKind::Collective;
  g.collective = kind;
  g.group = group;
  g.coll_bytes = bytes;
  return g;
}

Kernel host_copy_kernel(std::string name, double bytes, CopyDirection d) {
  Kernel g;
  g.name = std::move(name);
  g.kind = KernelKind::HostCopy;
  g.bytes = bytes;
  g.copy = d;
  return g;
}

Kernel host_memory_kernel(std::string name, double bytes) {
  Kernel g;
  g.name = std::move(name);
  g.kind = KernelKind::HostMemory;
  g.bytes = bytes;
  g.precision = Precision::FP32;
  return g;
}

}  // namespace trainsim
