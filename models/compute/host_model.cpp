#include "models/compute/host_model.hpp"

#include <algorithm>

#include "models/util/errors.hpp"

namespace trainsim {

double host_kernel_time(const Kernel& k, const HostSpec& host, int ranks_sharing_host) {
  switch (k.kind) {
    case KernelKind::HostCopy: {
      const double bw = k.copy == CopyDirection::DeviceToHost ? host.d2h_bw : host.h2d_bw;
      if (bw <= 0) throw InternalError("host model: no host-link bandwidth for kernel " + k.name);
      return k.bytes / bw;
    }
    case KernelKind::HostMemory: {
      // t = bytes / (B_mem x e_mem / n): the rank's share of the node's achievable DRAM bandwidth.
      const double share = host.memory_bw * host.memory_efficiency / std::max(1, ranks_sharing_host);
      if (share <= 0) throw InternalError("host model: no host memory bandwidth for kernel " + k.name);
      return k.bytes / share;
    }
    default: break;
  }
  throw InternalError(std::string("host model: not a host-side kernel: ") + k.name + " (" + to_string(k.kind) + ")");
}

}  // namespace trainsim
