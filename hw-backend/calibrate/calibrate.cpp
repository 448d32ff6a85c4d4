#include "hw-backend/calibrate/calibrate.hpp"

#include <algorithm>
#include <cmath>

namespace trainsim::hw {

namespace {
double mean_over_ranks(double v, MPI_Comm world) {
  int n = 1;
  MPI_Comm_size(world, &n);
  double s = 0;
  MPI_Allreduce(&v, &s, 1, MPI_DOUBLE, MPI_SUM, world);
  return s / n;
}

struct Grid {
  std::vector<std::int64_t> mn, k;
  std::vector<Precision> measured;  ///< precisions actually run
  std::vector<Precision> recorded;  ///< precisions the CPU's fp32 results stand for
  std::vector<std::int64_t> seqs, head_dims;
  std::vector<double> mem_bytes, coll_bytes;
  double max_gemm_flops = 0;
};

/// Sustained seconds per kernel: every rank runs the same number of back-to-back kernels at once
/// (at least `window` seconds' worth), so the rate includes the sharing of cores or GPU that
/// ranks meet during `run` (a lone short kernel would dodge the scheduler's time slices).
/// Median over `reps` windows.
double synchronized_time(Device& dev, const Kernel& k, int reps, MPI_Comm world, double window = 0.03) {
  const double one = std::max(1e-7, dev.time_kernel(k, 1));
  int n = static_cast<int>(std::min(10000.0, std::ceil(window / one)));
  MPI_Allreduce(MPI_IN_PLACE, &n, 1, MPI_INT, MPI_MAX, world);
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    MPI_Barrier(world);
    t.push_back(dev.time_kernel_loop(k, n) / n);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

Grid grid_for(const Device& dev, bool quick) {
  Grid g;
  if (dev.name() == "cpu") {
    g.mn = quick ? std::vector<std::int64_t>{128, 512} : std::vector<std::int64_t>{128, 256, 512, 1024, 4096};
    g.k = quick ? std::vector<std::int64_t>{128, 512} : std::vector<std::int64_t>{128, 256, 512, 1024};
    g.measured = {Precision::BF16};
    g.recorded = {Precision::BF16, Precision::FP16, Precision::FP32, Precision::TF32};
    g.seqs = quick ? std::vector<std::int64_t>{128} : std::vector<std::int64_t>{128, 256, 512, 1024};
    g.head_dims = {64, 128};
    g.mem_bytes = {64e3, 256e3, 1e6, 4e6, 16e6, 64e6};
    g.coll_bytes = {4e3, 64e3, 1e6, 8e6};
    g.max_gemm_flops = 2.0 * 4096 * 1024 * 1024;
  } else {
    g.mn = {256, 1024, 2048, 4096, 8192};
    g.k = {256, 1024, 2048, 4096, 8192};
    g.measured = {Precision::BF16, Precision::FP16};
    g.recorded = {};
    g.seqs = {512, 1024, 2048, 4096, 8192};
    g.head_dims = {64, 128};
    g.mem_bytes = {16e6, 64e6, 256e6, 1e9};
    g.coll_bytes = {64e3, 1e6, 16e6, 128e6, 512e6};
    g.max_gemm_flops = 2.0 * 8192 * 8192 * 8192;
  }
  return g;
}
}  // namespace

CalibrationProfile calibrate(Device& dev, MPI_Comm world, const CalibrationOptions& o) {
  int rank = 0, size = 1;
  MPI_Comm_rank(world, &rank);
  MPI_Comm_size(world, &size);
  const Grid g = grid_for(dev, o.quick);
  CalibrationProfile p;
  p.device = dev.name();
  p.device_name = dev.device_name();
  p.ranks = size;

  for (Precision prec : g.measured)
    for (auto m : g.mn)
      for (auto n : g.mn)
        for (auto k : g.k) {
          const double flops = 2.0 * m * n * k;
          if (flops > g.max_gemm_flops) continue;
          Kernel kk = gemm_kernel("calibrate_gemm", m, n, k, 1, prec, 2.0);
          const double t = mean_over_ranks(synchronized_time(dev, kk, o.reps, world), world);
          const auto recorded = g.recorded.empty() ? std::vector<Precision>{prec} : g.recorded;
          for (Precision rp : recorded) p.gemm.push_back({m, n, k, 1, rp, flops / t});
        }

  const std::int64_t heads = 4;
  for (auto s : g.seqs)
    for (auto d : g.head_dims) {
      Kernel a;
      a.name = "calibrate_attention";
      a.kind = KernelKind::Attention;
      a.m = a.n = s;
      a.k = d;
      a.batch = heads;
      a.causal = true;
      a.precision = Precision::BF16;
      a.flops = 4.0 * s * s * d * heads;
      const double t = mean_over_ranks(synchronized_time(dev, a, o.reps, world), world);
      const double rate = 0.5 * a.flops / t;  // causal work, as ComputeModel counts it
      const auto recorded = g.recorded.empty() ? std::vector<Precision>{Precision::BF16} : g.recorded;
      for (Precision rp : recorded) p.attention.push_back({s, d, heads, rp, rate});
    }

  for (double b : g.mem_bytes) {
    const Kernel mk = memory_kernel("calibrate_memory", b, Precision::BF16);
    p.memory.push_back({b, mean_over_ranks(synchronized_time(dev, mk, o.reps, world), world)});
  }
  // Fixed cost per kernel: the memory fit's intercept (time of a kernel that moves nothing).
  p.overhead_s = fit_linear_time(p.memory).intercept;

  for (int gs = 2; gs <= size; gs *= 2)
    for (double b : g.coll_bytes) {
      const double t = mean_over_ranks(dev.time_collective(CollectiveKind::AllReduce, gs, b, o.reps), world);
      p.collectives.push_back({CollectiveKind::AllReduce, gs, b, t});
    }
  if (size > 2 && (size & (size - 1)) != 0)
    for (double b : g.coll_bytes)
      p.collectives.push_back(
          {CollectiveKind::AllReduce, size, b,
           mean_over_ranks(dev.time_collective(CollectiveKind::AllReduce, size, b, o.reps), world)});

  double h2d = 0, d2h = 0;
  dev.host_link(h2d, d2h);
  p.h2d_bytes_per_s = mean_over_ranks(h2d, world);
  p.d2h_bytes_per_s = mean_over_ranks(d2h, world);
  double idle = 0, active = 0;
  dev.power(idle, active);
  p.idle_w = idle;
  p.active_w = active;
  return p;
}

}  // namespace trainsim::hw
