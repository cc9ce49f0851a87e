// The CUDA path is not compiled into this build: no device is ever visible.
#include "cuda/device.hpp"

namespace xct::cuda {

bool compiled_in() noexcept {
  return false;
}
std::vector<DeviceInfo> visible_devices() noexcept {
  return {};
}
std::string unavailable_reason() noexcept {
  return "xct was built without CUDA";
}

}  // namespace xct::cuda
