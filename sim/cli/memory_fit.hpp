#pragma once
// What `run` and `compare` do when a prediction does not fit in GPU memory: the time is still
// predicted (what the job would take if it fitted), but the job would not start, so the command
// says so on stderr and exits with status 3 unless --allow-oom (docs/errors.md#exit-status).
#include <ostream>
#include <string>
#include <vector>

#include "sim/metrics/metrics.hpp"

namespace trainsim::cli {

/// A predicted configuration that does not fit in GPU memory (docs/errors.md).
inline constexpr int kExitDoesNotFit = 3;

struct FitCheck {
  std::string label;  ///< "A (scenarios/x.json)" or the scenario's file
  const MemoryReport* memory = nullptr;
};

/// Names on `err` each configuration that does not fit (its footprint, the capacity and what makes
/// the peak) and returns kExitDoesNotFit, or 0 when all fit or `allow_oom` is set.
int memory_fit_status(const std::vector<FitCheck>& checks, bool allow_oom, std::ostream& err);

}  // namespace trainsim::cli
