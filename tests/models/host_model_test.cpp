// The host side of a node (models/gpu/host_catalog.cpp) and the host-side kernels of optimizer
// offload (models/workload/optimizer_kernels.cpp, models/compute/host_model.cpp).
#include <gtest/gtest.h>

#include "models/compute/compute_model.hpp"
#include "models/compute/host_model.hpp"
#include "models/util/errors.hpp"
#include "models/workload/optimizer_kernels.hpp"

using namespace trainsim;

TEST(HostCatalog, ReferenceNodesMemoryAndHostLinks) {
  // Sockets x channels x MT/s x 8 bytes.
  EXPECT_DOUBLE_EQ(default_host_spec(gpu_by_name("A100-SXM4-80GB")).memory_bw, 409.6e9);  // 2x EPYC 7742, DDR4-3200
  EXPECT_DOUBLE_EQ(default_host_spec(gpu_by_name("H100-SXM5-80GB")).memory_bw, 614.4e9);  // 2x Xeon 8480C, DDR5-4800
  EXPECT_DOUBLE_EQ(default_host_spec(gpu_by_name("H200-SXM-141GB")).memory_bw, 614.4e9);
  EXPECT_DOUBLE_EQ(default_host_spec(gpu_by_name("V100-SXM2-32GB")).memory_bw, 2 * 6 * 2666e6 * 8);  // DGX-2
  EXPECT_DOUBLE_EQ(default_host_spec(gpu_by_name("B200")).memory_bw, 716.8e9);  // 2x Xeon 8570, DDR5-5600
  // The H100's measured pinned copies (shared/reference/h100-measured.md).
  const HostSpec h = default_host_spec(gpu_by_name("H100-SXM5-80GB"));
  EXPECT_NEAR(h.h2d_bw, 55e9, 1e-3);
  EXPECT_NEAR(h.d2h_bw, 47e9, 1e-3);
  EXPECT_NEAR(h.memory_efficiency, 0.8 * 30 / 44, 1e-12);
}

TEST(OptimizerKernels, OffloadedStepBytesPerParameter) {
  // CPU Adam: read fp32 gradient, weight, m, v (16), write weight, m, v (12), bf16 copy (2).
  EXPECT_DOUBLE_EQ(cpu_adam_bytes_per_param(2, Precision::BF16), 30.0);
  EXPECT_DOUBLE_EQ(cpu_adam_bytes_per_param(2, Precision::FP16), 30.0);
  EXPECT_DOUBLE_EQ(cpu_adam_bytes_per_param(4, Precision::FP32), 28.0);  // no half-precision copy
  const auto v = offloaded_optimizer_step_kernels(1e9, 2, Precision::BF16);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].kind, KernelKind::HostCopy);
  EXPECT_EQ(v[0].copy, CopyDirection::DeviceToHost);
  EXPECT_DOUBLE_EQ(v[0].bytes, 4e9);  // fp32 gradients
  EXPECT_EQ(v[1].kind, KernelKind::HostMemory);
  EXPECT_DOUBLE_EQ(v[1].bytes, 30e9);
  EXPECT_EQ(v[2].kind, KernelKind::HostCopy);
  EXPECT_EQ(v[2].copy, CopyDirection::HostToDevice);
  EXPECT_DOUBLE_EQ(v[2].bytes, 2e9);  // bf16 weights
}

TEST(HostModel, CopiesRunAtTheLinkAndHostPassesShareTheNodesMemory) {
  HostSpec h;
  h.memory_bw = 400e9;
  h.memory_efficiency = 0.5;
  h.h2d_bw = 25e9;
  h.d2h_bw = 20e9;
  EXPECT_DOUBLE_EQ(host_kernel_time(host_copy_kernel("d", 1e9, CopyDirection::DeviceToHost), h, 8), 1e9 / 20e9);
  EXPECT_DOUBLE_EQ(host_kernel_time(host_copy_kernel("u", 1e9, CopyDirection::HostToDevice), h, 8), 1e9 / 25e9);
  // 8 GPUs share 400 GB/s x 0.5: 25 GB/s each.
  EXPECT_DOUBLE_EQ(host_kernel_time(host_memory_kernel("adam", 30e9), h, 8), 30e9 / 25e9);
  EXPECT_DOUBLE_EQ(host_kernel_time(host_memory_kernel("adam", 30e9), h, 1), 30e9 / 200e9);
  // Not GPU work: the ComputeModel leaves them to the host model.
  EXPECT_EQ(ComputeModel(gpu_by_name("H100-SXM5-80GB")).time(host_memory_kernel("adam", 30e9)), 0.0);
  EXPECT_THROW(host_kernel_time(memory_kernel("m", 1e9, Precision::BF16), h, 1), InternalError);
  EXPECT_THROW(host_kernel_time(host_memory_kernel("adam", 1e9), HostSpec{}, 1), InternalError);
}
