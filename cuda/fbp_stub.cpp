// The CUDA path is not compiled into this build: an engine can never be made.
#include "core/error.hpp"
#include "cuda/fbp.hpp"

namespace xct::cuda {

struct FbpEngine::Impl {};

FbpEngine::FbpEngine(const FbpSetup&, std::size_t, int) {
  XCT_THROW(ErrorKind::DeviceUnavailable, "xct was built without CUDA");
}
FbpEngine::~FbpEngine() = default;
FbpEngine::FbpEngine(FbpEngine&&) noexcept = default;
FbpEngine& FbpEngine::operator=(FbpEngine&&) noexcept = default;

// No engine exists, so none of these is ever reached through one.
const FbpSetup& FbpEngine::setup() const {
  XCT_THROW(ErrorKind::Internal, "xct was built without CUDA");
}
std::size_t FbpEngine::max_rows() const {
  return 0;
}
FbpTiming FbpEngine::last_timing() const {
  return {};
}
std::size_t FbpEngine::device_bytes(const FbpSetup&, std::size_t) {
  return 0;
}
void FbpEngine::reconstruct(HostView<const float, 3>, const std::vector<double>&,
                            HostView<float, 3>) {
  XCT_THROW(ErrorKind::DeviceUnavailable, "xct was built without CUDA");
}
void FbpEngine::reconstruct_counts(HostView<const std::uint16_t, 3>, HostView<const float, 2>,
                                   HostView<const float, 2>, NonPositive,
                                   const std::vector<double>&, HostView<float, 3>, CountsReport&) {
  XCT_THROW(ErrorKind::DeviceUnavailable, "xct was built without CUDA");
}
void FbpEngine::filter(HostView<const float, 3>, HostView<float, 3>) {
  XCT_THROW(ErrorKind::DeviceUnavailable, "xct was built without CUDA");
}
void FbpEngine::back_project(HostView<const float, 3>, const std::vector<double>&,
                             HostView<float, 3>) {
  XCT_THROW(ErrorKind::DeviceUnavailable, "xct was built without CUDA");
}

std::size_t FbpEngine::stream_bytes(const FbpSetup&, const RawChain&, std::size_t) {
  return 0;
}
void FbpEngine::stream_raw(const RawChain&, const std::function<bool(RawSlab&)>&,
                           const std::function<void(RawSlab&)>&, RawCounts&, StreamTiming&) {
  XCT_THROW(ErrorKind::DeviceUnavailable, "xct was built without CUDA");
}

}  // namespace xct::cuda
