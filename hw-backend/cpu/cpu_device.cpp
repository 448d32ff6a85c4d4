// The CPU device: Eigen kernels, MPI collectives and transfers. Ops run on one thread in program
// order, which is a topological order of their deps (the planner only points deps backwards);
// streams are recorded in the trace but not overlapped (docs/hardware-backend.md). Sends are
// non-blocking (MPI_Isend) so that 1F1B's crossing sends cannot deadlock; an op that depends on a
// send waits for it, and the iteration waits for all of them.
#include <mpi.h>

#include <algorithm>
#include <fstream>
#include <map>

#include "hw-backend/cpu/cpu_kernels.hpp"
#include "hw-backend/cpu/mpi_collectives.hpp"
#include "hw-backend/cpu/mpi_groups.hpp"
#include "hw-backend/device/device.hpp"
#include "hw-backend/device/watchdog.hpp"
#include "sim/trace/trace.hpp"

namespace trainsim::hw {
namespace {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      auto p = line.find(':');
      return p == std::string::npos ? line : line.substr(p + 2);
    }
  return "cpu";
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

class CpuDevice : public Device {
 public:
  CpuDevice(MPI_Comm world, const DeviceOptions& o) : world_(world), opts_(o), coll_(o) {
    MPI_Comm_rank(world_, &rank_);
  }
  std::string name() const override { return "cpu"; }
  std::string device_name() const override { return cpu_model(); }

  void setup(const Plan& plan, int rank, const std::vector<RankOp>& program) override {
    plan_ = &plan;
    groups_.create(plan, rank, world_);
    send_bufs_.clear();
    for (size_t i = 0; i < program.size(); ++i)
      if (program[i].op->kind == OpKind::Send)
        send_bufs_[static_cast<int>(i)].assign(std::max<size_t>(1, program[i].op->bytes / sizeof(float)),
                                               static_cast<float>(program[i].op->tag % 1000 + 1));
  }

  void begin_iteration() override {
    records_.clear();
    pending_.clear();
    coll_.clear_records();
    t0_ = now_s();
  }

  void run_op(int index, const RankOp& ro) override {
    const Op& op = *ro.op;
    poll_sends();
    for (int d : op.deps) wait_send(d);
    OpRecord r;
    r.op = index;
    r.start = now_s() - t0_;
    switch (op.kind) {
      case OpKind::Compute: {
        const Block& b = plan_->blocks.at(op.block);
        for (const Kernel& k : b.kernels) {
          const double s = now_s();
          if (k.kind == KernelKind::Collective) {
            coll_.run({k.collective, groups_.comm(k.group), k.coll_bytes, rank_, index, k.name, groups_.key(k.group)});
            r.kernels.collective += now_s() - s;
            continue;
          }
          kernels_.run(k);
          const double t = now_s() - s;
          (k.kind == KernelKind::Gemm        ? r.kernels.gemm
           : k.kind == KernelKind::Attention ? r.kernels.attention
                                             : r.kernels.memory) += t;
        }
        break;
      }
      case OpKind::Collective:
        coll_.run({op.collective, groups_.comm(op.group), op.bytes, rank_, index, op_label(op), groups_.key(op.group)});
        break;
      case OpKind::Send: {
        auto& buf = send_bufs_.at(index);
        MPI_Request q;
        MPI_Isend(buf.data(), static_cast<int>(buf.size()), MPI_FLOAT, ro.peer, tag_of(op), world_, &q);
        pending_[index] = q;
        records_.push_back(r);  // end filled in when the send completes
        return;
      }
      case OpKind::Recv: {
        const size_t n = std::max<size_t>(1, op.bytes / sizeof(float));
        if (recv_buf_.size() < n) recv_buf_.resize(n);
        std::vector<MPI_Request> q(1);
        MPI_Irecv(recv_buf_.data(), static_cast<int>(n), MPI_FLOAT, ro.peer, tag_of(op), world_, &q[0]);
        wait_all(q, opts_.timeout_s, rank_, index, op_label(op) + " from rank " + std::to_string(ro.peer));
        if (opts_.verify) {
          ++p2p_checked_;
          const float want = static_cast<float>(op.tag % 1000 + 1);
          if (recv_buf_[0] != want || recv_buf_[n - 1] != want)
            abort_job(rank_, "op " + std::to_string(index) + " (" + op_label(op) + "): received data check failed", 5);
        }
        break;
      }
    }
    r.end = now_s() - t0_;
    records_.push_back(r);
  }

  std::vector<OpRecord> end_iteration() override {
    for (auto it = pending_.begin(); it != pending_.end();) {
      const int idx = it->first;
      ++it;
      wait_send(idx);
    }
    std::sort(records_.begin(), records_.end(), [](const OpRecord& a, const OpRecord& b) { return a.op < b.op; });
    return records_;
  }

  std::vector<CollectiveRecord> collective_records() const override {
    std::vector<CollectiveRecord> out = coll_.records();
    for (auto& r : out) r.enter -= t0_, r.end -= t0_;
    return out;
  }

  VerifyStats verify_stats() const override {
    VerifyStats v = coll_.stats();
    v.checked += p2p_checked_;
    return v;
  }

  double time_kernel(const Kernel& k, int reps) override {
    kernels_.run(k);  // warm-up (allocation, caches)
    std::vector<double> t;
    for (int i = 0; i < reps; ++i) {
      const double s = now_s();
      kernels_.run(k);
      t.push_back(now_s() - s);
    }
    return median(t);
  }

  double time_kernel_loop(const Kernel& k, int n) override {
    const double s = now_s();
    for (int i = 0; i < n; ++i) kernels_.run(k);
    return now_s() - s;
  }

  double time_collective(CollectiveKind kind, int group_size, double bytes, int reps) override {
    int world = 1;
    MPI_Comm_size(world_, &world);
    MPI_Comm c = MPI_COMM_NULL;
    const int color = rank_ < world / group_size * group_size ? rank_ / group_size : MPI_UNDEFINED;
    MPI_Comm_split(world_, color, rank_, &c);
    std::vector<double> t;
    for (int i = 0; i < reps + 1; ++i) {
      MPI_Barrier(world_);
      const double s = coll_.run({kind, c, bytes, rank_, -1, "calibrate " + std::string(to_string(kind))});
      if (i > 0) t.push_back(s);
    }
    if (c != MPI_COMM_NULL) MPI_Comm_free(&c);
    return median(t);
  }

 private:
  static int tag_of(const Op& op) { return static_cast<int>(op.tag % 32000); }  // MPI_TAG_UB >= 32767

  void poll_sends() {
    for (auto it = pending_.begin(); it != pending_.end();) {
      int done = 0;
      MPI_Test(&it->second, &done, MPI_STATUS_IGNORE);
      if (done) {
        finish_send(it->first);
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
  }
  void wait_send(int index) {
    auto it = pending_.find(index);
    if (it == pending_.end()) return;
    std::vector<MPI_Request> q{it->second};
    wait_all(q, opts_.timeout_s, rank_, index, "send");
    finish_send(index);
    pending_.erase(it);
  }
  void finish_send(int index) {
    for (auto& r : records_)
      if (r.op == index) r.end = now_s() - t0_;
  }

  MPI_Comm world_;
  int rank_ = 0;
  DeviceOptions opts_;
  const Plan* plan_ = nullptr;
  MpiGroups groups_;
  MpiCollectives coll_;
  CpuKernels kernels_;
  std::map<int, std::vector<float>> send_bufs_;
  std::map<int, MPI_Request> pending_;
  std::vector<float> recv_buf_;
  std::vector<OpRecord> records_;
  long p2p_checked_ = 0;
  double t0_ = 0;
};

}  // namespace

std::unique_ptr<Device> make_cpu_device(MPI_Comm world, const DeviceOptions& opts) {
  return std::make_unique<CpuDevice>(world, opts);
}

}  // namespace trainsim::hw
