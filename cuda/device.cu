#include <cuda_runtime.h>

#include "cuda/cuda_util.cuh"
#include "cuda/device.hpp"

namespace xct::cuda {

namespace detail {

void throw_cuda(cudaError_t err, const char* call, const char* file, int line) {
  cudaGetLastError();  // clear a non-sticky error so that later calls start clean
  ErrorKind kind = ErrorKind::Internal;
  switch (err) {
    case cudaErrorNoDevice:
    case cudaErrorInsufficientDriver:
    case cudaErrorDevicesUnavailable:
    case cudaErrorInvalidDevice:
    case cudaErrorMemoryAllocation:
    case cudaErrorInitializationError:
    case cudaErrorSystemDriverMismatch:
    case cudaErrorUnsupportedPtxVersion:
    case cudaErrorNoKernelImageForDevice:
      kind = ErrorKind::DeviceUnavailable;
      break;
    default:
      break;
  }
  throw Error(kind,
              std::string("CUDA error ") + cudaGetErrorName(err) + " (" + cudaGetErrorString(err) +
                  ") in " + call,
              file, line);
}

void select_device(int device) {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    cudaGetLastError();
    XCT_THROW(ErrorKind::DeviceUnavailable, "no usable CUDA device: ", cudaGetErrorString(err));
  }
  XCT_CHECK(device >= 0 && device < count, ErrorKind::DeviceUnavailable, "CUDA device ", device,
            " is not visible (", count, " visible)");
  XCT_CUDA_CHECK(cudaSetDevice(device));
}

void throw_cufft(cufftResult err, const char* call, const char* file, int line) {
  const ErrorKind kind =
      err == CUFFT_ALLOC_FAILED ? ErrorKind::DeviceUnavailable : ErrorKind::Internal;
  throw Error(kind, "cuFFT error " + std::to_string(static_cast<int>(err)) + " in " + call, file,
              line);
}

}  // namespace detail

bool compiled_in() noexcept {
  return true;
}

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
    int driver = 0;
    if (cudaDriverGetVersion(&driver) == cudaSuccess && driver == 0)
      return "no CUDA driver is installed";
    return std::string("CUDA reports: ") + cudaGetErrorString(err);
  }
  if (count == 0) return "no CUDA device is visible";
  return {};
}

}  // namespace xct::cuda
