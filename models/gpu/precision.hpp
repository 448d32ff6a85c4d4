#pragma once
#include <string>

namespace trainsim {

/// Matrix-math precision of a run. Storage of weights/activations follows it
/// (fp8 runs keep bf16 activations and master weights; see memory model).
enum class Precision { FP32, TF32, FP16, BF16, FP8 };

Precision parse_precision(const std::string& s);  // throws InputError on unknown names
const char* to_string(Precision p);
/// Bytes per element of activations and half-precision weights for a run of precision `p`.
double activation_bytes(Precision p);

}  // namespace trainsim
