#pragma once
// Executor: runs a rank's instantiated program on a Device for warm-up and timed iterations,
// injects failures when asked, and gathers every rank's op records to rank 0 as one Trace per
// iteration (the same Trace type the engines produce; sim/trace/trace.hpp).
#include <mpi.h>

#include <vector>

#include "hw-backend/device/device.hpp"
#include "hw-backend/exec/op_classes.hpp"
#include "sim/trace/trace.hpp"

namespace trainsim::hw {

struct RunOptions {
  int iterations = 5;
  int warmup = 1;
  FailureInjection fail;
};

struct MeasuredRun {
  int ranks = 0;
  std::vector<Trace> traces;            ///< rank 0: one per timed iteration, all ranks
  std::vector<double> iteration_times;  ///< rank 0: slowest rank's last op end
  std::vector<ClassTimes> classes;      ///< rank 0: per iteration, mean over ranks
  VerifyStats verify;                   ///< summed over ranks (rank 0)
  double energy_j = 0;                  ///< summed over ranks, timed iterations (0 if unknown)
};

MeasuredRun execute(const Plan& plan, Device& dev, MPI_Comm world, const RunOptions& opts);

/// Class times of one rank's records (compute kernels by class, collective ops, sends).
ClassTimes classify(const std::vector<RankOp>& program, const std::vector<OpRecord>& records);

}  // namespace trainsim::hw
