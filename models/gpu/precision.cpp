#include "models/gpu/precision.hpp"

#include "models/util/errors.hpp"

namespace trainsim {

Precision parse_precision(const std::string& s) {
  if (s == "fp32") return Precision::FP32;
  if (s == "tf32") return Precision::TF32;
  if (s == "fp16") return Precision::FP16;
  if (s == "bf16") return Precision::BF16;
  if (s == "fp8") return Precision::FP8;
  throw InputError("precision", "one of fp32, tf32, fp16, bf16, fp8", "\"" + s + "\"");
}

const char* to_string(Precision p) {
  switch (p) {
    case Precision::FP32: return "fp32";
    case Precision::TF32: return "tf32";
    case Precision::FP16: return "fp16";
    case Precision::BF16: return "bf16";
    case Precision::FP8: return "fp8";
  }
  return "?";
}

double activation_bytes(Precision p) {
  // fp8 training (Transformer Engine) keeps activations between layers in bf16.
  return (p == Precision::FP32 || p == Precision::TF32) ? 4.0 : 2.0;
}

}  // namespace trainsim
