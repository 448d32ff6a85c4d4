#pragma once
// Binary encoding of a SimResult, to carry it from the simulation's child process over a pipe.
#include <string>

#include "sim/simgrid/sim_job.hpp"

namespace trainsim {

std::string encode_result(const SimResult& r);
/// Throws InternalError on a truncated or malformed buffer.
SimResult decode_result(const std::string& buf);

}  // namespace trainsim
