// The CPU device's Eigen kernels checked numerically against naive loops.
#include <gtest/gtest.h>

#include <cmath>

#include "hw-backend/cpu/cpu_kernels.hpp"

using namespace trainsim;
using namespace trainsim::hw;

TEST(CpuKernels, GemmMatchesNaiveProduct) {
  const int m = 37, n = 23, k = 51;
  std::vector<MatrixF> a{MatrixF::Random(m, k)}, b{MatrixF::Random(k, n)}, c;
  gemm_batched(a, b, c);
  ASSERT_EQ(c.size(), 1u);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      double s = 0;
      for (int p = 0; p < k; ++p) s += static_cast<double>(a[0](i, p)) * b[0](p, j);
      EXPECT_NEAR(c[0](i, j), s, 1e-4);
    }
}

TEST(CpuKernels, CausalAttentionMatchesReference) {
  const int s = 70, d = 16;
  MatrixF q = MatrixF::Random(s, d), k = MatrixF::Random(s, d), v = MatrixF::Random(s, d), out;
  attention_head(q, k, v, true, out, 32);
  for (int i = 0; i < s; i += 7) {
    std::vector<double> w(i + 1);
    double mx = -1e30, sum = 0;
    for (int j = 0; j <= i; ++j) {
      double x = 0;
      for (int p = 0; p < d; ++p) x += q(i, p) * k(j, p);
      w[j] = x / std::sqrt(static_cast<double>(d));
      mx = std::max(mx, w[j]);
    }
    for (auto& x : w) sum += (x = std::exp(x - mx));
    for (int p = 0; p < d; ++p) {
      double o = 0;
      for (int j = 0; j <= i; ++j) o += w[j] / sum * v(j, p);
      EXPECT_NEAR(out(i, p), o, 1e-4) << "row " << i;
    }
  }
}

TEST(CpuKernels, RunsEveryComputeKernelKind) {
  CpuKernels ks;
  ks.run(gemm_kernel("g", 64, 32, 16, 2, Precision::BF16, 2));
  Kernel a;
  a.kind = KernelKind::Attention;
  a.m = a.n = 64;
  a.k = 16;
  a.batch = 2;
  a.causal = true;
  a.flops = 2.5 * 4.0 * 64 * 64 * 16 * 2;
  ks.run(a);
  ks.run(memory_kernel("m", 1e5, Precision::BF16));
  SUCCEED();
}
