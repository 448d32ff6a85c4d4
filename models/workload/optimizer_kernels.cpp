#include "models/workload/optimizer_kernels.hpp"

namespace trainsim {

namespace {
bool half_precision(Precision p) { return p == Precision::FP16 || p == Precision::BF16 || p == Precision::FP8; }
}  // namespace

std::vector<Kernel> optimizer_step_kernels(double params, double grad_bytes, double weight_bytes, Precision p) {
  std::vector<Kernel> v;
  auto pass = [&](const char* name, double bytes_per_param) {
    v.push_back(memory_kernel(name, params * bytes_per_param, p));
  };
  // Half-precision gradients are copied into fp32 main gradients (Megatron
  // _copy_model_grads_to_main_grads: main_param.grad = model_grad.float()): read 2, write 4.
  if (grad_bytes < 4.0) pass("main_grad_cast", grad_bytes + 4.0);
  // fp16 loss scaling: unscale in place and look for inf/NaN
  // (torch._amp_foreach_non_finite_check_and_unscale_): read and write 4.
  if (p == Precision::FP16) pass("grad_unscale_inf_check", 8.0);
  // Gradient clipping (GPT scripts: --clip-grad 1.0): the global norm (Apex multi_tensor_l2norm) reads 4.
  pass("grad_norm", 4.0);
  // Fused Adam (Apex FusedAdam, multi-tensor apply): read master weight, gradient, m, v (16);
  // write master weight, m, v (12).
  pass("adam_step", 28.0);
  // Updated fp32 master weights copied to the half-precision model weights (multi_tensor_scale).
  if (half_precision(p)) pass("main_to_model_params", 4.0 + weight_bytes);
  // The contiguous gradient buffer is zeroed before the next iteration (Megatron DDP zero_grad_buffer).
  pass("zero_grad_buffer", grad_bytes);
  return v;
}

double optimizer_step_bytes_per_param(double grad_bytes, double weight_bytes, Precision p) {
  double b = 0;
  for (const auto& k : optimizer_step_kernels(1.0, grad_bytes, weight_bytes, p)) b += k.bytes;
  return b;
}

// ZeRO-Offload as DeepSpeed runs it (deepspeed/runtime/zero/stage_1_and_2.py, cpu_offload):
// the gradient norm and overflow check stay on the GPU (set_norm_for_param_grad_in_gpu), the
// gradient partition is cast to fp32 and copied into the pinned fp32 gradient buffer in host
// memory (async_inplace_copy_grad_to_fp32_buffer_from_gpu: src.float(), copy_(non_blocking)),
// DeepSpeedCPUAdam updates the fp32 partition (csrc/adam/cpu_adam_impl.cpp), and the updated
// partition is copied back into the GPU's half-precision weights.
double offload_d2h_bytes_per_param() { return 4.0; }  // fp32 gradients
double offload_h2d_bytes_per_param(double weight_bytes) { return weight_bytes; }
double cpu_adam_bytes_per_param(double weight_bytes, Precision p) {
  // Read the fp32 gradient (4), master weight, m and v (12); write master weight, m and v (12);
  // with half-precision training also write the half-precision copy the H2D copy sends (e_w).
  return 4.0 + 12.0 + 12.0 + (half_precision(p) ? weight_bytes : 0.0);
}

std::vector<Kernel> offloaded_optimizer_step_kernels(double params, double weight_bytes, Precision p) {
  return {
      host_copy_kernel("grad_d2h", params * offload_d2h_bytes_per_param(), CopyDirection::DeviceToHost),
      host_memory_kernel("cpu_adam", params * cpu_adam_bytes_per_param(weight_bytes, p)),
      host_copy_kernel("param_h2d", params * offload_h2d_bytes_per_param(weight_bytes), CopyDirection::HostToDevice)};
}

}  // namespace trainsim
