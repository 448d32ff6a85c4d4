#pragma once
// Collectives and their result checks on MPI (the CPU device's NCCL): buffers of the Plan's
// byte counts as floats, filled with known values (rank-in-group + 1), verified after the call as
// nccl-tests -c does (github.com/NVIDIA/nccl-tests, "check" option): sums and gathered chunks.
#include <mpi.h>

#include <map>
#include <string>
#include <vector>

#include "hw-backend/device/device.hpp"

namespace trainsim::hw {

struct CollectiveCall {
  CollectiveKind kind = CollectiveKind::AllReduce;
  MPI_Comm comm = MPI_COMM_NULL;
  double bytes = 0;
  int rank = 0;  ///< world rank (for messages)
  int op = -1;   ///< plan op index (for messages)
  std::string label;
  long group = 0;  ///< group instance key (CollectiveRecord::group)
};

class MpiCollectives {
 public:
  explicit MpiCollectives(const DeviceOptions& o) : opts_(o) {}
  /// Runs one collective to completion (deadline-guarded); returns seconds; checks results.
  double run(const CollectiveCall& c);
  VerifyStats stats() const { return stats_; }
  /// Calls since the last clear, times absolute (now_s()).
  const std::vector<CollectiveRecord>& records() const { return records_; }
  void clear_records() { records_.clear(); }

 private:
  void check(bool ok, const CollectiveCall& c, const std::string& what);
  DeviceOptions opts_;
  std::vector<float> send_, recv_;
  VerifyStats stats_;
  std::vector<CollectiveRecord> records_;
  std::map<long, long> seq_;
};

}  // namespace trainsim::hw
