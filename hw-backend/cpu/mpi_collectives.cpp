#include "hw-backend/cpu/mpi_collectives.hpp"

#include <algorithm>
#include <cmath>

#include "hw-backend/device/watchdog.hpp"

namespace trainsim::hw {

void MpiCollectives::check(bool ok, const CollectiveCall& c, const std::string& what) {
  if (!opts_.verify) return;
  ++stats_.checked;
  if (!ok) {
    ++stats_.failed;
    abort_job(c.rank, "op " + std::to_string(c.op) + " (" + c.label + "): result check failed: " + what, 5);
  }
}

double MpiCollectives::run(const CollectiveCall& c) {
  if (c.comm == MPI_COMM_NULL) return 0;
  int g = 1, me = 0;
  MPI_Comm_size(c.comm, &g);
  MPI_Comm_rank(c.comm, &me);
  // Elements per rank chunk; totals are multiples of g so every chunk has the same size.
  const long total = std::max<long>(g, static_cast<long>(c.bytes / sizeof(float)) / g * g);
  const long chunk = total / g;
  const float mine = static_cast<float>(me + 1);
  if (static_cast<long>(send_.size()) < total) {
    send_.resize(total);
    recv_.resize(total);
  }
  std::vector<MPI_Request> req(1, MPI_REQUEST_NULL);
  const double t0 = now_s();
  switch (c.kind) {
    case CollectiveKind::AllReduce:
      std::fill_n(send_.data(), total, mine);
      MPI_Iallreduce(send_.data(), recv_.data(), total, MPI_FLOAT, MPI_SUM, c.comm, &req[0]);
      break;
    case CollectiveKind::AllGather:
      std::fill_n(send_.data(), chunk, mine);
      MPI_Iallgather(send_.data(), chunk, MPI_FLOAT, recv_.data(), chunk, MPI_FLOAT, c.comm, &req[0]);
      break;
    case CollectiveKind::ReduceScatter:
      std::fill_n(send_.data(), total, mine);
      MPI_Ireduce_scatter_block(send_.data(), recv_.data(), chunk, MPI_FLOAT, MPI_SUM, c.comm, &req[0]);
      break;
    case CollectiveKind::AllToAll:
      std::fill_n(send_.data(), total, mine);
      MPI_Ialltoall(send_.data(), chunk, MPI_FLOAT, recv_.data(), chunk, MPI_FLOAT, c.comm, &req[0]);
      break;
    case CollectiveKind::Broadcast:
      std::fill_n(recv_.data(), total, me == 0 ? 1.0f : 0.0f);
      MPI_Ibcast(recv_.data(), total, MPI_FLOAT, 0, c.comm, &req[0]);
      break;
  }
  wait_all(req, opts_.timeout_s, c.rank, c.op, c.label);
  const double t1 = now_s(), t = t1 - t0;
  records_.push_back({c.op, c.group, seq_[c.group]++, t0, t1});
  if (opts_.verify) {
    const float sum = static_cast<float>(g) * (g + 1) / 2.0f;
    bool ok = true;
    switch (c.kind) {
      case CollectiveKind::AllReduce:
        ok = std::all_of(recv_.data(), recv_.data() + total, [&](float x) { return x == sum; });
        break;
      case CollectiveKind::ReduceScatter:
        ok = std::all_of(recv_.data(), recv_.data() + chunk, [&](float x) { return x == sum; });
        break;
      case CollectiveKind::AllGather:
      case CollectiveKind::AllToAll:
        for (int j = 0; j < g && ok; ++j)
          ok = std::all_of(recv_.data() + j * chunk, recv_.data() + (j + 1) * chunk,
                           [&](float x) { return x == static_cast<float>(j + 1); });
        break;
      case CollectiveKind::Broadcast:
        ok = std::all_of(recv_.data(), recv_.data() + total, [](float x) { return x == 1.0f; });
        break;
    }
    check(ok, c, std::string(to_string(c.kind)) + " over " + std::to_string(g) + " ranks");
  }
  return t;
}

}  // namespace trainsim::hw
