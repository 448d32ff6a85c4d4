#pragma once
// The CPU device's compute kernels, on Eigen (single-threaded: one core per rank, as MPI places
// them). bf16/fp16/fp8 products run in fp32 (Eigen has no fast half-precision GEMM on CPUs); the
// Plan's shapes, and hence its FLOPs, are kept. Buffers grow on demand and are reused.
#include <Eigen/Dense>

#include <vector>

#include "models/compute/kernel.hpp"

namespace trainsim::hw {

using MatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>;

/// C_b = A_b · B_b for `batch` products of (m x k)·(k x n) (column-major, Eigen default).
void gemm_batched(const std::vector<MatrixF>& a, const std::vector<MatrixF>& b, std::vector<MatrixF>& c);

/// Row-wise softmax in place; with `causal`, column j > row (i + offset) is masked out.
void softmax_rows(MatrixF& s, bool causal, Eigen::Index row_offset);

/// Scaled-dot-product attention of one head: O = softmax(Q K^T / sqrt(d)) V, causal rows skip the
/// masked key blocks (query blocks of `block` rows see keys up to their last row), so the work
/// done is about half of the dense one as in flash attention (Dao 2023).
void attention_head(const MatrixF& q, const MatrixF& k, const MatrixF& v, bool causal, MatrixF& out,
                    Eigen::Index block = 64);

class CpuKernels {
 public:
  /// Executes a Gemm, Attention, Memory, HostCopy or HostMemory kernel of the Plan (Collective
  /// kernels are not compute).
  void run(const Kernel& k);
  /// Memory kernel: one streaming pass moving `bytes` (reads half, writes half).
  void stream(double bytes);

 private:
  void ensure_gemm(std::int64_t m, std::int64_t n, std::int64_t k);
  std::vector<MatrixF> a_, b_, c_;
  MatrixF q_, k_, v_, o_;
  std::vector<float> src_, dst_;
};

}  // namespace trainsim::hw
