#include "hw-backend/device/watchdog.hpp"

#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <thread>

namespace trainsim::hw {

double now_s() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

void abort_job(int rank, const std::string& what, int code) {
  std::fprintf(stderr, "trainsim-hw: rank %d: %s\n", rank, what.c_str());
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);  // MPI_Abort does not return; keep the compiler and the reader sure of it
}

void wait_all(std::vector<MPI_Request>& reqs, double timeout_s, int rank, int op, const std::string& label) {
  if (reqs.empty()) return;
  const double deadline = now_s() + timeout_s;
  int done = 0;
  long spins = 0;
  while (true) {
    MPI_Testall(static_cast<int>(reqs.size()), reqs.data(), &done, MPI_STATUSES_IGNORE);
    if (done) break;
    if (now_s() > deadline)
      abort_job(rank,
                "op " + std::to_string(op) + " (" + label + ") timed out after " + std::to_string(timeout_s) +
                    " s: a peer failed or the plan deadlocked",
                4);
    // Busy-poll briefly (latency), then sleep: with more ranks than cores a spinning waiter would
    // take the core from the rank it waits for.
    if (++spins > 100) usleep(20);
  }
  reqs.clear();
}

}  // namespace trainsim::hw
