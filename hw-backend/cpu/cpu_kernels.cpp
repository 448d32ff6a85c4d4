#include "hw-backend/cpu/cpu_kernels.hpp"

#include <algorithm>
#include <cmath>

namespace trainsim::hw {

void gemm_batched(const std::vector<MatrixF>& a, const std::vector<MatrixF>& b, std::vector<MatrixF>& c) {
  c.resize(a.size());
  for (size_t i = 0; i < a.size(); ++i) c[i].noalias() = a[i] * b[i];
}

void softmax_rows(MatrixF& s, bool causal, Eigen::Index row_offset) {
  for (Eigen::Index i = 0; i < s.rows(); ++i) {
    const Eigen::Index valid = causal ? std::min<Eigen::Index>(s.cols(), i + row_offset + 1) : s.cols();
    float mx = -INFINITY;
    for (Eigen::Index j = 0; j < valid; ++j) mx = std::max(mx, s(i, j));
    float sum = 0;
    for (Eigen::Index j = 0; j < valid; ++j) {
      const float e = std::exp(s(i, j) - mx);
      s(i, j) = e;
      sum += e;
    }
    for (Eigen::Index j = 0; j < valid; ++j) s(i, j) /= sum;
    for (Eigen::Index j = valid; j < s.cols(); ++j) s(i, j) = 0;
  }
}

void attention_head(const MatrixF& q, const MatrixF& k, const MatrixF& v, bool causal, MatrixF& out,
                    Eigen::Index block) {
  const Eigen::Index sq = q.rows(), sk = k.rows(), d = q.cols();
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  out.resize(sq, v.cols());
  MatrixF s;
  for (Eigen::Index r0 = 0; r0 < sq; r0 += block) {
    const Eigen::Index rows = std::min(block, sq - r0);
    // Causal: queries r0..r0+rows-1 see keys 0..r0+rows-1 (keys aligned with the queries' end).
    const Eigen::Index offset = sk - sq;
    const Eigen::Index keys = causal ? std::min(sk, r0 + rows + offset) : sk;
    s.noalias() = (q.middleRows(r0, rows) * k.topRows(keys).transpose()) * scale;
    softmax_rows(s, causal, r0 + offset);
    out.middleRows(r0, rows).noalias() = s * v.topRows(keys);
  }
}

void CpuKernels::ensure_gemm(std::int64_t m, std::int64_t n, std::int64_t k) {
  if (a_.empty() || a_[0].rows() != m || a_[0].cols() != k || b_[0].cols() != n) {
    a_.assign(1, MatrixF::Constant(m, k, 0.5f));
    b_.assign(1, MatrixF::Constant(k, n, 0.25f));
  }
}

void CpuKernels::stream(double bytes) {
  const size_t n = static_cast<size_t>(std::max(1.0, bytes / (2.0 * sizeof(float))));
  if (src_.size() < n) {
    src_.assign(n, 1.0f);
    dst_.assign(n, 0.0f);
  }
  // dst = 0.999 * src: a read stream and a write stream (STREAM "scale", McCalpin 1995).
  float* __restrict d = dst_.data();
  const float* __restrict s = src_.data();
  for (size_t i = 0; i < n; ++i) d[i] = 0.999f * s[i];
}

void CpuKernels::run(const Kernel& k) {
  switch (k.kind) {
    case KernelKind::Gemm: {
      // One set of operands, `batch` products (the batch shares shapes; data reuse across the
      // batch is what a strided-batched GEMM also gets from L2).
      ensure_gemm(k.m, k.n, k.k);
      c_.resize(1);
      for (std::int64_t b = 0; b < std::max<std::int64_t>(1, k.batch); ++b) c_[0].noalias() = a_[0] * b_[0];
      break;
    }
    case KernelKind::Attention: {
      if (q_.rows() != k.m || q_.cols() != k.k) q_ = MatrixF::Random(k.m, k.k);
      if (k_.rows() != k.n || k_.cols() != k.k) {
        k_ = MatrixF::Random(k.n, k.k);
        v_ = MatrixF::Random(k.n, k.k);
      }
      // Passes: the kernel's FLOPs over one forward pass (4·m·n·d per head): 1 forward, 2.5 backward.
      const double one = 4.0 * static_cast<double>(k.m) * k.n * k.k * std::max<std::int64_t>(1, k.batch);
      const int passes = std::max(1, static_cast<int>(std::lround(k.flops / std::max(one, 1.0))));
      const double frac = k.flops / std::max(one, 1.0) - (passes - 1);  // e.g. 2.5 -> 2 full + 1 half
      for (int p = 0; p < passes; ++p) {
        const std::int64_t heads = p == passes - 1 && frac > 0 && frac < 1
                                       ? std::max<std::int64_t>(1, std::llround(frac * k.batch))
                                       : std::max<std::int64_t>(1, k.batch);
        for (std::int64_t h = 0; h < heads; ++h) attention_head(q_, k_, v_, k.causal, o_);
      }
      break;
    }
    case KernelKind::Memory: stream(k.bytes); break;
    // Optimizer offload on the CPU device: its device memory is host memory, so a host-link copy
    // is a memory copy (read and write every byte) and CPU Adam a streaming pass.
    case KernelKind::HostCopy: stream(2.0 * k.bytes); break;
    case KernelKind::HostMemory: stream(k.bytes); break;
    case KernelKind::Collective: break;
  }
}

}  // namespace trainsim::hw
