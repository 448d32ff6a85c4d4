#pragma once
// The memory-bound kernels of one mixed-precision Adam step over a rank's (sharded) parameters,
// as Megatron-LM's optimizer runs them (megatron/optimizer/optimizer.py, 2021-2024; Apex
// multi-tensor kernels): gradients cast to fp32 main gradients, unscaled and checked for
// inf/NaN (fp16 loss scaling), their norm taken for clipping, the fused Adam update, the
// updated fp32 master weights copied back to the half-precision model weights and the
// gradient buffer zeroed for the next iteration.
#include <vector>

#include "models/compute/kernel.hpp"

namespace trainsim {

/// Kernels of one optimizer step over `params` parameters. `grad_bytes`: bytes per element of
/// the gradients the backward pass accumulates (2: fp16, 4: fp32 main gradients); `weight_bytes`:
/// bytes per element of the model weights the forward pass reads.
std::vector<Kernel> optimizer_step_kernels(double params, double grad_bytes, double weight_bytes, Precision p);

/// Bytes moved per parameter by optimizer_step_kernels (for tests and documentation).
double optimizer_step_bytes_per_param(double grad_bytes, double weight_bytes, Precision p);

/// The same step with the optimizer state in host memory (ZeRO-Offload, Ren et al., USENIX ATC
/// 2021; DeepSpeed "offload_optimizer": {"device": "cpu"}), in order: the rank's fp32
/// gradients copied device-to-host, CPU Adam over the fp32 master weights and moments in host
/// memory, the updated weights copied host-to-device. Each kernel must wait for the one before.
std::vector<Kernel> offloaded_optimizer_step_kernels(double params, double weight_bytes, Precision p);

/// Per parameter: bytes over the host link each way and bytes of host memory CPU Adam moves.
double offload_d2h_bytes_per_param();
double offload_h2d_bytes_per_param(double weight_bytes);
double cpu_adam_bytes_per_param(double weight_bytes, Precision p);

}  // namespace trainsim
