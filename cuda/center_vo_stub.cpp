// The CUDA path is not compiled into this build: Vo's metric runs on the CPU only.
#include "core/error.hpp"
#include "cuda/center_vo.hpp"

namespace xct::cuda {

std::vector<double> vo_metrics(const VoSpectraRef&, const std::vector<VoShift>&, int) {
  XCT_THROW(ErrorKind::DeviceUnavailable, "xct was built without CUDA");
}

std::size_t vo_metrics_device_bytes(std::size_t, std::size_t, std::size_t) {
  return 0;
}

}  // namespace xct::cuda
