#pragma once
// Device: what the hardware backend needs from a machine to execute a Plan — run a rank's ops
// in order honouring their deps and streams, time every op, and run the micro-benchmarks of
// `calibrate`. Two implementations: cpu/ (Eigen + MPI, always built with MPI) and cuda/
// (cuBLASLt + NCCL + NVML, -DTRAINSIM_CUDA=ON). The executor (exec/) knows only this interface.
#include <mpi.h>

#include <memory>
#include <string>
#include <vector>

#include "sim/plan/plan.hpp"

namespace trainsim::hw {

/// Seconds a compute op spent per kernel class (inline collectives under `collective`).
struct KernelClassTimes {
  double gemm = 0, attention = 0, memory = 0, collective = 0;
};

/// One executed op of one iteration, times in seconds from the iteration start on this rank.
struct OpRecord {
  int op = -1;
  double start = 0, end = 0;
  KernelClassTimes kernels;
};

/// Failure injection (tests): rank `rank` fails at op `op` of the first timed or warm-up iteration.
/// One collective call as a rank saw it: which group instance (`group`: role and lowest member),
/// its sequence number on that group, and when the rank entered and left it (seconds from the
/// iteration start). Rank 0 uses these to separate a collective's own cost from the time spent
/// waiting for late members (exec/executor.cpp).
struct CollectiveRecord {
  int op = -1;
  long group = 0, seq = 0;
  double enter = 0, end = 0;
};

struct FailureInjection {
  int rank = -1, op = -1;
  std::string mode = "abort";  ///< abort: the rank exits with an error; hang: it stops answering
};

struct DeviceOptions {
  double timeout_s = 60;  ///< a blocking op waiting longer than this aborts the job
  bool verify = true;     ///< check collective and p2p results (like nccl-tests -c)
};

/// Result checks of collectives and p2p transfers (sum of known values).
struct VerifyStats {
  long checked = 0, failed = 0;
};

class Device {
 public:
  virtual ~Device() = default;
  virtual std::string name() const = 0;         ///< "cpu" or "cuda"
  virtual std::string device_name() const = 0;  ///< CPU model or GPU name
  /// Creates communicators for the Plan's groups and allocates what the rank's program needs.
  virtual void setup(const Plan& plan, int rank, const std::vector<RankOp>& program) = 0;
  virtual void begin_iteration() = 0;
  /// Issues op `index` of the program (after its deps, on its stream). May be asynchronous.
  virtual void run_op(int index, const RankOp& op) = 0;
  /// Waits for every issued op and returns their records in program order.
  virtual std::vector<OpRecord> end_iteration() = 0;
  virtual VerifyStats verify_stats() const = 0;
  /// The last iteration's collective calls (empty: the device does not record them).
  virtual std::vector<CollectiveRecord> collective_records() const { return {}; }

  // Micro-benchmarks (calibrate): median seconds of one kernel / collective.
  virtual double time_kernel(const Kernel& k, int reps) = 0;
  /// Seconds for `n` back-to-back runs of a kernel (sustained throughput; no warm-up).
  virtual double time_kernel_loop(const Kernel& k, int n) = 0;
  /// Collective over groups of `group_size` consecutive world ranks (all ranks call it).
  virtual double time_collective(CollectiveKind kind, int group_size, double bytes, int reps) = 0;
  /// Host-to-device and device-to-host bytes/s (0 where the device is the host).
  virtual void host_link(double& h2d, double& d2h) { h2d = d2h = 0; }
  /// Mean board power while idle and during a dense product loop (0 when not measurable).
  virtual void power(double& idle_w, double& active_w) { idle_w = active_w = 0; }
  /// Energy (J) of the last timed interval (0 when not measurable); see exec/executor.cpp.
  virtual void power_begin() {}
  virtual double power_end_joules() { return 0; }
};

std::unique_ptr<Device> make_cpu_device(MPI_Comm world, const DeviceOptions& opts);
#ifdef TRAINSIM_HAVE_CUDA
std::unique_ptr<Device> make_cuda_device(MPI_Comm world, const DeviceOptions& opts);
#endif
/// "cpu" or "cuda"; throws InputError when this build lacks the device.
std::unique_ptr<Device> make_device(const std::string& kind, MPI_Comm world, const DeviceOptions& opts);

}  // namespace trainsim::hw
