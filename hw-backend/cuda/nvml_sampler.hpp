#pragma once
// Board power sampled by a background thread through NVML (nvmlDeviceGetPowerUsage, mW;
// NVML API reference), integrated into energy between begin() and end_joules().
#include <atomic>
#include <mutex>
#include <thread>

namespace trainsim::hw::cuda {

class NvmlSampler {
 public:
  explicit NvmlSampler(int cuda_device, double period_s = 0.02);
  ~NvmlSampler();
  bool ok() const { return ok_; }
  void begin();
  double end_joules();
  /// Mean power (W) over the next `seconds` (blocking).
  double mean_power(double seconds);

 private:
  void loop();
  bool ok_ = false;
  void* handle_ = nullptr;  // nvmlDevice_t
  double period_;
  std::atomic<bool> stop_{false};
  std::mutex m_;
  double energy_j_ = 0, last_w_ = 0;
  std::thread th_;
};

}  // namespace trainsim::hw::cuda
