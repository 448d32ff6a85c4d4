#pragma once
// Error checks of the CUDA device: any failure aborts the job naming the rank and what failed
// (an out-of-memory names the allocation and its size).
#include <cublasLt.h>
#include <cuda_runtime.h>
#include <nccl.h>

#include <string>

#include "hw-backend/device/watchdog.hpp"

namespace trainsim::hw::cuda {

inline int& current_rank() {
  static int r = 0;
  return r;
}

inline void check_cuda(cudaError_t e, const char* what) {
  if (e != cudaSuccess) abort_job(current_rank(), std::string(what) + ": " + cudaGetErrorString(e), 7);
}
inline void check_cublas(cublasStatus_t e, const char* what) {
  if (e != CUBLAS_STATUS_SUCCESS)
    abort_job(current_rank(), std::string(what) + ": cuBLAS status " + std::to_string(static_cast<int>(e)), 7);
}
inline void check_nccl(ncclResult_t e, const char* what) {
  if (e != ncclSuccess) abort_job(current_rank(), std::string(what) + ": " + ncclGetErrorString(e), 7);
}

/// cudaMalloc that reports a real OOM with the rank, purpose and size.
inline void* device_alloc(std::size_t bytes, const std::string& purpose) {
  void* p = nullptr;
  if (bytes == 0) bytes = 256;
  const cudaError_t e = cudaMalloc(&p, bytes);
  if (e != cudaSuccess) {
    std::size_t free_b = 0, total_b = 0;
    cudaMemGetInfo(&free_b, &total_b);
    abort_job(current_rank(),
              "out of device memory allocating " + std::to_string(bytes / 1048576.0) + " MiB for " + purpose + " (" +
                  std::to_string(free_b / 1048576.0) + " MiB free of " + std::to_string(total_b / 1048576.0) +
                  "): " + cudaGetErrorString(e),
              8);
  }
  return p;
}

}  // namespace trainsim::hw::cuda
