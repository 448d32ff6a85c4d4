#include "hw-backend/exec/executor.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>
#include <tuple>

#include "hw-backend/device/watchdog.hpp"

namespace trainsim::hw {

namespace {
constexpr int kFields = 7;  // op, start, end, gemm, attention, memory, collective

void maybe_fail(const FailureInjection& f, int rank, int op, const Op& o) {
  if (f.rank != rank || f.op != op) return;
  if (f.mode == "hang") {
    std::fprintf(stderr, "trainsim-hw: rank %d: injected hang at op %d (%s)\n", rank, op, op_label(o).c_str());
    std::fflush(stderr);
    while (true) std::this_thread::sleep_for(std::chrono::seconds(1));  // peers' watchdogs abort the job
  }
  abort_job(rank, "injected failure at op " + std::to_string(op) + " (" + op_label(o) + ")", 6);
}

/// Per rank, the collectives' own cost: for each call (group instance, sequence number), the
/// time from the last member's arrival to this rank's exit; waiting for late members is not the
/// collective's cost (nccl-tests likewise time collectives after a barrier).
std::vector<double> skew_free_collectives(const std::vector<double>& all, const std::vector<int>& counts,
                                          const std::vector<int>& displs, int size) {
  constexpr int kC = 5;  // op, group, seq, enter, end
  std::map<std::pair<long, long>, double> last_enter;
  for (int r = 0; r < size; ++r)
    for (int i = displs[r]; i < displs[r] + counts[r]; i += kC) {
      auto key = std::make_pair(static_cast<long>(all[i + 1]), static_cast<long>(all[i + 2]));
      auto it = last_enter.find(key);
      last_enter[key] = it == last_enter.end() ? all[i + 3] : std::max(it->second, all[i + 3]);
    }
  std::vector<double> cost(size, 0.0);
  for (int r = 0; r < size; ++r)
    for (int i = displs[r]; i < displs[r] + counts[r]; i += kC) {
      const double arrive = last_enter[{static_cast<long>(all[i + 1]), static_cast<long>(all[i + 2])}];
      cost[r] += std::max(0.0, all[i + 4] - std::max(arrive, all[i + 3]));
    }
  return cost;
}

/// Per sending rank, the pipeline transfers' own time: the matching receive's completion minus
/// the later of the send's and the receive's posting (the rest is the pipeline bubble).
std::vector<double> matched_transfers(const std::vector<std::vector<RankOp>>& progs,
                                      const std::vector<std::vector<OpRecord>>& recs) {
  const int size = static_cast<int>(progs.size());
  std::map<std::tuple<int, int, std::int64_t>, double> send_start;  // (from, to, tag) -> posted
  for (int r = 0; r < size; ++r)
    for (const auto& rec : recs[r]) {
      const RankOp& ro = progs[r].at(rec.op);
      if (ro.op->kind == OpKind::Send) send_start[{r, ro.peer, ro.op->tag}] = rec.start;
    }
  std::vector<double> cost(size, 0.0);
  for (int r = 0; r < size; ++r)
    for (const auto& rec : recs[r]) {
      const RankOp& ro = progs[r].at(rec.op);
      if (ro.op->kind != OpKind::Recv) continue;
      auto it = send_start.find({ro.peer, r, ro.op->tag});
      if (it == send_start.end()) continue;
      cost[ro.peer] += std::max(0.0, rec.end - std::max(rec.start, it->second));
    }
  return cost;
}
}  // namespace

ClassTimes classify(const std::vector<RankOp>& program, const std::vector<OpRecord>& records) {
  ClassTimes c;
  for (const auto& r : records) {
    const Op& op = *program.at(r.op).op;
    switch (op.kind) {
      case OpKind::Compute:
        c.gemm += r.kernels.gemm;
        c.attention += r.kernels.attention;
        c.memory += r.kernels.memory;
        c.collective += r.kernels.collective;
        break;
      case OpKind::Collective: c.collective += r.end - r.start; break;
      case OpKind::Send: c.p2p += r.end - r.start; break;
      case OpKind::Recv: break;  // waiting time: counted by the matching send
    }
  }
  return c;
}

MeasuredRun execute(const Plan& plan, Device& dev, MPI_Comm world, const RunOptions& opts) {
  int rank = 0, size = 1;
  MPI_Comm_rank(world, &rank);
  MPI_Comm_size(world, &size);
  const auto program = plan.instantiate(rank);
  dev.setup(plan, rank, program);

  MeasuredRun out;
  out.ranks = size;
  for (int it = 0; it < opts.warmup + opts.iterations; ++it) {
    const bool timed = it >= opts.warmup;
    MPI_Barrier(world);
    if (timed && it == opts.warmup) dev.power_begin();
    dev.begin_iteration();
    for (size_t i = 0; i < program.size(); ++i) {
      if (it == 0) maybe_fail(opts.fail, rank, static_cast<int>(i), *program[i].op);
      dev.run_op(static_cast<int>(i), program[i]);
    }
    const auto records = dev.end_iteration();
    if (!timed) continue;

    // Gather records to rank 0.
    std::vector<double> mine;
    mine.reserve(records.size() * kFields);
    for (const auto& r : records)
      mine.insert(mine.end(), {static_cast<double>(r.op), r.start, r.end, r.kernels.gemm, r.kernels.attention,
                               r.kernels.memory, r.kernels.collective});
    int n = static_cast<int>(mine.size());
    std::vector<int> counts(size), displs(size);
    MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, world);
    std::vector<double> all;
    if (rank == 0) {
      int total = 0;
      for (int r = 0; r < size; ++r) displs[r] = total, total += counts[r];
      all.resize(total);
    }
    MPI_Gatherv(mine.data(), n, MPI_DOUBLE, all.data(), counts.data(), displs.data(), MPI_DOUBLE, 0, world);

    // Collective calls, for their skew-free cost.
    std::vector<double> cmine;
    for (const auto& c : dev.collective_records())
      cmine.insert(cmine.end(), {static_cast<double>(c.op), static_cast<double>(c.group), static_cast<double>(c.seq),
                                 c.enter, c.end});
    int cn = static_cast<int>(cmine.size());
    std::vector<int> ccounts(size), cdispls(size);
    MPI_Gather(&cn, 1, MPI_INT, ccounts.data(), 1, MPI_INT, 0, world);
    std::vector<double> call;
    if (rank == 0) {
      int total = 0;
      for (int r = 0; r < size; ++r) cdispls[r] = total, total += ccounts[r];
      call.resize(total);
    }
    MPI_Gatherv(cmine.data(), cn, MPI_DOUBLE, call.data(), ccounts.data(), cdispls.data(), MPI_DOUBLE, 0, world);
    if (rank != 0) continue;

    Trace t;
    t.engine = "hardware-" + dev.name();
    std::vector<std::vector<RankOp>> progs(size);
    std::vector<std::vector<OpRecord>> recs(size);
    for (int r = 0; r < size; ++r) {
      t.ranks.push_back(r);
      progs[r] = plan.instantiate(r);
      const auto& prog = progs[r];
      for (int i = displs[r]; i < displs[r] + counts[r]; i += kFields) {
        OpRecord rec;
        rec.op = static_cast<int>(all[i]);
        rec.start = all[i + 1];
        rec.end = all[i + 2];
        rec.kernels = {all[i + 3], all[i + 4], all[i + 5], all[i + 6]};
        recs[r].push_back(rec);
        const Op& op = *prog.at(rec.op).op;
        TraceEvent e = trace_event(op, r, rec.op, rec.start, rec.end, rec.kernels.collective);
        t.iteration_time = std::max(t.iteration_time, rec.end);
        t.events.push_back(std::move(e));
      }
    }
    const auto coll = skew_free_collectives(call, ccounts, cdispls, size);
    const auto p2p = matched_transfers(progs, recs);
    ClassTimes sum;
    for (int r = 0; r < size; ++r) {
      ClassTimes c = classify(progs[r], recs[r]);
      if (!call.empty()) c.collective = coll[r];
      c.p2p = p2p[r];
      sum += c;
    }
    out.iteration_times.push_back(t.iteration_time);
    out.classes.push_back(sum.scaled(1.0 / size));
    out.traces.push_back(std::move(t));
  }
  const double e = dev.power_end_joules();
  MPI_Reduce(&e, &out.energy_j, 1, MPI_DOUBLE, MPI_SUM, 0, world);
  const VerifyStats v = dev.verify_stats();
  long local[2] = {v.checked, v.failed}, global[2] = {0, 0};
  MPI_Reduce(local, global, 2, MPI_LONG, MPI_SUM, 0, world);
  out.verify = {global[0], global[1]};
  return out;
}

}  // namespace trainsim::hw
