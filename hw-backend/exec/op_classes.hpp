#pragma once
// Op classes compared between prediction and measurement: seconds per rank per iteration spent
// in matrix products, attention, memory-bound kernels, collectives (inline TP/CP/EP ones and the
// DP/embedding ops) and pipeline sends.
#include <nlohmann/json.hpp>

namespace trainsim::hw {

struct ClassTimes {
  double gemm = 0, attention = 0, memory = 0, collective = 0, p2p = 0;
  ClassTimes& operator+=(const ClassTimes& o) {
    gemm += o.gemm, attention += o.attention, memory += o.memory, collective += o.collective, p2p += o.p2p;
    return *this;
  }
  ClassTimes scaled(double f) const { return {gemm * f, attention * f, memory * f, collective * f, p2p * f}; }
  nlohmann::json to_json() const {
    return {{"gemm", gemm}, {"attention", attention}, {"memory", memory}, {"collective", collective}, {"p2p", p2p}};
  }
};

}  // namespace trainsim::hw
