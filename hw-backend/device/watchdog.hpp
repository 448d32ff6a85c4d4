#pragma once
// Deadline waits for MPI requests: a collective or transfer that does not complete within the
// timeout aborts the whole job with the rank and op in the message instead of hanging
// (MPI_Test polling, then MPI_Abort; MPI-3.1 standard Sec. 3.7.3 and 8.7).
#include <mpi.h>

#include <string>
#include <vector>

namespace trainsim::hw {

/// Writes "trainsim-hw: rank R: <what>" to stderr and aborts every process of the job.
[[noreturn]] void abort_job(int rank, const std::string& what, int code = 3);

/// Polls until every request completes; on timeout calls abort_job naming rank, op and label.
void wait_all(std::vector<MPI_Request>& reqs, double timeout_s, int rank, int op, const std::string& label);

/// Seconds on a monotonic clock.
double now_s();

}  // namespace trainsim::hw
