#pragma once
// Time of the host-side kernels of optimizer offload (KernelKind::HostCopy, HostMemory) on one
// rank. A copy runs at the GPU's pinned host-link bandwidth in its direction; a host pass is bound
// by the node's DRAM bandwidth, shared by the GPUs of the node that run their optimizer step at
// the same time (every rank steps after the same gradient synchronisation). Launch latencies
// (microseconds) are left out: the offloaded step moves gigabytes.
#include "models/compute/kernel.hpp"
#include "models/gpu/host_catalog.hpp"

namespace trainsim {

/// Seconds for a HostCopy or HostMemory kernel; `ranks_sharing_host`: GPUs of the node that use
/// the host memory at once (>= 1). Throws InternalError for other kinds or an unset HostSpec.
double host_kernel_time(const Kernel& k, const HostSpec& host, int ranks_sharing_host);

}  // namespace trainsim
