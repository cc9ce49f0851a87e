#include <cuda_runtime.h>

#include "cuda/device.hpp"

namespace xct::cuda {

bool compiled_in() noexcept { return true; }

std::vector<DeviceInfo> visible_devices() noexcept {
  std::vector<DeviceInfo> out;
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver" state
    return out;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
    DeviceInfo d;
    d.index = i;
    d.name = prop.name;
    d.total_memory_bytes = prop.totalGlobalMem;
    d.compute_capability_major = prop.major;
    d.compute_capability_minor = prop.minor;
    std::size_t free_b = 0, total_b = 0;
    if (cudaSetDevice(i) == cudaSuccess && cudaMemGetInfo(&free_b, &total_b) == cudaSuccess) {
      d.free_memory_bytes = free_b;
    }
    out.push_back(d);
  }
  return out;
}

std::string unavailable_reason() noexcept {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    cudaGetLastError();
    return std::string("CUDA reports: ") + cudaGetErrorString(err);
  }
  if (count == 0) return "no CUDA device is visible";
  return {};
}

}  // namespace xct::cuda
