// The CUDA device: cuBLASLt products of the Plan's shapes and precision, attention as batched
// cuBLAS products plus our softmax kernel (cuda_kernels.cu; not a fused flash kernel), memory
// passes moving the Plan's bytes, optimizer offload's host-link copies (pinned cudaMemcpyAsync) and
// host passes (cudaLaunchHostFunc, CPU threads), NCCL communicators from the Plan's groups, CUDA events per op
// and per kernel, NVML power sampling, and a watchdog that aborts NCCL and the job when an
// iteration does not finish in time. UNTESTED on hardware at the time of writing
// (docs/hardware-backend.md). References: cuBLASLt API (docs.nvidia.com/cuda/cublas, "cuBLASLt
// API"), NCCL user guide ("Creating a communicator with options", ncclCommInitRank, ncclCommAbort).
#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <nccl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <thread>
#include <tuple>
#include <vector>

#include "hw-backend/cpu/mpi_groups.hpp"
#include "hw-backend/cuda/cuda_check.hpp"
#include "hw-backend/cuda/cuda_kernels.hpp"
#include "hw-backend/cuda/nvml_sampler.hpp"
#include "hw-backend/device/device.hpp"
#include "hw-backend/device/watchdog.hpp"
#include "sim/trace/trace.hpp"

namespace trainsim::hw {
namespace {

using cuda::check_cublas;
using cuda::check_cuda;
using cuda::check_nccl;
using cuda::device_alloc;

constexpr std::size_t kWorkspace = 64ull << 20;   // cuBLASLt workspace (NVIDIA recommends >= 32 MiB on Hopper)
constexpr std::size_t kMemChunk = 1ull << 30;     // memory passes loop over 1 GiB buffers
constexpr std::size_t kScoreBudget = 1ull << 30;  // attention: heads per chunk so scores fit 1 GiB

cudaDataType_t data_type(Precision p) {
  switch (p) {
    case Precision::FP16: return CUDA_R_16F;
    case Precision::FP32:
    case Precision::TF32: return CUDA_R_32F;
    default: return CUDA_R_16BF;  // BF16; FP8 runs as BF16 (docs/hardware-backend.md)
  }
}
std::size_t elem_size(Precision p) { return (p == Precision::FP32 || p == Precision::TF32) ? 4 : 2; }

/// A host pass of optimizer offload (CPU Adam as a HostMemory kernel): `bytes` of host memory read
/// plus written as a STREAM "scale" loop (dst = 0.999 src, McCalpin 1995) over `floats`-long
/// halves of a pinned buffer, split over `threads` CPU threads. Runs in stream order on CUDA's
/// callback thread (cudaLaunchHostFunc: no CUDA calls allowed inside).
struct HostPass {
  float* src = nullptr;
  float* dst = nullptr;
  std::size_t floats = 0;
  double bytes = 0;
  int threads = 1;
};
void CUDART_CB run_host_pass(void* arg) {
  const auto* p = static_cast<const HostPass*>(arg);
  double left = p->bytes;
  while (left > 16 && p->floats > 0) {
    const std::size_t n = std::min<std::size_t>(p->floats, static_cast<std::size_t>(left / (2 * sizeof(float))) + 1);
    std::vector<std::thread> pool;
    const std::size_t per = (n + p->threads - 1) / p->threads;
    for (int t = 0; t < p->threads; ++t) {
      const std::size_t lo = std::min(n, t * per), hi = std::min(n, lo + per);
      pool.emplace_back([p, lo, hi] {
        for (std::size_t i = lo; i < hi; ++i) p->dst[i] = 0.999f * p->src[i];
      });
    }
    for (auto& th : pool) th.join();
    left -= 2.0 * sizeof(float) * static_cast<double>(n);
  }
}

struct EventPair {
  cudaEvent_t a = nullptr, b = nullptr;
};

struct GemmKey {
  std::int64_t m, n, k, batch;
  int prec;
  bool operator<(const GemmKey& o) const {
    return std::tie(m, n, k, batch, prec) < std::tie(o.m, o.n, o.k, o.batch, o.prec);
  }
};
struct GemmPlan {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  cublasLtMatmulAlgo_t algo{};
  bool has_algo = false;
};

class CudaDevice : public Device {
 public:
  CudaDevice(MPI_Comm world, const DeviceOptions& o) : world_(world), opts_(o) {
    MPI_Comm_rank(world_, &rank_);
    MPI_Comm_size(world_, &size_);
    cuda::current_rank() = rank_;
    int n = 0;
    check_cuda(cudaGetDeviceCount(&n), "cudaGetDeviceCount");
    if (n == 0) abort_job(rank_, "no CUDA device", 7);
    const char* lr = std::getenv("OMPI_COMM_WORLD_LOCAL_RANK");
    dev_ = (lr ? std::atoi(lr) : rank_) % n;
    check_cuda(cudaSetDevice(dev_), "cudaSetDevice");
    for (auto& s : streams_) check_cuda(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreate");
    check_cublas(cublasLtCreate(&lt_), "cublasLtCreate");
    check_cublas(cublasCreate(&blas_), "cublasCreate");
    workspace_ = device_alloc(kWorkspace, "cuBLASLt workspace");
    bad_ = static_cast<int*>(device_alloc(sizeof(int), "check counter"));
    check_cuda(cudaMemset(bad_, 0, sizeof(int)), "cudaMemset");
    power_ = std::make_unique<cuda::NvmlSampler>(dev_);
  }
  ~CudaDevice() override {
    cudaDeviceSynchronize();
    for (auto& [k, c] : nccl_) ncclCommDestroy(c);
    for (auto& [k, p] : gemm_plans_) {
      cublasLtMatrixLayoutDestroy(p.a), cublasLtMatrixLayoutDestroy(p.b), cublasLtMatrixLayoutDestroy(p.c);
      cublasLtMatmulDescDestroy(p.desc);
    }
    cublasLtDestroy(lt_);
    cublasDestroy(blas_);
    if (host_buf_) cudaFreeHost(host_buf_);
  }

  std::string name() const override { return "cuda"; }
  std::string device_name() const override {
    cudaDeviceProp p{};
    cudaGetDeviceProperties(&p, dev_);
    return p.name;
  }

  void setup(const Plan& plan, int rank, const std::vector<RankOp>& program) override {
    plan_ = &plan;
    program_ = &program;
    groups_.create(plan, rank, world_);
    for (GroupRole r : {GroupRole::TP, GroupRole::CP, GroupRole::DP, GroupRole::EP, GroupRole::EDP,
                        GroupRole::Embedding, GroupRole::DPShard, GroupRole::DPReplica})
      nccl_for(groups_.comm(r), static_cast<int>(r));
    world_nccl_ = nccl_for(world_, 100);
    // Model state as the Plan sizes it: half-precision weights and gradients, fp32 master
    // weights and Adam moments (12 bytes) sharded over DP with ZeRO >= 1 (in host memory with
    // optimizer offload: not allocated here).
    const RankCoord c = plan.coord(rank);
    const double params = plan.params_per_rank_by_stage.at(c.pp);
    const int shard = plan.strategy.zero >= 1 ? plan.strategy.dp : 1;
    const double state = params * 4.0 + (plan.strategy.optimizer_offload ? 0.0 : params / shard * 12.0);
    state_ = device_alloc(static_cast<std::size_t>(state), "model state (weights, gradients, optimizer) of " +
                                                               std::to_string(params / 1e6) + " M parameters");
    // Scratch sized by the program's largest kernel of each kind.
    for (const auto& ro : program)
      if (ro.op->kind == OpKind::Compute)
        for (const auto& k : plan.blocks.at(ro.op->block).kernels) reserve_for(k);
      else
        reserve_comm(ro.op->bytes);
  }

  void begin_iteration() override {
    for (auto& s : streams_) check_cuda(cudaStreamSynchronize(s), "cudaStreamSynchronize");
    host_passes_.clear();  // every host pass of the last iteration has run
    records_.assign(program_ ? program_->size() : 0, {});
    op_events_.resize(records_.size());
    kernel_events_.clear();
    next_kernel_event_ = 0;
    if (!t0_) t0_ = event();
    check_cuda(cudaEventRecord(t0_, streams_[0]), "cudaEventRecord");
    for (int s = 1; s < kNumStreams; ++s) check_cuda(cudaStreamWaitEvent(streams_[s], t0_, 0), "cudaStreamWaitEvent");
  }

  void run_op(int index, const RankOp& ro) override {
    const Op& op = *ro.op;
    cudaStream_t s = streams_[static_cast<int>(op.stream)];
    for (int d : op.deps) check_cuda(cudaStreamWaitEvent(s, op_events_.at(d).b, 0), "cudaStreamWaitEvent");
    EventPair& ev = op_events_[index];
    ev.a = ev.a ? ev.a : event();
    ev.b = ev.b ? ev.b : event();
    check_cuda(cudaEventRecord(ev.a, s), "cudaEventRecord");
    records_[index].op = index;
    current_op_ = index;
    switch (op.kind) {
      case OpKind::Compute:
        for (const auto& k : plan_->blocks.at(op.block).kernels) {
          EventPair& ke = kernel_event();
          check_cuda(cudaEventRecord(ke.a, s), "cudaEventRecord");
          if (k.kind == KernelKind::Collective)
            collective(k.collective, groups_.comm(k.group), static_cast<int>(k.group), k.coll_bytes, s);
          else
            compute(k, s);
          check_cuda(cudaEventRecord(ke.b, s), "cudaEventRecord");
          kernel_owner_.push_back({index, static_cast<int>(k.kind)});
        }
        break;
      case OpKind::Collective:
        collective(op.collective, groups_.comm(op.group), static_cast<int>(op.group), op.bytes, s);
        break;
      case OpKind::Send:
        check_nccl(ncclSend(comm_buf_, count_of(op.bytes), ncclFloat, ro.peer, world_nccl_, s), "ncclSend");
        break;
      case OpKind::Recv:
        check_nccl(ncclRecv(recv_buf_, count_of(op.bytes), ncclFloat, ro.peer, world_nccl_, s), "ncclRecv");
        break;
    }
    check_cuda(cudaEventRecord(ev.b, s), "cudaEventRecord");
  }

  std::vector<OpRecord> end_iteration() override {
    // Watchdog: poll the last events; a hung NCCL call is aborted (ncclCommAbort) and the job ends
    // with the first unfinished op named.
    const double deadline = now_s() + opts_.timeout_s;
    for (size_t i = 0; i < op_events_.size(); ++i) {
      while (op_events_[i].b && cudaEventQuery(op_events_[i].b) == cudaErrorNotReady) {
        if (now_s() > deadline) {
          for (auto& [k, c] : nccl_) ncclCommAbort(c);
          nccl_.clear();
          abort_job(rank_,
                    "op " + std::to_string(i) + " (" + op_label(*(*program_)[i].op) + ") timed out after " +
                        std::to_string(opts_.timeout_s) + " s (NCCL communicators aborted)",
                    4);
        }
      }
    }
    for (size_t i = 0; i < op_events_.size(); ++i) {
      float a = 0, b = 0;
      check_cuda(cudaEventElapsedTime(&a, t0_, op_events_[i].a), "cudaEventElapsedTime");
      check_cuda(cudaEventElapsedTime(&b, t0_, op_events_[i].b), "cudaEventElapsedTime");
      records_[i].start = a * 1e-3;
      records_[i].end = b * 1e-3;
    }
    for (size_t j = 0; j < kernel_owner_.size(); ++j) {
      float ms = 0;
      check_cuda(cudaEventElapsedTime(&ms, kernel_events_[j].a, kernel_events_[j].b), "cudaEventElapsedTime");
      auto& kt = records_[kernel_owner_[j].first].kernels;
      const auto kind = static_cast<KernelKind>(kernel_owner_[j].second);
      // Host-side kernels (optimizer offload) count as memory-bound, as hw-backend/exec/compare.cpp predicts them.
      (kind == KernelKind::Gemm         ? kt.gemm
       : kind == KernelKind::Attention  ? kt.attention
       : kind == KernelKind::Collective ? kt.collective
                                        : kt.memory) += ms * 1e-3;
    }
    kernel_owner_.clear();
    int bad = 0;
    check_cuda(cudaMemcpy(&bad, bad_, sizeof(int), cudaMemcpyDeviceToHost), "cudaMemcpy");
    if (bad) abort_job(rank_, "collective result check failed (" + std::to_string(bad) + " wrong elements)", 5);
    return records_;
  }

  VerifyStats verify_stats() const override { return {checked_, 0}; }

  double time_kernel(const Kernel& k, int reps) override {
    reserve_for(k);
    cudaStream_t s = streams_[0];
    compute(k, s);
    std::vector<double> t;
    cudaEvent_t a = event(), b = event();
    for (int i = 0; i < reps; ++i) {
      check_cuda(cudaEventRecord(a, s), "cudaEventRecord");
      compute(k, s);
      check_cuda(cudaEventRecord(b, s), "cudaEventRecord");
      check_cuda(cudaEventSynchronize(b), "cudaEventSynchronize");
      float ms = 0;
      cudaEventElapsedTime(&ms, a, b);
      t.push_back(ms * 1e-3);
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
  }

  double time_kernel_loop(const Kernel& k, int n) override {
    reserve_for(k);
    cudaStream_t s = streams_[0];
    cudaEvent_t a = event(), b = event();
    check_cuda(cudaEventRecord(a, s), "cudaEventRecord");
    for (int i = 0; i < n; ++i) compute(k, s);
    check_cuda(cudaEventRecord(b, s), "cudaEventRecord");
    check_cuda(cudaEventSynchronize(b), "cudaEventSynchronize");
    float ms = 0;
    cudaEventElapsedTime(&ms, a, b);
    cudaEventDestroy(a);
    cudaEventDestroy(b);
    return ms * 1e-3;
  }

  double time_collective(CollectiveKind kind, int group_size, double bytes, int reps) override {
    MPI_Comm c = MPI_COMM_NULL;
    const int color = rank_ < size_ / group_size * group_size ? rank_ / group_size : MPI_UNDEFINED;
    MPI_Comm_split(world_, color, rank_, &c);
    ncclComm_t nc = nccl_for(c, 1000 + group_size);
    reserve_comm(bytes);
    std::vector<double> t;
    cudaStream_t s = streams_[1];
    cudaEvent_t a = event(), b = event();
    for (int i = 0; i < reps + 1; ++i) {
      MPI_Barrier(world_);  // every rank, in a group or not, takes part in the barriers
      if (!nc) continue;
      check_cuda(cudaEventRecord(a, s), "cudaEventRecord");
      collective(kind, c, 1000 + group_size, bytes, s);
      check_cuda(cudaEventRecord(b, s), "cudaEventRecord");
      check_cuda(cudaEventSynchronize(b), "cudaEventSynchronize");
      float ms = 0;
      cudaEventElapsedTime(&ms, a, b);
      if (i > 0) t.push_back(ms * 1e-3);
    }
    MPI_Barrier(world_);
    if (nc) {
      ncclCommDestroy(nc);
      nccl_.erase(1000 + group_size);
    }
    if (c != MPI_COMM_NULL) MPI_Comm_free(&c);
    cudaEventDestroy(a);
    cudaEventDestroy(b);
    std::sort(t.begin(), t.end());
    return t.empty() ? 0 : t[t.size() / 2];
  }

  void host_link(double& h2d, double& d2h) override {
    const std::size_t bytes = 1ull << 30;
    void* host = nullptr;
    check_cuda(cudaMallocHost(&host, bytes), "cudaMallocHost");
    void* dev = device_alloc(bytes, "host link benchmark");
    auto time_copy = [&](bool to_dev) {
      cudaEvent_t a = event(), b = event();
      cudaMemcpy(to_dev ? dev : host, to_dev ? host : dev, bytes,
                 to_dev ? cudaMemcpyHostToDevice : cudaMemcpyDeviceToHost);
      check_cuda(cudaEventRecord(a, streams_[0]), "cudaEventRecord");
      check_cuda(cudaMemcpyAsync(to_dev ? dev : host, to_dev ? host : dev, bytes,
                                 to_dev ? cudaMemcpyHostToDevice : cudaMemcpyDeviceToHost, streams_[0]),
                 "cudaMemcpyAsync");
      check_cuda(cudaEventRecord(b, streams_[0]), "cudaEventRecord");
      check_cuda(cudaEventSynchronize(b), "cudaEventSynchronize");
      float ms = 0;
      cudaEventElapsedTime(&ms, a, b);
      return bytes / (ms * 1e-3);
    };
    h2d = time_copy(true);
    d2h = time_copy(false);
    cudaFree(dev);
    cudaFreeHost(host);
  }

  void power(double& idle_w, double& active_w) override {
    idle_w = active_w = 0;
    if (!power_->ok()) return;
    check_cuda(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
    idle_w = power_->mean_power(2.0);
    // Dense bf16 products for ~5 s; power read over the last 3 s (the board reaches its cap).
    const Kernel g = gemm_kernel("power", 8192, 8192, 8192, 1, Precision::BF16, 2);
    reserve_for(g);
    const double t_one = time_kernel(g, 3);
    const int n = static_cast<int>(5.0 / std::max(t_one, 1e-4));
    for (int i = 0; i < n; ++i) compute(g, streams_[0]);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    active_w = power_->mean_power(3.0);
    check_cuda(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
  }

  void power_begin() override {
    if (power_->ok()) power_->begin();
  }
  double power_end_joules() override {
    if (!power_->ok()) return 0;
    for (auto& s : streams_) cudaStreamSynchronize(s);
    return power_->end_joules();
  }

 private:
  static std::size_t count_of(double bytes) { return std::max<std::size_t>(1, static_cast<std::size_t>(bytes / 4)); }

  cudaEvent_t event() {
    cudaEvent_t e;
    check_cuda(cudaEventCreate(&e), "cudaEventCreate");
    return e;
  }
  EventPair& kernel_event() {
    if (next_kernel_event_ >= kernel_pool_.size()) kernel_pool_.push_back({event(), event()});
    kernel_events_.push_back(kernel_pool_[next_kernel_event_]);
    return kernel_pool_[next_kernel_event_++];
  }

  ncclComm_t nccl_for(MPI_Comm c, int key) {
    if (c == MPI_COMM_NULL) return nullptr;
    int n = 0, me = 0;
    MPI_Comm_size(c, &n);
    MPI_Comm_rank(c, &me);
    ncclUniqueId id;
    if (me == 0) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
    MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, c);
    ncclComm_t comm = nullptr;
    check_nccl(ncclCommInitRank(&comm, n, id, me), "ncclCommInitRank");
    nccl_[key] = comm;
    return comm;
  }

  void reserve_comm(double bytes) {
    const std::size_t b = count_of(bytes) * 4;
    if (b <= comm_bytes_) return;
    if (comm_buf_) cudaFree(comm_buf_), cudaFree(recv_buf_);
    comm_buf_ = static_cast<float*>(device_alloc(b, "communication buffer"));
    recv_buf_ = static_cast<float*>(device_alloc(b, "communication buffer"));
    comm_bytes_ = b;
  }

  void grow_host(std::size_t need) {
    if (need <= host_bytes_) return;
    if (host_buf_) check_cuda(cudaFreeHost(host_buf_), "cudaFreeHost");
    check_cuda(cudaMallocHost(&host_buf_, need), "cudaMallocHost (pinned host buffer for optimizer offload)");
    host_bytes_ = need;
  }

  void grow(void*& p, std::size_t& have, std::size_t need, const char* what) {
    if (need <= have) return;
    if (p) check_cuda(cudaFree(p), "cudaFree");
    p = device_alloc(need, std::string(what) + " (op " + std::to_string(current_op_) + ")");
    have = need;
  }

  void reserve_for(const Kernel& k) {
    switch (k.kind) {
      case KernelKind::Gemm: {
        const std::size_t e = elem_size(k.precision), b = std::max<std::int64_t>(1, k.batch);
        grow(a_, a_bytes_, e * k.m * k.k * b, "GEMM A");
        grow(b_, b_bytes_, e * k.k * k.n * b, "GEMM B");
        grow(c_, c_bytes_, e * k.m * k.n * b, "GEMM C");
        break;
      }
      case KernelKind::Attention: {
        const std::size_t heads = std::max<std::int64_t>(1, k.batch);
        grow(a_, a_bytes_, 2 * k.m * k.k * heads, "attention Q");
        grow(b_, b_bytes_, 2 * k.n * k.k * heads * 2, "attention K,V");
        grow(c_, c_bytes_, 2 * k.m * k.k * heads, "attention O");
        const std::size_t per_head = static_cast<std::size_t>(k.m) * k.n;
        const std::size_t chunk = std::max<std::size_t>(1, std::min(heads, kScoreBudget / (per_head * 4)));
        grow(scores_, scores_bytes_, per_head * chunk * 4, "attention scores");
        grow(probs_, probs_bytes_, per_head * chunk * 2, "attention probabilities");
        break;
      }
      case KernelKind::Memory: {
        const std::size_t half = std::min<std::size_t>(kMemChunk, static_cast<std::size_t>(k.bytes / 2) + 16);
        grow(src_, src_bytes_, half, "memory pass source");
        grow(dst_, dst_bytes_, half, "memory pass destination");
        break;
      }
      case KernelKind::Collective: reserve_comm(k.coll_bytes); break;
      case KernelKind::HostCopy: {
        const std::size_t piece = std::min<std::size_t>(kMemChunk, static_cast<std::size_t>(k.bytes) + 16);
        grow(src_, src_bytes_, piece, "host copy device buffer");
        grow_host(piece);
        break;
      }
      case KernelKind::HostMemory:
        grow_host(std::min<std::size_t>(kMemChunk, static_cast<std::size_t>(k.bytes) + 16));
        break;
    }
  }

  GemmPlan& gemm_plan(const Kernel& k) {
    const GemmKey key{k.m, k.n, k.k, std::max<std::int64_t>(1, k.batch), static_cast<int>(k.precision)};
    auto it = gemm_plans_.find(key);
    if (it != gemm_plans_.end()) return it->second;
    GemmPlan p;
    const cudaDataType_t t = data_type(k.precision);
    const cublasComputeType_t ct = k.precision == Precision::TF32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
    check_cublas(cublasLtMatmulDescCreate(&p.desc, ct, CUDA_R_32F), "cublasLtMatmulDescCreate");
    const cublasOperation_t opn = CUBLAS_OP_N;
    cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_TRANSA, &opn, sizeof(opn));
    cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_TRANSB, &opn, sizeof(opn));
    // Column-major C(m x n) = A(m x k) · B(k x n).
    check_cublas(cublasLtMatrixLayoutCreate(&p.a, t, k.m, k.k, k.m), "cublasLtMatrixLayoutCreate");
    check_cublas(cublasLtMatrixLayoutCreate(&p.b, t, k.k, k.n, k.k), "cublasLtMatrixLayoutCreate");
    check_cublas(cublasLtMatrixLayoutCreate(&p.c, t, k.m, k.n, k.m), "cublasLtMatrixLayoutCreate");
    const std::int32_t batch = static_cast<std::int32_t>(key.batch);
    if (batch > 1) {
      const std::int64_t sa = k.m * k.k, sb = k.k * k.n, sc = k.m * k.n;
      for (auto [layout, stride] : {std::pair{p.a, sa}, std::pair{p.b, sb}, std::pair{p.c, sc}}) {
        cublasLtMatrixLayoutSetAttribute(layout, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &batch, sizeof(batch));
        cublasLtMatrixLayoutSetAttribute(layout, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride, sizeof(stride));
      }
    }
    cublasLtMatmulPreference_t pref;
    check_cublas(cublasLtMatmulPreferenceCreate(&pref), "cublasLtMatmulPreferenceCreate");
    std::size_t ws = kWorkspace;
    cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof(ws));
    cublasLtMatmulHeuristicResult_t h{};
    int found = 0;
    if (cublasLtMatmulAlgoGetHeuristic(lt_, p.desc, p.a, p.b, p.c, p.c, pref, 1, &h, &found) == CUBLAS_STATUS_SUCCESS &&
        found > 0) {
      p.algo = h.algo;
      p.has_algo = true;
    }
    cublasLtMatmulPreferenceDestroy(pref);
    return gemm_plans_.emplace(key, p).first->second;
  }

  void gemm(const Kernel& k, cudaStream_t s) {
    GemmPlan& p = gemm_plan(k);
    const float alpha = 1.f, beta = 0.f;
    check_cublas(cublasLtMatmul(lt_, p.desc, &alpha, a_, p.a, b_, p.b, &beta, c_, p.c, c_, p.c,
                                p.has_algo ? &p.algo : nullptr, workspace_, kWorkspace, s),
                 "cublasLtMatmul");
  }

  void attention(const Kernel& k, cudaStream_t s) {
    // Per head, column-major: S'(keys x queries) = K(keys x d) · Q'(d x queries);
    // P' = softmax over each column; O'(d x queries) = V'(d x keys) · P'(keys x queries).
    check_cublas(cublasSetStream(blas_, s), "cublasSetStream");
    const int q = static_cast<int>(k.m), kv = static_cast<int>(k.n), d = static_cast<int>(k.k);
    const int heads = static_cast<int>(std::max<std::int64_t>(1, k.batch));
    const std::size_t per_head = static_cast<std::size_t>(q) * kv;
    const int chunk =
        static_cast<int>(std::max<std::size_t>(1, std::min<std::size_t>(heads, kScoreBudget / (per_head * 4))));
    const double one = 4.0 * q * kv * d * heads;
    const double passes = std::max(1.0, k.flops / std::max(1.0, one));  // 1 forward, 2.5 backward
    const float one_f = 1.f, zero_f = 0.f;
    const float scale = 1.f / std::sqrt(static_cast<float>(d));
    auto* Q = static_cast<char*>(a_);
    auto* KV = static_cast<char*>(b_);
    auto* O = static_cast<char*>(c_);
    const int full = static_cast<int>(passes);
    const double frac = passes - full;
    for (int pass = 0; pass < full + (frac > 0.05 ? 1 : 0); ++pass) {
      const int hs = pass < full ? heads : std::max(1, static_cast<int>(std::lround(frac * heads)));
      for (int h0 = 0; h0 < hs; h0 += chunk) {
        const int nh = std::min(chunk, hs - h0);
        const std::size_t off_q = static_cast<std::size_t>(h0) * q * d * 2,
                          off_k = static_cast<std::size_t>(h0) * kv * d * 2;
        check_cublas(
            cublasGemmStridedBatchedEx(blas_, CUBLAS_OP_N, CUBLAS_OP_N, kv, q, d, &one_f, KV + off_k, CUDA_R_16BF, kv,
                                       static_cast<long long>(kv) * d, Q + off_q, CUDA_R_16BF, d,
                                       static_cast<long long>(q) * d, &zero_f, scores_, CUDA_R_32F, kv,
                                       static_cast<long long>(per_head), nh, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
            "cublasGemmStridedBatchedEx (scores)");
        cuda::softmax_scores(static_cast<float*>(scores_), probs_, kv, q, nh, k.causal, scale, s);
        check_cuda(cudaGetLastError(), "softmax kernel launch");
        const std::size_t v_off = static_cast<std::size_t>(heads) * kv * d * 2 + off_k;
        check_cublas(
            cublasGemmStridedBatchedEx(blas_, CUBLAS_OP_N, CUBLAS_OP_N, d, q, kv, &one_f, KV + v_off, CUDA_R_16BF, d,
                                       static_cast<long long>(kv) * d, probs_, CUDA_R_16BF, kv,
                                       static_cast<long long>(per_head), &zero_f, O + off_q, CUDA_R_16BF, d,
                                       static_cast<long long>(q) * d, nh, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
            "cublasGemmStridedBatchedEx (context)");
      }
    }
  }

  void compute(const Kernel& k, cudaStream_t s) {
    reserve_for(k);
    switch (k.kind) {
      case KernelKind::Gemm: gemm(k, s); break;
      case KernelKind::Attention: attention(k, s); break;
      case KernelKind::Memory: {
        double left = k.bytes / 2;
        while (left > 16) {
          const std::size_t now = static_cast<std::size_t>(std::min<double>(left, src_bytes_));
          cuda::memory_pass(src_, dst_, now, s);
          left -= static_cast<double>(now);
        }
        check_cuda(cudaGetLastError(), "memory kernel launch");
        break;
      }
      case KernelKind::HostCopy: {
        // Pinned copies over the host link, in pieces of the buffers (stream-ordered).
        const bool d2h = k.copy == CopyDirection::DeviceToHost;
        double left = k.bytes;
        while (left >= 1) {
          const std::size_t now = static_cast<std::size_t>(std::min<double>(left, std::min(src_bytes_, host_bytes_)));
          if (now == 0) break;
          check_cuda(cudaMemcpyAsync(d2h ? host_buf_ : src_, d2h ? src_ : host_buf_, now,
                                     d2h ? cudaMemcpyDeviceToHost : cudaMemcpyHostToDevice, s),
                     "cudaMemcpyAsync (optimizer offload)");
          left -= static_cast<double>(now);
        }
        break;
      }
      case KernelKind::HostMemory: {
        // CPU Adam: a host pass over pinned memory, in stream order; the node's cores are split
        // over its local ranks (OpenMPI's OMPI_COMM_WORLD_LOCAL_SIZE), as DeepSpeed binds them.
        auto p = std::make_unique<HostPass>();
        p->floats = host_bytes_ / (2 * sizeof(float));
        p->src = static_cast<float*>(host_buf_);
        p->dst = p->src + p->floats;
        p->bytes = k.bytes;
        const char* ls = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
        const int local = std::max(1, ls ? std::atoi(ls) : 1);
        p->threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / local);
        check_cuda(cudaLaunchHostFunc(s, run_host_pass, p.get()), "cudaLaunchHostFunc (CPU Adam)");
        host_passes_.push_back(std::move(p));
        break;
      }
      case KernelKind::Collective: break;
    }
  }

  void collective(CollectiveKind kind, MPI_Comm mc, int key, double bytes, cudaStream_t s) {
    auto it = nccl_.find(key);
    if (mc == MPI_COMM_NULL || it == nccl_.end()) return;
    ncclComm_t c = it->second;
    int g = 1, me = 0;
    check_nccl(ncclCommCount(c, &g), "ncclCommCount");
    check_nccl(ncclCommUserRank(c, &me), "ncclCommUserRank");
    reserve_comm(bytes);
    const std::size_t total = std::max<std::size_t>(g, count_of(bytes) / g * g), chunk = total / g;
    const float mine = static_cast<float>(me + 1), sum = g * (g + 1) / 2.0f;
    switch (kind) {
      case CollectiveKind::AllReduce:
        cuda::fill(comm_buf_, total, mine, s);
        check_nccl(ncclAllReduce(comm_buf_, recv_buf_, total, ncclFloat, ncclSum, c, s), "ncclAllReduce");
        if (opts_.verify) cuda::check(recv_buf_, total, 0, sum, bad_, s);
        break;
      case CollectiveKind::AllGather:
        cuda::fill(comm_buf_, chunk, mine, s);
        check_nccl(ncclAllGather(comm_buf_, recv_buf_, chunk, ncclFloat, c, s), "ncclAllGather");
        if (opts_.verify) cuda::check(recv_buf_, total, chunk, 0, bad_, s);
        break;
      case CollectiveKind::ReduceScatter:
        cuda::fill(comm_buf_, total, mine, s);
        check_nccl(ncclReduceScatter(comm_buf_, recv_buf_, chunk, ncclFloat, ncclSum, c, s), "ncclReduceScatter");
        if (opts_.verify) cuda::check(recv_buf_, chunk, 0, sum, bad_, s);
        break;
      case CollectiveKind::AllToAll:
        // NCCL has no all-to-all call before 2.28's ncclAlltoAll; grouped send/recv is the portable form.
        cuda::fill(comm_buf_, total, mine, s);
        check_nccl(ncclGroupStart(), "ncclGroupStart");
        for (int p = 0; p < g; ++p) {
          check_nccl(ncclSend(comm_buf_ + p * chunk, chunk, ncclFloat, p, c, s), "ncclSend");
          check_nccl(ncclRecv(recv_buf_ + p * chunk, chunk, ncclFloat, p, c, s), "ncclRecv");
        }
        check_nccl(ncclGroupEnd(), "ncclGroupEnd");
        if (opts_.verify) cuda::check(recv_buf_, total, chunk, 0, bad_, s);
        break;
      case CollectiveKind::Broadcast:
        cuda::fill(recv_buf_, total, me == 0 ? 1.f : 0.f, s);
        check_nccl(ncclBroadcast(recv_buf_, recv_buf_, total, ncclFloat, 0, c, s), "ncclBroadcast");
        if (opts_.verify) cuda::check(recv_buf_, total, 0, 1.f, bad_, s);
        break;
    }
    if (opts_.verify) ++checked_;
  }

  MPI_Comm world_;
  int rank_ = 0, size_ = 1, dev_ = 0;
  DeviceOptions opts_;
  const Plan* plan_ = nullptr;
  const std::vector<RankOp>* program_ = nullptr;
  MpiGroups groups_;
  std::map<int, ncclComm_t> nccl_;
  ncclComm_t world_nccl_ = nullptr;
  cudaStream_t streams_[kNumStreams] = {};
  cublasLtHandle_t lt_ = nullptr;
  cublasHandle_t blas_ = nullptr;
  std::map<GemmKey, GemmPlan> gemm_plans_;
  void* workspace_ = nullptr;
  void* state_ = nullptr;
  void *a_ = nullptr, *b_ = nullptr, *c_ = nullptr, *scores_ = nullptr, *probs_ = nullptr, *src_ = nullptr,
       *dst_ = nullptr;
  std::size_t a_bytes_ = 0, b_bytes_ = 0, c_bytes_ = 0, scores_bytes_ = 0, probs_bytes_ = 0, src_bytes_ = 0,
              dst_bytes_ = 0, comm_bytes_ = 0;
  float *comm_buf_ = nullptr, *recv_buf_ = nullptr;
  void* host_buf_ = nullptr;  ///< pinned host memory: optimizer offload's copies and host passes
  std::size_t host_bytes_ = 0;
  std::vector<std::unique_ptr<HostPass>> host_passes_;  ///< alive until their stream has run them
  int* bad_ = nullptr;
  long checked_ = 0;
  int current_op_ = -1;
  cudaEvent_t t0_ = nullptr;
  std::vector<OpRecord> records_;
  std::vector<EventPair> op_events_;
  std::vector<EventPair> kernel_pool_, kernel_events_;
  std::size_t next_kernel_event_ = 0;
  std::vector<std::pair<int, int>> kernel_owner_;
  std::unique_ptr<cuda::NvmlSampler> power_;
};

}  // namespace

std::unique_ptr<Device> make_cuda_device(MPI_Comm world, const DeviceOptions& opts) {
  return std::make_unique<CudaDevice>(world, opts);
}

}  // namespace trainsim::hw
