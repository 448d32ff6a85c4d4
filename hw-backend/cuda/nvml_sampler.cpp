#include "hw-backend/cuda/nvml_sampler.hpp"

#include <cuda_runtime.h>
#include <nvml.h>

#include <chrono>

#include "hw-backend/device/watchdog.hpp"

namespace trainsim::hw::cuda {

NvmlSampler::NvmlSampler(int cuda_device, double period_s) : period_(period_s) {
  if (nvmlInit_v2() != NVML_SUCCESS) return;
  char bus[32] = {0};
  if (cudaDeviceGetPCIBusId(bus, sizeof(bus), cuda_device) != cudaSuccess) return;
  nvmlDevice_t h;
  if (nvmlDeviceGetHandleByPciBusId_v2(bus, &h) != NVML_SUCCESS) return;
  handle_ = h;
  unsigned mw = 0;
  if (nvmlDeviceGetPowerUsage(h, &mw) != NVML_SUCCESS) return;
  last_w_ = mw / 1000.0;
  ok_ = true;
  th_ = std::thread([this] { loop(); });
}

NvmlSampler::~NvmlSampler() {
  stop_ = true;
  if (th_.joinable()) th_.join();
  if (handle_) nvmlShutdown();
}

void NvmlSampler::loop() {
  auto h = static_cast<nvmlDevice_t>(handle_);
  double t = now_s();
  while (!stop_) {
    std::this_thread::sleep_for(std::chrono::duration<double>(period_));
    unsigned mw = 0;
    if (nvmlDeviceGetPowerUsage(h, &mw) != NVML_SUCCESS) continue;
    const double now = now_s(), w = mw / 1000.0;
    std::lock_guard<std::mutex> g(m_);
    energy_j_ += 0.5 * (w + last_w_) * (now - t);  // trapezoid rule
    last_w_ = w;
    t = now;
  }
}

void NvmlSampler::begin() {
  std::lock_guard<std::mutex> g(m_);
  energy_j_ = 0;
}

double NvmlSampler::end_joules() {
  std::lock_guard<std::mutex> g(m_);
  return energy_j_;
}

double NvmlSampler::mean_power(double seconds) {
  if (!ok_) return 0;
  begin();
  const double t0 = now_s();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  return end_joules() / std::max(1e-9, now_s() - t0);
}

}  // namespace trainsim::hw::cuda
