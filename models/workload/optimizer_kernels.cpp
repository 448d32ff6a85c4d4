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

}  // namespace trainsim
