#pragma once
// Micro-benchmarks that produce a calibration profile (models/calibration/profile.hpp): GEMM
// rate over a grid of shapes x precisions, causal attention, memory streaming, host link,
// all-reduce time vs message size for every group size the job allows, idle/active power.
// Every rank runs the benchmarks at once (as ranks share the machine during `run`); rank 0
// keeps the mean over ranks.
#include <mpi.h>

#include "hw-backend/device/device.hpp"
#include "models/calibration/profile.hpp"

namespace trainsim::hw {

struct CalibrationOptions {
  int reps = 5;
  bool quick = false;  ///< a smaller grid (tests)
};

CalibrationProfile calibrate(Device& dev, MPI_Comm world, const CalibrationOptions& o);

}  // namespace trainsim::hw
