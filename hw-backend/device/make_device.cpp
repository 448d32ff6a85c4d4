#include "hw-backend/device/device.hpp"

#include "models/util/errors.hpp"

namespace trainsim::hw {

std::unique_ptr<Device> make_device(const std::string& kind, MPI_Comm world, const DeviceOptions& opts) {
  if (kind == "cpu") return make_cpu_device(world, opts);
#ifdef TRAINSIM_HAVE_CUDA
  if (kind == "cuda") return make_cuda_device(world, opts);
  throw InputError("--device", "cpu or cuda", "\"" + kind + "\"");
#else
  throw InputError("--device", "cpu (this build has no CUDA device: configure with -DTRAINSIM_CUDA=ON)",
                   "\"" + kind + "\"");
#endif
}

}  // namespace trainsim::hw
