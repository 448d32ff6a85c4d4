#pragma once
// Kernels the CUDA device writes itself (cuda_kernels.cu): the attention softmax, a memory pass,
// and the fill / check kernels of collective verification. Callable from host C++.
#include <cuda_runtime.h>

#include <cstdint>

namespace trainsim::hw::cuda {

/// Column-wise softmax of `heads` score matrices stored column-major as (keys x queries) floats;
/// writes bf16 probabilities. Causal: query q sees keys 0 .. q + (keys - queries).
void softmax_scores(const float* scores, void* probs_bf16, int keys, int queries, int heads, bool causal, float scale,
                    cudaStream_t s);
/// dst[i] = src[i] for `bytes` / 2 bytes read and as many written (a streaming pass).
void memory_pass(const void* src, void* dst, std::size_t bytes_each_way, cudaStream_t s);
/// Fills `n` floats with `value`.
void fill(float* p, std::size_t n, float value, cudaStream_t s);
/// Counts elements differing from the expectation into *bad: value (chunk == 0), or
/// (i / chunk + 1) for gathered chunks.
void check(const float* p, std::size_t n, std::size_t chunk, float value, int* bad, cudaStream_t s);

}  // namespace trainsim::hw::cuda
