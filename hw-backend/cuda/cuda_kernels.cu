// Hand-written kernels of the CUDA device (no library code copied): a two-pass block softmax
// (max, then sum of exponentials; the standard numerically safe form), a grid-stride copy, and
// collective fill / check kernels.
#include "hw-backend/cuda/cuda_kernels.hpp"

#include <cuda_bf16.h>

#include <cfloat>

namespace trainsim::hw::cuda {

namespace {
constexpr int kThreads = 256;

__device__ float block_reduce(float v, bool is_max) {
  __shared__ float buf[kThreads];
  buf[threadIdx.x] = v;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s)
      buf[threadIdx.x] =
          is_max ? fmaxf(buf[threadIdx.x], buf[threadIdx.x + s]) : buf[threadIdx.x] + buf[threadIdx.x + s];
    __syncthreads();
  }
  const float r = buf[0];
  __syncthreads();
  return r;
}

__global__ void softmax_kernel(const float* scores, __nv_bfloat16* probs, int keys, int queries, bool causal,
                               float scale) {
  const int q = blockIdx.x, h = blockIdx.y;
  const size_t base = (static_cast<size_t>(h) * queries + q) * keys;
  const int valid = causal ? min(keys, q + (keys - queries) + 1) : keys;
  float mx = -FLT_MAX;
  for (int j = threadIdx.x; j < valid; j += blockDim.x) mx = fmaxf(mx, scores[base + j] * scale);
  mx = block_reduce(mx, true);
  float sum = 0.f;
  for (int j = threadIdx.x; j < valid; j += blockDim.x) sum += __expf(scores[base + j] * scale - mx);
  sum = block_reduce(sum, false);
  const float inv = 1.f / sum;
  for (int j = threadIdx.x; j < keys; j += blockDim.x)
    probs[base + j] = __float2bfloat16(j < valid ? __expf(scores[base + j] * scale - mx) * inv : 0.f);
}

__global__ void copy_kernel(const uint4* __restrict__ src, uint4* __restrict__ dst, size_t n) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x)
    dst[i] = src[i];
}

__global__ void fill_kernel(float* p, size_t n, float v) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x)
    p[i] = v;
}

__global__ void check_kernel(const float* p, size_t n, size_t chunk, float v, int* bad) {
  int local = 0;
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const float want = chunk == 0 ? v : static_cast<float>(i / chunk + 1);
    if (p[i] != want) ++local;
  }
  if (local) atomicAdd(bad, local);
}

int blocks_for(size_t n) {
  const size_t b = (n + kThreads - 1) / kThreads;
  return static_cast<int>(b < 4096 ? (b ? b : 1) : 4096);
}
}  // namespace

void softmax_scores(const float* scores, void* probs_bf16, int keys, int queries, int heads, bool causal, float scale,
                    cudaStream_t s) {
  dim3 grid(queries, heads);
  softmax_kernel<<<grid, kThreads, 0, s>>>(scores, static_cast<__nv_bfloat16*>(probs_bf16), keys, queries, causal,
                                           scale);
}

void memory_pass(const void* src, void* dst, size_t bytes_each_way, cudaStream_t s) {
  const size_t n = bytes_each_way / sizeof(uint4);
  if (n == 0) return;
  copy_kernel<<<blocks_for(n), kThreads, 0, s>>>(static_cast<const uint4*>(src), static_cast<uint4*>(dst), n);
}

void fill(float* p, size_t n, float value, cudaStream_t s) {
  fill_kernel<<<blocks_for(n), kThreads, 0, s>>>(p, n, value);
}

void check(const float* p, size_t n, size_t chunk, float value, int* bad, cudaStream_t s) {
  check_kernel<<<blocks_for(n), kThreads, 0, s>>>(p, n, chunk, value, bad);
}

}  // namespace trainsim::hw::cuda
