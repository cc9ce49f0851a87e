// What the CUDA path can see, behind a plain C++ header: no CUDA type appears here, so any
// file may include it. Built from device.cu when CUDA is compiled in, from device_stub.cpp
// otherwise; the two agree on every declaration.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace xct::cuda {

struct DeviceInfo {
  int index = 0;
  std::string name;
  std::size_t total_memory_bytes = 0;
  std::size_t free_memory_bytes = 0;
  int compute_capability_major = 0;
  int compute_capability_minor = 0;
};

// True when this build contains the CUDA path.
bool compiled_in() noexcept;

// The visible CUDA devices (CUDA_VISIBLE_DEVICES respected); empty when CUDA is not compiled
// in, no driver is installed or no device is visible. Never throws.
std::vector<DeviceInfo> visible_devices() noexcept;

// Why no device is visible, in one line ("no CUDA driver", "built without CUDA" ...); empty
// when at least one device is visible.
std::string unavailable_reason() noexcept;

}  // namespace xct::cuda
